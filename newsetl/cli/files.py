"""``newsetl import`` and ``newsetl export``: article files in and out of the warehouse."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.table import Table

from etl.export import export_hexo
from newsetl.cli.app import DatabaseOption, app
from newsetl.cli.markup import shown
from newsetl.cli.output import console, summary_table
from newsetl.importer import ImportResult, import_files
from schemas.db import make_engine

STATUS_STYLE = {"loaded": "green", "unchanged": "dim", "duplicate": "yellow", "rejected": "red"}


class ExportFormat(StrEnum):
    """Export formats."""

    hexo = "hexo"


def print_import(result: ImportResult) -> None:
    """The per-file table of an import, then the ETL's counts."""
    table = Table(title="import", title_justify="left")
    table.add_column("file", overflow="fold")
    table.add_column("status")
    table.add_column("reason", overflow="fold")
    for outcome in result.files:
        style = STATUS_STYLE.get(outcome.status, "")
        table.add_row(shown(outcome.path), f"[{style}]{outcome.status}[/]", shown(outcome.reason))
    console.print(table)
    if result.etl is not None:
        console.print(summary_table(f"etl run {result.etl.run_id}", result.etl.counts))


@app.command("import")
def import_command(
    paths: list[Path] = typer.Argument(..., help="Files or folders (folders recurse)."),
    source: str = typer.Option("files", help="Source slug the files belong to."),
    url: str | None = typer.Option(None, help="URL of the article, for files that lack one."),
    published_at: str | None = typer.Option(
        None, help="Publication date/time for files that lack one (any format the ETL reads)."
    ),
    database_url: str | None = DatabaseOption,
) -> None:
    """Import Hexo posts and plain-text articles; exits 1 when any file was rejected."""
    try:
        result = import_files(
            make_engine(database_url), paths, source=source, url=url, published_at=published_at
        )
    except (FileNotFoundError, KeyError) as error:
        raise typer.BadParameter(str(error).strip("'\"")) from None
    print_import(result)
    if result.rejected:
        raise typer.Exit(1)


@app.command("export")
def export_command(
    out_dir: Path = typer.Argument(..., help="Folder to write the posts to."),
    fmt: ExportFormat = typer.Option(ExportFormat.hexo, "--format", help="Output format."),
    proxy: str | None = typer.Option(
        None, help="Prefix wrapped around image URLs ('' for none; default: as the source had)."
    ),
    database_url: str | None = DatabaseOption,
) -> None:
    """Export every canonical article as a Hexo post."""
    written = export_hexo(make_engine(database_url), out_dir, proxy)
    console.print(f"wrote {len(written)} {fmt.value} posts to {shown(out_dir)}")
