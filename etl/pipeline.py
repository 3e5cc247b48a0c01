"""The ETL pipeline: clean → validate → dedupe → load, batch by batch, one runner for
both drivers.

A run opens a ``pipeline_run`` and plans batches: each batch *claims* its documents (landed
with an item, not processed, not claimed by a live run) in one locked transaction, so two
runs started together never plan the same document. A run plans at most ``max_batches``
batches; :func:`run_etl` plans again until nothing is left, an Airflow run leaves the rest
to the next run. Each batch then goes through the same two phases in both drivers
(:data:`etl.stages.PHASES`):

* :func:`prepare_batch` — clean (quarantining what cannot be cleaned), keep the latest
  version of each canonical URL, validate (quarantining failing records). Needs only the
  batch, so batches may run it in parallel.
* :func:`commit_batch` — dedupe against everything loaded before and load, under the
  warehouse's ETL lock (PostgreSQL advisory lock, SQLite's write lock), marking the
  batch's documents processed in the same transaction.

:func:`run_etl` (CLI, file import) runs both phases of a batch in one transaction while
worker processes clean the batches after it (:mod:`etl.prepare`) and, when there are
workers (or the caller started it), a validation process runs Great Expectations on the
next (:mod:`etl.validator`).
The staged API (Airflow) runs :func:`clean_validate_batch` per batch in any order and
process, handing typed records on through the ``etl_batch`` table, and
:func:`dedupe_load_batches`, which loads every batch of the run whose turn has come, in
order, so no task ever waits for another by polling.
:func:`finish_etl` closes the run and gives unloaded batches' documents back. A bad record
never holds its batch back: it is quarantined and the rest of the batch loads; a batch that
rejects more than its threshold fails the run after loading what was valid.
"""

from __future__ import annotations

import gc
import os
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Engine, Select, func, select, update
from sqlalchemy.orm import Session

from etl.chunks import one_of
from etl.claimed import document_reader, read_documents
from etl.dedupe import dedupe_records
from etl.load import COMPARED_FIELDS, load_records
from etl.prepare import (
    Prepared,
    Workers,
    prepare_all,
    prepare_later,
    start_fork_server,
    worker_pool,
)
from etl.records import Record
from etl.stages import DEFAULT_BATCH_SIZE, PHASES, STAGES, default_max_batches
from etl.validate import DEFAULT_REJECT_THRESHOLD, Rejection, validate_records
from etl.validator import outcome, validate_later
from etl.validator import running as validator_running
from etl.validator import start as start_validator
from schemas.db import session_scope
from schemas.identity import TEXT_URN
from schemas.landing import finish_run, reject, start_run
from schemas.models import EtlBatch, EtlDocument, PipelineRun, RawDocument
from schemas.runs import abandon_dead_runs, heartbeat, release_claims
from schemas.sources import source_zones
from schemas.types import utcnow

__all__ = [
    "PHASES",
    "STAGES",
    "EtlResult",
    "clean_validate_batch",
    "count_pending",
    "dedupe_load_batches",
    "finish_etl",
    "run_etl",
    "start_etl",
    "start_workers",
]

THRESHOLD_ENV = "NEWSETL_REJECT_THRESHOLD"
TEXT_URN_PREFIX = TEXT_URN.split("{")[0]
# PostgreSQL advisory lock keys: planning (claiming documents), and dedupe + load
PLAN_LOCK = 0x6E65_7773_0001
LOAD_LOCK = 0x6E65_7773_0002
# Bulk updates of documents' progress: no ORM objects of them are loaded, none to keep in step
# (the ORM's default would fetch the ids of the rows each update matches)
NO_ORM_SYNC = {"synchronize_session": False}
# batches cleaned or being cleaned at a time in run_etl: the one loading and two ahead
BATCHES_IN_FLIGHT = 3
# allocations between young-generation collections during run_etl (Python's default: 700).
# A run's objects are records and rows that reference counting frees: on 10k benchmark
# documents collecting took 0.33-0.38 s of the main process's ≈ 4.5 s at 700, 0.16-0.18 s
# at this, with the same peak memory (measured with gc.callbacks)
RUN_GC_THRESHOLD = 10_000


