"""The ``newsetl`` command line: each module registers its commands on ``app``.

Command modules import what their commands need (Scrapy, pandas, Great Expectations,
SQLAlchemy), which takes more than a second. So they are imported on demand: ``newsetl.cli.app``
(the attribute) registers every command, while the console script running a light command
(``newsetl extract``) imports only that command's module.
"""

from __future__ import annotations

import importlib
import sys

import typer
from typer.core import TyperGroup

from newsetl.cli import app as _app_module

# The import above bound the submodule as this package's ``app`` attribute: drop it, so that
# ``from newsetl.cli import app`` goes through ``__getattr__`` and gets every command.
del app  # noqa: F821

COMMAND_MODULES = ("crawl", "db", "demo", "etl", "extract", "files", "query", "report")
LIGHT_COMMANDS = {"extract": "extract"}  # command → its module, which imports nothing heavy


def register_commands() -> typer.Typer:
    """Import every command module (each registers its commands) and return the app."""
    for module in COMMAND_MODULES:
        importlib.import_module(f"newsetl.cli.{module}")
    return _app_module.app


def __getattr__(name: str) -> typer.Typer:
    if name == "app":
        return register_commands()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Entry point of the ``newsetl`` console script."""
    command = sys.argv[1] if len(sys.argv) > 1 else None
    if command in LIGHT_COMMANDS:
        importlib.import_module(f"newsetl.cli.{LIGHT_COMMANDS[command]}")
        app = _app_module.app
        if isinstance(typer.main.get_command(app), TyperGroup):
            app()
        else:  # an app of one command runs it as the program itself
            app(args=sys.argv[2:], prog_name=f"newsetl {command}")
        return
    register_commands()()
