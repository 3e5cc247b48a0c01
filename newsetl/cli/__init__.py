"""The ``newsetl`` command line: each module registers its commands on ``app``.

Command modules import what their commands need (Scrapy, pandas, Great Expectations,
SQLAlchemy): all eight together take about 3 s, one 0.1-2 s. So they are imported on
demand: ``newsetl.cli.app`` (the attribute) registers every command, while the console
script running one command (``newsetl etl …``) imports only that command's module; the
root help, an unknown command or a root option before the command register them all.
"""

from __future__ import annotations

import importlib
import sys

import typer

from newsetl.cli import app as _app_module

# The import above bound the submodule as this package's ``app`` attribute: drop it, so that
# ``from newsetl.cli import app`` goes through ``__getattr__`` and gets every command.
del app  # noqa: F821

# command → the module that registers it (a test holds this to what the modules register)
COMMANDS = {
    "crawl": "crawl", "run": "crawl", "db": "db", "demo": "demo", "etl": "etl",
    "extract": "extract", "import": "files", "export": "files", "query": "query",
    "report": "report",
}  # fmt: skip
COMMAND_MODULES = tuple(dict.fromkeys(COMMANDS.values()))


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
    if command in COMMANDS:
        importlib.import_module(f"newsetl.cli.{COMMANDS[command]}")
        _app_module.app()
        return
    register_commands()()
