"""The ETL pipeline: clean → validate → dedupe → load, batch by batch.

Two ways to drive it, one function per stage for both:

* :func:`run_etl` (CLI, file import): each batch goes through the four stages in memory
  and one transaction — a crash mid-batch leaves the warehouse as it was, and a rerun
  picks the batch up again. The next batch is cleaned meanwhile in worker processes
  (:mod:`etl.prepare`), so at most two batches are in flight.
* the staged API (Airflow): :func:`start_etl` plans batches, :func:`clean_batch`,
  :func:`validate_batch`, :func:`dedupe_batch` and :func:`load_batch` each run one stage
  of one batch in their own transaction (any process, any worker), handing records on
  through the ``etl_batch`` table; :func:`finish_etl` closes the run. Every call is safe
  to repeat: a stage already done returns its counts.

Documents enter a batch when they were landed with an item and not processed yet; the
load stage marks them processed (with the run's id) in the same transaction.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, Text, cast, func, select, update
from sqlalchemy.orm import Session

from etl.chunks import one_of
from etl.dedupe import dedupe_records
from etl.load import load_records
from etl.prepare import (
    Document,
    Prepared,
    prepare_all,
    prepare_later,
    source_zones,
    worker_pool,
)
from etl.validate import (
    DEFAULT_REJECT_THRESHOLD,
    ValidationThresholdExceeded,
    validate_records,
)
from schemas.db import session_scope
from schemas.landing import finish_run, reject, start_run
from schemas.models import EtlBatch, PipelineRun, RawDocument, Source

__all__ = [
    "EtlResult",
    "StageOrderError",
    "ValidationThresholdExceeded",
    "clean_batch",
    "count_pending",
    "dedupe_batch",
    "finish_etl",
    "load_batch",
    "ready_to_dedupe",
    "run_etl",
    "start_etl",
    "validate_batch",
]

THRESHOLD_ENV = "NEWSETL_REJECT_THRESHOLD"
STAGES = ("clean", "validate", "dedupe", "load")
DONE = {"clean": "cleaned", "validate": "validated", "dedupe": "deduped", "load": "loaded"}
ORDER = ("planned", "cleaned", "validated", "deduped", "loaded")
DATETIME_FIELDS = ("published_at", "fetched_at")


class StageOrderError(RuntimeError):
    """A stage was asked to run on a batch whose previous stage has not run yet."""


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
    records: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)


def default_threshold() -> float:
    """The rejection share above which a batch fails its run (``$NEWSETL_REJECT_THRESHOLD``)."""
    return float(os.environ.get(THRESHOLD_ENV, DEFAULT_REJECT_THRESHOLD))


# --- the four stages (shared by run_etl and the staged API) ---------------------------------


def _summary(record: dict[str, Any]) -> dict[str, Any]:
    """A rejected record as kept in quarantine: its fields, without the bulky body HTML."""
    keep = ("source", "url", "canonical_url", "title", "published_at", "char_count", "body_text")
    summary = {k: record.get(k) for k in keep if k in record}
    if isinstance(summary.get("published_at"), datetime):
        summary["published_at"] = summary["published_at"].isoformat()
    if summary.get("body_text"):
        summary["body_text"] = summary["body_text"][:500]
    return summary


def _raw_documents(session: Session, ids: list[int]) -> list[Document]:
    """The batch's documents, in id order."""
    query = select(
        RawDocument.id, RawDocument.source_id, Source.slug, RawDocument.fetched_at,
        cast(RawDocument.item, Text),
    ).join(Source, Source.id == RawDocument.source_id)  # fmt: skip
    rows = [
        row
        for condition in one_of(session, RawDocument.id, ids)
        for row in session.execute(query.where(condition))
    ]
    return sorted((Document(*row) for row in rows), key=lambda row: row.id)


def clean_step(
    session: Session, batch: Batch, prepared: list[Prepared] | None = None
) -> dict[str, Any]:
    """Clean the batch's raw documents (``prepared`` already, when :func:`run_etl` had them
    prepared in its worker pool); quarantine those that cannot be cleaned."""
    if prepared is None:
        prepared = prepare_all(_raw_documents(session, batch.raw_document_ids), source_zones())
    reasons: Counter[str] = Counter()
    for _, rejection in prepared:
        if rejection is not None:
            reasons[rejection["failures"][0]["expectation"]] += 1
            reject(session, stage="clean", run_id=batch.run_id, **rejection)
    batch.records = [record for record, _ in prepared if record is not None]
    dropped = sum(len(record.get("dropped_urls", ())) for record in batch.records)
    return {
        "read": len(prepared),
        "cleaned": len(batch.records),
        "rejected": dict(reasons),
        "unsafe_urls_dropped": dropped,
    }


