"""The ``newsetl`` command line: each module registers its commands on ``app``."""

from __future__ import annotations

from newsetl.cli import (
    crawl,  # noqa: F401  (registers commands)
    db,  # noqa: F401  (registers commands)
    demo,  # noqa: F401  (registers commands)
    etl,  # noqa: F401  (registers commands)
    extract,  # noqa: F401  (registers commands)
    files,  # noqa: F401  (registers commands)
    query,  # noqa: F401  (registers commands)
    report,  # noqa: F401  (registers commands)
)
from newsetl.cli.app import app


def main() -> None:
    """Entry point of the ``newsetl`` console script."""
    app()
