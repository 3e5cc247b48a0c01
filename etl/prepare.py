"""The clean stage before the warehouse is written: each landed document read, cleaned
and given its near-duplicate band keys, or turned into a quarantine entry. It needs only
the documents, so ``run_etl`` maps it over a process pool while the previous batch loads:
each worker reads its share of a batch through its own read-only connection, so the
process that validates and loads (the pipeline's one serial stage) neither reads nor
ships the bodies. The workers are not forked from the parent (it holds database
connections and GX state) but from a multiprocessing fork server, a fresh process that
imports this module (and what the main module imports, when the workers run it again)
once for all of them, started by the first pool or before (:func:`start_fork_server`,
which ``newsetl etl`` calls once it has counted the documents to do, while the validation
process imports Great Expectations). Each worker still runs a main module started from a
file or with ``-m`` itself, so a script that runs the ETL on 200 documents or more needs
the usual ``if __name__ == "__main__":`` guard. They die with the process that started
them, even when it is killed (``kill -9``).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from multiprocessing import forkserver, spawn
from multiprocessing.context import BaseContext
from types import ModuleType
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import msgspec

from etl.clean import CleanError, clean_item
from etl.dates import SHANGHAI
from etl.documents import DRIVERS, Document, DocumentReader, read_by
from etl.lifeline import exit_with
from etl.minhash import band_keys, signature
from etl.records import Record
from schemas.items import ArticleItem

POOL_WORKERS = 2
POOL_MIN_DOCUMENTS = 200  # fewer documents are not worth starting worker processes for
# documents a worker prepares at a time: small enough that the process that waits for a
# batch can take the chunks no worker has started (prepare_later)
CHUNK_SIZE = 250
# workers yield the CPU to the process that validates and loads: it is the pipeline's one
# serial stage, and the workers, a batch or two ahead, catch up while it waits on the disk
WORKER_NICENESS = 5


class Prepared(NamedTuple):
    """One document's outcome: its record, or the ``reject`` arguments quarantining it."""

    record: Record | None
    rejection: dict[str, Any] | None


_PACKER = msgspec.msgpack.Encoder()
_UNPACKER = msgspec.msgpack.Decoder(list[Prepared])


def trimmed(item: dict[str, Any]) -> dict[str, Any]:
    """An item as kept in quarantine: long texts cut to 500 characters."""
    return {
        k: v[:500] + f"… ({len(v)} characters)" if isinstance(v, str) and len(v) > 500 else v
        for k, v in item.items()
    }


def prepare(document: Document, zones: dict[str, ZoneInfo]) -> Prepared:
    """Clean one document and compute its band keys, or say why it cannot be cleaned."""
    item = json.loads(document.item)
    try:
        record = clean_item(
            ArticleItem.from_dict(item),
            fetched_at=document.fetched_at,
            zone=zones.get(document.slug, SHANGHAI),
        )
    except CleanError as error:
        failures, reason = error.failures, str(error)
    except (ValueError, TypeError) as error:
        failures = [{"expectation": "readable item", "column": "item", "value": str(error)}]
        reason = f"unreadable item: {error}"
    else:
        return Prepared(
            Record(
                raw_document_id=document.id,
                source_id=document.source_id,
                band_keys=band_keys(signature(record["body_text"])),
                **record,
            ),
            None,
        )
    rejection = {
        "reason": reason,
        "raw_document_id": document.id,
        "source_id": document.source_id,
        "failures": failures,
        "record": trimmed(item),
    }
    return Prepared(None, rejection)


def prepare_all(documents: list[Document], zones: dict[str, ZoneInfo]) -> list[Prepared]:
    """:func:`prepare` over a list of documents, in order."""
    return [prepare(document, zones) for document in documents]


def prepare_packed(documents: list[Document], zones: dict[str, ZoneInfo]) -> bytes:
    """:func:`prepare_all`'s outcomes as MessagePack, as workers send them back: a third
    of pickle's time to write and to read (datetimes come back in UTC, the same instants)."""
    return _PACKER.encode(prepare_all(documents, zones))


def unpacked(data: bytes) -> list[Prepared]:
    """The outcomes :func:`prepare_packed` wrote."""
    return _UNPACKER.decode(data)


def prepare_stored(reader: DocumentReader, ids: list[int], zones: dict[str, ZoneInfo]) -> bytes:
    """:func:`prepare_packed` of the documents ``ids``, read by ``reader``: what a pool
    worker runs."""
    return prepare_packed(read_by(reader, ids), zones)


@dataclass
class Workers:
    """The pool of worker processes, launched in the background: until its fork server
    has imported the clean stage (a fraction of a second), submitting work would wait."""

    executor: Executor
    launch: threading.Thread

    def ready(self) -> bool:
        return not self.launch.is_alive()


