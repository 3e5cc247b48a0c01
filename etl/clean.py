"""Clean: one parsed item → warehouse values (sanitised HTML, normalised text, UTC date,
canonical URL, original image URLs).

lxml does the reshaping (image boxes → ``<figure><img>``, loose text after an image
box → its own paragraph, empty paragraphs out) and nh3 the allow-list sanitising of each
paragraph that holds markup (a paragraph of text is written in nh3's form already); at about
40 µs and 30 µs per article they leave room for the rest of the pipeline (design §7), where
BeautifulSoup alone would take 270 µs.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import nh3
from lxml import etree

from etl.dates import SHANGHAI, UnparsableDate, parse_published
from etl.text import (
    Paragraphs,
    normalise_line,
    normalise_lines,
    script_of,
    strip_boilerplate,
    text_hash,
)
from etl.urls import unwrap_proxy
from schemas.identity import TEXT_URN, canonical_url
from schemas.items import ArticleItem

MAX_BODY_CHARS = 1_000_000
# libxml2 silently drops what is nested deeper than 255 elements unless told huge_tree
# (safe here: bodies are capped at MAX_BODY_CHARS); cleaning walks containers recursively,
# so deeper than this is refused with its reason rather than emptied or crashing
MAX_NESTING = 400
# plain lxml elements: lxml.html's element classes cost a Python call for every element
# touched, a tenth of the clean stage's time
_PARSER = etree.HTMLParser(huge_tree=True)
FULL_DOCUMENT = re.compile(r"^\s*<(?:html|!doctype)", re.I)
# longest value each column of the warehouse holds (the title's own rule is validation's)
FIELD_LIMITS = {
    "url": 2000, "title": 500, "kicker": 500, "subtitle": 500, "column": 200, "page": 200,
    "author": 200, "origin": 200, "head_image": 2000, "thumbnail": 2000, "categories": 200,
    "images": 2000,
}  # fmt: skip
IMAGE_SCHEMES = {"http", "https"}  # image URLs of any other scheme are dropped and counted
# an absolute http(s) URL that urljoin and urlsplit would leave as it is (lower-case scheme,
# a host of letters, digits, dots and hyphens, no whitespace, control characters or ";", a
# query or fragment only when not empty): most image URLs, kept without them at a tenth of
# the cost (a test holds the two ways to the same result)
PLAIN_ABSOLUTE = re.compile(
    r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[^\x00-\x20\x7f;?#]*)?"
    r"(?:\?[^\x00-\x20\x7f#]+)?(?:#[^\x00-\x20\x7f]+)?"
)
# line breaks (str.splitlines' set) and other control characters: never inside one-line fields
LINE_BREAKS_AND_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")

ALLOWED_TAGS = {
    "p", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "ul", "ol", "li",
    "figure", "figcaption", "img", "a", "strong", "b", "em", "i", "u", "sub", "sup", "br",
    "span", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"img": {"src", "width", "height", "alt"}, "a": {"href", "title"}}
SANITISER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes={"http", "https"},
    link_rel="noopener noreferrer",
)
PARAGRAPH_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "li", "td", "th"}
CONTAINER_TAGS = {
    "div", "section", "article", "main", "body", "center", "ul", "ol", "table", "thead",
    "tbody", "tfoot", "tr", "founder-content", "header", "footer", "aside",
}  # fmt: skip
DROPPED_TAGS = {"script", "style", "noscript", "iframe", "object", "embed", "form", "button"}
HEADING_TAGS = {"h1": "h2", "h2": "h2", "h3": "h3", "h4": "h4", "h5": "h5", "h6": "h6"}
# A part of a cleaned body (one paragraph or figure) that nh3 would give back as it is, but
# for no-break spaces, which it writes as &nbsp;: escaped text, an http(s) image, no NUL or
# CR (the HTML parser drops or rewrites them), no lone surrogate (nh3 refuses them). Most
# parts are: leaving nh3 out for them saves an eighth of the time a document takes to prepare.
_TEXT = r"[^<&\x00\r\ud800-\udfff]*(?:&(?:amp|lt|gt);[^<&\x00\r\ud800-\udfff]*)*"
_SRC = r"https?://[^\"&'<>\x00\r\ud800-\udfff]*(?:&amp;[^\"&'<>\x00\r\ud800-\udfff]*)*"
PLAIN_PART = re.compile(
    rf"<(p|h[2-6]|blockquote|li)>{_TEXT}</\1>"
    rf'|<figure><img src="{_SRC}"(?: width="[0-9]+")?(?: height="[0-9]+")?>'
    rf"(?:<figcaption>{_TEXT}</figcaption>)?</figure>"
)


class CleanError(ValueError):
    """An item that cannot be cleaned; ``failures`` say which field and value."""

    def __init__(self, reason: str, failures: list[dict[str, Any]]) -> None:
        super().__init__(reason)
        self.failures = failures


@dataclass
class Body:
    """A cleaned article body."""

    html: str
    text: str
    images: list[dict[str, Any]] = field(default_factory=list)
    author: str | None = None
    origin: str | None = None
    dropped_urls: list[str] = field(default_factory=list)


def single_line(value: str | None) -> str | None:
    """A one-line field (title, author, kicker, column, ...): line breaks and control
    characters become spaces, then the line is normalised; empty becomes None."""
    if value is None:
        return None
    return normalise_line(LINE_BREAKS_AND_CONTROLS.sub(" ", value)) or None


def image_url(url: str | None, base_url: str | None) -> str | None:
    """An image URL freed of its proxy and made absolute, or None unless it is http(s)."""
    unwrapped = unwrap_proxy(url)[0]
    if not unwrapped:
        return None
    if PLAIN_ABSOLUTE.fullmatch(unwrapped):
        return unwrapped
    if unwrapped.startswith("//"):
        unwrapped = "https:" + unwrapped
    absolute = urljoin(base_url, unwrapped) if base_url else unwrapped
    try:
        parts = urlsplit(absolute)
    except ValueError:
        return None
    return absolute if parts.scheme.lower() in IMAGE_SCHEMES and parts.hostname else None


def _image(
    img: Any, base_url: str | None, caption: str | None, dropped: list[str]
) -> dict[str, Any] | None:
    """An image's original URL (lazy ``data-original`` first, proxy removed) and size;
    None, with the URL added to ``dropped``, when it is not an http(s) URL."""
    raw = img.get("data-original") or img.get("data-src") or img.get("src")
    url, proxied = unwrap_proxy(raw)
    if not url:
        return None
    if proxied is None and (src := img.get("src")):
        unwrapped, wrapped = unwrap_proxy(src)
        proxied = wrapped if unwrapped == url else None
    if (safe := image_url(url, base_url)) is None:
        dropped.append(url[:200])
        return None
    url = safe

    def size(*names: str) -> int | None:
        for name in names:
            value = (img.get(name) or "").strip().removesuffix("px")
            if value.isdigit():
                return int(value)
        return None

    return {
        "url": url,
        "proxied_url": proxied,
        "width": size("data-width", "width"),
        "height": size("data-height", "height"),
        "caption": caption or normalise_line(img.get("alt") or "") or None,
    }


def _figure(image: dict[str, Any]) -> str:
    attrs = f' src="{html.escape(image["url"])}"'
    for name in ("width", "height"):
        if image[name] is not None:
            attrs += f' {name}="{image[name]}"'
    caption = image["caption"]
    tail = f"<figcaption>{html.escape(caption, quote=False)}</figcaption>" if caption else ""
    return f"<figure><img{attrs}>{tail}</figure>"


def _text(element: Any) -> str:
    """An element's text and its descendants' (not its tail), as lxml.html's
    ``text_content`` gives it, at a third of the cost."""
    return etree.tostring(element, method="text", encoding="unicode", with_tail=False)


def _drop(element: Any) -> None:
    """Take an element and its content out of the tree, keeping the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + element.tail
        else:
            previous.tail = (previous.tail or "") + element.tail
    parent.remove(element)