@dataclass
class EtlResult:
    """What an ETL run did: its ``pipeline_run`` id, status and counts."""

    run_id: int
    status: str  # success | failed
    counts: dict[str, Any]


@dataclass
class Batch:
    """One batch between stages: its documents, current records and counts so far."""

    id: int
    run_id: int
    raw_document_ids: list[int]
    reject_threshold: float
    records: list[Record] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, row: EtlBatch) -> Batch:
        return cls(
            id=row.id,
            run_id=row.run_id,
            raw_document_ids=list(row.raw_document_ids),
            reject_threshold=row.reject_threshold,
            records=[Record.from_json(r) for r in row.records or []],
            counts=dict(row.counts or {}),
        )


def default_threshold() -> float:
    """The rejection share above which a batch fails its run (``$NEWSETL_REJECT_THRESHOLD``)."""
    return float(os.environ.get(THRESHOLD_ENV, DEFAULT_REJECT_THRESHOLD))


def exclusive(session: Session, run_id: int, key: int) -> None:
    """Hold the warehouse-wide lock ``key`` until the transaction ends, noting the run's
    heartbeat: an advisory lock on PostgreSQL; on SQLite the heartbeat write itself takes
    the database's one write lock (waiting for it like any writer)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(key)))
    session.execute(
        update(PipelineRun).where(PipelineRun.id == run_id).values(heartbeat_at=utcnow())
    )


# --- the stages ------------------------------------------------------------------------------


def _summary(record: Record) -> dict[str, Any]:
    """A rejected record as kept in quarantine: its fields, without the bulky body HTML."""
    keep = ("source", "url", "canonical_url", "title", "published_at", "char_count", "body_text")
    summary = {k: record[k] for k in keep}
    if isinstance(summary["published_at"], datetime):
        summary["published_at"] = summary["published_at"].isoformat()
    if summary["body_text"]:
        summary["body_text"] = summary["body_text"][:500]
    return summary


def latest_versions(records: list[Record]) -> tuple[list[Record], int, int]:
    """One record per canonical URL: the latest fetched (then the latest landed). Returns
    the kept records in batch order, how many earlier versions they superseded, and how
    many records merely repeated a kept one (the same article values). Records named by
    their text (no URL: ``urn:newsetl:text:…``) have no versions: dedupe judges them."""
    latest: dict[str, Record] = {}
    for record in records:
        if record.canonical_url.startswith(TEXT_URN_PREFIX):
            latest[f"{record.canonical_url}#{record.raw_document_id}"] = record
            continue
        kept = latest.get(record.canonical_url)
        if kept is None or (record.fetched_at, record.raw_document_id) > (
            kept.fetched_at,
            kept.raw_document_id,
        ):
            latest[record.canonical_url] = record
    winners = {id(r) for r in latest.values()}
    dropped = [r for r in records if id(r) not in winners]
    repeats = sum(all(r[f] == latest[r.canonical_url][f] for f in COMPARED_FIELDS) for r in dropped)
    return [r for r in records if id(r) in winners], len(dropped) - repeats, repeats


def cleaned_records(prepared: list[Prepared]) -> list[Record]:
    """The records of the documents that could be cleaned, in batch order."""
    return [record for record, _ in prepared if record is not None]


def clean_step(session: Session, batch: Batch, prepared: list[Prepared]) -> dict[str, Any]:
    """Quarantine the documents that could not be cleaned; keep the latest version of each
    canonical URL (the earlier ones stay in the landing zone, counted as superseded)."""
    reasons: Counter[str] = Counter()
    for _, rejection in prepared:
        if rejection is not None:
            reasons[rejection["failures"][0]["expectation"]] += 1
            reject(session, stage="clean", run_id=batch.run_id, **rejection)
    cleaned = cleaned_records(prepared)
    batch.records, superseded, repeats = latest_versions(cleaned)
    return {
        "read": len(prepared),
        "cleaned": len(cleaned),
        "superseded": superseded,
        "repeats": repeats,
        "rejected": dict(reasons),
        "unsafe_urls_dropped": sum(len(record.dropped_urls) for record in cleaned),
    }


def validate_step(
    session: Session, batch: Batch, rejections: list[Rejection] | None = None
) -> dict[str, Any]:
    """Run the expectation suite (unless its ``rejections`` of the batch's records are
    given); quarantine failing records with every failure."""
    if rejections is None:
        rejections = validate_records(batch.records)
    reasons: Counter[str] = Counter()
    for rejection in rejections:
        record = batch.records[rejection.index]
        for failure in rejection.failures:
            reasons[f"{failure['expectation']} ({failure['column']})"] += 1
        reject(
            session, stage="validate", reason=rejection.reason,
            raw_document_id=record.raw_document_id, source_id=record.source_id,
            run_id=batch.run_id, failures=rejection.failures, record=_summary(record),
        )  # fmt: skip
    failed = {r.index for r in rejections}
    clean = batch.counts["clean"]
    batch.records = [r for i, r in enumerate(batch.records) if i not in failed]
    rejected = clean["read"] - clean["cleaned"] + len(failed)
    share = rejected / clean["read"] if clean["read"] else 0.0
    return {
        "valid": len(batch.records),
        "rejected": dict(reasons),
        "rejected_records": len(failed),
        "rejected_share": round(share, 4),
        "threshold_exceeded": share > batch.reject_threshold,
    }


def dedupe_step(session: Session, batch: Batch) -> dict[str, Any]:
    """Find exact and near duplicates against the batch and everything loaded before."""
    return dedupe_records(session, batch.records)


def load_step(session: Session, batch: Batch) -> dict[str, Any]:
    """Write the batch's articles and mark its documents processed, in one transaction."""
    counts = load_records(session, batch.records)
    for condition in one_of(session, EtlDocument.raw_document_id, batch.raw_document_ids):
        session.execute(
            update(EtlDocument)
            .where(condition, EtlDocument.processed_run_id.is_(None))
            .values(processed_run_id=batch.run_id),
            execution_options=NO_ORM_SYNC,
        )
    return counts


