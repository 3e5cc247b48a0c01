"""Terminal output shared by the commands: summary tables and result sets."""

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

from newsetl.cli.markup import shown

console = Console()
err_console = Console(stderr=True)


class OutputFormat(StrEnum):
    """How result sets are printed."""

    table = "table"
    csv = "csv"
    json = "json"


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


def summary_table(title: str, counts: Mapping[str, Any], header: str = "count") -> Table:
    """A two-column table of counts, in the order given."""
    table = Table(title=shown(title), title_justify="left")
    table.add_column("stage")
    table.add_column(header, justify="right")
    for name, value in counts.items():
        if isinstance(value, Mapping):
            table.add_row(shown(name), str(sum(v for v in value.values() if isinstance(v, int))))
            for detail, count in value.items():
                table.add_row(f"  {shown(detail)}", shown(count), style="dim")
        else:
            table.add_row(shown(name), shown(value))
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


def print_rows(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], fmt: OutputFormat, title: str = ""
) -> int:
    """Print a result set as a table, CSV or JSON lines; returns the number of rows."""
    count = 0
    if fmt is OutputFormat.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_plain(v) for v in row])
            count += 1
    elif fmt is OutputFormat.json:
        records = [dict(zip(columns, map(_plain, row), strict=True)) for row in rows]
        count = len(records)
        sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
    else:
        table = Table(title=title or None, title_justify="left")
        for column in columns:
            table.add_column(shown(column))
        for row in rows:
            table.add_row(*("" if v is None else shown(_plain(v)) for v in row))
            count += 1
        console.print(table)
    return count
