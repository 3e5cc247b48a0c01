"""Crawl throughput: the ``zaker`` spider (full parsing and landing into SQLite) against a
local ZAKER-style site of many article pages, beside ``scrapy bench`` in the same run.

    .venv/bin/python -m benchmarks.crawl [--articles 5000]

Writes ``benchmarks/out/crawl.json`` and prints a table. Pages per second are responses
received divided by Scrapy's ``elapsed_time_seconds`` of each crawl (start-up excluded for
both). The spider runs with AutoThrottle off and no download delay, like ``scrapy bench``,
and Scrapy's default per-domain concurrency (8), robots.txt obeyed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from newsetl.demo.generated import build_site
from newsetl.demo.server import SiteServer
from schemas.db import make_engine
from schemas.migrate import upgrade

OUT = Path(__file__).with_name("out")
STAT_LINE = re.compile(r"'(response_received_count|elapsed_time_seconds)': ([0-9.]+)")


def _rate(log: str) -> dict[str, float]:
    stats = {key: float(value) for key, value in STAT_LINE.findall(log)}
    pages = stats.get("response_received_count", 0.0)
    seconds = stats.get("elapsed_time_seconds", 0.0)
    return {
        "pages": pages,
        "seconds": seconds,
        "pages_per_second": pages / seconds if seconds else 0,
    }


def run_spider(server: SiteServer, work: Path) -> dict[str, float]:
    url = f"sqlite:///{work / 'warehouse.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    env = dict(
        os.environ,
        NEWSETL_DATABASE_URL=url,
        NEWSETL_ZAKER_BASE_URL=server.site_url("zaker"),
    )
    settings = {
        "AUTOTHROTTLE_ENABLED": "0",
        "DOWNLOAD_DELAY": "0",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
        "LOG_LEVEL": "INFO",
    }
    command = [sys.executable, "-c", "from newsetl.cli import main; main()", "crawl", "zaker", "-v"]
    for key, value in settings.items():
        command += ["-s", f"{key}={value}"]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    result = _rate(done.stderr)
    result["wall_seconds"] = time.perf_counter() - started
    result["landed"] = float(re.findall(r"'newsetl/landed_new': (\d+)", done.stderr)[-1])
    return result


def run_bench() -> dict[str, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "bench", "-s", "LOG_LEVEL=INFO"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tempfile.gettempdir(),  # outside the project: bench's own settings
    )
    result = _rate(done.stderr)
    result["wall_seconds"] = time.perf_counter() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="newsetl-bench-") as tmp:
        work = Path(tmp)
        build_site(work / "sites", options.articles)
        bench = run_bench()
        with SiteServer(work / "sites") as server:
            spider = run_spider(server, work)
    ratio = spider["pages_per_second"] / bench["pages_per_second"]
    result = {"articles": options.articles, "spider": spider, "scrapy_bench": bench, "ratio": ratio}
    OUT.mkdir(exist_ok=True)
    (OUT / "crawl.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    table = Table(title=f"crawl benchmark ({options.articles} articles)", title_justify="left")
    for column in ("run", "pages", "seconds", "pages/s", "pages/min"):
        table.add_column(column, justify="left" if column == "run" else "right")
    for name, row in (("zaker spider + landing", spider), ("scrapy bench", bench)):
        rate = row["pages_per_second"]
        table.add_row(
            name, f"{row['pages']:.0f}", f"{row['seconds']:.1f}", f"{rate:.0f}", f"{rate * 60:.0f}"
        )
    Console().print(table)
    Console().print(f"spider / bench = {ratio:.2f} (target >= 0.8)")


if __name__ == "__main__":
    main()
