"""Named queries (``schemas/queries/*.sql``) and read-only access to the warehouse.

A named query is one SQL file whose name (without ``.sql``) is the query's name. Its header
is a block of ``--`` comment lines:

    -- Articles per Beijing day and source.
    -- :since date = 1970-01-01 | first Beijing day counted
    -- :source str = | source slug; empty for every source
    SELECT ... WHERE day >= :since AND (:source = '' OR source = :source)

The first line is the description; each ``-- :name type = default | help`` line declares a
parameter (type ``str``, ``int``, ``date``, or ``any`` for a value bound untyped; an empty
default is an empty string). The SQL
below the header uses the parameters as ``:name``; they are always bound with their type,
never pasted into the SQL text, and a query must declare exactly the parameters it uses.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cache
from itertools import takewhile
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Date, Integer, String, TextClause, bindparam, event, text
from sqlalchemy.types import NullType, TypeEngine

from schemas.db import make_engine

QUERIES_DIR = Path(__file__).with_name("queries")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
PARAM_RE = re.compile(r"^--\s*:(\w+)\s+(\w+)\s*=\s*([^|]*?)\s*(?:\|\s*(.*?))?\s*$")
BIND_RE = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")  # how SQLAlchemy's text() finds binds
PARAM_TYPES: dict[str, tuple[Callable[[str], Any], type[TypeEngine[Any]]]] = {
    "str": (str, String),
    "int": (int, Integer),
    "date": (date.fromisoformat, Date),
    "any": (str, NullType),  # bound untyped: what ad-hoc SQL's parameters get
}
READER_ROLE = "newsetl_reader"  # created by migration 0004: SELECT on the warehouse only
DEFAULT_TIMEOUT = 30.0  # seconds a query may run
SQLITE_PROGRESS_STEPS = 10_000  # virtual-machine steps between two looks at the clock
# server-side rights a query's login must not have: they reach files and programs
SERVER_ROLES = ("pg_execute_server_program", "pg_read_server_files", "pg_write_server_files")
SQLITE_READ_PRAGMAS = frozenset(
    {"table_info", "table_xinfo", "index_list", "index_info", "index_xinfo", "foreign_key_list"}
)


class QueryError(ValueError):
    """A named query that does not exist, is malformed, or got a bad parameter."""


class QueryRefused(QueryError):
    """The login may do more than read the warehouse, or the reader role is missing."""


@dataclass(frozen=True)
class Param:
    """A declared parameter of a named query."""

    name: str
    type: str
    default: str
    help: str = ""

    def convert(self, raw: str) -> Any:
        """The typed value of ``raw`` (text from the command line or the default)."""
        try:
            return PARAM_TYPES[self.type][0](raw)
        except ValueError as error:
            raise QueryError(
                f"parameter {self.name}: {raw!r} is not a valid {self.type}"
            ) from error


@dataclass(frozen=True)
class NamedQuery:
    """A parsed named query."""

    name: str
    description: str
    params: tuple[Param, ...]
    sql: str

    def statement(self) -> TextClause:
        """The SQL with every parameter bound as its declared type."""
        return text(self.sql).bindparams(
            *(bindparam(p.name, type_=PARAM_TYPES[p.type][1]()) for p in self.params)
        )

    def values(self, overrides: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Typed values of every parameter: the defaults, replaced by ``overrides``."""
        overrides = dict(overrides or {})
        unknown = sorted(set(overrides) - {p.name for p in self.params})
        if unknown:
            declared = ", ".join(p.name for p in self.params) or "none"
            raise QueryError(
                f"query {self.name!r} has no parameter {', '.join(unknown)} (it takes: {declared})"
            )
        return {p.name: p.convert(overrides.get(p.name, p.default)) for p in self.params}


def _check_params(name: str, sql: str, declared: set[str], how: str = "declared") -> None:
    used = set(BIND_RE.findall(sql))
    problems = [f":{n} is used but not {how}" for n in sorted(used - declared)]
    problems += [f"{n} is {how} but not used" for n in sorted(declared - used)]
    if problems:
        raise QueryError(f"query {name!r}: " + "; ".join(problems))


def parse_query(name: str, source: str) -> NamedQuery:
    """Parse the text of a named query file (see the module docstring for the format)."""
    lines = source.strip().splitlines()
    header = list(takewhile(lambda line: line.startswith("--"), lines))
    description = header[0].lstrip("- ").strip() if header else ""
    if not description:
        raise QueryError(f"query {name!r}: the first line must be a `-- description` comment")
    params = []
    for match in filter(None, map(PARAM_RE.match, header[1:])):
        param_name, kind, default, help_text = match.groups()
        if kind not in PARAM_TYPES:
            raise QueryError(f"query {name!r}: parameter {param_name} has unknown type {kind!r}")
        param = Param(param_name, kind, default, help_text or "")
        param.convert(param.default)
        params.append(param)
    sql = "\n".join(lines[len(header) :]).strip()
    if not sql:
        raise QueryError(f"query {name!r} has no SQL")
    _check_params(name, sql, {p.name for p in params})
    return NamedQuery(name, description, tuple(params), sql)