def parse_body(body_html: str) -> Any:
    """The ``<body>`` of an HTML fragment (or document), None when there is none."""
    if not FULL_DOCUMENT.match(body_html):
        body_html = f"<html><body>{body_html}</body></html>"
    try:
        document = etree.fromstring(body_html, _PARSER)
    except etree.XMLSyntaxError:
        return None
    return None if document is None else document.find("body")


class _BlockWriter:
    """Flattens an HTML tree into paragraphs and figures, in reading order."""

    def __init__(self, base_url: str | None, holders: set[Any]) -> None:
        self.base_url = base_url
        self.holders = holders  # the elements with an image inside
        self.blocks: list[tuple[str, str, str]] = []  # (tag, inner html, text)
        self.images: list[dict[str, Any]] = []
        self.dropped_urls: list[str] = []
        self._html: list[str] = []
        self._text: list[str] = []

    def loose(self, fragment_html: str, fragment_text: str) -> None:
        self._html.append(fragment_html)
        self._text.append(fragment_text)

    def flush(self) -> None:
        if self._html:
            self.blocks.append(("p", "".join(self._html), "".join(self._text)))
            self._html, self._text = [], []

    def figures(self, element: Any) -> None:
        self.flush()
        images = [element] if element.tag == "img" else list(element.iter("img"))
        captions = [normalise_line(_text(c)) for c in element.iter("figcaption")]
        for img in images:
            image = _image(
                img,
                self.base_url,
                captions[0] if len(images) == 1 and captions else None,
                self.dropped_urls,
            )
            if image is not None:
                image["position"] = len(self.images)
                self.images.append(image)
                self.blocks.append(("figure", _figure(image), ""))

    def walk(self, element: Any) -> None:
        if element.text:
            self.loose(html.escape(element.text, quote=False), element.text)
        for child in element:
            tag = child.tag if isinstance(child.tag, str) else None
            if tag in ("img", "figure"):
                self.figures(child)
            elif tag in CONTAINER_TAGS or (tag in PARAGRAPH_TAGS and child in self.holders):
                self.flush()
                self.walk(child)
                self.flush()
            elif tag in PARAGRAPH_TAGS and len(child):
                self.flush()
                inner = html.escape(child.text or "", quote=False) + "".join(
                    etree.tostring(c, encoding="unicode", method="html", with_tail=True)
                    for c in child
                )
                self.blocks.append((HEADING_TAGS.get(tag, "p"), inner, _text(child)))
            elif tag in PARAGRAPH_TAGS:  # text only, the most common paragraph
                self.flush()
                text = child.text or ""
                self.blocks.append((HEADING_TAGS.get(tag, "p"), html.escape(text, False), text))
            elif tag == "br":
                self.flush()
            elif tag is not None:  # comments and processing instructions are dropped
                self.loose(
                    etree.tostring(child, encoding="unicode", method="html", with_tail=False),
                    _text(child),
                )
            if child.tail:
                self.loose(html.escape(child.tail, quote=False), child.tail)
        self.flush()


