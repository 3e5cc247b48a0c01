"""Scrapy settings of every newsetl spider: polite by default, landing into the warehouse.

Override any of them with ``-s NAME=VALUE`` (``scrapy crawl`` and ``newsetl crawl``). The
newsetl-specific ones:

``NEWSETL_DATABASE_URL``  warehouse URL (default: ``$NEWSETL_DATABASE_URL``, else local SQLite)
``NEWSETL_LANDING_BATCH`` items written per database transaction
``NEWSETL_BACKOFF_BASE``  first back-off (seconds) after a 5xx, 429, WAF page or timeout;
                          doubles on each retry of the same request
``NEWSETL_BACKOFF_MAX``   longest back-off; a ``Retry-After`` header is honoured up to it
``NEWSETL_DRIFT_MAX_MISSING`` share of a parser version's article pages that may lack the
                          title or the body before the run ends ``degraded`` (layout drift)
``NEWSETL_REDIS_URL``     when set (default: ``$NEWSETL_REDIS_URL``), the crawl's frontier
                          lives in Redis, shared by every process crawling the same spider
                          (see :mod:`spiders.frontier`)
``NEWSETL_FRONTIER``      prefix of the frontier's Redis keys (default ``newsetl``)
``NEWSETL_FRONTIER_STALE`` seconds without a heartbeat after which a crawling process is
                          taken for dead
"""

from __future__ import annotations

import os

from spiders.drift import MAX_MISSING_SHARE

BOT_NAME = "newsetl"
SPIDER_MODULES = ["spiders.spiders"]
NEWSPIDER_MODULE = "spiders.spiders"

USER_AGENT = os.environ.get(
    "NEWSETL_USER_AGENT", "newsetl/0.1 (+https://github.com/newsetl/newsetl; news research crawler)"
)
ROBOTSTXT_OBEY = True

CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
DOWNLOAD_TIMEOUT = 30
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0

RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 5
# News pages are small; anything bigger is not an article and is dropped with a reason.
DOWNLOAD_MAXSIZE = 4 * 1024 * 1024
DOWNLOAD_WARNSIZE = 1024 * 1024

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "spiders.middlewares.SharedRobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "spiders.middlewares.BackoffRetryMiddleware": 550,
    "spiders.middlewares.RedirectLoopMiddleware": 610,
}
ITEM_PIPELINES = {"spiders.pipelines.LandingPipeline": 300}
# Items and requests of one response processed in parallel. Landing is synchronous, so more
# buys nothing, and Scrapy starts this many tasks for every response (100 by default).
CONCURRENT_ITEMS = 8

# The landing pipeline runs its transactions with asyncio.to_thread: asyncio reactor only.
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# News pages need no session, and a crawler that keeps the WAF's challenge cookie is asking
# to be treated as a browser. Off, Scrapy's cookie middleware also never fetches the public
# suffix list from the network (tldextract does so on first use).
COOKIES_ENABLED = False

REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
HTTPCACHE_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"

NEWSETL_DATABASE_URL = None
NEWSETL_LANDING_BATCH = 100
NEWSETL_BACKOFF_BASE = 2.0
NEWSETL_BACKOFF_MAX = 60.0
NEWSETL_DRIFT_MAX_MISSING = MAX_MISSING_SHARE
NEWSETL_REDIS_URL = os.environ.get("NEWSETL_REDIS_URL") or None
NEWSETL_FRONTIER = os.environ.get("NEWSETL_FRONTIER")  # None: spiders.frontier.DEFAULT_PREFIX
NEWSETL_FRONTIER_STALE = 120.0
# Switches the scheduler and fingerprint filter to Redis when NEWSETL_REDIS_URL is set.
ADDONS = {"spiders.frontier.SharedFrontier": 0}
