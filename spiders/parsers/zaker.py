"""ZAKER (www.myzaker.com): channel/source list pages in both formats and article pages.

List pages are either current ones, with the list as JSON in ``window.WinPageData``
(``data.article[]``), or older ones made of ``div.content-block`` blocks. Article pages
keep the body in ``div.article_content div`` with lazy images (``data-original``); dates
are shown as the page says them (``3小时前``, ``昨天 15:30``, ``08月06日``), which the ETL
reads against the fetch time in UTC+8.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from parsel import Selector

from schemas.items import ImageRef
from spiders.parsers.base import LayoutParser, PublisherParser, attribute

DELETED_MARK = "原文已被删除"
ARTICLE_URL = re.compile(r"/article/([0-9a-f]{24})/?(?:[?#].*)?$")
WIN_PAGE_DATA = re.compile(r"window\.WinPageData\s*=\s*")
TITLE_SEPARATORS = re.compile(r"\s*[_|｜-]\s*")


class ListPageError(ValueError):
    """A list page whose embedded data cannot be read."""


@dataclass
class ListEntry:
    """One article as a list page shows it."""

    url: str
    title: str | None = None
    author: str | None = None
    date: str | None = None  # as shown: 08月06日 (no year)
    tags: list[str] = field(default_factory=list)
    thumbnail: str | None = None


def article_id(url: str) -> str | None:
    """The 24-hex-digit ZAKER article id of an article URL."""
    match = ARTICLE_URL.search(url)
    return match.group(1) if match else None


def _clean(value: object) -> str | None:
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None


def win_page_data(text: str) -> dict | None:
    """The ``window.WinPageData`` object of a current list page; None on older pages."""
    match = WIN_PAGE_DATA.search(text)
    if match is None:
        return None
    try:
        data, _ = json.JSONDecoder().raw_decode(text, match.end())
    except json.JSONDecodeError as error:
        raise ListPageError(f"window.WinPageData is not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise ListPageError("window.WinPageData is not an object")
    return data


def next_page(text: str) -> str | None:
    """The next page of a current list page (``data.next_url``); None on the last page and
    on older pages."""
    data = win_page_data(text)
    inner = data.get("data") if data else None
    return _clean(inner.get("next_url")) if isinstance(inner, dict) else None


def list_entries(text: str) -> list[ListEntry]:
    """The articles a list page links to, in page order, from either format."""
    data = win_page_data(text)
    if data is not None:
        articles = (data.get("data") or {}).get("article") or []
        return [
            ListEntry(
                url=str(a["url"]),
                title=_clean(a.get("title")),
                author=_clean(a.get("author_name")),
                date=_clean(a.get("date")),
                tags=[t["tag"] for t in a.get("tag") or [] if t.get("tag")],
                thumbnail=_clean(a.get("thumbnail_mpic")),
            )
            for a in articles
            if a.get("url")
        ]
    entries = []
    for block in Selector(text=text).css("div.content-block"):
        href = block.css(".article-wrap > a::attr(href)").get()
        if not href:
            continue
        entries.append(
            ListEntry(
                url=href,
                title=_clean(" ".join(block.css(".article-title ::text").getall())),
                author=_clean(block.css(".article-footer .subtitle::text").get()),
                date=_clean(block.css(".article-footer .time::text").get()),
                thumbnail=_clean(block.css(".article-wrap img::attr(data-original)").get()),
            )
        )
    return entries


def list_name(text: str) -> str | None:
    """The channel or source a list page shows (its ``<h1>``, else its ``<title>``)."""
    selector = Selector(text=text)
    name = _clean(selector.css("h1::text").get())
    if name:
        return name
    title = _clean(selector.css("title::text").get())
    return TITLE_SEPARATORS.split(title)[0] if title else None


def is_deleted(text: str) -> bool:
    """Whether the page is ZAKER's notice that the original article was deleted."""
    return DELETED_MARK in text


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


def images_in(selector: Selector) -> list[ImageRef]:
    """Images of an HTML fragment in reading order; lazy ``data-original`` wins over ``src``.

    Serves ZAKER article pages and ZAKER-style feed items (same image-box markup).
    """
    images = []
    for img in selector.css("img"):
        url = img.attrib.get("data-original") or img.attrib.get("src")
        if not url or url.startswith("data:"):
            continue
        images.append(
            ImageRef(
                url=url,
                width=_int(img.attrib.get("data-width") or img.attrib.get("width")),
                height=_int(img.attrib.get("data-height") or img.attrib.get("height")),
                caption=_clean(img.attrib.get("alt")),
            )
        )
    return images


class ArticlePage(LayoutParser):
    """A ZAKER article page."""

    @attribute
    def title(self) -> str | None:
        return _clean(
            self.selector.css("div.article_header h1::text").get()
            or self.selector.css("meta[property='og:title']::attr(content)").get()
        )

    @attribute
    def author(self) -> str | None:
        return _clean(self.selector.css("a.article-auther::text").get())

    @attribute
    def published(self) -> str | None:
        return _clean(self.selector.css("span.time::text").get())

    @attribute
    def tags(self) -> list[str]:
        return [t for t in map(_clean, self.selector.css(".lebel-list a::text").getall()) if t]

    @attribute
    def body_html(self) -> str | None:
        return self.selector.css("div.article_content div").get()

    @attribute
    def images(self) -> list[ImageRef]:
        body = self.selector.css("div.article_content div")
        return images_in(body[0]) if body else []

    @attribute
    def head_image(self) -> str | None:
        return self.selector.css("meta[property='og:image']::attr(content)").get() or next(
            (image.url for image in self.images()), None
        )


class ZakerParser(PublisherParser):
    """ZAKER has one article layout so far."""

    source = "zaker"
    layouts = (ArticlePage,)
