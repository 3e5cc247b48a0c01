"""RSS 2.0 and Atom feeds (ZAKER-style items as RSSHub emits them, or any other feed).

:func:`parse_feed` turns a fetched feed into one :class:`FeedEntry` per item: the item as an
:class:`~schemas.items.ArticleItem` and whether its body is complete (it lands as is) or a
summary (the spider follows the link and extracts the page). feedparser reads the encoding
from the HTTP header and the XML declaration (GB2312, GBK, Big5 included); the HTML of the
items is kept unsanitised, as the ETL cleans it.

Full-text feeds of an e-paper prefix each title with its page (``[01版：要闻] 标题``: the
label goes to ``page``) and carry the page's own article block as the description: an item
whose link a publisher knows is read by that publisher's parser too, and what the page says
(date, kicker, subtitle, author, body) wins over the feed's fields, whose ``pubDate`` is often
the time the feed was made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import feedparser
from parsel import Selector

from schemas.items import ArticleItem
from spiders.publishers import publisher_for
from spiders.publishers.people_daily import page_label
from spiders.publishers.zaker import images_in

# A description is the whole article when it is HTML with paragraphs and at least this many
# characters of text; shorter or plain-text ones are summaries.
MIN_FULL_BODY_CHARS = 100
BLOCK_MARKUP = re.compile(r"<(?:p|div|br)\b", re.I)
PAGE_PREFIX = re.compile(r"\A\s*[\[【](?P<label>第?\s*\d{1,3}\s*版[^\]】]*)[\]】]\s*")
# What the page's own block says wins over the feed's values of these fields (the feed's page
# label names the page, the block only its number).
PAGE_FIELDS = ("title", "column", "kicker", "subtitle", "author", "origin", "published")
HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I | re.S)


class FeedError(ValueError):
    """The document is not an RSS or Atom feed."""


@dataclass
class FeedEntry:
    """One feed item, parsed."""

    item: ArticleItem
    complete: bool  # the body is the whole article


@dataclass
class ParsedFeed:
    """A feed's items and, for a feed that parsed only in part, why."""

    title: str | None
    entries: list[FeedEntry]
    warning: str | None = None


def _text_length(html: str) -> int:
    return len("".join(Selector(text=f"<div>{html}</div>").css("div ::text").getall()).strip())


def _entry_body(entry: Any) -> tuple[str | None, bool]:
    """The item's HTML and whether it is the full article."""
    contents = [c.get("value") for c in entry.get("content") or [] if c.get("value")]
    if contents:
        return max(contents, key=len), True
    summary = entry.get("summary") or entry.get("description")
    if not summary:
        return None, False
    complete = bool(BLOCK_MARKUP.search(summary)) and _text_length(summary) >= MIN_FULL_BODY_CHARS
    return summary, complete


def _thumbnail(entry: Any) -> str | None:
    for thumb in entry.get("media_thumbnail") or []:
        if thumb.get("url"):
            return thumb["url"]
    for link in entry.get("links") or []:
        if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image/"):
            return link.get("href")
    return None


def split_page_prefix(title: str) -> tuple[str, str | None]:
    """``[01版：要闻] 标题`` → (``标题``, ``第01版：要闻``); other titles come back as they are."""
    match = PAGE_PREFIX.match(title)
    if match is None:
        return title, None
    return title[match.end() :], page_label(match["label"])


def _read_by_publisher(item: ArticleItem) -> None:
    """Where the item's publisher is known and its body is the page's article block, take
    what the page says over what the feed says."""
    publisher = publisher_for(item.url)
    if publisher is None or not item.body_html:
        return
    page = publisher.parser.parse(f"<html><body>{item.body_html}</body></html>", item.url)
    if not page.body_html:
        return
    for name in PAGE_FIELDS:
        if value := getattr(page, name):
            setattr(item, name, value)
    item.page = item.page or page.page
    item.body_html, item.images = page.body_html, page.images
    item.head_image = page.head_image or item.head_image
    item.inferred = page.inferred


def entry_item(entry: Any, source: str, categories: list[str]) -> FeedEntry:
    """One feedparser entry as an item; dates stay the raw text the feed gives."""
    body, complete = _entry_body(entry)
    images = images_in(Selector(text=f"<div>{body}</div>")) if body else []
    title, page = split_page_prefix(" ".join((entry.get("title") or "").split()))
    item = ArticleItem(
        source=source,
        url=entry.get("link") or None,
        title=title or None,
        page=page,
        author=entry.get("author") or None,
        published=entry.get("published") or entry.get("updated") or None,
        categories=list(categories),
        tags=[t["term"] for t in entry.get("tags") or [] if t.get("term")],
        head_image=images[0].url if images else None,
        thumbnail=_thumbnail(entry) or (images[0].url if images else None),
        body_html=body,
        images=images,
    )
    _read_by_publisher(item)
    return FeedEntry(item=item, complete=complete and bool(body))


def parse_feed(
    body: bytes, content_type: str | None, source: str, categories: list[str]
) -> ParsedFeed:
    """Parse a fetched feed; a document that is no feed at all is a :class:`FeedError`."""
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False)
    if not parsed.get("version"):
        if HTML_START.match(body[:2048]):
            raise FeedError("an HTML page, not RSS or Atom")
        reason = parsed.get("bozo_exception") or "no RSS or Atom root element"
        raise FeedError(f"not RSS or Atom: {reason}")
    warning = None
    if parsed.get("bozo") and not isinstance(
        parsed.get("bozo_exception"), feedparser.CharacterEncodingOverride
    ):
        warning = f"malformed feed, read in part: {parsed.get('bozo_exception')}"
    entries = [entry_item(e, source, categories) for e in parsed.entries]
    return ParsedFeed(title=parsed.feed.get("title"), entries=entries, warning=warning)
