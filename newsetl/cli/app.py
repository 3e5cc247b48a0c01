"""The ``newsetl`` Typer application that every command module registers on."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="newsetl",
    help="Collect Chinese news articles, clean, validate and deduplicate them into a warehouse.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

DatabaseOption = typer.Option(
    None,
    "--database-url",
    envvar="NEWSETL_DATABASE_URL",
    help="Warehouse URL (default sqlite:///data/warehouse.db).",
    show_envvar=True,
)
