"""Pick the parser for a page by its URL and run it: the parser of the publisher that knows
the URL (:mod:`spiders.publishers`), the generic extractor otherwise."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from schemas.items import ArticleItem
from spiders.encoding import detect_encoding, normalise
from spiders.parsers import generic
from spiders.publishers import PUBLISHERS


@dataclass(frozen=True)
class SiteParser:
    """A parser and the URLs it knows."""

    name: str
    source: str
    matches: Callable[[str | None], bool]
    parse: Callable[[str, str | None], ArticleItem]


PARSERS = tuple(
    SiteParser(
        p.name,
        p.source,
        lambda url, p=p: bool(url and p.matches(url)),
        lambda text, url, p=p: p.parser.parse(text, url),
    )
    for p in PUBLISHERS
)
GENERIC = SiteParser(
    "generic", generic.SOURCE, lambda url: True, lambda text, url: generic.parse_generic(text, url)
)


PAGE_URL_TAG = re.compile(
    r"<(?:link[^>]*\brel\s*=\s*[\"']?canonical|meta[^>]*\bproperty\s*=\s*[\"']?og:url)[^>]*>",
    re.IGNORECASE,
)
PAGE_URL_VALUE = re.compile(r"\b(?:href|content)\s*=\s*[\"']?(?P<url>https?:[^\"'\s>]+)", re.I)


def page_url(text: str) -> str | None:
    """The URL a page names for itself (``<link rel="canonical">``, ``og:url``), if any."""
    for tag in PAGE_URL_TAG.finditer(text):
        if match := PAGE_URL_VALUE.search(tag.group(0)):
            return match["url"]
    return None


def parser_for(url: str | None) -> SiteParser:
    """The parser of the publisher ``url`` belongs to; the generic one when none knows it."""
    return next((parser for parser in PARSERS if parser.matches(url)), GENERIC)


def page_text(
    body: bytes | str, encoding: str | None = None, content_type: str | None = None
) -> tuple[str, str | None]:
    """A page as text and the encoding that decoded it: ``encoding`` when given (a label such
    as ``gbk`` or ``utf-8``), else detected as a browser would (BOM, the ``Content-Type``
    header's charset, ``<meta>``, bytes)."""
    if isinstance(body, str):
        return body, None
    codec = normalise(encoding) if encoding else detect_encoding(body, content_type)
    if codec is None:
        raise ValueError(f"unknown encoding {encoding!r}")
    return body.decode(codec, errors="replace").removeprefix("\ufeff"), codec


def parse_page(
    body: bytes | str,
    url: str | None = None,
    *,
    encoding: str | None = None,
    source: str | None = None,
) -> ArticleItem:
    """Parse one article page with the parser matching ``url``.

    ``body`` is the page's bytes (decoded with ``encoding`` or by detection) or text;
    ``source`` overrides the source slug of the item (default: the parser's own, ``web``
    for the generic extractor).
    """
    text, _ = page_text(body, encoding)
    item = parser_for(url).parse(text, url)
    if source:
        item.source = source
    return item
