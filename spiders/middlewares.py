"""Downloader middlewares: back off and retry on 5xx, 403, 429, WAF challenges and timeouts;
stop redirect loops at once; obey robots.txt for every request.

A 403, 429 or a WAF challenge page that is still there after the last retry becomes a
:class:`Blocked` failure, so it reaches the spider's errback (counted as blocked) and never
a parser or the landing zone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urljoin

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import response_status_message
from twisted.internet.defer import Deferred

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.core.downloader import Slot
    from scrapy.crawler import Crawler
    from scrapy.http import Response

# Markers of the anti-bot challenge page some sites (ZAKER) serve instead of the content.
CHALLENGE_MARKERS = (b"window.captcha",)
CHALLENGE_COOKIES = (b"sl-session",)
# Statuses a site answers a crawler it finds too fast: backed off, retried, then blocked.
REFUSALS = (403, 429)


class Blocked(IgnoreRequest):
    """The site refused us (HTTP 429 or a challenge page) on every try."""

    def __init__(self, reason: str, url: str) -> None:
        super().__init__(f"blocked ({reason}): {url}")
        self.reason = reason


class RedirectLoop(IgnoreRequest):
    """A redirect leads back to a URL already visited in the same chain."""


def block_reason(response: Response) -> str | None:
    """``"403"``, ``"429"`` or ``"waf"`` when the response is the site refusing us (People's
    Daily answers fast crawlers 403), else None."""
    if response.status in REFUSALS:
        return str(response.status)
    cookies = b" ".join(response.headers.getlist(b"Set-Cookie"))
    head = response.body[:65536]
    if any(m in head for m in CHALLENGE_MARKERS) or any(c in cookies for c in CHALLENGE_COOKIES):
        return "waf"
    return None


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, plus exponential back-off of the whole download slot (domain).

    The slot's delay grows to ``NEWSETL_BACKOFF_BASE * 2**(try - 1)`` (or ``Retry-After``),
    at most ``NEWSETL_BACKOFF_MAX``; each good answer from the slot halves it again, down to
    the delay it had before (AutoThrottle, when on, adjusts it as well).
    """

    backoff_base: float
    backoff_max: float
    delays_before: dict[str, float]  # slot key -> its delay before the first back-off

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        middleware = super().from_crawler(crawler)
        middleware.backoff_base = crawler.settings.getfloat("NEWSETL_BACKOFF_BASE", 2.0)
        middleware.backoff_max = crawler.settings.getfloat("NEWSETL_BACKOFF_MAX", 60.0)
        middleware.delays_before = {}
        return middleware

    def process_response(self, request: Request, response: Response) -> Request | Response:
        blocked = block_reason(response)
        if blocked is None and response.status < 400:
            self._recover(request)
        if request.meta.get("dont_retry", False):
            return response
        if blocked is None and response.status not in self.retry_http_codes:
            return response
        reason = f"blocked {blocked}" if blocked else response_status_message(response.status)
        retry = self._retry(request, reason)
        if retry is not None:
            self._back_off(request, response.headers.get(b"Retry-After"))
            return retry
        if blocked:
            raise Blocked(blocked, request.url)
        return response

    def process_exception(
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        if isinstance(exception, self.exceptions_to_retry) and not request.meta.get(
            "dont_retry", False
        ):
            retry = self._retry(request, exception)
            if retry is not None:
                self._back_off(request, None)
            return retry
        return None

    def _slot(self, request: Request) -> tuple[str, Slot | None]:
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        return key, downloader.slots.get(key)

    def _back_off(self, request: Request, retry_after: bytes | None) -> None:
        tries = request.meta.get("retry_times", 0) + 1
        delay = self.backoff_base * 2 ** (tries - 1)
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, float(retry_after))
        delay = min(delay, self.backoff_max)
        key, slot = self._slot(request)
        if slot is not None and slot.delay < delay:
            self.delays_before.setdefault(key, slot.delay)
            slot.delay = delay
        self.crawler.stats.inc_value("newsetl/backoff")
        self.crawler.stats.max_value("newsetl/backoff_max_seconds", delay)

    def _recover(self, request: Request) -> None:
        key, slot = self._slot(request)
        before = self.delays_before.get(key)
        if before is None or slot is None:
            return
        slot.delay = max(before, slot.delay / 2)
        if slot.delay <= before:
            del self.delays_before[key]


class RedirectLoopMiddleware:
    """Fails a redirect chain that comes back to a URL it has visited (a loop), instead of
    letting the duplicate filter drop it silently."""

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get(b"Location")
        if not (300 <= response.status < 400 and location):
            return response
        target = urljoin(request.url, location.decode("latin-1"))
        visited = {request.url, *request.meta.get("redirect_urls", [])}
        if target in visited:
            raise RedirectLoop(f"redirect loop: {request.url} -> {target}")
        return response


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, fixed for requests that wait together for robots.txt.

    In Scrapy 2.19 every request that arrives while robots.txt is being fetched awaits the
    same Deferred; only the first one gets the parser, the others get None and go out
    unchecked. Here each waiter reads the parser once the fetch is done.
    """

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        pending = self._parsers.get(netloc)
        if isinstance(pending, Deferred):
            await maybe_deferred_to_future(pending)
            return self._parsers[netloc]
        return await super().robot_parser(request)
