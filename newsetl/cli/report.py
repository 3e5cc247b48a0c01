"""``newsetl report``: write the self-contained HTML analytics report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from newsetl.cli.app import DatabaseOption, app
from newsetl.cli.errors import USAGE, CliError, database_errors
from newsetl.cli.output import console, summary_table
from newsetl.cli.warehouse import shown_url
from newsetl.report import write_report


@app.command("report")
def report_command(
    path: Path = typer.Argument(..., help="The HTML file to write.", dir_okay=False),
    since: str | None = typer.Option(
        None, "--since", help="First Beijing day shown (YYYY-MM-DD); default: all the data."
    ),
    database_url: str | None = DatabaseOption,
) -> None:
    """Write one offline HTML page: charts of articles, duplicates, rejections, columns, terms."""
    try:
        first_day = date.fromisoformat(since) if since else None
    except ValueError:
        raise CliError(f"--since {since!r} is not a date (YYYY-MM-DD)", USAGE) from None
    with database_errors(f"the warehouse {shown_url(database_url)}"):
        try:
            report = write_report(path, database_url, first_day)
        except FileNotFoundError as error:
            raise CliError(str(error)) from None
    console.print(
        summary_table(f"report written to {path}", report.counts(), "shown", label="chart"),
        soft_wrap=True,
    )