@cache
def list_queries() -> dict[str, NamedQuery]:
    """Every named query of ``schemas/queries/``, by name."""
    return {
        path.stem: parse_query(path.stem, path.read_text(encoding="utf-8"))
        for path in sorted(QUERIES_DIR.glob("*.sql"))
    }


def get_query(name: str) -> NamedQuery:
    """The named query ``name``, or a :class:`QueryError` listing the known ones."""
    queries = list_queries()
    if name not in queries:
        raise QueryError(f"no named query {name!r}; known: {', '.join(queries)}")
    return queries[name]


def is_query_name(argument: str) -> bool:
    """Whether a command-line argument names a query (rather than being SQL)."""
    return NAME_RE.match(argument) is not None


def adhoc_query(sql: str, param_names: set[str]) -> NamedQuery:
    """SQL typed by the user; its parameters are bound untyped (the database infers them)."""
    _check_params("sql", sql, param_names, how="given with --param")
    return NamedQuery(
        "sql", "ad-hoc SQL", tuple(Param(n, "any", "") for n in sorted(param_names)), sql
    )


def _sqlite_authorizer(action: int, arg1: str | None, arg2: str | None, *_: Any) -> int:
    if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and arg2 is not None and arg1 not in SQLITE_READ_PRAGMAS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def _lock_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """Refuse writes even to other files: no ATTACH, no VACUUM INTO, no PRAGMA assignment."""
    dbapi_connection.execute("PRAGMA query_only = ON")
    dbapi_connection.set_authorizer(_sqlite_authorizer)


def _prepare_every_statement(dbapi_connection: Any, _record: Any) -> None:
    """Send every statement as a prepared one, which PostgreSQL refuses to run in several
    parts: ``COMMIT; BEGIN READ WRITE; …`` cannot leave the read-only transaction."""
    dbapi_connection.prepare_threshold = 0


def _sqlite_deadline(dbapi_connection: Any, timeout: float) -> None:
    """Interrupt any statement still running ``timeout`` seconds from now."""
    deadline = time.monotonic() + timeout
    dbapi_connection.set_progress_handler(
        lambda: int(time.monotonic() > deadline), SQLITE_PROGRESS_STEPS
    )


def _postgres_reader(connection: Connection, timeout: float, allow_superuser: bool) -> None:
    """Bound the statement's time and take the reader role's rights for the transaction.

    ``SET ROLE`` is no boundary for a superuser (``RESET ROLE`` undoes it): such logins,
    and those that may run programs or touch the server's files, are refused unless
    ``allow_superuser`` says the caller accepts that.
    """
    connection.execute(
        text("SELECT set_config('statement_timeout', :ms, true)"),
        {"ms": str(max(1, round(timeout * 1000)))},
    )
    login = connection.execute(
        text(
            "SELECT session_user, rolsuper, "
            + " OR ".join(f"pg_has_role(session_user, '{r}', 'MEMBER')" for r in SERVER_ROLES)
            + ", (SELECT pg_has_role(session_user, oid, 'MEMBER') FROM pg_roles"
            f" WHERE rolname = '{READER_ROLE}') FROM pg_roles WHERE rolname = session_user"
        )
    ).one()
    name, superuser, server_rights, reader = login
    if (superuser or server_rights) and not allow_superuser:
        kind = "a superuser" if superuser else "a role with server file or program rights"
        raise QueryRefused(
            f"refused: {name} is {kind}; query as a login in role {READER_ROLE} "
            f"(CREATE ROLE analyst LOGIN IN ROLE {READER_ROLE}) or pass --allow-superuser"
        )
    if not reader:
        raise QueryRefused(
            f"refused: {name} is not a member of {READER_ROLE}; run `newsetl db upgrade` "
            f"and GRANT {READER_ROLE} TO {name}"
        )
    connection.execute(text(f"SET LOCAL ROLE {READER_ROLE}"))


@contextmanager
def read_only_connection(
    url: str | None = None, *, timeout: float = DEFAULT_TIMEOUT, allow_superuser: bool = False
) -> Iterator[Connection]:
    """A connection that cannot change the warehouse; everything is rolled back at the end.

    SQLite is opened ``mode=ro`` with ``query_only`` and an authorizer; PostgreSQL sessions
    default to read-only, the transaction (one snapshot) is ``READ ONLY`` too and runs as
    :data:`READER_ROLE`. A statement running longer than ``timeout`` seconds is cancelled.
    """
    engine = make_engine(url, read_only=True)
    postgres = engine.dialect.name == "postgresql"
    event.listen(engine, "connect", _prepare_every_statement if postgres else _lock_sqlite)
    try:
        with engine.connect() as connection:
            if postgres:
                connection.execute(
                    text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                )
                _postgres_reader(connection, timeout, allow_superuser)
            else:
                _sqlite_deadline(connection.connection.dbapi_connection, timeout)
            try:
                yield connection
            finally:
                connection.rollback()
    finally:
        engine.dispose()


def run_query(
    connection: Connection, query: NamedQuery, overrides: Mapping[str, str] | None = None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run a query with its parameters bound; returns the column names and the rows (no
    columns for a statement that returns no rows: ``BEGIN``, ``SET``, ``LOCK``, ...)."""
    result = connection.execute(query.statement(), query.values(overrides))
    if not result.returns_rows:
        return [], []
    return list(result.keys()), [tuple(row) for row in result]
