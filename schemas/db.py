"""Where the warehouse is and how to connect to it."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DATABASE_URL = "sqlite:///data/warehouse.db"
DATABASE_URL_ENV = "NEWSETL_DATABASE_URL"
BACKENDS = ("sqlite", "postgresql")
URL_FORMS = "sqlite:///path/to/file.db or postgresql://user@host:port/database"
SURROGATES = re.compile("[\ud800-\udfff]")


class DatabaseUrlError(ValueError):
    """The warehouse URL cannot be parsed or names a database newsetl does not support."""


def database_url(url: str | None = None) -> str:
    """The warehouse URL: the argument, else ``$NEWSETL_DATABASE_URL``, else local SQLite.

    ``postgresql://`` URLs are routed to the psycopg 3 driver.
    """
    url = url or os.environ.get(DATABASE_URL_ENV) or DEFAULT_DATABASE_URL
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def parse_database_url(url: str | None = None) -> URL:
    """The warehouse URL parsed; a :class:`DatabaseUrlError` when it is malformed or is not
    SQLite or PostgreSQL (the only warehouses newsetl installs drivers for)."""
    raw = database_url(url)
    try:
        parsed = make_url(raw)
    except ArgumentError:
        raise DatabaseUrlError(f"database URL {raw!r} is not a URL: use {URL_FORMS}") from None
    backend = parsed.get_backend_name()
    if backend not in BACKENDS:
        raise DatabaseUrlError(
            f"database URL {parsed.render_as_string()!r} names {backend}, which newsetl does "
            f"not support: use {URL_FORMS}"
        )
    if backend == "sqlite" and not parsed.database:
        raise DatabaseUrlError(f"database URL {raw!r} names no file: use {URL_FORMS}")
    return parsed


def sqlite_file(url: str | URL | None = None) -> Path | None:
    """The file of a SQLite warehouse URL (None for PostgreSQL or an in-memory database)."""
    parsed = url if isinstance(url, URL) else parse_database_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def json_text(value: Any) -> str:
    """JSON as the warehouse stores it: Chinese as UTF-8 characters, not ``\\uXXXX``
    escapes (half the bytes of an item, a third of the time to decode it); a value holding
    a lone surrogate, which no UTF-8 column takes, keeps its escapes."""
    text_ = json.dumps(value, ensure_ascii=False)
    return json.dumps(value) if SURROGATES.search(text_) else text_


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
    """An engine for the warehouse; SQLite files get WAL and foreign keys.

    Making an engine creates nothing on disk: a SQLite file appears on the first connection
    (and its folder only with :func:`schemas.migrate.upgrade`). ``read_only`` opens SQLite in
    ``mode=ro`` and PostgreSQL sessions read-only, so that nothing issued through such an
    engine can change the warehouse.
    """
    parsed = parse_database_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = sqlite_file(parsed)
        if read_only:
            if database is None or not database.exists():
                raise FileNotFoundError(
                    f"no warehouse at {database}: run `newsetl db upgrade` first"
                )
            engine = create_engine(
                f"sqlite:///file:{database.resolve()}?mode=ro&uri=true",
                connect_args={"check_same_thread": False},
                json_serializer=json_text,
            )
        else:
            engine = create_engine(
                parsed, connect_args={"check_same_thread": False}, json_serializer=json_text
            )
        event.listen(engine, "connect", _sqlite_pragmas(wal=not read_only))
        return engine
    options = "-c default_transaction_read_only=on" if read_only else None
    connect_args = {"options": options} if options else {}
    return create_engine(
        parsed, connect_args=connect_args, pool_pre_ping=True, json_serializer=json_text
    )


def make_folder(engine: Engine) -> None:
    """Create the folder of a SQLite warehouse (only creating the warehouse should)."""
    database = sqlite_file(engine.url) if engine.dialect.name == "sqlite" else None
    if database is not None:
        database.parent.mkdir(parents=True, exist_ok=True)


def checkpoint(engine: Engine) -> None:
    """Fold a SQLite warehouse's write-ahead log into its ``.db`` file, so that the file
    alone holds every row (a copy of it is the whole warehouse); nothing for PostgreSQL."""
    database = sqlite_file(engine.url) if engine.dialect.name == "sqlite" else None
    if database is not None and database.exists():
        with engine.connect() as connection:
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session, session.begin():
        yield session
