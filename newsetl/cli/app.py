"""The ``newsetl`` Typer application that every command module registers on.

Its root group turns any error a command lets through into one line on stderr (see
:mod:`newsetl.cli.errors`) with exit code 2 for usage errors and 1 for failures; ``--debug``
(or ``NEWSETL_DEBUG=1``) shows the traceback instead.
"""

from __future__ import annotations

from typing import Any

import typer
from typer._click.exceptions import ClickException
from typer.core import TyperGroup
from typer.exceptions import Abort, Exit

from newsetl.cli.errors import explain
from newsetl.cli.output import err_console


class NewsetlGroup(TyperGroup):
    """The root command: runs a subcommand and reports its errors in one line."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (ClickException, Exit, Abort, BrokenPipeError):
            raise  # click's own handling (a closed pipe, e.g. `| head`, ends quietly)
        except Exception as error:
            if ctx.params.get("debug"):
                raise
            message, code = explain(error)
            err_console.print(f"Error: {message}", markup=False, highlight=False, soft_wrap=True)
            raise Exit(code) from None


app = typer.Typer(
    name="newsetl",
    cls=NewsetlGroup,
    help="Collect Chinese news articles, clean, validate and deduplicate them into a warehouse.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def root_options(
    debug: bool = typer.Option(
        False,
        "--debug",
        envvar="NEWSETL_DEBUG",
        help="Show the traceback of an error instead of one line.",
    ),
) -> None:
    """Collect Chinese news articles, clean, validate and deduplicate them into a warehouse."""


DatabaseOption = typer.Option(
    None,
    "--database-url",
    metavar="URL",
    envvar="NEWSETL_DATABASE_URL",
    help="Warehouse URL (default sqlite:///data/warehouse.db).",
    show_envvar=True,
)
