"""The ``newsetl`` Typer application that every command module registers on.

Its root group turns any error a command lets through into one line on stderr (see
:mod:`newsetl.cli.errors`) with exit code 2 for usage errors and 1 for failures; ``--debug``
(or ``NEWSETL_DEBUG=1``) shows the traceback instead.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError
from typer.core import TyperGroup
from typer.exceptions import Abort, Exit

from newsetl.cli.output import err_console


class NewsetlGroup(TyperGroup):
    """The root command: runs a subcommand and reports its errors in one line."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Click's usage errors (a missing argument, an unknown option) in one line too."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except NoArgsIsHelpError as error:
            error.show()
            sys.exit(error.exit_code)
        except ClickException as error:
            context = getattr(error, "ctx", None)
            hint = f" (`{context.command_path} --help` shows how)" if context else ""
            say(f"Error: {error.format_message()}{hint}")
            sys.exit(error.exit_code)
        except Abort:
            say("Aborted.")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (ClickException, Exit, Abort, BrokenPipeError):
            raise  # click's own handling (a closed pipe, e.g. `| head`, ends quietly)
        except Exception as error:
            if ctx.params.get("debug"):
                raise
            from newsetl.cli.errors import explain  # SQLAlchemy: not for light commands

            message, code = explain(error)
            say(f"Error: {message}")
            raise Exit(code) from None


def say(line: str) -> None:
    """One line on stderr, as it is (no markup, no wrapping)."""
    err_console.print(line, markup=False, highlight=False, soft_wrap=True)


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
