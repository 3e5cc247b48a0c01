"""The ``zaker`` spider: www.myzaker.com channel and source lists, then their articles.

Starts at the home page and follows its channel and source links, or at the list pages
given with ``-a lists=channel/1,source/10``. A list's next pages (``next_url``) are followed
while they still bring articles not landed yet, at most ``-a max_pages=N`` pages a list
(default 10). Deleted articles (原文已被删除) are skipped and counted; 429s and WAF
challenges are retried with back-off, then counted as blocked.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urljoin

from scrapy.http import Response

from schemas.items import ArticleItem, FetchedPage
from spiders.publishers.zaker import (
    ListEntry,
    ListPageError,
    ZakerParser,
    article_id,
    canonical_url,
    is_deleted,
    list_name,
    read_list,
)
from spiders.spiders.base import ERROR, SKIPPED, NewsSpider

LIST_PATH = re.compile(r"/(?:channel|source)/\d+/?$")
CATEGORY_ROOT = ["新媒体", "ZAKER"]


class ZakerSpider(NewsSpider):
    """Crawls ZAKER list pages and the articles they link."""

    name = "zaker"
    source_slug = "zaker"

    def __init__(self, *args: Any, lists: str = "", max_pages: str = "10", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lists = [path.strip().strip("/") for path in lists.split(",") if path.strip()]
        self.max_pages = int(max_pages)

    async def start(self) -> AsyncIterator[Any]:
        if self.lists:
            for path in self.lists:
                yield self.request(f"{self.base_url}/{path}", self.parse_list)
        else:
            yield self.request(f"{self.base_url}/", self.parse_home)

    def link(self, response: Response, href: str) -> str:
        """An absolute link on the crawled site; an article link on any of ZAKER's mirrors
        (``app.myzaker.com/news/article.php?pk=…``, older ``/article/<id>/``) becomes the
        article's one URL."""
        url = urljoin(response.url, href.strip())
        url = self.on_site(canonical_url(url) or url)
        return url.rstrip("/") if article_id(url) else url

    def parse_home(self, response: Response) -> Iterator[Any]:
        """The home page: follow every channel and source list it links."""
        for href in response.css("a::attr(href)").getall():
            url = self.link(response, href)
            if LIST_PATH.search(url.split("?")[0]):
                yield self.request(url, self.parse_list)

    def parse_list(self, response: Response, page: int = 1) -> Iterator[Any]:
        """A list page (any format, JSON next pages too): request every article not landed
        yet, then the next page while this one still had such articles (older pages hold
        older articles)."""
        text, _ = self.decode(response)
        try:
            listed = read_list(text)
        except ListPageError as error:
            self.note(ERROR, "list_page", response.url, str(error))
            return
        entries = listed.entries
        if not entries:
            self.note(ERROR, "empty_list", response.url, "no articles found on the list page")
        category = list_name(text)
        links = [(entry, self.link(response, entry.url)) for entry in entries]
        for _, url in links:
            if article_id(url) is None:
                self.note(SKIPPED, "not_article", url)
        fresh = self.to_fetch(url for _, url in links if article_id(url) is not None)
        new = 0
        for entry, url in links:
            if url in fresh:
                new += 1
                yield self.request(
                    url, self.parse_article, cb_kwargs={"entry": entry, "category": category}
                )
        following = listed.next_url
        if following and new and page < self.max_pages:
            yield self.request(
                self.link(response, following), self.parse_list, cb_kwargs={"page": page + 1}
            )

    def parse_article(
        self, response: Response, entry: ListEntry, category: str | None
    ) -> Iterator[FetchedPage]:
        """An article page: one landed item, unless deleted or unreadable."""
        text, encoding = self.decode(response)
        if is_deleted(text):
            self.note(SKIPPED, "deleted", response.url, "原文已被删除")
            return
        item = ZakerParser.parse(text, self.canonical(response.url))
        version = ZakerParser.version(ZakerParser.layout_for())
        if not self.usable(version, response.url, item, ArticleItem("zaker", title=entry.title)):
            return
        item.author = item.author or entry.author
        item.published = item.published or entry.date
        item.tags = item.tags or entry.tags
        item.thumbnail = entry.thumbnail and self.link(response, entry.thumbnail)
        item.categories = [*CATEGORY_ROOT, category] if category else list(CATEGORY_ROOT)
        yield self.fetched_page(response, item, encoding)
