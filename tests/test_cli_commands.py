"""The console script imports only the module of the command it runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import typer

from newsetl.cli import COMMANDS, register_commands
from schemas.db import make_engine
from schemas.migrate import upgrade


def test_every_command_is_mapped_to_the_module_that_registers_it() -> None:
    group = typer.main.get_command(register_commands())
    registered = {}
    for name, command in group.commands.items():
        callback = command.callback or next(iter(command.commands.values())).callback
        registered[name] = callback.__module__.removeprefix("newsetl.cli.")
    assert registered == COMMANDS


def test_one_command_imports_its_module_alone() -> None:
    main = "from newsetl.cli import main; main()"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", main, "etl", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "etl [OPTIONS]" in done.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert "newsetl.cli.warehouse" in imported  # what the etl command imports
    assert not imported & {"newsetl.cli.crawl", "newsetl.cli.files", "scrapy"}


def test_an_etl_run_with_nothing_to_do_imports_no_validation_library(tmp_path: Path) -> None:
    """pandas and Great Expectations (≈ 1 s and 3–5 s to import) wait for a batch: not in
    the command's process (its validation process, started first thing, is stopped)."""
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    upgrade(make_engine(url))
    report = (
        "import atexit, sys; atexit.register(lambda: print('loaded:', "
        "[m for m in ('etl.pipeline', 'pandas', 'great_expectations') if m in sys.modules], "
        "file=sys.stderr)); from newsetl.cli import main; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", report, "etl", "--database-url", url],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "read" in done.stdout
    assert "loaded: ['etl.pipeline']" in done.stderr
