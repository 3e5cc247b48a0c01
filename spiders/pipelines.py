"""The landing pipeline: every :class:`~schemas.items.FetchedPage` goes to ``raw_document``
(raw bytes kept once, compressed, idempotent); the run itself is a ``pipeline_run`` row
(kind ``crawl``, with the Airflow run id when Airflow started it) closed with the crawl's
counts. A copy of the items in a file is Scrapy's feed export (``newsetl crawl -o``).

The warehouse must exist and be migrated (``newsetl db upgrade``); the pipeline refuses to
start otherwise, so a crawl never writes into a half-made database.
"""

from __future__ import annotations

import asyncio
import os
from datetime import datetime
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from sqlalchemy.exc import SQLAlchemyError

from schemas.db import make_engine, session_scope
from schemas.items import FetchedPage
from schemas.landing import ensure_source, finish_run, land, start_run
from schemas.migrate import require_current
from schemas.models import PipelineRun
from schemas.runs import AIRFLOW_RUN_ENV
from spiders.drift import MAX_MISSING_SHARE, drift_message
from spiders.publishers import canonical_url
from spiders.spiders.base import ERROR, FAILED_ARTICLES


def crawl_counts(stats: dict[str, Any]) -> dict[str, Any]:
    """The summary counts of one crawl, from its Scrapy stats (in display order)."""
    return {
        "requests": stats.get("downloader/request_count", 0),
        "fetched": stats.get("downloader/response_count", 0),
        "items": stats.get("item_scraped_count", 0),
        "landed (new)": stats.get("newsetl/landed_new", 0),
        "landed (already there)": stats.get("newsetl/landed_existing", 0),
        "skipped (already landed)": stats.get("newsetl/skipped/landed", 0),
        "skipped (deleted)": stats.get("newsetl/skipped/deleted", 0),
        "skipped (other)": stats.get("newsetl/skipped", 0)
        - stats.get("newsetl/skipped/landed", 0)
        - stats.get("newsetl/skipped/deleted", 0),
        "blocked": stats.get("newsetl/blocked", 0),
        "errors": stats.get("newsetl/error", 0),
        "failed article pages": stats.get(FAILED_ARTICLES, 0),
        "retries": stats.get("retry/count", 0),
    }


def crawl_failed(stats: dict[str, Any]) -> bool:
    """A crawl failed when it did not finish normally, a page could not be landed, or not
    one page answered 2xx/3xx."""
    if stats.get("finish_reason") != "finished" or "newsetl/run_id" not in stats:
        return True
    if stats.get("newsetl/error/landing"):
        return True
    answered = sum(
        value
        for key, value in stats.items()
        if key.startswith("downloader/response_status_count/") and key[-3] in "23"
    )
    return answered == 0


def crawl_status(stats: dict[str, Any]) -> str:
    """``failed`` (see :func:`crawl_failed`), ``degraded`` when the layout drifted (see
    :mod:`spiders.drift`), ``partial`` when article pages failed for good (errors after
    retries, blocks, unreadable text: nothing landed for them), else ``success``."""
    if crawl_failed(stats):
        return "failed"
    if stats.get("newsetl/drift"):
        return "degraded"
    return "partial" if stats.get(FAILED_ARTICLES) else "success"


class LandingPipeline:
    """Lands fetched pages in batches of ``NEWSETL_LANDING_BATCH`` per transaction."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.engine = make_engine(settings.get("NEWSETL_DATABASE_URL"))
        self.batch_size = max(1, settings.getint("NEWSETL_LANDING_BATCH", 100))
        self.max_missing = settings.getfloat("NEWSETL_DRIFT_MAX_MISSING", MAX_MISSING_SHARE)
        self.airflow_run_id = settings.get("NEWSETL_AIRFLOW_RUN_ID") or os.environ.get(
            AIRFLOW_RUN_ENV
        )
        self.buffer: list[FetchedPage] = []
        self.run_id: int | None = None
        self._flushing = asyncio.Lock()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LandingPipeline:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        spider = self.crawler.spider
        require_current(self.engine)
        with session_scope(self.engine) as session:
            ensure_source(session, spider.source_slug)
            run = start_run(session, "crawl", spider.name, airflow_run_id=self.airflow_run_id)
            self.run_id = run.id
        self.crawler.stats.set_value("newsetl/run_id", self.run_id)

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, FetchedPage):
            article = item.article
            if article is not None and article.canonical_url is None:
                article.canonical_url = canonical_url(article.url)
            self.buffer.append(item)
            if len(self.buffer) >= self.batch_size:
                await self.flush()
        return item

    async def flush(self) -> None:
        """Write the buffered pages in one transaction (in a worker thread, so downloads go
        on meanwhile); one flush at a time."""
        async with self._flushing:
            if not self.buffer:
                return
            pages, self.buffer = self.buffer, []
            try:
                landed = await asyncio.to_thread(self._land, pages)
            except SQLAlchemyError as error:
                spider = self.crawler.spider
                reason = f"{type(error).__name__}: {error}"[:300]
                for page in pages:
                    spider.note(ERROR, "landing", page.url, reason)
                raise
            for new in landed:
                key = "newsetl/landed_new" if new else "newsetl/landed_existing"
                self.crawler.stats.inc_value(key)

    def _land(self, pages: list[FetchedPage]) -> list[bool]:
        """Land pages in one transaction; returns which of them are new."""
        landed: list[bool] = []
        with session_scope(self.engine) as session:
            for page in pages:
                _, new = land(
                    session,
                    source=page.source,
                    url=page.url,
                    raw_body=page.body,
                    item=page.article,
                    run_id=self.run_id,
                    http_status=page.status,
                    encoding=page.encoding,
                    fetched_at=datetime.fromisoformat(page.fetched_at) if page.fetched_at else None,
                )
                landed.append(new)
        return landed

    async def close_spider(self) -> None:
        await self.flush()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Close the run with the crawl's counts and the URLs of its problems."""
        if self.run_id is None:
            return
        stats = dict(self.crawler.stats.get_stats())
        stats["finish_reason"] = reason
        counts: dict[str, Any] = crawl_counts(stats)
        counts["detail"] = {
            k: v for k, v in stats.items() if k.startswith("newsetl/") and isinstance(v, int)
        }
        counts["problems"] = getattr(spider, "problems", [])
        message = f"finish reason: {reason}"
        tally = getattr(spider, "fields", None)
        alarms = tally.drift(self.max_missing) if tally is not None else []
        if tally is not None:
            counts["fields"] = tally.counts()
        if alarms:
            counts["drift"] = alarms
            message = f"{drift_message(alarms)}; {message}"
            self.crawler.stats.set_value("newsetl/drift", drift_message(alarms))
            stats["newsetl/drift"] = drift_message(alarms)
        with session_scope(self.engine) as session:
            run = session.get(PipelineRun, self.run_id)
            finish_run(
                session,
                run,
                counts,
                status=crawl_status(stats),
                message=message,
            )
        self.engine.dispose()
