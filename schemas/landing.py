"""Writes to the raw landing zone: sources, runs, raw documents and quarantined records.

Spiders' item pipeline, file imports and the ETL all go through these functions, so every
landing is idempotent in one place: the same bytes for the same source and URL land once.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.items import ArticleItem
from schemas.models import PipelineRun, RawDocument, RejectedRecord, Source
from schemas.runs import this_host
from schemas.sources import get_source, load_sources
from schemas.types import utcnow
from schemas.upsert import insert_for


def ensure_source(session: Session, slug: str) -> Source:
    """The ``source`` row for ``slug``, created from the registry on first use."""
    source = session.scalar(select(Source).where(Source.slug == slug))
    if source is None:
        config = get_source(slug)
        session.execute(
            insert_for(session, Source)
            .values(
                slug=slug,
                name=config.name,
                kind=config.kind,
                home_url=config.home_url,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["slug"])
        )
        source = session.scalar(select(Source).where(Source.slug == slug))
    return source


def ensure_all_sources(session: Session) -> None:
    """Create a row for every source in the registry."""
    for slug in load_sources():
        ensure_source(session, slug)


def start_run(
    session: Session, kind: str, name: str | None = None, airflow_run_id: str | None = None
) -> PipelineRun:
    """Open a ``pipeline_run`` (status ``running``) and flush it so it has an id. A run
    outside Airflow records this process, so that a later run can tell if it died."""
    run = PipelineRun(
        kind=kind,
        name=name,
        airflow_run_id=airflow_run_id,
        counts={},
        pid=None if airflow_run_id else os.getpid(),
        host=this_host(),
        heartbeat_at=utcnow(),
    )
    session.add(run)
    session.flush()
    return run


def finish_run(
    session: Session,
    run: PipelineRun,
    counts: dict[str, Any],
    status: str = "success",
    message: str | None = None,
) -> None:
    """Close a run with its counts per stage."""
    run.counts = dict(counts)
    run.status = status
    run.message = message
    run.finished_at = utcnow()


def content_hash(raw: bytes) -> str:
    """SHA-256 hex digest of raw bytes: the landing zone's identity of a fetch."""
    return hashlib.sha256(raw).hexdigest()


def land(
    session: Session,
    *,
    source: str,
    url: str,
    raw_body: bytes,
    item: ArticleItem | None,
    run_id: int | None = None,
    http_status: int | None = None,
    encoding: str | None = None,
    fetched_at: datetime | None = None,
) -> tuple[RawDocument, bool]:
    """Land one fetched page or file; returns its row and whether it is new.

    Landing the same bytes again for the same source and URL returns the existing row.
    """
    source_row = ensure_source(session, source)
    digest = content_hash(raw_body)
    result = session.execute(
        insert_for(session, RawDocument)
        .values(
            source_id=source_row.id,
            run_id=run_id,
            url=url,
            fetched_at=fetched_at or utcnow(),
            http_status=http_status,
            encoding=encoding,
            raw_body=raw_body,
            content_hash=digest,
            item=item.to_dict() if item is not None else None,
        )
        .on_conflict_do_nothing(index_elements=["source_id", "url", "content_hash"])
        .returning(RawDocument.id)
    )
    inserted = result.scalar_one_or_none() is not None
    document = session.scalar(
        select(RawDocument).where(
            RawDocument.source_id == source_row.id,
            RawDocument.url == url,
            RawDocument.content_hash == digest,
        )
    )
    return document, inserted


def reject(
    session: Session,
    *,
    stage: str,
    reason: str,
    raw_document_id: int | None,
    source_id: int | None = None,
    run_id: int | None = None,
    failures: list[dict[str, Any]] | None = None,
    record: dict[str, Any] | None = None,
) -> bool:
    """Quarantine a record with why it failed; once per raw document and stage.

    Returns whether a new ``rejected_record`` row was written.
    """
    result = session.execute(
        insert_for(session, RejectedRecord)
        .values(
            run_id=run_id,
            raw_document_id=raw_document_id,
            source_id=source_id,
            stage=stage,
            reason=reason[:500],
            failures=failures or [],
            record=record,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["raw_document_id", "stage"])
        .returning(RejectedRecord.id)
    )
    return result.scalar_one_or_none() is not None
