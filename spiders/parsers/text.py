"""A page's visible text as lines, the way a reader sees it: one line per block element or
``<br>``, with how much of each line is link text and which images sit in it.

The walk is iterative (``iterwalk``): pages with thousands of unclosed ``<font>`` tags nest
deeper than Python's recursion allows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree
from lxml import html as lxml_html

SPACES = re.compile(r"[ \t\r\n\f\v\xa0\u2002\u2003\u200b]+")
HAN = r"\u4e00-\u9fff"
WORD_CHARS = re.compile(rf"[{HAN}\u3400-\u4dbfA-Za-z0-9]")
BLOCK_TAGS = {
    "p", "div", "li", "ul", "ol", "td", "th", "tr", "table", "tbody", "thead", "h1", "h2", "h3",
    "h4", "h5", "h6", "header", "footer", "section", "article", "aside", "nav", "br", "dd", "dt",
    "dl", "blockquote", "figure", "figcaption", "form", "hr", "pre", "main", "address", "center",
    "caption", "body", "html",
}  # fmt: skip
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
SKIP_TAGS = {
    "script", "style", "noscript", "template", "iframe", "select", "option", "textarea", "head",
    "button", "svg", "object", "embed",
}  # fmt: skip
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
XML_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*>")


def clean_text(text: str | None) -> str | None:
    """Text with ASCII whitespace and no-break spaces collapsed to one space and the ends
    (ideographic spaces included) stripped; None when nothing is left. Inner ideographic
    spaces stay: they separate phrases in Chinese headlines and datelines."""
    if text is None:
        return None
    cleaned = SPACES.sub(" ", text).strip(" \u3000")
    return cleaned or None


def word_count(text: str) -> int:
    """Characters that carry words: Han characters, letters and digits (no punctuation)."""
    return len(WORD_CHARS.findall(text))


@dataclass
class Line:
    """One visible line: its text, the characters of it inside links, the block element it
    belongs to, whether it is a heading, and the images (``src``, alt text) it holds."""

    text: str
    links: int
    element: etree._Element
    heading: bool = False
    images: list[tuple[str, str | None]] = field(default_factory=list)

    @property
    def words(self) -> int:
        return word_count(self.text)

    @property
    def link_share(self) -> float:
        return self.links / max(len(self.text.replace(" ", "")), 1)


def parse_html(text: str) -> etree._Element | None:
    """The page's element tree, or None for a page with no markup or text at all."""
    text = XML_DECLARATION.sub("", text).replace("\x00", "")
    if not text.strip():
        return None
    try:
        return lxml_html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return None


def _hidden(element: etree._Element) -> bool:
    hidden = element.get("hidden") is not None
    return hidden or bool(HIDDEN_STYLE.search(element.get("style") or ""))


def _image_src(element: etree._Element) -> str | None:
    for name in ("data-original", "data-src", "src"):
        if (value := (element.get(name) or "").strip()) and not value.startswith("data:"):
            return value
    return None


class _LineBuilder:
    """Collects text pieces and images until a block boundary closes the line."""

    def __init__(self, root: etree._Element) -> None:
        self.blocks = [root]  # the open block elements, innermost last
        self.lines: list[Line] = []
        self.pieces: list[tuple[str, bool]] = []
        self.images: list[tuple[str, str | None]] = []

    def add(self, text: str | None, in_link: bool, pre: bool) -> None:
        if not text:
            return
        if pre and "\n" in text:
            first, *rest = text.split("\n")
            self.pieces.append((first, in_link))
            for part in rest:
                self.flush(self.blocks[-1])
                self.pieces.append((part, in_link))
            return
        self.pieces.append((text, in_link))

    def flush(self, element: etree._Element, heading: bool = False) -> None:
        text = clean_text("".join(SPACES.sub(" ", piece) for piece, _ in self.pieces))
        links = sum(len(SPACES.sub("", piece)) for piece, in_link in self.pieces if in_link)
        if text or self.images:
            self.lines.append(Line(text or "", links, element, heading, self.images))
        self.pieces = []
        self.images = []


def page_lines(root: etree._Element) -> list[Line]:
    """The visible lines of ``root`` in reading order (scripts, styles, hidden parts left out)."""
    builder = _LineBuilder(root)
    blocks = builder.blocks
    links = 0
    pre = 0
    headings = 0
    walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, element in walker:
        if event in ("comment", "pi"):
            builder.add(element.tail, links > 0, pre > 0)
            continue
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        skipped = not tag or tag in SKIP_TAGS or _hidden(element)
        if event == "start":
            if skipped:
                walker.skip_subtree()
                continue
            if tag in BLOCK_TAGS:
                builder.flush(blocks[-1], headings > 0)
                blocks.append(element)
            links += tag == "a"
            pre += tag == "pre"
            headings += tag in HEADINGS
            if tag == "img" and (src := _image_src(element)):
                builder.images.append((src, clean_text(element.get("alt") or element.get("title"))))
            builder.add(element.text, links > 0, pre > 0)
            continue
        if not skipped:
            if tag in BLOCK_TAGS:
                builder.flush(blocks[-1], headings > 0)
                blocks.pop()
            links -= tag == "a"
            pre -= tag == "pre"
            headings -= tag in HEADINGS
        builder.add(element.tail, links > 0, pre > 0)
    builder.flush(root)
    return builder.lines


def html_to_text(body_html: str | None) -> str | None:
    """Paragraph HTML as text, one paragraph a line."""
    if not body_html or not body_html.strip():
        return None
    fragment = lxml_html.fragment_fromstring(body_html, create_parent="div")
    return "\n".join(line.text for line in page_lines(fragment) if line.text) or None
