"""Where the warehouse is and how to connect to it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DATABASE_URL = "sqlite:///data/warehouse.db"
DATABASE_URL_ENV = "NEWSETL_DATABASE_URL"


def database_url(url: str | None = None) -> str:
    """The warehouse URL: the argument, else ``$NEWSETL_DATABASE_URL``, else local SQLite.

    ``postgresql://`` URLs are routed to the psycopg 3 driver.
    """
    url = url or os.environ.get(DATABASE_URL_ENV) or DEFAULT_DATABASE_URL
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(*, wal: bool) -> Callable[[Any, Any], None]:
    """A connect hook: foreign keys on, wait for locks, and WAL for writers."""
    pragmas = ["foreign_keys=ON", "busy_timeout=30000"] + (["journal_mode=WAL"] if wal else [])

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    return on_connect


def make_engine(url: str | None = None, *, read_only: bool = False) -> Engine:
    """An engine for the warehouse; SQLite files get their folder, WAL and foreign keys.

    ``read_only`` opens SQLite in ``mode=ro`` and PostgreSQL sessions read-only, so that
    nothing issued through such an engine can change the warehouse.
    """
    parsed = make_url(database_url(url))
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        if read_only:
            if not database or database == ":memory:" or not Path(database).exists():
                raise FileNotFoundError(f"no warehouse at {database!r}: run `newsetl db upgrade`")
            engine = create_engine(
                f"sqlite:///file:{Path(database).resolve()}?mode=ro&uri=true",
                connect_args={"check_same_thread": False},
            )
        else:
            engine = create_engine(parsed, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas(wal=not read_only))
        return engine
    options = "-c default_transaction_read_only=on" if read_only else None
    connect_args = {"options": options} if options else {}
    return create_engine(parsed, connect_args=connect_args, pool_pre_ping=True)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session, session.begin():
        yield session