def validate_step(session: Session, batch: Batch) -> dict[str, Any]:
    """Run the expectation suite; quarantine failing records with every failure."""
    rejections = validate_records(batch.records)
    reasons: Counter[str] = Counter()
    for rejection in rejections:
        record = batch.records[rejection.index]
        for failure in rejection.failures:
            reasons[f"{failure['expectation']} ({failure['column']})"] += 1
        reject(
            session, stage="validate", reason=rejection.reason,
            raw_document_id=record["raw_document_id"], source_id=record["source_id"],
            run_id=batch.run_id, failures=rejection.failures, record=_summary(record),
        )  # fmt: skip
    failed = {r.index for r in rejections}
    read = batch.counts.get("clean", {}).get("read", len(batch.records))
    clean_rejected = read - len(batch.records)
    batch.records = [r for i, r in enumerate(batch.records) if i not in failed]
    share = (clean_rejected + len(failed)) / read if read else 0.0
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
    for condition in one_of(session, RawDocument.id, batch.raw_document_ids):
        session.execute(
            update(RawDocument)
            .where(condition, RawDocument.processed_run_id.is_(None))
            .values(processed_run_id=batch.run_id)
        )
    return counts


STEPS: dict[str, Callable[[Session, Batch], dict[str, Any]]] = {
    "clean": clean_step,
    "validate": validate_step,
    "dedupe": dedupe_step,
    "load": load_step,
}


# --- batches in the warehouse ---------------------------------------------------------------


def _to_json(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        r | {f: r[f].isoformat() for f in DATETIME_FIELDS if r.get(f) is not None} for r in records
    ]


def _from_json(records: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [
        r | {f: datetime.fromisoformat(r[f]) for f in DATETIME_FIELDS if r.get(f) is not None}
        for r in records or []
    ]


def _batch(row: EtlBatch) -> Batch:
    return Batch(
        id=row.id,
        run_id=row.run_id,
        raw_document_ids=list(row.raw_document_ids),
        reject_threshold=row.reject_threshold,
        records=_from_json(row.records),
        counts=dict(row.counts or {}),
    )


def _check_threshold(batch_id: int, counts: dict[str, Any], threshold: float) -> None:
    if counts.get("threshold_exceeded"):
        raise ValidationThresholdExceeded(
            f"batch {batch_id}: {counts['rejected_share']:.0%} of its records were rejected "
            f"(threshold {threshold:.0%}); they are quarantined in rejected_record"
        )


def _run_stage(engine: Engine, batch_id: int, stage: str) -> dict[str, Any]:
    """Run one stage of one stored batch in its own transaction (no-op when done)."""
    with session_scope(engine) as session:
        row = session.get(EtlBatch, batch_id, with_for_update=True)
        if row is None:
            raise KeyError(f"no ETL batch {batch_id}")
        position = ORDER.index(DONE[stage])
        if ORDER.index(row.stage) >= position:
            return dict(row.counts.get(stage, {}))
        if ORDER.index(row.stage) != position - 1:
            raise StageOrderError(
                f"batch {batch_id} is {row.stage}: run {STAGES[position - 2]} first"
            )
        if stage == "dedupe" and (waiting := _unloaded_before(session, row)):
            raise StageOrderError(
                f"batch {batch_id} dedupes after batches {waiting} load: near duplicates are "
                "matched against everything loaded before"
            )
        batch = _batch(row)
        counts = STEPS[stage](session, batch)
        row.records = _to_json(batch.records) if stage != "load" else None
        row.stage = DONE[stage]
        row.counts = {**batch.counts, stage: counts}
    return counts


def _unloaded_before(session: Session, row: EtlBatch) -> list[int]:
    """Earlier batches of the run still on their way to load (a batch stopped by the
    validation threshold never loads, so it holds nobody up)."""
    earlier = session.scalars(
        select(EtlBatch).where(
            EtlBatch.run_id == row.run_id, EtlBatch.id < row.id, EtlBatch.stage != "loaded"
        )
    )
    return [
        b.id for b in earlier if not (b.counts or {}).get("validate", {}).get("threshold_exceeded")
    ]


def ready_to_dedupe(engine: Engine, batch_id: int) -> bool:
    """Whether every earlier batch of the batch's run has loaded (or was stopped), so that
    :func:`dedupe_batch` can match it against all of them. Mapped Airflow tasks wait on it."""
    with session_scope(engine) as session:
        row = session.get(EtlBatch, batch_id)
        if row is None:
            raise KeyError(f"no ETL batch {batch_id}")
        return not _unloaded_before(session, row)


# --- public API -----------------------------------------------------------------------------


def _pending(query: Select, since_run: int | None) -> Select:
    """Unprocessed documents with an item (a JSON ``null`` item counts as none)."""
    query = query.where(
        RawDocument.processed_run_id.is_(None),
        RawDocument.item.is_not(None),
        cast(RawDocument.item, Text) != "null",
    )
    return query if since_run is None else query.where(RawDocument.run_id >= since_run)


def count_pending(engine: Engine, since_run: int | None = None) -> int:
    """How many landed documents the next ETL run would process."""
    with session_scope(engine) as session:
        return session.scalar(_pending(select(func.count(RawDocument.id)), since_run))


def start_etl(
    engine: Engine,
    *,
    batch_size: int = 500,
    since_run: int | None = None,
    airflow_run_id: str | None = None,
    reject_threshold: float | None = None,
) -> tuple[int, list[int]]:
    """Open an ETL run and plan its batches over every landed, unprocessed document with
    an item (landed by run ``since_run`` or later, when given); returns the run id and the
    batch ids in processing order."""
    if batch_size < 1:
        raise ValueError("batch size must be at least 1")
    threshold = default_threshold() if reject_threshold is None else reject_threshold
    with session_scope(engine) as session:
        run = start_run(session, "etl", "etl", airflow_run_id=airflow_run_id)
        query = _pending(select(RawDocument.id), since_run).order_by(RawDocument.id)
        batch_ids: list[int] = []
        ids = session.scalars(query.execution_options(yield_per=batch_size)).partitions(batch_size)
        for chunk in ids:
            row = EtlBatch(
                run_id=run.id,
                raw_document_ids=list(chunk),
                stage="planned",
                reject_threshold=threshold,
                counts={},
            )
            session.add(row)
            session.flush()
            batch_ids.append(row.id)
        run.counts = {"batches": len(batch_ids)}
        return run.id, batch_ids


def clean_batch(engine: Engine, batch_id: int) -> dict[str, int]:
    """Stage 1 of a stored batch: clean its documents."""
    return _run_stage(engine, batch_id, "clean")


def validate_batch(engine: Engine, batch_id: int) -> dict[str, int]:
    """Stage 2: validate; raises :class:`ValidationThresholdExceeded` after quarantining
    (and after storing the valid records) when too many records were rejected."""
    counts = _run_stage(engine, batch_id, "validate")
    with session_scope(engine) as session:
        threshold = session.get(EtlBatch, batch_id).reject_threshold
    _check_threshold(batch_id, counts, threshold)
    return counts


def dedupe_batch(engine: Engine, batch_id: int) -> dict[str, int]:
    """Stage 3: mark exact and near duplicates."""
    return _run_stage(engine, batch_id, "dedupe")


def load_batch(engine: Engine, batch_id: int) -> dict[str, int]:
    """Stage 4: load the articles and mark the documents processed."""
    return _run_stage(engine, batch_id, "load")


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
            exact_duplicates=dedupe.get("exact_duplicates", 0),
            near_duplicates=dedupe.get("near_duplicates", 0),
            loaded=load.get("loaded", 0),
            updated=load.get("updated", 0),
            unchanged=load.get("unchanged", 0),
            unsafe_urls_dropped=clean.get("unsafe_urls_dropped", 0),
        )
        rejected.update({f"clean: {k}": v for k, v in clean.get("rejected", {}).items()})
        rejected.update({f"validate: {k}": v for k, v in validate.get("rejected", {}).items()})
    keys = (
        "read", "cleaned", "rejected", "exact_duplicates", "near_duplicates", "loaded",
        "updated", "unchanged", "unsafe_urls_dropped",
    )  # fmt: skip
    return {k: totals[k] for k in keys} | {
        "batches": len(batches),
        "rejected_by_reason": dict(sorted(rejected.items())),
    }