def prepare_batch(
    session: Session,
    batch: Batch,
    prepared: list[Prepared] | None = None,
    rejections: list[Rejection] | None = None,
) -> None:
    """Phase one: clean (``prepared`` already, when :func:`run_etl`'s workers did it) and
    validate (``rejections`` already, when :func:`run_etl`'s validation process judged the
    :func:`latest_versions` of its records); the batch keeps the valid records and the
    counts."""
    if prepared is None:
        prepared = prepare_all(read_documents(session, batch.raw_document_ids), source_zones())
    batch.counts["clean"] = clean_step(session, batch, prepared)
    batch.counts["validate"] = validate_step(session, batch, rejections)


def commit_batch(session: Session, batch: Batch) -> None:
    """Phase two, under the ETL lock: dedupe against everything loaded, then load."""
    exclusive(session, batch.run_id, LOAD_LOCK)
    batch.counts["dedupe"] = dedupe_step(session, batch)
    batch.counts["load"] = load_step(session, batch)


# --- planning --------------------------------------------------------------------------------


def _pending(query: Select, since_run: int | None) -> Select:
    """Documents with an item (those have an ``etl_document`` row) neither processed nor
    claimed, landed by run ``since_run`` or later when given."""
    query = query.where(EtlDocument.processed_run_id.is_(None), EtlDocument.etl_batch_id.is_(None))
    if since_run is None:
        return query
    landed = select(RawDocument.id).where(RawDocument.run_id >= since_run)
    return query.where(EtlDocument.raw_document_id.in_(landed))


def count_pending(engine: Engine, since_run: int | None = None) -> int:
    """How many landed documents the next ETL run would process."""
    with session_scope(engine) as session:
        return session.scalar(_pending(select(func.count(EtlDocument.raw_document_id)), since_run))