def _assembled(blocks: list[tuple[str, str, str]]) -> tuple[list[str], list[str], Paragraphs]:
    """A body's parts (paragraphs and figures, not sanitised yet) and paragraph texts,
    without empty and boilerplate paragraphs, and what the boilerplate lines named."""
    texts = normalise_lines([text for _, _, text in blocks])
    stripped = strip_boilerplate([t for t in texts if t])
    kept = set(stripped.kept)
    parts: list[str] = []
    paragraphs: list[str] = []
    for (tag, inner, _), text in zip(blocks, texts, strict=True):
        if tag == "figure":
            parts.append(inner)
        elif text and text in kept:
            parts.append(f"<{tag}>{inner}</{tag}>")
            paragraphs.append(text)
    return parts, paragraphs, stripped


def _finish(blocks: list[tuple[str, str, str]], images: list[dict[str, Any]]) -> Body:
    """Drop empty and boilerplate paragraphs; sanitise; join the text by paragraph."""
    parts, paragraphs, stripped = _assembled(blocks)
    body_html = sanitised(parts)
    return Body(body_html, "\n".join(paragraphs), images, stripped.author, stripped.origin)


def sanitised(parts: list[str]) -> str:
    """The parts of a body, each sanitised on its own, so that markup one leaves open
    (an empty ``<strong/>``, a stray ``<li>``) never spills into the next; nh3 runs only on
    the parts not already in its form (:data:`PLAIN_PART`)."""
    return "".join(
        part.replace("\xa0", "&nbsp;") if PLAIN_PART.fullmatch(part) else SANITISER.clean(part)
        for part in parts
    )


def _depth(root: Any) -> int:
    """How deeply elements nest below ``root`` (iteratively: no recursion limit)."""
    depth = deepest = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
    return deepest


def _walked(body_html: str, base_url: str | None) -> _BlockWriter:
    """An HTML body flattened into blocks; raises :class:`CleanError` for a body nested
    deeper than :data:`MAX_NESTING`."""
    root = parse_body(body_html) if body_html.strip() else None
    holders: set[Any] = set()
    if root is not None:
        # only a body with that many tags can nest so deep (the walk is then skipped)
        if body_html.count("<") > MAX_NESTING // 2 and (depth := _depth(root)) > MAX_NESTING:
            raise CleanError(
                f"body_html nested {depth:,} elements deep (limit {MAX_NESTING})",
                [{"expectation": "nesting depth limit", "column": "body_html", "value": depth}],
            )
        for element in list(root.iter(*DROPPED_TAGS)):
            _drop(element)
        holders = {a for img in root.iter("img") for a in img.iterancestors()}
    writer = _BlockWriter(base_url, holders)
    if root is not None:
        writer.walk(root)
    return writer


