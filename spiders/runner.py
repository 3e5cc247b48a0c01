"""Run spiders from Python: one :class:`~scrapy.crawler.CrawlerProcess` per call.

Twisted's reactor starts once per process, so :func:`run_crawls` can be called once per
process; callers that need several runs start ``newsetl crawl`` in a subprocess.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.spiderloader import get_spider_loader
from twisted.python.failure import Failure

SETTINGS_MODULE = "spiders.settings"


def project_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """The newsetl Scrapy settings with ``overrides`` on top (as ``-s`` would give them)."""
    settings = Settings()
    settings.setmodule(SETTINGS_MODULE, priority="project")
    settings.setdict(overrides or {}, priority="cmdline")
    return settings


def run_crawls(
    names: list[str],
    spider_args: dict[str, dict[str, str]] | None = None,
    settings: dict[str, Any] | None = None,
    started: Callable[[dict[str, Crawler]], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Run the named spiders together and return each one's Scrapy stats by name;
    ``started`` is given the crawlers by name once they are scheduled (to watch them).

    An unknown spider name is a ``KeyError`` before anything starts. A spider that could not
    start (bad argument, warehouse not migrated) has no ``finish_reason`` in its stats but
    ``newsetl/start_error`` with the reason; see :func:`spiders.pipelines.crawl_failed`.
    """
    process = CrawlerProcess(project_settings(settings))
    _refuse_unknown(names, process.spider_loader.list())
    crawlers: dict[str, Crawler] = {}
    start_errors: dict[str, str] = {}
    for name in names:
        crawler = process.create_crawler(name)
        crawlers[name] = crawler
        deferred = process.crawl(crawler, **(spider_args or {}).get(name, {}))
        deferred.addErrback(_keep_error, start_errors, name)
    if started is not None:
        started(crawlers)
    process.start()
    results: dict[str, dict[str, Any]] = {}
    for name, crawler in crawlers.items():
        stats = dict(crawler.stats.get_stats()) if name not in start_errors else {}
        if name in start_errors:
            stats["newsetl/start_error"] = start_errors[name]
        results[name] = stats
    return results


def check_arguments(name: str, spider_args: dict[str, str]) -> None:
    """Make spider ``name`` with ``spider_args`` once, without crawling: an unknown spider
    is a ``KeyError`` and a bad argument the spider's ``ValueError``, before anything starts."""
    loader = get_spider_loader(project_settings())
    _refuse_unknown([name], loader.list())
    loader.load(name)(**spider_args)


def _refuse_unknown(names: list[str], known: list[str]) -> None:
    unknown = [name for name in names if name not in known]
    if unknown:
        raise KeyError(f"unknown spider {', '.join(unknown)}; known: {', '.join(sorted(known))}")


def _keep_error(failure: Failure, errors: dict[str, str], name: str) -> None:
    errors[name] = f"{type(failure.value).__name__}: {failure.getErrorMessage()}"
