"""ZAKER (www.myzaker.com): list pages in every format, article pages, URL identity.

List pages are either current ones, with the list as JSON in ``window.WinPageData``
(``data.article[]``), older ones made of ``div.content-block`` blocks, or the JSON bodies of
the "next page" endpoints (``next_new.php``…) that ``next_url`` leads to; ``next_url`` is a
string or ``{"value": …}``, at the top level or inside ``data``. Article pages keep the body
in ``div.article_content div`` with lazy images (``data-original``), captions in
``div.zaker_div .zk_decsimg`` after the image box, and thin divider images that are
decoration; dates are shown as the page says them (``3小时前``, ``昨天 15:30``, ``08月06日``),
which the ETL reads against the fetch time in UTC+8.

Identity: an article is ``www.myzaker.com/article/<24 hex>`` (older links end with ``/``),
also linked from the web, mobile and app mirrors (``app.myzaker.com/news/article.php?pk=…``);
its id is in its image names (``zkres2.myzaker.com/202108/<id>_1024.jpg``).
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from lxml import etree
from lxml import html as lxml_html
from parsel import Selector

from schemas.items import ImageRef
from spiders.parsers.base import LayoutParser, Publisher, PublisherParser, attribute

DELETED_MARK = "原文已被删除"
HOSTS = r"(?:https?:)?//(?:www\.|m\.|app\.|iphone\.|wap\.)?myzaker\.com"
ARTICLE_URL = re.compile(
    HOSTS
    + r"(?:/article/(?P<id>[0-9a-f]{24})/?|/news/article\.php\?(?:[^#]*&)?pk=(?P<pk>[0-9a-f]{24}))"
    r"(?:[?&#].*)?$",
    re.IGNORECASE,
)
ARTICLE_PATH = re.compile(r"/article/(?P<id>[0-9a-f]{24})/?(?:[?#].*)?$")
ID_IN_IMAGE = re.compile(r"myzaker\.com/\d{6}/(?P<id>[0-9a-f]{24})_")
CANONICAL = "https://www.myzaker.com/article/{id}"
WIN_PAGE_DATA = re.compile(r"window\.WinPageData\s*=\s*")
TITLE_SEPARATORS = re.compile(r"\s*[_|｜-]\s*")
# A divider: an image this thin, or this many times wider than high, is decoration.
DIVIDER_MAX_HEIGHT = 24
DIVIDER_MIN_RATIO = 8


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
    """The 24-hex-digit id of a ZAKER article URL, on any mirror (``/article/<id>[/]`` or
    ``app.myzaker.com/news/article.php?pk=<id>``), or on a local copy of the site."""
    match = ARTICLE_URL.match(url.strip()) or ARTICLE_PATH.search(url)
    return (match["id"] or match.groupdict().get("pk")) if match else None


def canonical_url(url: str) -> str | None:
    """The one URL of a ZAKER article (``https://www.myzaker.com/article/<id>``) for any of
    its forms on ZAKER's hosts; None for other URLs."""
    match = ARTICLE_URL.match(url.strip())
    return CANONICAL.format(id=match["id"] or match["pk"]) if match else None


def url_from_images(text: str) -> str | None:
    """The article URL rebuilt from the id in its image file names, or None."""
    match = ID_IN_IMAGE.search(text)
    return CANONICAL.format(id=match["id"]) if match else None


def _clean(value: object) -> str | None:
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None


@dataclass
class ListPage:
    """What a list page holds: its articles and the URL of its next page, if any."""

    entries: list[ListEntry]
    next_url: str | None = None


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


def _next_url(data: dict[str, Any]) -> str | None:
    """``next_url`` as a string or ``{"value": …}``, inside ``data`` or at the top level."""
    inner = data.get("data")
    for holder in (inner if isinstance(inner, dict) else {}, data):
        value = holder.get("next_url")
        if isinstance(value, dict):
            value = value.get("value")
        if isinstance(value, str) and (url := _clean(value)):
            return url
    return None


def _entry(article: dict[str, Any]) -> ListEntry:
    return ListEntry(
        url=str(article["url"]),
        title=_clean(article.get("title")),
        author=_clean(article.get("author_name")),
        date=_clean(article.get("date")),
        tags=[t["tag"] for t in article.get("tag") or [] if isinstance(t, dict) and t.get("tag")],
        thumbnail=_clean(article.get("thumbnail_mpic")),
    )


def _from_data(data: dict[str, Any]) -> ListPage:
    """A list from page data: ``data.article[]`` (or ``article[]`` at the top level)."""
    inner = data.get("data")
    articles = (inner if isinstance(inner, dict) else {}).get("article") or data.get("article")
    if articles is None:
        raise ListPageError("the list data has no article list")
    if not isinstance(articles, list):
        raise ListPageError("the list data's article list is not a list")
    entries = [_entry(a) for a in articles if isinstance(a, dict) and a.get("url")]
    return ListPage(entries, _next_url(data))


def read_list(text: str) -> ListPage:
    """A list page in any of its formats: an HTML page with ``window.WinPageData``, an
    older HTML page of ``div.content-block``s, or a JSON next page. A body that is empty
    or JSON of another shape is a :class:`ListPageError`; HTML with no list gives none."""
    stripped = text.strip()
    if not stripped:
        raise ListPageError("empty list page")
    if stripped[0] in "{[":
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as error:
            raise ListPageError(f"a JSON list page that is not valid JSON: {error}") from error
        if not isinstance(data, dict):
            raise ListPageError("a JSON list page that is not an object")
        return _from_data(data)
    data = win_page_data(text)
    if data is not None:
        return _from_data(data)
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
    return ListPage(entries)


def list_name(text: str) -> str | None:
    """The channel or source a list page shows (its ``<h1>``, else its ``<title>``); None
    for a JSON next page."""
    if text.lstrip()[:1] in ("{", "["):
        return None
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


def is_divider(width: int | None, height: int | None) -> bool:
    """Whether an image of this size is a decorative divider, not an article image."""
    if height is None:
        return False
    return height <= DIVIDER_MAX_HEIGHT or (
        width is not None and width >= DIVIDER_MIN_RATIO * height
    )


def _image_ref(img: Any, caption: str | None = None) -> ImageRef | None:
    url = img.get("data-original") or img.get("src")
    if not url or url.startswith("data:"):
        return None
    width = _int(img.get("data-width") or img.get("width"))
    height = _int(img.get("data-height") or img.get("height"))
    if is_divider(width, height):
        return None
    return ImageRef(url, width, height, caption or _clean(img.get("alt")))


def images_in(selector: Selector) -> list[ImageRef]:
    """Images of an HTML fragment in reading order, dividers left out; lazy
    ``data-original`` wins over ``src``.

    Serves ZAKER article pages and ZAKER-style feed items (same image-box markup).
    """
    refs = (_image_ref(img.root) for img in selector.css("img"))
    return [ref for ref in refs if ref is not None]


def _caption_after(box: Any) -> str | None:
    """The caption ZAKER puts after an image box (``div.zaker_div .zk_decsimg``), removed
    from the tree; None when the next element is no caption."""
    following = box.getnext()
    if following is None or not isinstance(following.tag, str):
        return None
    holders = following.xpath(
        "descendant-or-self::*[contains(concat(' ', normalize-space(@class), ' '), ' zk_decsimg ')]"
    )
    if not holders:
        return None
    caption = _clean(holders[0].text_content())
    following.drop_tree()
    return caption


def article_figures(body_html: str) -> tuple[str, list[ImageRef]]:
    """An article body with each image box (and the caption after it) as a ``<figure>``
    with ``<figcaption>``, dividers dropped; and its images."""
    root = lxml_html.fragment_fromstring(body_html, create_parent="div")
    images: list[ImageRef] = []
    for img in list(root.iter("img")):
        box = next(
            (a for a in img.iterancestors() if "img_box" in (a.get("class") or "").split()), img
        )
        ref = _image_ref(img, _caption_after(box))
        if ref is None:
            box.drop_tree()
            continue
        images.append(ref)
        figure = etree.Element("figure")
        figure.append(etree.Element("img", {k: v for k, v in img.attrib.items() if k != "class"}))
        if ref.caption:
            etree.SubElement(figure, "figcaption").text = ref.caption
        figure.tail = box.tail
        box.getparent().replace(box, figure)
    inner = html.escape(root.text or "", quote=False) + "".join(
        etree.tostring(child, encoding="unicode", method="html") for child in root
    )
    return inner, images


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

    @cached_property
    def _body(self) -> tuple[str, list[ImageRef]] | None:
        body = self.selector.css("div.article_content div").get()
        return article_figures(body) if body else None

    @attribute
    def body_html(self) -> str | None:
        return self._body[0] if self._body else None

    @attribute
    def images(self) -> list[ImageRef]:
        return self._body[1] if self._body else []

    @attribute
    def head_image(self) -> str | None:
        return self.selector.css("meta[property='og:image']::attr(content)").get() or next(
            (image.url for image in self.images()), None
        )


class ZakerParser(PublisherParser):
    """ZAKER has one article layout so far."""

    source = "zaker"
    layouts = (ArticlePage,)


PUBLISHER = Publisher(
    "zaker",
    ZakerParser,
    matches=lambda url: article_id(url) is not None,
    canonical_url=canonical_url,
    url_from_images=url_from_images,
)
