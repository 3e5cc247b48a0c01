"""How the clean stage gets its documents and shares them out: pool workers read through
the bare driver what the session reads; the process waiting for a batch prepares the
chunks no worker has started, and all of them while the pool is still launching."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC
from pathlib import Path

import pytest
from etl_items import land_items, news_item, seed_item
from sqlalchemy import URL, Engine

import etl.documents
import etl.prepare
from etl.claimed import document_reader, read_documents
from etl.documents import read_by
from etl.prepare import Prepared, Workers, prepare_all, prepare_later
from schemas.db import make_engine, session_scope
from schemas.migrate import upgrade


def test_workers_read_through_the_driver_what_the_session_reads(engine: Engine) -> None:
    items = [news_item(1), seed_item(), news_item(2, published="3小时前"), news_item(3)]
    ids = land_items(engine, items)
    with session_scope(engine) as session:
        expected = read_documents(session, ids)
    documents = read_by(document_reader(engine), list(reversed(ids)))
    assert documents == expected and [d.id for d in documents] == sorted(ids)
    assert all(d.fetched_at.tzinfo is UTC for d in documents)
    assert read_by(document_reader(engine), []) == []


def test_the_workers_connection_reads_and_cannot_write(engine: Engine) -> None:
    reader = document_reader(engine)
    connection = etl.documents._connection(reader)
    with pytest.raises(Exception, match=r"read-?only"):
        connection.execute("DELETE FROM raw_document")
    connection.rollback()
    assert read_by(reader, []) == []


def test_a_sqlite_file_is_found_whatever_its_path_holds(tmp_path: Path) -> None:
    """Spaces and percent signs in a warehouse's path reach the driver as they are."""
    database = tmp_path / "news 2026 %41 copy" / "warehouse.db"
    database.parent.mkdir()
    engine = make_engine(URL.create("sqlite", database=str(database)).render_as_string())
    upgrade(engine)
    assert database.exists()
    ids = land_items(engine, [news_item(1)])
    assert [d.id for d in read_by(document_reader(engine), ids)] == ids


def test_an_in_memory_warehouse_has_no_reader_so_no_workers() -> None:
    engine = make_engine("sqlite:///:memory:")
    assert document_reader(engine) is None
    with etl.prepare.worker_pool(None, 10_000) as workers:
        assert workers is None


MARKER = """
import os
with open(os.environ["MARKS"], "a") as marks:
    marks.write(f"{os.getpid()}\\n")
def main(): ...
"""
SCRIPT = """
import json, os
from marker import main  # as the newsetl command's script imports its main function
from etl.documents import DocumentReader
from etl.prepare import worker_pool

if __name__ == "__main__":
    with worker_pool(DocumentReader("sqlite", "unused.db", "SELECT 1"), 10_000) as workers:
        pids = {workers.executor.submit(os.getpid).result() for _ in range(4)}
    print(json.dumps(sorted(pids)))
"""


@pytest.mark.parametrize(
    ("how", "importers"),
    [
        # the script's imports are done once in the fork server, not again in every
        # worker that reruns the script (CPython gh-126631)
        ("script", 2),
        # workers do not run a ``-c`` main module: the fork server need not import for it
        ("-c", 1),
    ],
)
def test_workers_do_not_import_again_what_the_main_module_imports(
    tmp_path: Path, how: str, importers: int
) -> None:
    # each import of the marker module appends its process id
    (tmp_path / "marker.py").write_text(MARKER)
    (tmp_path / "main.py").write_text(SCRIPT)
    marks = tmp_path / "marks"
    root = Path(__file__).resolve().parents[2]
    env = os.environ | {
        "MARKS": str(marks),
        "PYTHONPATH": os.pathsep.join((str(tmp_path), str(root))),
    }
    command = [str(tmp_path / "main.py")] if how == "script" else ["-c", SCRIPT]
    done = subprocess.run(
        [sys.executable, *command], env=env, capture_output=True, text=True, cwd=tmp_path,
        check=True,
    )  # fmt: skip
    workers = set(json.loads(done.stdout))
    imported_in = [int(pid) for pid in marks.read_text().split()]
    assert workers and len(imported_in) == importers  # the main process, the fork server
    assert not workers & set(imported_in)


EARLY = """
import json, os, sys
from multiprocessing import forkserver
from etl.documents import DocumentReader
from etl.prepare import POOL_MIN_DOCUMENTS, start_fork_server, worker_pool

reader = DocumentReader("sqlite", "unused.db", "SELECT 1")
start_fork_server(reader, POOL_MIN_DOCUMENTS - 1)  # too small a run for workers
start_fork_server(None, 10_000)  # a warehouse other processes cannot read
assert forkserver._forkserver._forkserver_pid is None
start_fork_server(reader, POOL_MIN_DOCUMENTS)
server = forkserver._forkserver._forkserver_pid
with worker_pool(reader, POOL_MIN_DOCUMENTS) as workers:
    parents = {workers.executor.submit(os.getppid).result() for _ in range(4)}
print(json.dumps({"server": server, "parents": sorted(parents)}))
"""


def test_a_fork_server_started_early_is_the_one_the_workers_come_from() -> None:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", EARLY], env=os.environ | {"PYTHONPATH": str(root)},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    seen = json.loads(done.stdout)
    assert seen["server"] is not None and seen["parents"] == [seen["server"]]


class Here:
    """Prepares chunks in this process, noting which."""

    def __init__(self, engine: Engine) -> None:
        self.engine, self.chunks = engine, []

    def __call__(self, ids: list[int]) -> list[Prepared]:
        self.chunks.append(ids)
        with session_scope(self.engine) as session:
            return prepare_all(read_documents(session, ids), {})


@pytest.fixture
def six(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Six landed documents, in chunks of two."""
    monkeypatch.setattr(etl.prepare, "CHUNK_SIZE", 2)
    return land_items(engine, [news_item(n) for n in range(5)] + [news_item(9, published="?")])


def test_the_waiting_process_prepares_the_chunks_no_worker_started(
    engine: Engine, six: list[int]
) -> None:
    expected = Here(engine)(six)
    here, release = Here(engine), threading.Event()
    launched = threading.Thread(target=lambda: None)
    launched.start()
    launched.join()
    with ThreadPoolExecutor(1) as executor:
        executor.submit(release.wait)  # the one worker is busy elsewhere
        workers = Workers(executor, launched)
        outcomes = prepare_later(document_reader(engine), six, {}, workers, here)
        assert here.chunks == []  # all submitted
        assert outcomes() == expected
        assert here.chunks == [six[4:], six[2:4], six[:2]]  # the last chunks first
        release.set()
    assert [p.record is None for p in expected] == [False] * 5 + [True]


def test_while_the_pool_launches_the_caller_prepares_the_batch_itself(
    engine: Engine, six: list[int]
) -> None:
    expected = Here(engine)(six)
    here, release = Here(engine), threading.Event()
    launching = threading.Thread(target=release.wait)
    launching.start()
    with ThreadPoolExecutor(1) as executor:
        workers = Workers(executor, launching)
        outcomes = prepare_later(document_reader(engine), six, {}, workers, here)
        assert here.chunks == [six[4:], six[2:4], six[:2]]
        assert outcomes() == expected
    release.set()
