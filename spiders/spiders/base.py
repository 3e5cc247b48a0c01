"""What every newsetl spider shares: its source and base URL from the registry, incremental
crawling against the landing zone (one indexed query per list page), decoding, and counting
of everything that went wrong.

Subclasses set ``name`` and ``source_slug``, build requests with :meth:`NewsSpider.request`
and yield :meth:`NewsSpider.fetched_page` items. Spider arguments common to all:
``-a refresh=1`` fetches article pages again even when they are already landed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError, IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from sqlalchemy import Engine, Text, cast, select
from twisted.python.failure import Failure

from schemas.db import make_engine
from schemas.items import ArticleItem, FetchedPage
from schemas.models import RawDocument, Source
from schemas.sources import SourceConfig, get_source
from spiders.drift import REQUIRED_FIELDS, FieldTally, present
from spiders.encoding import bom_encoding, declared_encoding, header_encoding
from spiders.encoding import decode as decode_body
from spiders.middlewares import Blocked, RedirectLoop
from spiders.plausibility import implausible

# What the stats and ``pipeline_run.counts`` call each outcome; ``problems`` lists the URLs.
ERROR, BLOCKED, SKIPPED = "error", "blocked", "skipped"
MAX_PROBLEMS = 500
LANDED_CHUNK = 500  # URLs per landing-check query
LANDED_ANYWAY = {"charset"}  # error codes of pages that were still landed with their article
FAILED_ARTICLES = "newsetl/failed_articles"  # article pages that yielded no article


def truthy(value: Any) -> bool:
    """A spider argument as a flag: ``1``, ``true``, ``yes`` and ``on`` are true."""
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def now_iso() -> str:
    """The current time as ISO 8601 with zone (UTC): a page's ``fetched_at``."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def _after_prefix(url: str, prefix: str) -> str | None:
    """The part of ``url`` after ``prefix`` (scheme ignored), or None if it does not start so."""
    bare, bare_prefix = url.split("://", 1)[-1], prefix.rstrip("/").split("://", 1)[-1]
    if not bare.startswith(bare_prefix):
        return None
    rest = bare[len(bare_prefix) :]
    return rest if rest == "" or rest[0] in "/?#" else None


