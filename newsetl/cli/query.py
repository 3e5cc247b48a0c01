"""``newsetl query``: run a named query or SQL against the warehouse, read-only."""

from __future__ import annotations

import typer
from alembic.runtime.migration import MigrationContext
from rich.table import Table
from sqlalchemy.exc import DBAPIError, StatementError

from newsetl.cli.app import DatabaseOption, app
from newsetl.cli.errors import UPGRADE, USAGE, CliError, describe_database_error
from newsetl.cli.markup import shown
from newsetl.cli.output import OutputFormat, console, err_console, print_rows
from newsetl.cli.warehouse import shown_url
from schemas.queries import (
    DEFAULT_TIMEOUT,
    NamedQuery,
    QueryError,
    QueryRefused,
    adhoc_query,
    get_query,
    is_query_name,
    list_queries,
    read_only_connection,
    run_query,
)

WRITE_REFUSED = {"25006", "SQLITE_READONLY", "SQLITE_AUTH"}
CANCELLED = {"57014", "SQLITE_INTERRUPT"}  # the statement timeout struck
PRIVILEGE_REFUSED = {"42501"}
SEVERAL_STATEMENTS = ("one statement at a time", "cannot insert multiple commands")


def _parse_params(pairs: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise QueryError(f"--param takes NAME=VALUE, got {pair!r}")
        params[name.strip()] = value
    return params


def _explain(error: DBAPIError, timeout: float, database_url: str | None) -> str:
    """Why the database refused a statement (or the connection), in one line."""
    if error.statement is None:
        return describe_database_error(error, f"the warehouse {shown_url(database_url)}")
    original = error.orig
    code = getattr(original, "sqlstate", None) or getattr(original, "sqlite_errorname", None)
    reason = str(original).strip().splitlines()[0] if str(original).strip() else repr(original)
    if code in CANCELLED:
        return f"cancelled: the statement ran longer than {timeout:g} s (--timeout)"
    if code in PRIVILEGE_REFUSED:
        return f"refused: `newsetl query` may only read the warehouse ({reason})"
    if code in WRITE_REFUSED:
        return f"refused: `newsetl query` is read-only and changes nothing ({reason})"
    if any(marker in reason for marker in SEVERAL_STATEMENTS):
        return f"refused: `newsetl query` runs one statement at a time ({reason})"
    return f"query failed: {reason}"


def _print_list() -> None:
    table = Table(title="named queries", title_justify="left")
    for column in ("name", "description", "parameters (default)"):
        table.add_column(column)
    for query in list_queries().values():
        params = ", ".join(
            f"{p.name}: {p.type} = {repr(p.default) if p.type == 'str' else p.default}"
            for p in query.params
        )
        table.add_row(query.name, shown(query.description), shown(params))
    console.print(table)


@app.command("query")
def query_command(
    query: str = typer.Argument(None, help="A named query (see --list) or one SQL statement."),
    param: list[str] = typer.Option(
        [], "--param", "-p", help="A parameter as NAME=VALUE; repeatable."
    ),
    fmt: OutputFormat = typer.Option(
        OutputFormat.auto,
        "--format",
        "-f",
        help="Output format; auto: a table on a terminal, else TSV (tab-separated, a header).",
    ),
    list_: bool = typer.Option(False, "--list", help="List the named queries and exit."),
    timeout: float = typer.Option(
        DEFAULT_TIMEOUT, "--timeout", min=0.001, help="Cancel the statement after SECONDS."
    ),
    allow_superuser: bool = typer.Option(
        False,
        "--allow-superuser",
        help="Run even when the login is a PostgreSQL superuser (who can undo the read-only role).",
    ),
    database_url: str | None = DatabaseOption,
) -> None:
    """Run a named query or a SQL statement, read-only, and print its rows."""
    if list_:
        _print_list()
        return
    if not query:
        raise CliError("give a named query or SQL (`newsetl query --list` shows the names)", USAGE)
    try:
        params = _parse_params(param)
        named: NamedQuery = (
            get_query(query) if is_query_name(query) else adhoc_query(query, set(params))
        )
        named.values(params)
    except QueryError as error:
        raise CliError(str(error), USAGE) from error
    try:
        with read_only_connection(
            database_url, timeout=timeout, allow_superuser=allow_superuser
        ) as connection:
            if MigrationContext.configure(connection).get_current_revision() is None:
                raise CliError(f"the warehouse {shown_url(database_url)} is empty: {UPGRADE} first")
            columns, rows = run_query(connection, named, params)
    except QueryRefused as error:
        raise CliError(str(error), USAGE) from error
    except FileNotFoundError as error:
        raise CliError(str(error)) from error
    except DBAPIError as error:
        raise CliError(_explain(error, timeout, database_url)) from error
    except StatementError as error:
        raise CliError(f"query failed: {error.orig}") from error
    if not columns:
        err_console.print(
            "the statement returned no rows (nothing is kept: it is rolled back)", soft_wrap=True
        )
        return
    print_rows(columns, rows, fmt, title="" if named.name == "sql" else named.name)
