"""User errors in one line: what failed, why, and what to do, with the exit code.

Commands raise :class:`CliError` for what they detect themselves; the root command turns
every other exception into one line through :func:`explain` (``--debug`` or
``NEWSETL_DEBUG=1`` shows the traceback instead).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError

from schemas.db import DatabaseUrlError
from schemas.migrate import WarehouseNotReady
from schemas.sources import SourceRegistryError

USAGE = 2  # the command was called wrongly (click's code for usage errors)
FAILED = 1  # the command ran and failed
UPGRADE = "run `newsetl db upgrade`"
# (marker in the driver's message, what to do), first match wins
DATABASE_HINTS = (
    ("no such table", f"the warehouse has no tables yet: {UPGRADE}"),
    ("UndefinedTable", f"the warehouse has no tables yet: {UPGRADE}"),
    ('role "', "check the user name in the URL"),
    ('database "', f"create it first (`createdb NAME` or CREATE DATABASE), then {UPGRADE}"),
    ("Connection refused", "is PostgreSQL running there? Start it or point --database-url "
     "(NEWSETL_DATABASE_URL) at a running server"),
    ("could not translate host name", "check the host in --database-url (NEWSETL_DATABASE_URL)"),
    ("timeout expired", "is the server reachable? Check the host and port of the URL"),
    ("authentication failed", "check the user and password in the URL"),
    ("unable to open database file", "check the path in the URL: its folder must exist"),
    ("database is locked", "another process is writing to it: try again when it is done"),
    ("readonly database", "the file is read-only: check its permissions"),
)  # fmt: skip


class CliError(Exception):
    """A failure to report in one line, with the exit code."""

    def __init__(self, message: str, code: int = FAILED) -> None:
        super().__init__(message)
        self.code = code


def _reason(error: DBAPIError) -> str:
    """The driver's reason: its first line, without the connection preamble."""
    lines = str(error.orig).strip().splitlines()
    text = " ".join(lines[0].split()) if lines else type(error.orig).__name__
    text = text.rsplit(" failed: ", 1)[-1].removeprefix("FATAL: ").strip()
    return text[0].lower() + text[1:] if text[:1].isupper() and text[1:2].islower() else text


def describe_database_error(error: DBAPIError, where: str = "the warehouse") -> str:
    """One line for a database error: the warehouse, the driver's reason, what to do."""
    reason = _reason(error)
    marker_text = f"{reason} {type(error.orig).__name__}".lower()
    hint = next((hint for marker, hint in DATABASE_HINTS if marker.lower() in marker_text), None)
    return f"cannot use {where}: {reason}" + (f"; {hint}" if hint else "")


@contextmanager
def database_errors(where: str) -> Iterator[None]:
    """Turn database errors raised inside into one-line :class:`CliError`\\ s naming ``where``."""
    try:
        yield
    except DBAPIError as error:
        raise CliError(describe_database_error(error, where)) from error


def explain(error: Exception) -> tuple[str, int]:
    """The one line and exit code for an exception that reached the command line."""
    if isinstance(error, CliError):
        return str(error), error.code
    if isinstance(error, DatabaseUrlError | SourceRegistryError):
        return str(error), USAGE
    if isinstance(error, WarehouseNotReady):
        return str(error), FAILED
    if isinstance(error, DBAPIError):
        return describe_database_error(error), FAILED
    if isinstance(error, OSError) and error.strerror:
        where = f": {error.filename}" if error.filename else ""
        return f"{error.strerror}{where}", FAILED
    return (
        f"unexpected {type(error).__name__}: {error} (`newsetl --debug ...` shows the traceback; "
        "please report it)",
        FAILED,
    )
