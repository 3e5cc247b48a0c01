"""``newsetl db``: create, migrate and inspect the warehouse."""

from __future__ import annotations

import typer

from newsetl.cli.app import DatabaseOption, app
from newsetl.cli.errors import CliError
from newsetl.cli.output import console
from newsetl.cli.warehouse import open_warehouse, shown_url
from schemas.db import sqlite_file
from schemas.migrate import current, head, upgrade

db_app = typer.Typer(help="Create, migrate and inspect the warehouse.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def upgrade_command(
    revision: str = typer.Argument("head", help="Target revision."),
    database_url: str | None = DatabaseOption,
) -> None:
    """Create the warehouse or migrate it to the newest revision."""
    with open_warehouse(database_url, migrated=False) as engine:
        upgrade(engine, revision)
        console.print(
            f"warehouse {shown_url(engine.url)} at revision [bold]{current(engine)}[/]",
            soft_wrap=True,
        )


@db_app.command("current")
def current_command(database_url: str | None = DatabaseOption) -> None:
    """Print the warehouse's revision and whether it is the newest."""
    database = sqlite_file(database_url)
    if database is not None and not database.exists():
        raise CliError(f"no warehouse at {database}: run `newsetl db upgrade` first")
    with open_warehouse(database_url, migrated=False) as engine:
        revision = current(engine)
    newest = head()
    state = "up to date" if revision == newest else f"behind: newest is {newest}"
    console.print(f"{revision or 'empty (run `newsetl db upgrade`)'} ({state})", soft_wrap=True)


@db_app.command("doctor")
def doctor_command(database_url: str | None = DatabaseOption) -> None:
    """Mark runs whose process died ``abandoned`` (their documents go back to the ETL)."""
    from schemas.db import session_scope
    from schemas.runs import abandon_dead_runs

    with open_warehouse(database_url) as engine, session_scope(engine) as session:
        abandoned = [(run.id, run.kind, run.message) for run in abandon_dead_runs(session)]
    for run_id, kind, message in abandoned:
        console.print(f"{kind} run {run_id}: {message}", markup=False, highlight=False)
    console.print(f"{len(abandoned)} run(s) abandoned")
