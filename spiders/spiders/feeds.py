"""The ``feeds`` spider: RSS and Atom feeds of the registry's feed list, or ad hoc ones.

The list is the ``feeds:`` option of the ``zaker-feeds`` source (``url`` relative to the
source's base URL or absolute, ``category`` path like ``新媒体/ZAKER/source``, ``enabled``).
Ad hoc: ``-a feed=URL[,URL...] [-a category=新闻/示例]``. An item whose body is complete
lands as is (its HTML as the raw body); a summary item's link is fetched and the page
extracted by the parser that knows its site (ZAKER, People's Daily), else the generic one.
Items that are only an e-paper's editor credit (``本版责编：…``) are skipped and counted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urljoin

from scrapy.http import Response

from schemas.items import ArticleItem, FetchedPage
from spiders.parsers.feeds import FeedEntry, FeedError, parse_feed
from spiders.parsers.match import parser_for
from spiders.publishers.people_daily import is_editor_credit
from spiders.spiders.base import ERROR, SKIPPED, NewsSpider, now_iso, truthy


def category_path(text: str | None) -> list[str]:
    """``新媒体/ZAKER/source`` as an ordered list, root first (empty when not given)."""
    return [part.strip() for part in (text or "").split("/") if part.strip()]


class FeedsSpider(NewsSpider):
    """Crawls feeds and, for summary items, the pages they link."""

    name = "feeds"
    source_slug = "zaker-feeds"

    def __init__(self, *args: Any, feed: str = "", category: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Feed items link anywhere; a crawl of a local copy stays on it.
        if not self.local_copy:
            self.allowed_domains = []
        if feed:
            self.feeds = [
                (url.strip(), category_path(category)) for url in feed.split(",") if url.strip()
            ]
        else:
            self.feeds = [
                (str(entry["url"]), category_path(entry.get("category")))
                for entry in self.source.options.get("feeds") or []
                if truthy(entry.get("enabled", True))
            ]

    def feed_url(self, url: str) -> str:
        """A listed feed URL on the crawled host: relative ones hang off the base URL."""
        if "://" not in url:
            return self.base_url + "/" + url.lstrip("/")
        return self.on_site(url)

    async def start(self) -> AsyncIterator[Any]:
        for url, categories in self.feeds:
            yield self.request(
                self.feed_url(url), self.parse_feed, cb_kwargs={"categories": categories}
            )

    def parse_feed(self, response: Response, categories: list[str]) -> Iterator[Any]:
        """A feed: land complete items, follow the links of summaries."""
        content_type = response.headers.get(b"Content-Type")
        try:
            feed = parse_feed(
                response.body,
                content_type.decode("latin-1") if content_type else None,
                self.source_slug,
                categories,
            )
        except FeedError as error:
            self.note(ERROR, "not_a_feed", response.url, str(error))
            return
        if feed.warning:
            self.note(ERROR, "malformed_feed", response.url, feed.warning)
        if not feed.entries:
            self.note(SKIPPED, "empty_feed", response.url, "the feed has no items")
        fetched_at = now_iso()
        targets: list[tuple[FeedEntry, str]] = []
        for entry in feed.entries:
            item = entry.item
            if not item.url:
                self.note(ERROR, "no_link", response.url, f"item {item.title!r} has no link")
                continue
            item.url = urljoin(response.url, item.url)
            if item.title and is_editor_credit(item.title):
                self.note(SKIPPED, "editor_credit", item.url, item.title)
                continue
            targets.append((entry, item.url if entry.complete else self.on_site(item.url)))
        fresh = self.to_fetch(target for _, target in targets)
        for entry, target in targets:
            item = entry.item
            if target not in fresh:
                continue
            if entry.complete:
                item.fetched_at = fetched_at
                yield FetchedPage(
                    source=self.source_slug,
                    url=item.url,
                    body=(item.body_html or "").encode("utf-8"),
                    status=response.status,
                    encoding="utf-8",
                    fetched_at=fetched_at,
                    article=item,
                )
            else:
                yield self.request(target, self.parse_linked, cb_kwargs={"entry": item})

    def parse_linked(self, response: Response, entry: ArticleItem) -> Iterator[FetchedPage]:
        """The page of a summary item, extracted; the feed fills what the page lacks."""
        text, encoding = self.decode(response)
        parser = parser_for(response.url)
        article = parser.parse(text, entry.url)
        article.source = self.source_slug
        if not self.usable(parser.name, response.url, article, entry):
            return
        for name in ("author", "published", "head_image", "thumbnail"):
            if not getattr(article, name):
                setattr(article, name, getattr(entry, name))
        article.categories = entry.categories
        article.tags = article.tags or entry.tags
        yield self.fetched_page(response, article, encoding)
