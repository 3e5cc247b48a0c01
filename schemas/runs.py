"""Whether a ``running`` pipeline run is still alive, and closing the ones that are not.

A run records the process and host running it (when one process runs it all: a crawl,
an import, ``newsetl etl``) and beats ``heartbeat_at`` as it goes. A run is dead when its
process is gone from this host, or when nothing was heard of it for
``$NEWSETL_RUN_STALE_AFTER`` seconds (runs on other hosts, Airflow runs whose tasks come and
go). The next ETL run and ``newsetl db doctor`` mark dead runs ``abandoned`` with the reason.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import Connection, Row, func, select, update
from sqlalchemy.orm import Session

from schemas.models import EtlBatch, EtlDocument, PipelineRun
from schemas.types import utcnow

STALE_AFTER_ENV = "NEWSETL_RUN_STALE_AFTER"
# The Airflow run a crawl subprocess belongs to: recorded as its run's airflow_run_id.
AIRFLOW_RUN_ENV = "AIRFLOW_CTX_DAG_RUN_ID"
DEFAULT_STALE_AFTER = timedelta(hours=6)


def this_host() -> str:
    """The host name runs record."""
    return socket.gethostname()[:255]


def stale_after() -> timedelta:
    """How long a run may go unheard of before it counts as dead."""
    seconds = os.environ.get(STALE_AFTER_ENV)
    return timedelta(seconds=float(seconds)) if seconds else DEFAULT_STALE_AFTER


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True  # no /proc: the signal said it exists


def why_dead(run: PipelineRun, now: datetime, host: str) -> str | None:
    """Why ``run`` is dead, or ``None`` while it may be alive."""
    if run.pid is not None and run.host == host and not process_alive(run.pid):
        return f"its process {run.pid} on {host} is gone"
    heard = run.heartbeat_at or run.started_at
    if now - heard > stale_after():
        return f"nothing heard of it since {heard.isoformat(timespec='seconds')}"
    return None


def release_claims(session: Session, run_id: int) -> None:
    """Give the documents run ``run_id`` claimed and did not process back to the pool."""
    session.execute(
        update(EtlDocument)
        .where(
            EtlDocument.processed_run_id.is_(None),
            EtlDocument.etl_batch_id.in_(select(EtlBatch.id).where(EtlBatch.run_id == run_id)),
        )
        .values(etl_batch_id=None)
    )


def abandon_dead_runs(session: Session) -> list[PipelineRun]:
    """Mark every dead ``running`` run ``abandoned``, with why, and release the documents
    it claimed; returns them."""
    now, host = utcnow(), this_host()
    abandoned = []
    for run in session.scalars(select(PipelineRun).where(PipelineRun.status == "running")):
        reason = why_dead(run, now, host)
        if reason is not None:
            run.status, run.finished_at = "abandoned", now
            run.message = f"abandoned: {reason}"
            release_claims(session, run.id)
            abandoned.append(run)
    session.flush()
    return abandoned


def heartbeat(session: Session, run_id: int) -> None:
    """Note that run ``run_id`` is alive."""
    run = session.get(PipelineRun, run_id)
    if run is not None:
        run.heartbeat_at = utcnow()


def newest_run_id(connection: Connection) -> int:
    """The id of the newest ``pipeline_run`` (0 when there is none): note it before starting
    a crawl subprocess to find that crawl's run afterwards with :func:`crawl_run_after`."""
    return connection.scalar(select(func.coalesce(func.max(PipelineRun.id), 0)))


def crawl_run_after(
    connection: Connection, spider: str, after: int, airflow_run_id: str | None = None
) -> Row[tuple[int, str]] | None:
    """``(id, status)`` of the newest crawl run of ``spider`` above id ``after`` (and of the
    Airflow run ``airflow_run_id``, when given), or None."""
    query = select(PipelineRun.id, PipelineRun.status).where(
        PipelineRun.id > after, PipelineRun.kind == "crawl", PipelineRun.name == spider
    )
    if airflow_run_id is not None:
        query = query.where(PipelineRun.airflow_run_id == airflow_run_id)
    return connection.execute(query.order_by(PipelineRun.id.desc()).limit(1)).one_or_none()
