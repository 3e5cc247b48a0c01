"""Terminal output shared by the commands: one vocabulary of counts, summary tables,
progress, and result sets.

Summaries say what *this* run did; warehouse totals, where shown, are labelled as such.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from newsetl.cli.markup import CONTROL, shown

console = Console()
err_console = Console(stderr=True)

# The ETL's counts (keys of ``pipeline_run.counts``) as every summary prints them, in order.
ETL_LABELS = {
    "read": "read",
    "cleaned": "cleaned",
    "rejected": "rejected",
    "superseded": "superseded (older version)",
    "exact_duplicates": "exact duplicates",
    "near_duplicates": "near duplicates",
    "loaded": "loaded (new)",
    "updated": "updated",
    "unchanged": "unchanged",
    "unsafe_urls_dropped": "unsafe image URLs dropped",
}
# The columns of a crawl's progress and per-source summaries: keys of
# ``spiders.pipelines.crawl_counts`` (the ``skipped (…)`` kinds summed under ``skipped``).
CRAWL_COLUMNS = ("fetched", "landed (new)", "skipped", "blocked", "errors")


class OutputFormat(StrEnum):
    """How result sets are printed (``auto``: a table on a terminal, else TSV)."""

    auto = "auto"
    table = "table"
    tsv = "tsv"
    csv = "csv"
    json = "json"


def crawl_columns(counts: Mapping[str, Any]) -> dict[str, int]:
    """A crawl's counts (``crawl_counts``) reduced to :data:`CRAWL_COLUMNS`."""
    skipped = sum(v for k, v in counts.items() if k.startswith("skipped") and isinstance(v, int))
    return {key: skipped if key == "skipped" else counts.get(key, 0) for key in CRAWL_COLUMNS}


def etl_rows(counts: Mapping[str, Any]) -> dict[str, Any]:
    """An ETL run's counts as summary rows; the rejection reasons right under ``rejected``."""
    rows: dict[str, Any] = {}
    for key, label in ETL_LABELS.items():
        rows[label] = counts.get(key, 0)
        if key == "rejected":
            for reason, n in counts.get("rejected_by_reason", {}).items():
                rows[f"  {reason}"] = n
    return rows


def progress_bar() -> Progress:
    """The progress bar every long-running command shows (on stderr)."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )


def summary_table(
    title: str, counts: Mapping[str, Any], header: str = "this run", label: str = "count"
) -> Table:
    """A two-column table of counts, in the order given; indented names are details."""
    table = Table(title=shown(title), title_justify="left")
    table.add_column(label)
    table.add_column(header, justify="right")
    for name, value in counts.items():
        table.add_row(shown(name), shown(value), style="dim" if name.startswith(" ") else None)
    return table


def _plain(value: Any) -> Any:
    """A value as JSON and CSV print it: ISO dates, text, PostgreSQL numerics as numbers."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _cell(value: Any) -> str:
    """A value as one table or TSV cell: empty for NULL, line breaks and tabs as spaces,
    other control characters as ``�``."""
    return "" if value is None else CONTROL.sub("\ufffd", " ".join(str(_plain(value)).split()))


def print_rows(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], fmt: OutputFormat, title: str = ""
) -> int:
    """Print a result set; returns the number of rows.

    ``auto`` is a table on a terminal and TSV otherwise (a pipe, a file). A table never
    splits a row: long values are cut with an ellipsis to fit the terminal.
    """
    if fmt is OutputFormat.auto:
        fmt = OutputFormat.table if console.is_terminal else OutputFormat.tsv
    count = 0
    if fmt in (OutputFormat.csv, OutputFormat.tsv):
        dialect = "excel" if fmt is OutputFormat.csv else "excel-tab"
        writer = csv.writer(sys.stdout, dialect=dialect, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(v) if fmt is OutputFormat.tsv else _plain(v) for v in row])
            count += 1
    elif fmt is OutputFormat.json:
        records = [dict(zip(columns, map(_plain, row), strict=True)) for row in rows]
        count = len(records)
        sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
    else:
        table = Table(title=title or None, title_justify="left")
        for column in columns:
            table.add_column(shown(column), min_width=3)  # columns shrink to fit the terminal
        for row in rows:  # cells do not wrap: what does not fit ends in an ellipsis
            table.add_row(*(Text(_cell(v), no_wrap=True, overflow="ellipsis") for v in row))
            count += 1
        console.print(table)
    return count