def _plan(
    session: Session,
    run_id: int,
    *,
    batch_size: int,
    max_batches: int,
    since_run: int | None,
    threshold: float,
) -> list[int]:
    """Claim up to ``max_batches`` batches of pending documents for run ``run_id``."""
    exclusive(session, run_id, PLAN_LOCK)
    query = (
        _pending(select(EtlDocument.raw_document_id), since_run)
        .order_by(EtlDocument.raw_document_id)
        .limit(batch_size * max_batches)
    )
    ids = list(session.scalars(query))
    batch_ids: list[int] = []
    for chunk in (ids[i : i + batch_size] for i in range(0, len(ids), batch_size)):
        row = EtlBatch(
            run_id=run_id,
            raw_document_ids=chunk,
            stage="planned",
            reject_threshold=threshold,
            counts={},
        )
        session.add(row)
        session.flush()
        for condition in one_of(session, EtlDocument.raw_document_id, chunk):
            session.execute(
                update(EtlDocument).where(condition).values(etl_batch_id=row.id),
                execution_options=NO_ORM_SYNC,
            )
        batch_ids.append(row.id)
    return batch_ids


def _open_run(session: Session, airflow_run_id: str | None) -> int:
    """Close the runs that died (their documents go back to the pool), open this one."""
    abandon_dead_runs(session)
    return start_run(session, "etl", "etl", airflow_run_id=airflow_run_id).id


def _checked(batch_size: int, max_batches: int | None) -> int:
    if batch_size < 1:
        raise ValueError("batch size must be at least 1")
    max_batches = default_max_batches() if max_batches is None else max_batches
    if max_batches < 1:
        raise ValueError("a run must plan at least one batch")
    return max_batches


def start_etl(
    engine: Engine,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_batches: int | None = None,
    since_run: int | None = None,
    airflow_run_id: str | None = None,
    reject_threshold: float | None = None,
) -> tuple[int, list[int]]:
    """Open an ETL run and plan at most ``max_batches`` batches (default
    ``$NEWSETL_ETL_MAX_BATCHES``) of pending documents (landed by run ``since_run`` or
    later, when given); returns the run id and the batch ids in processing order."""
    max_batches = _checked(batch_size, max_batches)
    threshold = default_threshold() if reject_threshold is None else reject_threshold
    with session_scope(engine) as session:
        run_id = _open_run(session, airflow_run_id)
    try:
        with session_scope(engine) as session:
            batch_ids = _plan(
                session, run_id, batch_size=batch_size, max_batches=max_batches,
                since_run=since_run, threshold=threshold,
            )  # fmt: skip
            session.get(PipelineRun, run_id).counts = {"batches": len(batch_ids)}
    except Exception as error:
        _fail(engine, run_id, error)
        raise
    return run_id, batch_ids


# --- the staged API (Airflow) ----------------------------------------------------------------


def clean_validate_batch(engine: Engine, batch_id: int) -> dict[str, Any]:
    """Clean and validate one planned batch, storing its valid records for
    :func:`dedupe_load_batches`; returns the two stages' counts (again, when done before)."""
    with session_scope(engine) as session:
        row = session.get(EtlBatch, batch_id, with_for_update=True)
        if row is None:
            raise KeyError(f"no ETL batch {batch_id}")
        heartbeat(session, row.run_id)
        if row.stage == "planned":
            batch = Batch.of(row)
            prepare_batch(session, batch)
            row.records = [r.to_json() for r in batch.records]
            row.stage, row.counts = "validated", batch.counts
        return {stage: row.counts[stage] for stage in PHASES["clean_validate"]}


