"""``newsetl query`` output: TSV (or CSV) for pipes and files, a table on a terminal that
never splits a row."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path

from rich.cells import cell_len

NEWSETL = Path(sys.executable).with_name("newsetl")
LONG = "多国专家：中国疫苗为全球抗疫注入信心，" * 6
SQL = f"SELECT '{LONG}' AS title, 'line one' || char(10) || 'two' || char(9) || 'x' AS note, 7 AS n"


def query(warehouse_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    sql = SQL if warehouse_url.startswith("sqlite") else SQL.replace("char(", "chr(")
    superuser = (
        [] if warehouse_url.startswith("sqlite") else ["--allow-superuser"]
    )  # tests log in as one
    return subprocess.run(
        [str(NEWSETL), "query", *superuser, *args, sql],
        env={**os.environ, "NEWSETL_DATABASE_URL": warehouse_url, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_piped_query_writes_tsv_one_line_per_row(warehouse_url: str) -> None:
    done = query(warehouse_url)
    assert done.stdout.splitlines() == ["title\tnote\tn", f"{LONG}\tline one two x\t7"]


def test_csv_keeps_values_as_they_are(warehouse_url: str) -> None:
    done = query(warehouse_url, "--format", "csv")
    assert list(csv.reader(io.StringIO(done.stdout))) == [
        ["title", "note", "n"],
        [LONG, "line one\ntwo\tx", "7"],
    ]


def test_a_terminal_table_cuts_long_values_instead_of_wrapping(warehouse_url: str) -> None:
    done = query(warehouse_url, TTY_COMPATIBLE="1", COLUMNS="80")  # auto: a terminal → table
    lines = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout).splitlines()  # without the styles
    rows = [line for line in lines if line.startswith("│")]
    assert len(rows) == 1  # the one row stays one line
    cells = [cell.strip() for cell in rows[0].strip().strip("│").split("│")]
    assert cells[0].endswith("…") and LONG.startswith(cells[0][:-1])
    assert cells[1:] == ["line one two x", "7"]
    assert all(cell_len(line) <= 80 for line in lines)  # CJK characters are two cells wide


def test_a_closed_pipe_ends_the_query_quietly(warehouse_url: str) -> None:
    rows = "SELECT n FROM (WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
    rows += "WHERE n < 100000) SELECT n FROM c) AS numbers"
    superuser = "" if warehouse_url.startswith("sqlite") else "--allow-superuser"
    done = subprocess.run(
        f'"{NEWSETL}" query {superuser} "{rows}" | head -2',
        shell=True,
        env={**os.environ, "NEWSETL_DATABASE_URL": warehouse_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.splitlines() == ["n", "1"]
    assert done.stderr == ""
