"""Landed documents as the clean stage reads them, and how the ETL's pool workers read
them: through the bare database driver.

A worker reads its share of a batch itself, so the process that validates and loads (the
pipeline's one serial stage) neither reads the bodies nor ships them to the workers: about
a tenth of that process's time. It does so with the driver alone (``sqlite3``, psycopg), on
a query the parent compiled from the models (:mod:`etl.claimed`), because importing
SQLAlchemy and the models would cost the fork server, on every run's critical path, more
than the reads save.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from typing import Any, NamedTuple
from urllib.parse import quote

# what a worker imports to read the warehouse, by backend: preloaded by the fork server
DRIVERS = {"sqlite": "sqlite3", "postgresql": "psycopg"}
SQLITE_BUSY_SECONDS = 30


class Document(NamedTuple):
    """A landed document as the clean stage reads it (the raw bytes stay in the database)."""

    id: int
    source_id: int
    slug: str
    fetched_at: datetime
    item: str  # JSON text: decoded by whichever process prepares it


class DocumentReader(NamedTuple):
    """What a worker needs to read documents by id: the backend, where the warehouse is (a
    SQLite file's absolute path, a libpq connection URI) and the compiled query."""

    backend: str
    address: str
    sql: str


@cache
def _connection(reader: DocumentReader) -> Any:
    """This process's read-only connection to the warehouse (one per process)."""
    if reader.backend == "sqlite":
        import sqlite3

        uri = f"file:{quote(reader.address)}?mode=ro"
        return sqlite3.connect(uri, uri=True, timeout=SQLITE_BUSY_SECONDS)
    import psycopg

    connection = psycopg.connect(reader.address)
    connection.read_only = True  # its transactions are READ ONLY
    return connection


def read_by(reader: DocumentReader, ids: list[int]) -> list[Document]:
    """The documents ``ids`` in id order, read through the driver: what
    :func:`etl.claimed.read_documents` gives, fetch times in UTC."""
    connection = _connection(reader)
    if reader.backend == "sqlite":
        rows = connection.execute(reader.sql, (json.dumps(ids),)).fetchall()
    else:
        rows = connection.execute(reader.sql, {"ids": ids}).fetchall()
    connection.commit()  # no transaction (nor its snapshot) stays open between reads
    documents = [
        Document(id_, source_id, slug, _utc(fetched_at), item)
        for id_, source_id, slug, fetched_at, item in rows
    ]
    return sorted(documents, key=lambda row: row.id)


def _utc(value: datetime | str) -> datetime:
    """A fetch time as the models give it: aware, in UTC (SQLite keeps naive UTC text)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