def prepare_later(
    reader: DocumentReader,
    ids: list[int],
    zones: dict[str, ZoneInfo],
    workers: Workers,
    here: Callable[[list[int]], list[Prepared]],
) -> Callable[[], list[Prepared]]:
    """Start preparing the documents ``ids`` in the workers, in chunks (:data:`CHUNK_SIZE`),
    each worker reading its own; the returned function gives the outcomes, in order.

    The calling process prepares chunks itself (``here``) rather than wait: the last chunks
    while the pool is still launching, and, when the outcomes are asked for, the chunks no
    worker has started yet (only when the workers fall behind)."""
    size = max(1, min(CHUNK_SIZE, -(-len(ids) // POOL_WORKERS)))
    chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
    done: dict[int, list[Prepared]] = {}
    while not workers.ready() and len(done) < len(chunks):
        last = len(chunks) - 1 - len(done)
        done[last] = here(chunks[last])
    futures = {
        n: workers.executor.submit(prepare_stored, reader, chunk, zones)
        for n, chunk in enumerate(chunks)
        if n not in done
    }

    def outcomes() -> list[Prepared]:
        for n in sorted(futures, reverse=True):  # the chunks the workers would reach last
            if futures[n].cancel():
                done[n] = here(chunks[n])
        return [
            outcome
            for n in range(len(chunks))
            for outcome in (done[n] if n in done else unpacked(futures[n].result()))
        ]

    return outcomes


def start_worker(parent: int) -> None:
    """Set up a pool worker: lower its CPU priority (:data:`WORKER_NICENESS`), and have it
    exit as soon as the ETL's process ``parent`` is gone (:func:`etl.lifeline.exit_with`).
    The fork server, which lives as long as its workers, and the resource tracker then see
    their last user go and exit too."""
    exit_with(parent)
    os.nice(WORKER_NICENESS)


def main_imports() -> list[str]:
    """The modules the main module took its names from (``newsetl.cli`` for the
    ``newsetl`` command), when a worker would run the main module again, as a
    multiprocessing child does before its first task for a main module run from a file or
    with ``-m``. Before Python 3.14 the fork server cannot preload the main module itself
    (CPython gh-126631): preloaded there, these make that run cheap instead of an import of
    the command's whole tree in every worker (≈ 0.2 s each, measured). A main module that
    workers do not run (``python -c``, an interactive session) gives none: preloading its
    imports would only make the pool launch later."""
    main = sys.modules.get("__main__")
    rerun = {"init_main_from_path", "init_main_from_name"}  # spawn's keys for that run
    if main is None or not rerun & spawn.get_preparation_data("worker").keys():
        return []
    names = {
        v.__name__ if isinstance(v, ModuleType) else getattr(v, "__module__", None)
        for v in vars(main).values()
    }
    return sorted(n for n in names if isinstance(n, str) and n in sys.modules and n != "__main__")


def _launch(executor: Executor) -> None:
    """Start the pool's processes (a first, empty task does): a launch that fails leaves
    the pool to fail the first task submitted after it, with the launch's error."""
    with suppress(Exception):
        executor.submit(int)


def _fork_server(backend: str) -> BaseContext:
    """The multiprocessing context whose fork server the workers come from, told what to
    preload when it starts (a running one keeps what it has)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", __name__, DRIVERS[backend], *main_imports()])
    return context


def _pooled(reader: DocumentReader | None, documents: int) -> bool:
    """Whether a run of ``documents`` documents read by ``reader`` gets worker processes:
    not a small one, nor one on a warehouse that other processes cannot open."""
    return reader is not None and documents >= POOL_MIN_DOCUMENTS


def start_fork_server(reader: DocumentReader | None, documents: int) -> None:
    """Start the workers' fork server now rather than with the first pool, when a run of
    ``documents`` documents read by ``reader`` will have one (:func:`worker_pool`): it
    imports the clean stage in a process of its own while this one goes on. It serves every
    later pool of this process; ``newsetl etl`` starts it beside the validation process."""
    if _pooled(reader, documents):
        _fork_server(reader.backend)
        forkserver.ensure_running()


@contextmanager
def worker_pool(reader: DocumentReader | None, documents: int) -> Iterator[Workers | None]:
    """A pool of worker processes for a run of ``documents`` documents read by ``reader``,
    launching in the background, or ``None`` when the run is too small to be worth one or
    there is no reader (an in-memory warehouse, which other processes cannot open). Work
    not started yet is cancelled on exit."""
    if not _pooled(reader, documents):
        yield None
        return
    executor = ProcessPoolExecutor(
        POOL_WORKERS,
        mp_context=_fork_server(reader.backend),
        initializer=start_worker,
        initargs=(os.getpid(),),
    )
    launch = threading.Thread(target=_launch, args=(executor,), daemon=True)
    launch.start()
    try:
        yield Workers(executor, launch)
    finally:
        launch.join()
        executor.shutdown(cancel_futures=True)
