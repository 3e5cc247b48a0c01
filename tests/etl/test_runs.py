"""ETL runs as processes: bounded planning, concurrent runs, killed runs, on SQLite and
PostgreSQL. The `newsetl etl` runs here are real processes of the installed command."""

from __future__ import annotations

import contextlib
import copy
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from etl_items import land_items, news_item
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

import etl.pipeline
from etl.claimed import read_documents
from etl.dedupe import dedupe_records
from etl.load import load_records
from etl.pipeline import finish_etl, run_etl, start_etl
from etl.prepare import POOL_MIN_DOCUMENTS, prepare_all
from etl.validator import ValidatorLost
from newsetl.cli import app
from schemas.db import session_scope
from schemas.models import Article, EtlBatch, EtlDocument, PipelineRun, RawDocument
from schemas.runs import this_host
from schemas.sources import source_zones

NEWSETL = str(Path(sys.executable).with_name("newsetl"))


def etl_process(url: str, *args: str, **env: str) -> subprocess.Popen[str]:
    """``newsetl etl`` on the warehouse at ``url``, in a process of its own."""
    return subprocess.Popen(
        [NEWSETL, "etl", "--no-terms", *args],
        env={**os.environ, "NEWSETL_DATABASE_URL": url, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def descendants(pid: int) -> list[int]:
    """The live processes below ``pid``: its children, theirs, and so on."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        below = parents.get(todo.pop(), [])
        found += below
        todo += below
    return found


def validation_processes(pid: int) -> list[int]:
    """The validation processes (spawned interpreters) below process ``pid``."""
    found = []
    for child in descendants(pid):
        with contextlib.suppress(OSError):
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(child)
    return found


def gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def wait_for(condition, what: str, limit: float = 120) -> None:
    """Wait until ``condition()`` holds (a bound on a hang, not a speed test)."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what}")
        time.sleep(0.02)


def etl_runs(engine: Engine) -> list[PipelineRun]:
    with session_scope(engine) as session:
        return list(
            session.scalars(
                select(PipelineRun).where(PipelineRun.kind == "etl").order_by(PipelineRun.id)
            )
        )


def documents_per_run(engine: Engine) -> Counter:
    with session_scope(engine) as session:
        return Counter(session.scalars(select(EtlDocument.processed_run_id)))


def test_a_run_plans_a_bounded_number_of_batches_and_the_next_takes_the_rest(
    engine: Engine,
) -> None:
    """1,101 batches of one document: more than Airflow maps. Each run plans at most 500,
    never a document another live run claimed."""
    land_items(engine, [news_item(n) for n in range(1101)])
    planned = [start_etl(engine, batch_size=1, max_batches=500) for _ in range(4)]
    assert [len(batch_ids) for _, batch_ids in planned] == [500, 500, 101, 0]
    with session_scope(engine) as session:
        claimed = [ids for ids in session.scalars(select(EtlBatch.raw_document_ids))]
        documents = session.scalar(select(func.count()).select_from(RawDocument))
    assert sorted(i for ids in claimed for i in ids) == list(range(1, documents + 1))
    # a run that stops (here: closes with nothing loaded) gives its documents back
    assert finish_etl(engine, planned[1][0]).status == "failed"
    _, batch_ids = start_etl(engine, batch_size=1, max_batches=1000)
    assert len(batch_ids) == 500


def test_run_etl_plans_again_until_nothing_is_left(engine: Engine) -> None:
    land_items(engine, [news_item(n) for n in range(7)])
    result = run_etl(engine, batch_size=2, max_batches=2)
    assert result.counts["batches"] == 4 and result.counts["read"] == 7
    assert documents_per_run(engine) == {result.run_id: 7}


def test_two_etl_processes_started_together_never_take_the_same_document(
    engine: Engine, warehouse_url: str
) -> None:
    total = 2 * POOL_MIN_DOCUMENTS + 100  # both use their worker pools
    land_items(engine, [news_item(n) for n in range(total)])
    # each plans two batches at a time, so both keep claiming while the other loads
    processes = [
        etl_process(warehouse_url, "--batch-size", "50", NEWSETL_ETL_MAX_BATCHES="2")
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=600)[0] for process in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    runs = etl_runs(engine)
    assert [r.status for r in runs] == ["success", "success"]
    per_run = documents_per_run(engine)
    assert sum(per_run.values()) == total and set(per_run) == {r.id for r in runs}
    # counts are each run's own: together they add up to the landed documents
    assert sum(r.counts["read"] for r in runs) == total
    assert sum(r.counts["loaded"] for r in runs) == total
    assert sum(r.counts["near_duplicates"] for r in runs) == total - 1  # one cluster
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Article)) == total
        roots = session.scalar(select(func.count()).where(Article.duplicate_of.is_(None)))
    assert roots == 1


