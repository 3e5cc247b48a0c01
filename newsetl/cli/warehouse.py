"""The warehouse as the commands open it: checked, with errors in one line, checkpointed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from newsetl.cli.errors import database_errors
from schemas.db import checkpoint, make_engine, parse_database_url
from schemas.migrate import require_current


def shown_url(url: str | URL | None) -> str:
    """A warehouse URL as users write it: no password, no driver suffix."""
    parsed = url if isinstance(url, URL) else parse_database_url(url)
    return parsed.set(drivername=parsed.get_backend_name()).render_as_string(hide_password=True)


@contextmanager
def open_warehouse(database_url: str | None, *, migrated: bool = True) -> Iterator[Engine]:
    """An engine on the warehouse for one command.

    ``migrated`` refuses a warehouse that is missing or not at the newest revision, before
    anything is written (and without creating a SQLite file). Database errors become one
    line naming the warehouse; at the end a SQLite warehouse's write-ahead log is folded
    into its file, so that the ``.db`` file alone holds everything.
    """
    engine = make_engine(database_url)
    try:
        with database_errors(f"the warehouse {shown_url(engine.url)}"):
            if migrated:
                require_current(engine)
            yield engine
    finally:
        with suppress(SQLAlchemyError):
            checkpoint(engine)
        engine.dispose()