def finish_etl(engine: Engine, run_id: int) -> EtlResult:
    """Close a run: counts summed over its batches; ``failed`` when a batch is not loaded
    or rejected more than its threshold."""
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
        finish_run(session, run, counts, status=status, message="; ".join(problems) or None)
        return EtlResult(run_id, status, counts)


def run_etl(
    engine: Engine,
    *,
    batch_size: int = 500,
    since_run: int | None = None,
    airflow_run_id: str | None = None,
    progress: Callable[[int], None] | None = None,
    reject_threshold: float | None = None,
) -> EtlResult:
    """Process everything landed and not processed yet, batch by batch, each batch's four
    stages in one transaction; ``progress`` is called with the number of documents done."""
    run_id, batch_ids = start_etl(
        engine,
        batch_size=batch_size,
        since_run=since_run,
        airflow_run_id=airflow_run_id,
        reject_threshold=reject_threshold,
    )
    zones = source_zones()

    def documents(batch_id: int) -> list[Document]:
        with session_scope(engine) as session:
            return _raw_documents(session, session.get(EtlBatch, batch_id).raw_document_ids)

    try:
        with worker_pool(count_pending(engine, since_run)) as pool:
            # the next batch is cleaned in the pool while this one validates, dedupes, loads
            upcoming = prepare_later(documents(batch_ids[0]), zones, pool) if batch_ids else None
            for position, batch_id in enumerate(batch_ids):
                prepared, upcoming = upcoming, None
                if position + 1 < len(batch_ids):
                    upcoming = prepare_later(documents(batch_ids[position + 1]), zones, pool)
                with session_scope(engine) as session:
                    row = session.get(EtlBatch, batch_id)
                    batch = _batch(row)
                    batch.counts["clean"] = clean_step(session, batch, prepared())
                    for stage in STAGES[1:]:
                        batch.counts[stage] = STEPS[stage](session, batch)
                    row.stage, row.records, row.counts = "loaded", None, batch.counts
                if progress is not None:
                    progress(len(batch.raw_document_ids))
    except Exception as error:
        with session_scope(engine) as session:
            run = session.get(PipelineRun, run_id)
            run.status, run.message = "failed", f"{type(error).__name__}: {error}"
        finish_etl(engine, run_id)
        raise
    return finish_etl(engine, run_id)
