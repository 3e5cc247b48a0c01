"""The ``people_daily`` spider: every page (版) and every article of the People's Daily
e-paper on one day or a range of days, in the layout of each day.

Arguments: ``-a date=YYYY-MM-DD`` (or several, comma-separated), or ``-a start=YYYY-MM-DD
-a end=YYYY-MM-DD`` (inclusive; either end alone means that one day); without them, today in
Asia/Shanghai. ``-a refresh=1``
fetches articles again that are already landed. A day the site no longer keeps (or never
had: 404 on its first page) is counted as ``skipped (unavailable)`` with its URL, not as an
error; a 403 (the site refusing a fast crawler) is retried with back-off and counted as
blocked if it persists. Editor credits (``本版责编``) are never requested, or skipped when
an article page is one; pages named ``广告`` (advertising) are not crawled for articles.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from scrapy import Request
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from schemas.items import FetchedPage
from spiders.publishers.people_daily import ADVERTISING, PeopleDaily, is_editor_credit
from spiders.spiders.base import SKIPPED, NewsSpider

MAX_DAYS = 366


def edition_days(
    day: str | None = None,
    start: str | None = None,
    end: str | None = None,
    timezone: str = "Asia/Shanghai",
) -> list[date]:
    """The days to crawl from the spider arguments; a bad argument is a ``ValueError``
    saying which one and why."""

    def parse(name: str, value: str) -> date:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"-a {name}={value!r} is not a date like 2024-11-30") from None

    if day is not None and (start or end):
        raise ValueError("give either -a date=… or -a start=… -a end=…, not both")
    if day is not None:
        days = sorted({parse("date", one) for one in day.split(",") if one.strip()})
        if not days:
            raise ValueError("-a date= names no day")
        return days
    if not (start or end):
        return [datetime.now(ZoneInfo(timezone)).date()]
    first = parse("start", start) if start else parse("end", end or "")
    last = parse("end", end) if end else first
    if last < first:
        raise ValueError(f"-a end={last} is before -a start={first}")
    if (last - first).days >= MAX_DAYS:
        raise ValueError(f"a range of more than {MAX_DAYS} days: crawl it in parts")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


class PeopleDailySpider(NewsSpider):
    """Crawls the e-paper: page 01 of each day, the page list on it, each page's articles."""

    name = "people_daily"
    source_slug = "people-daily"

    def __init__(
        self,
        *args: Any,
        date: str | None = None,
        start: str | None = None,
        end: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.days = edition_days(date, start, end, self.source.timezone)

    async def start(self) -> AsyncIterator[Request]:
        for day in self.days:
            url = PeopleDaily.layout_of(None, day).first_page_url(self.base_url, day)
            yield self.request(
                url, self.parse_page, cb_kwargs={"day": day}, errback=self.edition_missing
            )

    def edition_missing(self, failure: Failure) -> None:
        """The first page of a day failed: a 404 means the site does not keep that day."""
        error = failure.value
        if isinstance(error, HttpError) and error.response.status == 404:
            self.note(SKIPPED, "unavailable", error.response.url, "no edition kept for this day")
        else:
            self.errback(failure)

    def parse_page(self, response: Response, day: date) -> Iterator[Request]:
        """A page (版): request the day's other pages and this page's new articles."""
        text, _ = self.decode(response)
        page = PeopleDaily.page(text, response.url, day)
        links = page.pages()
        for link in links:
            yield self.request(link.url, self.parse_page, cb_kwargs={"day": day})
        label = next((link.label for link in links if link.url == response.url), page.page())
        if label and label.endswith(ADVERTISING):
            self.note(SKIPPED, "advertising", response.url, label)
            return
        articles = page.articles()
        if not articles:
            self.note(SKIPPED, "no_articles", response.url, "no article links on the page")
        fresh = self.to_fetch(articles)
        for url in articles:
            if url in fresh:
                yield self.request(url, self.parse_article, cb_kwargs={"day": day, "label": label})

    def parse_article(
        self, response: Response, day: date, label: str | None
    ) -> Iterator[FetchedPage]:
        """An article page: one item, the page label taken from the page list."""
        text, encoding = self.decode(response)
        layout = PeopleDaily.layout_of(None, day)
        item = layout(text, self.canonical(response.url), PeopleDaily.source).parse()
        if item.title and is_editor_credit(item.title):
            self.note(SKIPPED, "editor_credit", response.url, item.title)
            return
        if not self.usable(PeopleDaily.version(layout), response.url, item):
            return
        item.page = label or item.page
        yield self.fetched_page(response, item, encoding)