class NewsSpider(scrapy.Spider):
    """Base of the newsetl spiders; see the module docstring."""

    source_slug: ClassVar[str]

    def __init__(self, *args: Any, refresh: str = "0", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.source: SourceConfig = get_source(self.source_slug)
        base = self.source.start_url
        if not base:
            raise ValueError(
                f"source {self.source_slug!r} has no base_url: set it in sources.yml or "
                f"NEWSETL_{self.source_slug.upper().replace('-', '_')}_BASE_URL"
            )
        self.base_url = base.rstrip("/")
        self.local_copy = self.base_url != (self.source.base_url or "").rstrip("/")
        self.allowed_domains = [urlsplit(self.base_url).hostname or ""]
        self.refresh = truthy(refresh)
        self.problems: list[dict[str, str]] = []
        self.fields = FieldTally()
        self._engine: Engine | None = None  # the landing check's, opened on first use
        self._articles: set[str] = set()  # article pages requested by this crawl
        self._undecodable: set[str] = set()  # pages whose text is not readable

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.request_scheduled, signal=signals.request_scheduled)
        return spider

    # -- incremental crawling -------------------------------------------------------------

    def to_fetch(self, urls: Iterable[str]) -> set[str]:
        """The article pages among ``urls`` to request: all of them with ``refresh`` on,
        else those not landed with an article yet (a page landed without one, its text
        unreadable, is fetched again). One indexed query per call, a list page's links at
        a time, so no crawl holds the source's landed URLs in memory; skips are counted."""
        wanted = list(dict.fromkeys(urls))
        landed = set() if self.refresh else self._landed_among(wanted)
        for url in wanted:
            if url in landed:
                self.note(SKIPPED, "landed", url)
            else:
                self._articles.add(url)
        return set(wanted) - landed

    def _landed_among(self, urls: list[str]) -> set[str]:
        if self._engine is None:
            self._engine = make_engine(self.settings.get("NEWSETL_DATABASE_URL"))
        found: set[str] = set()
        with self._engine.connect() as connection:
            for start in range(0, len(urls), LANDED_CHUNK):
                found.update(
                    connection.scalars(
                        select(RawDocument.url)
                        .join(Source, Source.id == RawDocument.source_id)
                        .where(Source.slug == self.source_slug)
                        .where(RawDocument.url.in_(urls[start : start + LANDED_CHUNK]))
                        .where(RawDocument.item.is_not(None))
                        .where(cast(RawDocument.item, Text) != "null")
                    )
                )
        return found

    def closed(self, reason: str) -> None:
        """Let go of the landing check's database connections."""
        if self._engine is not None:
            self._engine.dispose()

    # -- URLs: the real site and its local copy -------------------------------------------

    def on_site(self, url: str) -> str:
        """``url`` moved onto the crawled copy when it points at the real site.

        Pages link to the real host (``//www.myzaker.com/...``); when the base URL is
        overridden (a local copy), such links are rewritten onto it.
        """
        real = self.source.base_url
        if not real or not self.local_copy:
            return url
        rest = _after_prefix(url, real)
        return url if rest is None else self.base_url + rest

    def canonical(self, url: str) -> str:
        """``url`` as it is on the real site (the inverse of :meth:`on_site`)."""
        real = self.source.base_url
        rest = _after_prefix(url, self.base_url)
        return real.rstrip("/") + rest if real and rest is not None else url

    # -- requests, pages and problems -----------------------------------------------------

    def request(self, url: str, callback: Any, **kwargs: Any) -> scrapy.Request:
        """A request whose failures are counted by :meth:`errback` (or ``errback=``)."""
        kwargs.setdefault("errback", self.errback)
        return scrapy.Request(url, callback=callback, **kwargs)

    def note(self, kind: str, code: str, url: str, detail: str = "") -> None:
        """Count an outcome (``error``, ``blocked``, ``skipped``) in the crawl's stats.

        Errors, blocks and skips other than already-landed pages are also listed with their
        URL and reason in ``self.problems`` (and so in ``pipeline_run.counts``).
        """
        stats = self.crawler.stats
        stats.inc_value(f"newsetl/{kind}")
        stats.inc_value(f"newsetl/{kind}/{code}")
        if kind != SKIPPED and code not in LANDED_ANYWAY and url in self._articles:
            self._articles.discard(url)  # counted once, whatever else goes wrong with it
            stats.inc_value(FAILED_ARTICLES)
        if code == "landed":
            return
        reason = f"{code}: {detail}" if detail else code
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append({"kind": kind, "url": url, "reason": reason})
        level = logging.INFO if kind == SKIPPED else logging.WARNING
        self.logger.log(level, "%s %s (%s)", kind, url, reason)

    def usable(
        self, version: str, url: str, item: ArticleItem, fill: ArticleItem | None = None
    ) -> bool:
        """Count an article page as parser ``version`` read it, for the drift alarm
        (:mod:`spiders.drift`); then fill its empty title from ``fill`` (what a list or
        feed said of it). One still without title or body is counted as a ``parse`` error
        with its URL and is not to be landed."""
        self.fields.observe(version, url, item)
        if fill is not None:
            item.title = item.title or fill.title
        lacking = [name for name in REQUIRED_FIELDS if not present(item, name)]
        if lacking:
            self.note(ERROR, "parse", url, f"{version} found no {' and '.join(lacking)}")
        return not lacking

    def errback(self, failure: Failure) -> None:
        """Count a request that produced no usable response, with its reason."""
        request = getattr(failure, "request", None)
        # the URL asked for, before any redirect
        url = (request.meta.get("redirect_urls") or [request.url])[0] if request else "?"
        error = failure.value
        if isinstance(error, Blocked):
            self.note(BLOCKED, error.reason, url, "still refused after retries")
        elif isinstance(error, HttpError):
            self.note(ERROR, f"http_{error.response.status}", url)
        elif isinstance(error, RedirectLoop):
            self.note(ERROR, "redirect_loop", url, str(error))
        elif isinstance(error, IgnoreRequest):
            message = str(error)
            if "robots.txt" in message:
                self.note(SKIPPED, "robots", url, message)
            elif "offsite" in message:
                self.note(SKIPPED, "offsite", url, message)
            elif "redirect" in message:
                self.note(ERROR, "redirect_loop", url, message)
            else:
                self.note(SKIPPED, "ignored", url, message)
        elif isinstance(error, DownloadCancelledError):
            self.note(ERROR, "too_large", url, str(error))
        elif isinstance(error, DownloadTimeoutError | TimeoutError):
            self.note(ERROR, "timeout", url, str(error))
        else:
            self.note(ERROR, type(error).__name__, url, str(error)[:200])

    def request_scheduled(self, request: scrapy.Request, spider: Any = None) -> None:
        """A redirect to another host, which Scrapy's offsite filter drops without a word
        to the request's errback, is a problem of the page redirected."""
        origins = request.meta.get("redirect_urls")
        if not origins or request.dont_filter or request.meta.get("allow_offsite"):
            return
        host = urlsplit(request.url).hostname or ""
        if not any(host == d or host.endswith("." + d) for d in self.allowed_domains):
            self.note(ERROR, "offsite_redirect", origins[0], f"redirected to {request.url}")

    def decode(self, response: Response) -> tuple[str, str]:
        """The page's text and the encoding that decoded it (see :mod:`spiders.encoding`).

        When the bytes contradict the declared charset (HTTP header or ``<meta>``), the page
        is decoded by detection and counted as a ``charset`` error; it is still parsed and
        landed. Text that no charset makes readable (see :mod:`spiders.plausibility`) is a
        ``decoding`` error: the page lands without an article and is fetched again by the
        next crawl.
        """
        body = response.body
        content_type = response.headers.get(b"Content-Type")
        text, encoding = decode_body(body, content_type)
        declared = header_encoding(content_type) or declared_encoding(body)
        if declared and encoding != declared and not bom_encoding(body):
            self.note(ERROR, "charset", response.url, f"declared {declared}, decoded as {encoding}")
        if problem := implausible(text):
            self._undecodable.add(response.url)
            self.note(ERROR, "decoding", self.origin(response), f"{encoding}: {problem}")
        return text, encoding

    @staticmethod
    def origin(response: Response) -> str:
        """The URL the spider asked for, before any redirect."""
        return (response.meta.get("redirect_urls") or [response.url])[0]

    def fetched_page(
        self,
        response: Response,
        article: ArticleItem | None,
        encoding: str | None = None,
        fetched_at: str | None = None,
    ) -> FetchedPage:
        """The item to yield for one fetched page (raw bytes kept as they came)."""
        if response.url in self._undecodable:
            article = None  # the raw bytes are kept; no article is made of unreadable text
        if article is not None and article.fetched_at is None:
            article.fetched_at = fetched_at or now_iso()
        return FetchedPage(
            source=self.source_slug,
            url=response.url,
            body=response.body,
            status=response.status,
            encoding=encoding,
            fetched_at=(article.fetched_at if article is not None else None)
            or fetched_at
            or now_iso(),
            article=article,
        )
