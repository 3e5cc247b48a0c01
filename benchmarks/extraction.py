"""Extraction accuracy on pages with known fields, per parser and per field.

    .venv/bin/python -m benchmarks.extraction --corpus ../shared/realpages/rmrb_2026_q2.xml.gz
    .venv/bin/python -m benchmarks.extraction --corpus DIR

A corpus is one of two kinds, told apart by its path:
- a feed file (``.xml`` or ``.xml.gz``) whose items carry a site's real article blocks with
  their known fields: scored by :mod:`benchmarks.extraction_sites`;
- a folder of labelled pages (each page beside its expected fields): scored by
  :mod:`benchmarks.extraction_generic`, newsetl beside public extractors on the same pages.

Each scorer prints its table and returns its figures; all of them are written to
``benchmarks/out/extraction.json``.

Run it as a module from the repository root: as a script, this file's folder would lead
``sys.path`` and its name would hide the ``etl`` package.
"""

from __future__ import annotations

import argparse
import importlib
import json
from pathlib import Path

from rich.console import Console

OUT = Path(__file__).parent / "out" / "extraction.json"


def scorer_for(corpus: Path) -> str:
    """The module that scores ``corpus``: site parsers for feed files, generic otherwise."""
    if corpus.is_file() and corpus.name.endswith((".xml", ".xml.gz")):
        return "benchmarks.extraction_sites"
    return "benchmarks.extraction_generic"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--corpus", type=Path, action="append", required=True, help="feed file or folder"
    )
    args = parser.parse_args()
    console = Console()
    results = {}
    for corpus in args.corpus:
        if not corpus.exists():
            parser.error(f"no corpus at {corpus}")
        scorer = importlib.import_module(scorer_for(corpus))
        results[str(corpus)] = scorer.evaluate(corpus, console)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    console.print(f"figures written to {OUT}")


if __name__ == "__main__":
    main()
