"""The database-free part of the clean stage: each landed document cleaned and given its
near-duplicate band keys, or turned into a quarantine entry. Pure CPU work, so
``run_etl`` maps it over a process pool while the previous batch loads. The workers are
not forked from the parent (it holds database connections and GX state) but from a
multiprocessing fork server, a fresh process that imports this module (and the main
module) once for all of them; so a script that runs the ETL on 200 documents or more needs
the usual ``if __name__ == "__main__":`` guard. They die with the process that started
them, even when it is killed (``kill -9``).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import select
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import msgspec

from etl.clean import CleanError, clean_item
from etl.dates import SHANGHAI
from etl.minhash import band_keys, signature
from etl.records import Record
from schemas.items import ArticleItem

POOL_WORKERS = 2
POOL_MIN_DOCUMENTS = 200  # fewer documents are not worth starting worker processes for
CHUNKS_PER_WORKER = 2
PARENT_CHECK_SECONDS = 1.0  # where there are no pidfds
# workers yield the CPU to the process that validates and loads: it is the pipeline's one
# serial stage, and the workers, a batch or two ahead, catch up while it waits on the disk
WORKER_NICENESS = 5


class Document(NamedTuple):
    """A landed document as the clean stage reads it (the raw bytes stay in the database)."""

    id: int
    source_id: int
    slug: str
    fetched_at: datetime
    item: str  # JSON text: decoded by whichever process prepares it


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


def prepare_later(
    documents: list[Document], zones: dict[str, ZoneInfo], pool: Executor | None
) -> Callable[[], list[Prepared]]:
    """Start preparing ``documents`` in ``pool`` (in chunks, one per worker and then
    some); the returned function waits for the outcomes, in order. Without a pool the
    work happens when that function is called."""
    if pool is None:
        return partial(prepare_all, documents, zones)
    size = max(1, -(-len(documents) // (POOL_WORKERS * CHUNKS_PER_WORKER)))
    futures = [
        pool.submit(prepare_packed, documents[i : i + size], zones)
        for i in range(0, len(documents), size)
    ]
    return lambda: [outcome for future in futures for outcome in unpacked(future.result())]


def start_worker(parent: int) -> None:
    """Set up a pool worker: lower its CPU priority (:data:`WORKER_NICENESS`), and have it
    exit as soon as the ETL's process ``parent`` is gone, however it ended (``kill -9``
    included): a thread waits on a pidfd of ``parent`` (Linux), or checks on it every
    second elsewhere. The fork server, which lives as long as its workers, and the resource
    tracker then see their last user go and exit too."""
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    os.nice(WORKER_NICENESS)


def _exit_with(parent: int) -> None:
    try:
        handle = os.pidfd_open(parent)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # no pidfds here: look now and then
        while True:
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)
            time.sleep(PARENT_CHECK_SECONDS)
    select.select([handle], [], [])  # readable once the process has ended
    os._exit(1)


@contextmanager
def worker_pool(documents: int) -> Iterator[Executor | None]:
    """A pool of worker processes for a run of ``documents`` documents, or ``None`` when
    the run is too small to be worth one. Work not started yet is cancelled on exit."""
    if documents < POOL_MIN_DOCUMENTS:
        yield None
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", __name__])
    pool = ProcessPoolExecutor(
        POOL_WORKERS,
        mp_context=context,
        initializer=start_worker,
        initargs=(os.getpid(),),
    )
    try:
        yield pool
    finally:
        pool.shutdown(cancel_futures=True)
