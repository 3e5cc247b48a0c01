"""Shared crawls: 1, 2 and 3 ``newsetl crawl zaker`` processes sharing one Redis frontier
against a generated local site, each process count a fresh warehouse and frontier.

    .venv/bin/python -m benchmarks.crawl_distributed --redis redis://127.0.0.1:6379/0 \\
        [--articles 3000] [--runs 3] [--delay 0] [--postgres postgresql://…/db]

For every run it checks what the issue asks: every page fetched exactly once (the site
server counts requests per path), every article landed, no duplicate ``raw_document``. The
rate is article pages landed over the crawl's span in the warehouse (first ``pipeline_run``
started to last finished: Python start-up excluded), the median of ``--runs``; ratios are to
one process in the same run. ``--delay`` is Scrapy's ``DOWNLOAD_DELAY`` per process: 0 is
unthrottled (CPU-bound), a polite delay is what a real crawl waits for. Writes
``benchmarks/out/crawl_distributed.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import func, select

from benchmarks.etl import Warehouse
from newsetl.demo.generated import PER_LIST, build_site
from newsetl.demo.server import SiteServer
from schemas.db import make_engine
from schemas.migrate import upgrade
from schemas.models import PipelineRun, RawDocument

OUT = Path(__file__).with_name("out")
COMMAND = [sys.executable, "-c", "from newsetl.cli import main; main()", "crawl", "zaker"]


def crawl(processes: int, site: SiteServer, url: str, redis: str, delay: float) -> dict[str, Any]:
    """Run ``processes`` crawls of one frontier to the end; what they fetched and landed."""
    env = dict(
        os.environ,
        NEWSETL_DATABASE_URL=url,
        NEWSETL_ZAKER_BASE_URL=site.site_url("zaker"),
        NEWSETL_REDIS_URL=redis,
        NEWSETL_FRONTIER=f"bench-{uuid.uuid4().hex[:8]}",
    )
    settings = {
        "AUTOTHROTTLE_ENABLED": "0",
        "DOWNLOAD_DELAY": str(delay),
        "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
        "LOG_FILE": os.devnull,
    }
    command = COMMAND + [f"-s{key}={value}" for key, value in settings.items()]
    site.hits.clear()
    running = [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(processes)
    ]
    codes = [process.wait() for process in running]
    engine = make_engine(url)
    with engine.connect() as connection:
        documents = connection.scalar(select(func.count()).select_from(RawDocument))
        distinct = connection.scalar(select(func.count(func.distinct(RawDocument.url))))
        span = connection.execute(
            select(func.min(PipelineRun.started_at), func.max(PipelineRun.finished_at))
        ).one()
        shares = connection.scalars(select(PipelineRun.counts)).all()
    engine.dispose()
    seconds = (span[1] - span[0]).total_seconds()
    pages = {path: n for path, n in site.hits.items() if path.startswith("/zaker/")}
    return {
        "exit_codes": codes,
        "pages_requested": sum(pages.values()),
        "pages_fetched_twice": sum(1 for n in pages.values() if n > 1),
        "raw_documents": documents,
        "duplicate_raw_documents": documents - distinct,
        "landed_per_process": sorted(c.get("landed (new)", 0) for c in shares),
        "seconds": seconds,
        "pages_per_second": documents / seconds if seconds else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", default=os.environ.get("NEWSETL_TEST_REDIS_URL"))
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--postgres", help="a PostgreSQL server URL (default: SQLite files)")
    options = parser.parse_args()
    if not options.redis:
        parser.error("give --redis URL (or set NEWSETL_TEST_REDIS_URL)")
    results: dict[int, list[dict[str, Any]]] = {n: [] for n in options.processes}
    with tempfile.TemporaryDirectory(prefix="newsetl-crawl-bench-") as tmp:
        work = Path(tmp)
        build_site(work / "sites", options.articles)
        backend = "postgresql" if options.postgres else "sqlite"
        warehouses = Warehouse(backend, options.postgres or "", work)
        try:
            with SiteServer(work / "sites") as site, Progress() as progress:
                bar = progress.add_task("crawls", total=options.runs * len(options.processes))
                for _ in range(options.runs):
                    for processes in options.processes:  # interleaved: load hits all alike
                        url = warehouses.new()  # a fresh warehouse for every crawl
                        engine = make_engine(url)
                        upgrade(engine)
                        engine.dispose()
                        run = crawl(processes, site, url, options.redis, options.delay)
                        results[processes].append(run)
                        progress.advance(bar)
        finally:
            warehouses.drop()
    lists = (options.articles + PER_LIST - 1) // PER_LIST
    expected_pages = options.articles + lists + 1  # articles, channel lists, home page
    backend = "PostgreSQL" if options.postgres else "SQLite"
    table = Table(
        title=f"{options.articles} articles, {backend}, DOWNLOAD_DELAY {options.delay} s, "
        f"median of {options.runs}",
        title_justify="left",
    )
    for column in ("processes", "pages/s", "× 1 process", "fetched once", "landed", "dupes"):
        table.add_column(column, justify="right")
    base = statistics.median(r["pages_per_second"] for r in results[options.processes[0]])
    summary = {}
    for processes, runs in results.items():
        rate = statistics.median(r["pages_per_second"] for r in runs)
        once = all(
            r["pages_fetched_twice"] == 0 and r["pages_requested"] == expected_pages for r in runs
        )
        landed = {r["raw_documents"] for r in runs}
        dupes = sum(r["duplicate_raw_documents"] for r in runs)
        table.add_row(
            str(processes),
            f"{rate:.0f}",
            f"{rate / base:.2f}",
            "yes" if once else "NO",
            "/".join(str(n) for n in sorted(landed)),
            str(dupes),
        )
        summary[processes] = {"pages_per_second": rate, "ratio": rate / base, "runs": runs}
    Console().print(table)
    OUT.mkdir(exist_ok=True)
    (OUT / "crawl_distributed.json").write_text(
        json.dumps({"options": vars(options), "results": summary}, indent=2, default=str),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