def clean_html(body_html: str, base_url: str | None = None) -> Body:
    """Sanitised HTML and paragraph text of an article's HTML body; raises
    :class:`CleanError` for a body nested deeper than :data:`MAX_NESTING`."""
    writer = _walked(body_html, base_url)
    body = _finish(writer.blocks, writer.images)
    body.dropped_urls = writer.dropped_urls
    return body


def unsanitised_parts(body_html: str, base_url: str | None = None) -> list[str]:
    """The paragraphs and figures :func:`clean_html` makes of a body, before
    :func:`sanitised` (what the ETL benchmark's one-process ceiling sanitises)."""
    return _assembled(_walked(body_html, base_url).blocks)[0]


def clean_plain_text(body_text: str) -> Body:
    """Paragraphs of a plain-text body (one per line) as text and as ``<p>`` HTML."""
    lines = normalise_lines(body_text.split("\n"))
    blocks = [("p", html.escape(line, quote=False), line) for line in lines]
    return _finish(blocks, [])


def _date(
    item: ArticleItem, fetched_at: datetime, zone: ZoneInfo | Any
) -> tuple[datetime | None, bool]:
    if not item.published:
        return None, False
    try:
        parsed = parse_published(item.published, fetched_at, zone)
    except UnparsableDate as error:
        raise CleanError(
            str(error),
            [
                {
                    "expectation": "published_at parsable",
                    "column": "published",
                    "value": item.published,
                }
            ],
        ) from None
    return parsed.value, parsed.relative


def _size_check(item: ArticleItem) -> None:
    """Refuse bodies too large to be an article and fields longer than their columns."""
    for name in ("body_html", "body_text"):
        value = getattr(item, name) or ""
        if len(value) > MAX_BODY_CHARS:
            raise CleanError(
                f"{name} too large: {len(value):,} characters (limit {MAX_BODY_CHARS:,})",
                [{"expectation": "body size limit", "column": name, "value": len(value)}],
            )
    values = [(name, getattr(item, name)) for name in FIELD_LIMITS]
    values += [("categories", name) for name in item.categories]
    values += [("images", image.url) for image in item.images]
    too_long = [
        {"expectation": "field length limit", "column": name, "value": value[:200]}
        for name, value in values
        if value and len(value) > FIELD_LIMITS[name]
    ]
    if too_long:
        names = ", ".join(
            f"{name} over {FIELD_LIMITS[name]:,} characters"
            for name in sorted({f["column"] for f in too_long})
        )
        raise CleanError(f"too long for the warehouse: {names}", too_long)


def clean_item(
    item: ArticleItem, *, fetched_at: datetime, zone: ZoneInfo | Any = SHANGHAI
) -> dict[str, Any]:
    """The warehouse values of one item; raises :class:`CleanError` for what cannot be
    cleaned (oversized body, unparsable date)."""
    _size_check(item)
    if item.fetched_at:
        fetched_at = datetime.fromisoformat(item.fetched_at)
        fetched_at = fetched_at if fetched_at.tzinfo else fetched_at.replace(tzinfo=zone)
    published_at, relative = _date(item, fetched_at, zone)
    body = (
        clean_html(item.body_html, item.url)
        if item.body_html
        else clean_plain_text(item.body_text or "")
    )
    content_hash = text_hash(body.text)
    script = script_of(body.text)
    inferred = list(dict.fromkeys(item.inferred + (["published_at"] if relative else [])))

    dropped = list(body.dropped_urls)

    def original(url: str | None) -> str | None:
        safe = image_url(url, item.url)
        if url and url.strip() and safe is None:
            dropped.append(url.strip()[:200])
        return safe

    return {
        "source": item.source,
        "url": item.url,
        "canonical_url": canonical_url(item.canonical_url or item.url)
        or TEXT_URN.format(hash=content_hash),
        "title": single_line(item.title),
        "kicker": single_line(item.kicker),
        "subtitle": single_line(item.subtitle),
        "column": single_line(item.column),
        "page": single_line(item.page),
        "author": single_line(item.author) or body.author,
        "origin": single_line(item.origin) or body.origin,
        "published_at": published_at,
        "fetched_at": fetched_at,
        "head_image": original(item.head_image),
        "thumbnail": original(item.thumbnail),
        "comments": item.comments,
        "tags": [t for t in (single_line(tag) for tag in item.tags) if t],
        "categories": [c for c in (single_line(name) for name in item.categories) if c],
        "body_html": body.html,
        "body_text": body.text,
        "char_count": len(body.text),
        "content_hash": content_hash,
        "language": script.language,
        "cjk_share": script.cjk_share,
        "images": body.images,
        "inferred_fields": inferred,
        "dropped_urls": dropped,
    }
