"""The documents an ETL batch claimed, read through the run's session, or compiled into a
:class:`~etl.documents.DocumentReader` for the pool workers."""

from __future__ import annotations

from sqlalchemy import ARRAY, Engine, Select, Text, bindparam, cast, select
from sqlalchemy.orm import Session

from etl.chunks import in_list, one_of
from etl.documents import Document, DocumentReader
from schemas.db import sqlite_file
from schemas.models import RawDocument, Source


def _columns() -> Select:
    return select(
        RawDocument.id, RawDocument.source_id, Source.slug, RawDocument.fetched_at,
        cast(RawDocument.item, Text),
    ).join(Source, Source.id == RawDocument.source_id)  # fmt: skip


def read_documents(session: Session, ids: list[int]) -> list[Document]:
    """The documents ``ids``, in id order."""
    rows = [
        row
        for condition in one_of(session, RawDocument.id, ids)
        for row in session.execute(_columns().where(condition))
    ]
    return sorted((Document(*row) for row in rows), key=lambda row: row.id)


def document_reader(engine: Engine) -> DocumentReader | None:
    """How other processes read ``engine``'s documents; None for an in-memory SQLite
    database, which only this process sees."""
    backend = engine.dialect.name
    if backend == "sqlite":
        database = sqlite_file(engine.url)
        if database is None:
            return None
        address = str(database.resolve())
        ids = bindparam("ids")
    else:
        address = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        ids = bindparam("ids", type_=ARRAY(RawDocument.id.type))
    condition = in_list(RawDocument.id, ids, backend)
    sql = str(_columns().where(condition).compile(dialect=engine.dialect))
    return DocumentReader(backend, address, sql)
