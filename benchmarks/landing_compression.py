"""Landing zone compression: zstd levels on the demo sites' pages and on real pages, and what
migration 0007 does to a SQLite warehouse holding them.

    .venv/bin/python -m benchmarks.landing_compression [--realpages ../shared/realpages]

Each page is compressed on its own, as ``raw_document.raw_body`` stores it. Per corpus and
level: the ratio (raw bytes / stored bytes, summed over the pages) and compress and
decompress speed in MB/s of raw bytes (one thread, CPU time, median of ``--runs`` runs). The
warehouse part lands each corpus as plain bytes at revision 0006, measures the table, runs
the migration to head and measures again (``VACUUM`` before each measure). Writes
``benchmarks/out/landing_compression.json`` and prints a table and its markdown.

Run it as a module from the repository root: as a script, this file's folder would lead
``sys.path`` and ``benchmarks/etl.py`` would hide the ``etl`` package that migrations import.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import sqlalchemy as sa
import zstandard
from rich.console import Console
from rich.table import Table

from schemas.db import make_engine, session_scope
from schemas.landing import ensure_source
from schemas.migrate import upgrade
from schemas.types import ZSTD_LEVEL

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).with_name("out")
SITES = ROOT / "newsetl" / "demo" / "sites"
LEVELS = (1, 3, 6, 9, 19)
RUN_BYTES = 8_000_000
PAGE = '<html><head><meta charset="utf-8"></head><body>{block}</body></html>'
STORED = sa.table(
    "raw_document",
    sa.column("source_id", sa.Integer()),
    sa.column("url", sa.String()),
    sa.column("fetched_at", sa.DateTime(timezone=True)),
    sa.column("raw_body", sa.LargeBinary()),
    sa.column("content_hash", sa.String()),
)


def demo_pages() -> list[bytes]:
    """Every file the demo sites serve (HTML, feeds, list JSON), as served."""
    return [p.read_bytes() for p in sorted(SITES.rglob("*")) if p.is_file()]


def real_pages(folder: Path) -> list[bytes]:
    """The pages of ``folder``: HTML files as they are, feed corpora (``.xml``, ``.xml.gz``)
    one page per ``<item>``, its ``<description>`` block wrapped in a page as their README
    says."""
    pages: list[bytes] = []
    for path in sorted(folder.iterdir()):
        name = path.name.removesuffix(".gz")
        with gzip.open(path) if path.name.endswith(".gz") else path.open("rb") as handle:
            if name.endswith(".xml"):
                root = ElementTree.parse(handle).getroot()
                pages += [
                    PAGE.format(block=item.findtext("description") or "").encode()
                    for item in root.iter("item")
                ]
            elif name.endswith((".html", ".htm")):
                pages.append(handle.read())
    return pages


def measure(pages: list[bytes], level: int, runs: int) -> dict[str, float]:
    """Ratio and median compress / decompress MB/s of ``pages`` at ``level``: CPU time of
    this process (the machine is shared), each run passing over at least ``RUN_BYTES``."""
    compressor, decompressor = zstandard.ZstdCompressor(level=level), zstandard.ZstdDecompressor()
    raw = sum(map(len, pages))
    passes = max(1, -(-RUN_BYTES // raw))
    frames = [compressor.compress(page) for page in pages]
    assert [decompressor.decompress(frame) for frame in frames] == pages
    compress_s, decompress_s = [], []
    for _ in range(runs):
        started = time.process_time()
        for _ in range(passes):
            for page in pages:
                compressor.compress(page)
        compress_s.append(time.process_time() - started)
        started = time.process_time()
        for _ in range(passes):
            for frame in frames:
                decompressor.decompress(frame)
        decompress_s.append(time.process_time() - started)
    stored = sum(map(len, frames))
    return {
        "raw_bytes": raw,
        "stored_bytes": stored,
        "ratio": raw / stored,
        "compress_mb_s": raw * passes / 1e6 / statistics.median(compress_s),
        "decompress_mb_s": raw * passes / 1e6 / statistics.median(decompress_s),
    }


def table_size(path: Path) -> dict[str, int]:
    """After ``VACUUM``: the file's size, the bytes of raw_document's pages (``dbstat``) and
    the sum of ``length(raw_body)``."""
    with sqlite3.connect(path) as connection:
        connection.execute("VACUUM")
        (body,) = connection.execute("SELECT sum(length(raw_body)) FROM raw_document").fetchone()
        try:
            (pages,) = connection.execute(
                "SELECT sum(pgsize) FROM dbstat WHERE name = 'raw_document'"
            ).fetchone()
        except sqlite3.OperationalError:  # an SQLite built without dbstat
            pages = None
    connection.close()
    return {"file_bytes": path.stat().st_size, "table_bytes": pages, "raw_body_bytes": body}


def warehouse(pages: list[bytes], folder: Path, name: str) -> dict[str, Any]:
    """Land ``pages`` as plain bytes at revision 0006, then migrate to head; sizes before
    and after, and the migration's seconds."""
    path = folder / f"{name}.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine, "0006")
    with session_scope(engine) as session:
        source_id = ensure_source(session, "zaker").id
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(
            sa.insert(STORED),
            [
                {"source_id": source_id, "url": f"https://bench.test/{n}", "fetched_at": now,
                 "raw_body": page, "content_hash": hashlib.sha256(page).hexdigest()}
                for n, page in enumerate(pages)
            ],
        )  # fmt: skip
    engine.dispose()
    before = table_size(path)
    started = time.perf_counter()
    upgrade(engine)
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"pages": len(pages), "before": before, "after": table_size(path), "seconds": seconds}


