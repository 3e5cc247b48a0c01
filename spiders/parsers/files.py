"""Parsers for article files: Hexo posts (YAML front matter + HTML body) and People's
Daily-style plain text (``kicker——title（column）`` then paragraphs split by two ideographic
spaces).

Both are layouts in the fundus sense: each field a small ``@attribute`` method. What a file
does not say stays empty; what is derived rather than read (a ZAKER URL rebuilt from the
article id in the image names) is listed in ``ArticleItem.inferred``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cached_property
from typing import Any

import yaml

from schemas.items import ArticleItem
from spiders.encoding import decode
from spiders.parsers.base import LayoutParser, attribute
from spiders.plausibility import implausible
from spiders.publishers import canonical_url, url_from_images


class FileRejected(ValueError):
    """A file that cannot become an article; the message is the reason shown to the user."""


FRONT_MATTER = re.compile(r"\A\s*---[ \t]*\r?\n(?P<yaml>.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
PARAGRAPH_BREAK = re.compile(r"\u3000\u3000|\r?\n")
HEADLINE = re.compile(r"\A(?:(?P<kicker>.+?)——)?(?P<title>.+?)(?:（(?P<column>[^（）]{1,20})）)?\Z")
MAX_HEADLINE_CHARS = 200
MAX_UNREADABLE_SHARE = 0.02  # control or undecodable characters a text file may contain
DAMAGE_ALLOWANCE = 16  # ... and however short the file, what a few flipped bytes make
MAX_FRONT_MATTER_CHARS = 64 * 1024
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class _FrontMatterLoader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases: ``*name`` lets a few lines stand for billions
    of values (an alias bomb); front matter written by people or Hexo never needs one."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, f"aliases (*{event.anchor}) are not allowed", event.start_mark
            )
        return super().compose_node(parent, index)


def load_front_matter(text: str) -> Any:
    """The YAML of a front-matter block, read safely: no tags beyond the standard ones, no
    aliases, bounded size and nesting. Raises :class:`FileRejected` with the reason."""
    if len(text) > MAX_FRONT_MATTER_CHARS:
        raise FileRejected(
            f"front matter too large: {len(text):,} characters (limit {MAX_FRONT_MATTER_CHARS:,})"
        )
    try:
        return yaml.load(text, Loader=_FrontMatterLoader)  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise FileRejected(f"broken YAML front matter{where}: {problem}") from None
    except RecursionError:
        raise FileRejected("broken YAML front matter: nested too deeply") from None


def _text(value: Any) -> str | None:
    """A front-matter scalar as stripped text; YAML dates back to ISO 8601. NULs and lone
    surrogates (YAML escapes can make both; no database stores them) become U+FFFD."""
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = UNSTORABLE.sub("\ufffd", str(value)).strip()
    return text or None


class HexoPost(LayoutParser):
    """A Hexo markdown post: YAML front matter between ``---`` lines, then the HTML body."""

    @cached_property
    def front_matter(self) -> dict[str, Any]:
        match = FRONT_MATTER.match(self.text)
        if match is None:
            raise FileRejected("no front matter: a Hexo post starts with a '---' block")
        data = load_front_matter(match["yaml"])
        if not isinstance(data, dict):
            raise FileRejected("front matter is not a mapping of keys to values")
        return data

    @cached_property
    def body(self) -> str:
        match = FRONT_MATTER.match(self.text)
        return self.text[match.end() :].strip() if match else ""

    def _field(self, *keys: str) -> str | None:
        for key in keys:
            if (value := _text(self.front_matter.get(key))) is not None:
                return value
        return None

    def article_url(self) -> tuple[str | None, bool]:
        """The post's URL and whether it was inferred: given, else from the front matter,
        else rebuilt from the image names by a publisher's rule (ZAKER's article ids)."""
        if read := self.url or self._field("url", "link", "permalink"):
            return read, False
        found = url_from_images(self.body, self._field("headimg", "thumbnail"))
        return found, found is not None

    @attribute
    def title(self) -> str | None:
        return self._field("title")

    @attribute
    def kicker(self) -> str | None:
        return self._field("kicker")

    @attribute
    def subtitle(self) -> str | None:
        return self._field("subtitle")

    @attribute
    def column(self) -> str | None:
        return self._field("column")

    @attribute
    def page(self) -> str | None:
        return self._field("page")

    @attribute
    def author(self) -> str | None:
        return self._field("author")

    @attribute
    def origin(self) -> str | None:
        return self._field("origin")

    @attribute
    def published(self) -> str | None:
        return self._field("date")

    @attribute
    def categories(self) -> list[str]:
        return self._list("categories")

    @attribute
    def tags(self) -> list[str]:
        return self._list("tags")

    def _list(self, key: str) -> list[str]:
        value = self.front_matter.get(key)
        items = value if isinstance(value, list) else [value]
        return [text for item in items if (text := _text(item))]

    @attribute
    def head_image(self) -> str | None:
        return self._field("headimg", "cover")

    @attribute
    def thumbnail(self) -> str | None:
        return self._field("thumbnail")

    @attribute
    def comments(self) -> bool | None:
        value = self.front_matter.get("comments")
        return value if isinstance(value, bool) else None

    @attribute
    def body_html(self) -> str | None:
        return self.body or None

    @attribute
    def inferred(self) -> list[str]:
        return self._list("inferred")


class PlainTextArticle(LayoutParser):
    """People's Daily-style text: the first segment is ``kicker——title（column）``, then one
    paragraph per segment (section heads such as ``逻辑内涵：`` stay paragraphs)."""

    @cached_property
    def segments(self) -> list[str]:
        return [s.strip() for s in PARAGRAPH_BREAK.split(self.text) if s.strip()]

    @cached_property
    def headline(self) -> re.Match[str] | None:
        if not self.segments or len(self.segments[0]) > MAX_HEADLINE_CHARS:
            return None
        return HEADLINE.match(self.segments[0])

    def _part(self, name: str) -> str | None:
        return self.headline[name].strip() if self.headline and self.headline[name] else None

    def article_url(self) -> tuple[str | None, bool]:
        """Plain text carries no URL: only the one given counts."""
        return self.url, False

    @attribute
    def title(self) -> str | None:
        return self._part("title")

    @attribute
    def kicker(self) -> str | None:
        return self._part("kicker")

    @attribute
    def column(self) -> str | None:
        return self._part("column")

    @attribute
    def body_text(self) -> str | None:
        paragraphs = self.segments[1:] if self.headline else self.segments
        return "\n".join(paragraphs) or None


def _binary(unreadable: int, total: int) -> bool:
    """Whether ``unreadable`` of ``total`` characters (or bytes) make a file binary: more
    than a share of it, and more than a few flipped bytes of a damaged text make."""
    return unreadable > DAMAGE_ALLOWANCE and unreadable > MAX_UNREADABLE_SHARE * total


def decode_article_file(raw: bytes) -> tuple[str, str]:
    """A file's text and encoding (GBK, GB2312, UTF-8 with or without BOM, ...).

    Raises :class:`FileRejected` for binary content: NUL bytes, control or undecodable
    characters beyond what a few damaged bytes of a text file make. A UTF-8 text with a few
    damaged bytes stays UTF-8 (byte sniffing would make mojibake of it), the damage shown
    as U+FFFD.
    """
    utf16 = raw.startswith((b"\xff\xfe", b"\xfe\xff"))
    nuls = raw.count(b"\x00")
    if not utf16 and _binary(nuls, len(raw)):
        raise FileRejected(f"binary file: {nuls} NUL bytes, not text")
    text, encoding = decode(raw)
    if encoding != "utf-8" and not utf16 and implausible(text):
        damaged = raw.decode("utf-8", errors="replace")
        if not implausible(damaged):
            text, encoding = damaged.removeprefix("\ufeff"), "utf-8"
    text = text.replace("\x00", "\ufffd")
    unreadable = sum(1 for c in text if c == "\ufffd" or (c < " " and c not in "\t\r\n\f"))
    if _binary(unreadable, len(text)):
        raise FileRejected(f"binary file: {unreadable} of {len(text)} characters unreadable")
    return text, encoding


def parse_article_file(
    text: str, *, source: str, url: str | None = None, published: str | None = None
) -> ArticleItem:
    """Parse a file's text as a Hexo post or a plain-text article.

    ``url`` and ``published`` are what the user says of the file (import options); they fill
    fields the file lacks and are then listed in ``inferred``.
    """
    if not text.strip():
        raise FileRejected("empty file")
    layout: type[HexoPost | PlainTextArticle] = (
        HexoPost if text.lstrip().startswith("---") else PlainTextArticle
    )
    parser = layout(text, url, source)
    item = parser.parse()
    item.url, url_inferred = parser.article_url()
    item.canonical_url = canonical_url(item.url)
    if url or url_inferred:
        item.inferred.append("url")
    if published and not item.published:
        item.published = published
        item.inferred.append("published_at")
    return item
