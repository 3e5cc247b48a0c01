"""Validation in a process of its own, beside the load: while ``run_etl``'s main process
dedupes and loads one batch, this process runs Great Expectations on the next. GX is about a
quarter of the main process's work otherwise, and the main process is the pipeline's one
serial stage (on 100k documents 6% less wall time on SQLite, 12% on PostgreSQL).

The process starts with the first run that uses it, or earlier (:func:`start`: ``newsetl
etl`` starts it first thing), imports Great Expectations and builds its context there once,
and serves every later run of the same ETL process until :func:`stop`; it exits when that
process does, ``kill -9`` included. The records it gets carry only the fields validation
reads (:data:`etl.validate.VALIDATED_FIELDS`), and the source registry comes with them, so
it judges by the registry the run sees. A process found dead when work is handed to it is
replaced; one that dies while validating fails its run with :class:`ValidatorLost`.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import cache
from typing import Any, TypeVar

from etl.lifeline import exit_with
from etl.validate import VALIDATED_FIELDS, Rejection, validate_records, warm_up
from schemas.sources import load_sources

T = TypeVar("T")


class ValidatorLost(RuntimeError):
    """The validation process ended while a run needed it."""


def _start_validator(parent: int) -> None:
    exit_with(parent)
    warm_up()


@cache
def _pool() -> ProcessPoolExecutor:
    # spawned, not forked: a fresh interpreter that imports only what validation needs
    return ProcessPoolExecutor(
        1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_validator,
        initargs=(os.getpid(),),
    )


def _submit(task: Callable[..., Any], *args: Any) -> Future:
    try:
        return _pool().submit(task, *args)
    except BrokenProcessPool:  # it died since its last task: start another
        _pool.cache_clear()
        return _pool().submit(task, *args)


def start() -> Future[int]:
    """Start the validation process (once a process; Great Expectations imports there
    while the caller goes on); :func:`outcome` of the returned future waits until it is
    ready."""
    return _submit(int)


def running() -> bool:
    """Whether this process has started its validation process."""
    return _pool.cache_info().currsize > 0


def stop() -> None:
    """End the validation process now, whatever it is doing, instead of waiting for it when
    this process exits (it may still be importing Great Expectations for a run that turned
    out to need none)."""
    if not running():
        return
    pool = _pool()
    _pool.cache_clear()
    for process in list(pool._processes.values()):  # terminate_workers() from Python 3.14
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def validate_later(records: list[Any]) -> Future[list[Rejection]]:
    """:func:`etl.validate.validate_records` of ``records`` in the validation process, by
    the source registry of this one; :func:`outcome` gives the result."""
    fields = [{name: record[name] for name in VALIDATED_FIELDS} for record in records]
    return _submit(validate_records, fields, load_sources())


def outcome(task: Future[T]) -> T:
    """The result of a task handed to the validation process (:func:`start`,
    :func:`validate_later`); :class:`ValidatorLost` when the process died (the next run
    starts another)."""
    try:
        return task.result()
    except BrokenProcessPool:
        raise ValidatorLost(
            "the validation process ended unexpectedly (killed, or out of memory?); the "
            "run's documents not loaded yet go back to the pool for the next run"
        ) from None