def markdown(results: dict[str, dict[int, dict[str, float]]]) -> str:
    lines = [
        "| corpus | level | ratio | compress MB/s | decompress MB/s |",
        "|---|---:|---:|---:|---:|",
    ]
    for corpus, levels in results.items():
        for level, row in levels.items():
            lines.append(
                f"| {corpus} | {level} | {row['ratio']:.2f} | {row['compress_mb_s']:.0f} "
                f"| {row['decompress_mb_s']:.0f} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--realpages", type=Path, default=ROOT.parent / "shared" / "realpages")
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    corpora = {"demo sites": demo_pages(), "real pages": real_pages(options.realpages)}
    console = Console()
    for corpus, pages in corpora.items():
        raw = sum(map(len, pages))
        console.print(f"{corpus}: {len(pages)} pages, {raw / 1e6:.2f} MB, "
                      f"median {statistics.median(map(len, pages)) / 1e3:.1f} KB")  # fmt: skip
    results = {
        corpus: {level: measure(pages, level, options.runs) for level in LEVELS}
        for corpus, pages in corpora.items()
    }
    with tempfile.TemporaryDirectory(prefix="newsetl-bench-") as tmp:
        stored = {
            corpus: warehouse(pages, Path(tmp), f"w{n}")
            for n, (corpus, pages) in enumerate(corpora.items())
        }
    table = Table(title=f"zstd per page, median of {options.runs} runs", title_justify="left")
    for column in ("corpus", "level", "ratio", "compress MB/s", "decompress MB/s"):
        table.add_column(column, justify="left" if column == "corpus" else "right")
    for corpus, levels in results.items():
        for level, row in levels.items():
            table.add_row(
                corpus, str(level), f"{row['ratio']:.2f}", f"{row['compress_mb_s']:.0f}",
                f"{row['decompress_mb_s']:.0f}", style="bold" if level == ZSTD_LEVEL else None,
            )  # fmt: skip
    console.print(table)
    sizes = Table(title=f"SQLite warehouse, migration 0007 (level {ZSTD_LEVEL})")
    for column in ("corpus", "pages", "", "file", "raw_document", "sum(length(raw_body))"):
        sizes.add_column(column, justify="left" if column in ("corpus", "") else "right")
    for corpus, row in stored.items():
        for moment in ("before", "after"):
            size = row[moment]
            table_kb = "-" if size["table_bytes"] is None else f"{size['table_bytes'] / 1e3:.0f} KB"
            sizes.add_row(
                corpus, str(row["pages"]), moment, f"{size['file_bytes'] / 1e3:.0f} KB", table_kb,
                f"{size['raw_body_bytes'] / 1e3:.0f} KB",
            )  # fmt: skip
        console.print(f"{corpus}: migration took {row['seconds']:.2f} s")
    console.print(sizes)
    print(markdown(results))
    OUT.mkdir(exist_ok=True)
    (OUT / "landing_compression.json").write_text(
        json.dumps({"levels": results, "warehouse": stored}, indent=2), encoding="utf-8"
    )


if __name__ == "__main__":
    main()
