"""Live progress of running crawls: one row per source, redrawn from the Scrapy stats."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from scrapy.crawler import Crawler

from newsetl.cli.output import CRAWL_COLUMNS, crawl_columns, err_console


class CrawlProgress:
    """A renderable of the crawls being watched; Rich redraws it a few times a second."""

    def __init__(self) -> None:
        self.crawlers: dict[str, Crawler] = {}
        self.spinner = Spinner("dots")

    def watch(self, crawlers: dict[str, Crawler]) -> None:
        """Given to :func:`spiders.runner.run_crawls` as ``started``."""
        self.crawlers.update(crawlers)

    def _row(self, crawler: Crawler) -> list[Any]:
        from spiders.pipelines import crawl_counts

        collector = getattr(crawler, "stats", None)
        stats = dict(collector.get_stats()) if collector is not None else {}
        started = stats.get("start_time")
        ended = stats.get("finish_time") or datetime.now(UTC)
        elapsed = (ended - started).total_seconds() if started else 0
        reason = stats.get("finish_reason")
        state = self.spinner if crawler.crawling else (reason or "waiting")
        source = getattr(crawler.spidercls, "source_slug", crawler.spidercls.name)
        counts = crawl_columns(crawl_counts(stats))
        return [source, state, *(str(counts[c]) for c in CRAWL_COLUMNS), f"{elapsed:.0f}s"]

    def __rich__(self) -> Table:
        table = Table(title="crawling", title_justify="left")
        table.add_column("source", no_wrap=True)
        table.add_column("state", no_wrap=True)
        for column in CRAWL_COLUMNS:
            table.add_column(column, justify="right", no_wrap=True)
        table.add_column("time", justify="right", no_wrap=True)
        for crawler in self.crawlers.values():
            table.add_row(*self._row(crawler))
        return table


@contextmanager
def crawl_progress(show: bool = True) -> Iterator[CrawlProgress]:
    """Show crawl progress on stderr (a terminal only) while the block runs."""
    progress = CrawlProgress()
    if not show or not err_console.is_terminal:
        yield progress
        return
    with Live(progress, console=err_console, refresh_per_second=4, transient=True):
        yield progress
