"""The one item shape every parser produces: spiders, feeds and file imports alike.

Parsers fill in what the page says, as the page says it (``published`` is the raw date text,
``body_html`` the article's HTML); ``etl/clean`` turns that into warehouse values. An item
is stored as JSON in ``raw_document.item`` and read back with :meth:`ArticleItem.from_dict`.
"""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class ImageRef:
    """An image as the page names it; ``url`` may still be proxied or relative."""

    url: str
    width: int | None = None
    height: int | None = None
    caption: str | None = None


@dataclass
class ArticleItem:
    """One article as parsed from one page or file."""

    source: str  # source slug, see schemas/sources.yml
    url: str | None = None
    # the URL in its publisher's own form (ZAKER's app/mobile mirrors folded), set where the
    # item is made; the ETL normalises it (schemas.identity) and keys the article on it
    canonical_url: str | None = None
    title: str | None = None
    kicker: str | None = None  # 引题
    subtitle: str | None = None  # 副题
    column: str | None = None  # 栏目, e.g. 命运与共
    page: str | None = None  # e-paper page, e.g. 第03版：国际
    author: str | None = None
    origin: str | None = None  # 来源 named by the page
    published: str | None = None  # raw date text: RFC 2822, ISO 8601, 3小时前, ...
    fetched_at: str | None = None  # ISO 8601 with zone; the reference for relative dates
    categories: list[str] = field(default_factory=list)  # ordered path, root first
    tags: list[str] = field(default_factory=list)
    head_image: str | None = None
    thumbnail: str | None = None
    comments: bool | None = None
    body_html: str | None = None
    body_text: str | None = None  # paragraphs separated by "\n", when there is no HTML
    images: list[ImageRef] = field(default_factory=list)
    inferred: list[str] = field(default_factory=list)  # fields not read from the page itself

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, dropping empty values."""
        return {k: v for k, v in asdict(self).items() if v not in (None, [], "")}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArticleItem:
        """Rebuild an item from :meth:`to_dict` output; unknown keys are an error."""
        unknown = data.keys() - ITEM_FIELDS
        if unknown:
            raise ValueError(f"unknown item fields: {sorted(unknown)}")
        values = dict(data)
        values["images"] = [ImageRef(**i) for i in values.get("images", [])]
        return cls(**values)


ITEM_FIELDS = frozenset(f.name for f in fields(ArticleItem))


def _base64(body: bytes) -> str:
    return base64.b64encode(body).decode("ascii")


def _article(article: ArticleItem | None) -> dict[str, Any] | None:
    return article.to_dict() if article is not None else None


@dataclass
class FetchedPage:
    """What a spider yields: one fetched page with the article parsed from it, if any.

    The landing pipeline writes it to ``raw_document`` (raw bytes kept). In a feed export
    (``newsetl crawl -o``) the body is Base64 text and the article the dict of
    :meth:`ArticleItem.to_dict`; ``-s FEED_EXPORT_FIELDS=url,article`` leaves the body out.
    """

    source: str
    url: str
    body: bytes = field(metadata={"serializer": _base64})
    status: int = 200
    encoding: str | None = None
    fetched_at: str | None = None  # ISO 8601 with zone
    article: ArticleItem | None = field(default=None, metadata={"serializer": _article})
