"""``newsetl report``: write the self-contained HTML analytics report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from newsetl.cli.app import DatabaseOption, app
from newsetl.cli.markup import shown
from newsetl.cli.output import console, err_console, summary_table
from newsetl.report import write_report


@app.command("report")
def report_command(
    path: Path = typer.Argument(..., help="The HTML file to write.", dir_okay=False),
    since: str | None = typer.Option(
        None, "--since", help="First Beijing day shown (YYYY-MM-DD); default: the last 30 days."
    ),
    database_url: str | None = DatabaseOption,
) -> None:
    """Write one offline HTML page: charts of articles, duplicates, rejections, columns, terms."""
    try:
        first_day = date.fromisoformat(since) if since else None
    except ValueError as error:
        err_console.print(f"[red]--since {shown(repr(since))} is not a date (YYYY-MM-DD)[/]")
        raise typer.Exit(2) from error
    try:
        report = write_report(path, database_url, first_day)
    except FileNotFoundError as error:
        err_console.print(f"[red]{shown(error)}[/]")
        raise typer.Exit(1) from error
    console.print(summary_table(f"report written to {path}", report.counts(), header="rows"))