def dedupe_load_batches(engine: Engine, batch_id: int) -> list[int]:
    """Under the ETL lock, dedupe and load every validated batch of ``batch_id``'s run
    whose earlier batches are all loaded, in order (so near duplicates are matched across
    all of them); returns the ids loaded now. Called once per batch after its validation,
    in any order: the last call finds every batch validated and loads what is left."""
    with session_scope(engine) as session:
        run_id = session.scalar(select(EtlBatch.run_id).where(EtlBatch.id == batch_id))
        if run_id is None:
            raise KeyError(f"no ETL batch {batch_id}")
        exclusive(session, run_id, LOAD_LOCK)
        waiting = session.scalars(
            select(EtlBatch)
            .where(EtlBatch.run_id == run_id, EtlBatch.stage != "loaded")
            .order_by(EtlBatch.id)
        )
        loaded = []
        for row in waiting:
            if row.stage != "validated":
                break
            batch = Batch.of(row)
            commit_batch(session, batch)
            row.stage, row.records, row.counts = "loaded", None, batch.counts
            loaded.append(row.id)
        return loaded


def _totals(batches: list[EtlBatch]) -> dict[str, Any]:
    totals: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    for row in batches:
        counts = row.counts or {}
        clean = counts.get("clean", {})
        validate = counts.get("validate", {})
        dedupe = counts.get("dedupe", {})
        load = counts.get("load", {})
        totals.update(
            read=len(row.raw_document_ids),
            cleaned=clean.get("cleaned", 0),
            rejected=clean.get("read", 0)
            - clean.get("cleaned", 0)
            + validate.get("rejected_records", 0),
            superseded=clean.get("superseded", 0),
            exact_duplicates=clean.get("repeats", 0) + dedupe.get("exact_duplicates", 0),
            near_duplicates=dedupe.get("near_duplicates", 0),
            loaded=load.get("loaded", 0),
            updated=load.get("updated", 0),
            unchanged=load.get("unchanged", 0),
            unsafe_urls_dropped=clean.get("unsafe_urls_dropped", 0),
        )
        rejected.update({f"clean: {k}": v for k, v in clean.get("rejected", {}).items()})
        rejected.update({f"validate: {k}": v for k, v in validate.get("rejected", {}).items()})
    keys = (
        "read", "cleaned", "rejected", "superseded", "exact_duplicates", "near_duplicates",
        "loaded", "updated", "unchanged", "unsafe_urls_dropped",
    )  # fmt: skip
    return {k: totals[k] for k in keys} | {
        "batches": len(batches),
        "rejected_by_reason": dict(sorted(rejected.items())),
    }


def finish_etl(engine: Engine, run_id: int) -> EtlResult:
    """Close a run: counts summed over its batches; ``failed`` when a batch did not load
    (its documents go back to the pool for the next run) or rejected more than its
    threshold."""
    with session_scope(engine) as session:
        run = session.get(PipelineRun, run_id)
        if run is None:
            raise KeyError(f"no pipeline run {run_id}")
        batches = list(
            session.scalars(select(EtlBatch).where(EtlBatch.run_id == run_id).order_by(EtlBatch.id))
        )
        counts = _totals(batches)
        problems = [
            f"batch {b.id} stopped after {b.stage}" for b in batches if b.stage != "loaded"
        ] + [
            f"batch {b.id} rejected {b.counts['validate']['rejected_share']:.0%} "
            f"(threshold {b.reject_threshold:.0%})"
            for b in batches
            if b.counts.get("validate", {}).get("threshold_exceeded")
        ]
        status = "failed" if problems else "success"
        if run.status == "failed" and run.message:
            problems.insert(0, run.message)
            status = "failed"
        release_claims(session, run_id)
        finish_run(session, run, counts, status=status, message="; ".join(problems) or None)
        return EtlResult(run_id, status, counts)


def _fail(engine: Engine, run_id: int, error: Exception) -> None:
    """Close a run that an error stopped: ``failed``, with the error first in its message."""
    with session_scope(engine) as session:
        run = session.get(PipelineRun, run_id)
        run.status, run.message = "failed", f"{type(error).__name__}: {error}"
    finish_etl(engine, run_id)


