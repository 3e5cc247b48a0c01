"""``newsetl import`` and ``newsetl export``: article files in and out of the warehouse."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.table import Table

from etl.export import export_hexo
from newsetl.cli.app import DatabaseOption, app
from newsetl.cli.errors import USAGE, CliError
from newsetl.cli.etl import warehouse_totals
from newsetl.cli.markup import shown
from newsetl.cli.output import console, etl_rows, summary_table
from newsetl.cli.warehouse import open_warehouse
from newsetl.importer import ImportResult, import_files

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
        etl = result.etl
        console.print(summary_table(f"etl · run {etl.run_id} · {etl.status}", etl_rows(etl.counts)))


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
    with open_warehouse(database_url) as engine:
        try:
            result = import_files(engine, paths, source=source, url=url, published_at=published_at)
        except (FileNotFoundError, KeyError) as error:
            raise CliError(str(error).strip("'\""), USAGE) from None
        print_import(result)
        console.print(warehouse_totals(engine), highlight=False)
    if result.rejected:
        raise typer.Exit(1)


@app.command("export")
def export_command(
    out_dir: Path = typer.Argument(..., help="Folder to write the posts to."),
    fmt: ExportFormat = typer.Option(ExportFormat.hexo, "--format", help="Output format."),
    proxy: str | None = typer.Option(
        None, help="Prefix wrapped around image URLs ('' for none; default: as the source had)."
    ),
    clean: bool = typer.Option(
        False, "--clean", help="Replace the posts of an earlier export in DIR (only .md files)."
    ),
    database_url: str | None = DatabaseOption,
) -> None:
    """Export every canonical article as a Hexo post into a new or empty folder.

    A folder holding files already is refused (stale posts would mix with the new ones);
    `--clean` replaces an earlier export: it deletes DIR's posts first.
    """
    with open_warehouse(database_url) as engine:
        _prepare_folder(out_dir, clean)
        written = export_hexo(engine, out_dir, proxy)
    console.print(f"wrote {len(written)} {fmt.value} posts to {shown(out_dir)}", highlight=False)


def _prepare_folder(out_dir: Path, clean: bool) -> None:
    """Refuse a folder that is not empty; with ``clean``, empty a folder of posts."""
    if out_dir.exists() and not out_dir.is_dir():
        raise CliError(f"{out_dir} is a file, not a folder", USAGE)
    entries = sorted(out_dir.iterdir()) if out_dir.is_dir() else []
    if not entries:
        return
    if not clean:
        raise CliError(
            f"{out_dir} is not empty ({len(entries)} entries): export into a new or empty "
            "folder, or add --clean to replace the posts of an earlier export",
            USAGE,
        )
    others = [entry.name for entry in entries if not (entry.is_file() and entry.suffix == ".md")]
    if others:
        raise CliError(
            f"--clean only replaces a folder of exported posts (.md files); {out_dir} also "
            f"holds {', '.join(others[:3])}{' …' if len(others) > 3 else ''}: "
            "choose another folder",
            USAGE,
        )
    for entry in entries:
        entry.unlink()
