"""The console script imports only the module of the command it runs."""

from __future__ import annotations

import subprocess
import sys

import typer

from newsetl.cli import COMMANDS, register_commands


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