# --- the CLI's runner ------------------------------------------------------------------------


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Collect young garbage every :data:`RUN_GC_THRESHOLD` allocations until the block ends
    (the process's own setting is restored then)."""
    before = gc.get_threshold()
    gc.set_threshold(RUN_GC_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def start_workers(engine: Engine, documents: int) -> None:
    """Have the fork server that :func:`run_etl`'s workers come from start importing the
    clean stage now, when a run of ``documents`` documents will have workers: a one-off
    start-up, like the validation process's (:func:`etl.validator.start`)."""
    start_fork_server(document_reader(engine), documents)


def run_etl(
    engine: Engine,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_batches: int | None = None,
    since_run: int | None = None,
    airflow_run_id: str | None = None,
    progress: Callable[[int], None] | None = None,
    reject_threshold: float | None = None,
) -> EtlResult:
    """Process everything landed and not processed yet, planning ``max_batches`` batches at
    a time, each batch's stages in one transaction; ``progress`` is called with the number
    of documents done."""
    max_batches = _checked(batch_size, max_batches)
    threshold = default_threshold() if reject_threshold is None else reject_threshold
    with session_scope(engine) as session:
        run_id = _open_run(session, airflow_run_id)
    zones = source_zones()

    reader = document_reader(engine)

    def prepare_here(ids: list[int]) -> list[Prepared]:
        with session_scope(engine) as session:
            return prepare_all(read_documents(session, ids), zones)

    def clean_later(batch_id: int, workers: Workers | None) -> Callable[[], list[Prepared]]:
        """Start cleaning batch ``batch_id`` in the workers, or, without them, clean it in
        this process when the returned function is called."""
        with session_scope(engine) as session:
            ids = session.get(EtlBatch, batch_id).raw_document_ids
        if workers is None:
            return partial(prepare_here, ids)
        return prepare_later(reader, ids, zones, workers, prepare_here)

    def plan() -> list[int]:
        with session_scope(engine) as session:
            return _plan(
                session, run_id, batch_size=batch_size, max_batches=max_batches,
                since_run=since_run, threshold=threshold,
            )  # fmt: skip

    def load(batch_id: int, prepared: list[Prepared], judged: Future | None) -> None:
        """Both phases of a batch in one transaction (validated already when ``judged``)."""
        found = outcome(judged) if judged is not None else None
        with session_scope(engine) as session:
            row = session.get(EtlBatch, batch_id)
            batch = Batch.of(row)
            prepare_batch(session, batch, prepared, found)
            commit_batch(session, batch)
            row.stage, row.counts = "loaded", batch.counts
        if progress is not None:
            progress(len(batch.raw_document_ids))

    try:
        with _fewer_collections(), worker_pool(reader, count_pending(engine, since_run)) as workers:
            elsewhere = workers is not None or validator_running()
            ready = start_validator() if elsewhere else None
            planned = deque(plan())
            # batches handed to the workers ahead of the one loading, so that the workers
            # never wait for the main process to finish a batch before they start the next
            cleaning: deque[tuple[int, Callable[[], list[Prepared]]]] = deque()
            # the batch the validation process judges while the one before it loads
            judging: tuple[int, list[Prepared], Future | None] | None = None
            while planned or cleaning:
                while planned and len(cleaning) < BATCHES_IN_FLIGHT:
                    batch_id = planned.popleft()
                    cleaning.append((batch_id, clean_later(batch_id, workers)))
                    if not planned:
                        planned.extend(plan())
                if ready is not None:  # Great Expectations imports there while the
                    outcome(ready)  # workers clean the first batches
                    ready = None
                batch_id, outcomes = cleaning.popleft()
                prepared = outcomes()  # outside the transaction: no lock held while waiting
                judged = None
                if elsewhere:
                    judged = validate_later(latest_versions(cleaned_records(prepared))[0])
                if judging is not None:
                    load(*judging)
                judging = (batch_id, prepared, judged)
            if judging is not None:
                load(*judging)
    except Exception as error:
        _fail(engine, run_id, error)
        raise
    return finish_etl(engine, run_id)