def test_a_killed_etl_leaves_no_process_and_its_run_is_abandoned_then_taken_over(
    engine: Engine, warehouse_url: str, use_warehouse: str
) -> None:
    total = 3000
    land_items(engine, [news_item(n) for n in range(total)])
    process = etl_process(warehouse_url, "--batch-size", "100")
    # the resource tracker, the fork server and the two workers it forked, the validation
    # process
    wait_for(lambda: len(descendants(process.pid)) >= 5, "the worker processes")
    wait_for(lambda: validation_processes(process.pid), "the validation process")
    wait_for(lambda: etl_runs(engine), "the run")
    helpers = descendants(process.pid)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    wait_for(lambda: all(gone(pid) for pid in helpers), f"processes {helpers} to exit")
    (killed,) = etl_runs(engine)
    assert killed.status == "running" and killed.pid == process.pid

    doctor = CliRunner().invoke(app, ["db", "doctor"])
    assert doctor.exit_code == 0, doctor.output
    assert f"etl run {killed.id}: abandoned: its process {process.pid}" in doctor.output
    (abandoned,) = etl_runs(engine)
    assert abandoned.status == "abandoned" and abandoned.finished_at is not None

    result = run_etl(engine, batch_size=500)
    assert result.status == "success"
    done = documents_per_run(engine)
    assert done[result.run_id] + done[killed.id] == total and done[None] == 0


def test_a_validation_process_killed_mid_run_fails_the_run_and_the_next_run_starts_another(
    engine: Engine,
) -> None:
    total = POOL_MIN_DOCUMENTS + 300  # the run has workers, so a validation process
    land_items(engine, [news_item(n) for n in range(total)])
    killed: list[int] = []

    def kill_the_validator(done: int) -> None:
        if not killed:
            killed.extend(validation_processes(os.getpid()))
            for pid in killed:
                os.kill(pid, signal.SIGKILL)

    with pytest.raises(ValidatorLost, match="validation process ended"):
        run_etl(engine, batch_size=50, progress=kill_the_validator)
    assert killed
    (failed,) = etl_runs(engine)
    assert failed.status == "failed" and "ValidatorLost" in failed.message
    loaded = documents_per_run(engine)[failed.id]
    assert 0 < loaded < total  # what loaded before stays; the rest goes back to the pool

    result = run_etl(engine, batch_size=50)
    assert result.status == "success" and result.counts["read"] == total - loaded
    assert documents_per_run(engine)[None] == 0


def test_the_next_run_abandons_a_dead_run(engine: Engine, warehouse_url: str) -> None:
    land_items(engine, [news_item(1)])
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    with session_scope(engine) as session:
        dead = PipelineRun(kind="crawl", name="zaker", pid=process.pid, host=this_host())
        session.add(dead)
        session.flush()
        dead_id = dead.id
    assert run_etl(engine).status == "success"
    with session_scope(engine) as session:
        run = session.get(PipelineRun, dead_id)
        assert run.status == "abandoned"
        assert run.message == f"abandoned: its process {process.pid} on {run.host} is gone"


def test_near_duplicate_load_takes_a_cluster_root_another_run_wrote_first(
    engine: Engine,
) -> None:
    """Between this batch's dedupe and its load, another run loaded the article that roots
    a near-duplicate cluster of the batch: the load links the cluster to that row."""
    ids = land_items(engine, [news_item(1), news_item(2)])
    with session_scope(engine) as session:
        documents = read_documents(session, ids)
    records = [record for record, _ in prepare_all(documents, source_zones())]
    with session_scope(engine) as session:
        assert dedupe_records(session, records)["near_duplicates"] == 1
    assert records[1].cluster == ["batch", 0]
    with session_scope(engine) as session:
        load_records(session, [copy.deepcopy(records[0])])  # the other run
    with session_scope(engine) as session:
        assert load_records(session, records) == {"loaded": 1, "updated": 0, "unchanged": 1}
    with session_scope(engine) as session:
        rows = dict(session.execute(select(Article.canonical_url, Article.duplicate_of)).all())
        root = session.scalar(
            select(Article.id).where(Article.canonical_url == records[0].canonical_url)
        )
    assert rows == {records[0].canonical_url: None, records[1].canonical_url: root}


def test_a_start_that_fails_closes_its_run(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    land_items(engine, [news_item(1)])

    def lost_connection(*args, **kwargs) -> list[int]:
        raise RuntimeError("server closed the connection unexpectedly")

    monkeypatch.setattr(etl.pipeline, "_plan", lost_connection)
    with pytest.raises(RuntimeError, match="server closed"):
        start_etl(engine)
    (run,) = etl_runs(engine)
    assert run.status == "failed" and "server closed the connection" in run.message
    monkeypatch.undo()
    assert run_etl(engine).counts["read"] == 1
