"""The ``newsetl`` command line: each module registers its commands on ``app``."""

from __future__ import annotations

from newsetl.cli import db  # noqa: F401  (registers commands)
from newsetl.cli.app import app


def main() -> None:
    """Entry point of the ``newsetl`` console script."""
    app()
