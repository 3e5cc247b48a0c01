"""Generic article extraction for pages no site-specific parser knows.

Everything comes from our own rules over the page's visible lines (:mod:`.text`), because
public extractors lose Chinese pages' bylines and dates and drop bodies laid out in tables:

- body: the heaviest run of text lines near the headline, boilerplate cut out (:mod:`.body`);
  trafilatura only when no line looks like text (imported then, not at start-up);
- author: labels (``作者：``, ``文/``, ``记者：``), forum posters, ``.author``/``.byline``
  elements, byline lines, bracketed bylines, a bare name under the headline, then ``<meta>``
  (:mod:`.bylines`);
- source: ``<meta name="source">``, then ``来源：``/``稿源：`` labels, then ``.source``;
- date: ``<meta>``/``<time>`` values as given (a bare day gives way to the same day with its
  time from the text), else the labelled date nearest the headline (:mod:`.dates`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from functools import cached_property
from urllib.parse import urljoin

from lxml import etree
from parsel import Selector

from schemas.items import ArticleItem, ImageRef
from spiders.parsers.base import LayoutParser, attribute
from spiders.parsers.body import (
    Run,
    body_lines,
    body_run,
    caption_lines,
    in_boilerplate_container,
)
from spiders.parsers.bylines import (
    AUTHOR_LABEL,
    BYLINE_LINE,
    MAX_BYLINE_LINE,
    POST_HEADER,
    ROLE_WORD,
    bare_name,
    labelled_author,
    parse_byline,
    poster,
    reported_by,
    valid_name,
)
from spiders.parsers.dates import publication_date
from spiders.parsers.text import Line, clean_text, page_lines, parse_html

SOURCE = "web"
MAX_INFO_LINE = 160
ORIGIN_LABEL = re.compile(r"\A\s*(?:本文)?(?:来源|來源|稿源|出处|出處|转自)\s*[:：]\s*")
ORIGIN_LINE = re.compile(
    r"(?:来源|來源|稿源|出处|出處|转自)\s*[:：]\s*(?P<origin>[^\s\u3000|｜丨·]+)"
)
TITLE_SEPARATORS = re.compile(r"\s*(?:[_|｜]|--|——|\s-\s)\s*")
META_AUTHOR = ("author", "Author", "article:author", "byline", "dc.creator", "DC.creator")
META_ORIGIN = ("source", "Source", "ContentSource", "copyfrom", "og:source")
META_DATE = (
    "article:published_time",
    "publishdate",
    "PubDate",
    "pubdate",
    "publish_time",
    "og:release_date",
    "datePublished",
    "dc.date",
    "DC.date.issued",
)
META_TITLE = ("og:title", "twitter:title", "title", "ArticleTitle")
AUTHOR_NODES = ".author, .byline, [itemprop=author], address"
ORIGIN_NODES = ".source, .article-source, .from, #source, .origin"
MIN_TITLE = 6
NEAR_TITLE = 3  # lines under the headline where a bare name is its author
MAX_DATELINE = 60
SENTENCE = re.compile(r"[，。！？]")
BLOG = re.compile(r"博客|部落格|空间|空間|blog", re.IGNORECASE)
POST_NEAR_TITLE = 15  # lines between a thread's title and its first post's header
PROFILE_LINES = 12  # lines of a forum poster's profile cell before the post's header


class GenericArticle(LayoutParser):
    """Any news article page: rules over ``<meta>`` tags and the page's text lines."""

    @cached_property
    def tree(self) -> etree._Element | None:
        return parse_html(self.text)

    @cached_property
    def selector(self) -> Selector:
        """parsel over the tree already parsed: one parse per page."""
        return Selector(root=self.tree if self.tree is not None else parse_html("<html/>"))

    @cached_property
    def page_title(self) -> str:
        return clean_text(self.selector.css("title::text").get()) or ""

    def _meta(self, names: tuple[str, ...]) -> str | None:
        for name in names:
            for key in ("name", "property", "itemprop"):
                for value in self.selector.xpath(f"//meta[@{key}=$name]/@content", name=name):
                    if text := clean_text(value.get()):
                        return text
        return None

    def _nodes_text(self, query: str) -> list[str]:
        texts = (" ".join(node.css("::text").getall()) for node in self.selector.css(query))
        return [text for text in map(clean_text, texts) if text]

    @cached_property
    def lines(self) -> list[Line]:
        if self.tree is None:
            return []
        body = self.tree.find("body")
        return page_lines(body if body is not None else self.tree)

    @cached_property
    def texts(self) -> list[str]:
        return [line.text for line in self.lines]

    @cached_property
    def title_line(self) -> int | None:
        """Where the headline is: the heading or line that is the title, the first such."""
        title = self._title
        if not title:
            return None
        exact = [i for i, text in enumerate(self.texts) if text == title]
        if exact:
            headings = [i for i in exact if self.lines[i].heading]
            return (headings or exact)[0]
        return next((i for i, text in enumerate(self.texts) if title in text), None)

    @cached_property
    def info_lines(self) -> list[str]:
        """Short lines: those after the headline first (the byline area), then the rest."""
        start = -1 if self.title_line is None else self.title_line
        short = [(i, t) for i, t in enumerate(self.texts) if len(t) <= MAX_INFO_LINE]
        return [t for i, t in short if i > start] + [t for i, t in short if i <= start]

    @cached_property
    def _title(self) -> str | None:
        if self.tree is None:
            return None
        page_title = self.page_title
        headings = [h for h in self._nodes_text("h1, h2, h3") if len(h) > 1]
        in_title = [h for h in headings if h in page_title and len(h) >= 4]
        if in_title:
            return max(in_title, key=len)
        first_part = TITLE_SEPARATORS.split(page_title)[0] if page_title else ""
        if first_part and len(first_part) >= 4 and first_part in self.texts:
            return first_part
        # A headline the page title starts with, then names the site (标题-某某市人民政府).
        starts = [t for t in self.texts if len(t) >= MIN_TITLE and page_title.startswith(t)]
        if starts:
            return max(starts, key=len)
        if meta := self._meta(META_TITLE):
            return TITLE_SEPARATORS.split(meta)[0] if meta == page_title else meta
        h1 = [h for h in self._nodes_text("h1") if len(h) > 1]
        if h1:
            return max(h1, key=len)
        return first_part or None

    @attribute
    def title(self) -> str | None:
        return self._title

    @attribute
    def kicker(self) -> str | None:
        found = self._nodes_text(".kicker, .pretitle, .yinti")
        return found[0] if found else None

    def _near_title(self) -> list[str]:
        if self.title_line is None:
            return []
        return self.texts[self.title_line + 1 : self.title_line + 1 + NEAR_TITLE]

    def _poster(self) -> str | None:
        """The poster of the forum post nearest the headline: named in the post's header, or
        the bare name at the top of the profile cell just before it."""
        headers = [i for i, text in enumerate(self.texts) if POST_HEADER.search(text)]
        if not headers:
            return None
        anchor = self.title_line or 0
        nearest = min(headers, key=lambda i: (abs(i - anchor), i > anchor))
        if self.title_line is not None and abs(nearest - anchor) > POST_NEAR_TITLE:
            return None  # a comment's header far below an article, not a thread's first post
        if name := poster(self.texts[nearest]):
            return name
        names = []  # (not a link, distance): a profile's name is usually a link to it
        for index in range(nearest - 1, max(nearest - PROFILE_LINES, 0) - 1, -1):
            if index in headers or index == self.title_line:
                break
            if name := bare_name(self.texts[index]):
                names.append((self.lines[index].links < len(name), nearest - index, name))
        return min(names)[2] if names else None

    def _blog_owner(self) -> str | None:
        """The middle part of a blog page's title, ``标题_博主_某某博客``."""
        parts = TITLE_SEPARATORS.split(self.page_title)
        if len(parts) >= 3 and BLOG.search(parts[-1]):
            return bare_name(parts[-2])
        return None

    def _role_bylines(self) -> Iterator[str | None]:
        """Bylines inside short datelines, from their first role word (``记者``) on."""
        for line in self.info_lines:
            short = len(line) <= MAX_DATELINE and not SENTENCE.search(line)
            if short and (match := ROLE_WORD.search(line)):
                yield parse_byline(line[match.start() :])

    def _bylines(self) -> Iterator[str | None]:
        """Candidate authors, most explicit first."""
        for line in self.info_lines:
            if match := AUTHOR_LABEL.search(line):
                yield labelled_author(match["rest"])
        yield self._poster()
        for node in self.selector.css(AUTHOR_NODES):
            if not in_boilerplate_container(node.root):  # commenters are no authors
                yield parse_byline(" ".join(node.css("::text").getall()))
        for line in self.info_lines:
            if len(line) <= MAX_BYLINE_LINE and BYLINE_LINE.match(line):
                yield parse_byline(line)
        yield from self._role_bylines()
        for line in self.texts:
            yield reported_by(line)
        for line in self._near_title():
            yield bare_name(line)
        yield self._blog_owner()
        if (meta := self._meta(META_AUTHOR)) and valid_name(meta) and not self._site_name(meta):
            yield parse_byline(meta) or meta

    def _site_name(self, name: str) -> bool:
        """Whether ``name`` is what the page title names after its headline (channel, site)."""
        parts = TITLE_SEPARATORS.split(self.page_title)[1:]
        return any(name in part or part in name for part in parts if part)

    @attribute
    def author(self) -> str | None:
        return next((name for name in self._bylines() if name), None)

    @attribute
    def origin(self) -> str | None:
        if meta := self._meta(META_ORIGIN):
            return ORIGIN_LABEL.sub("", meta) or None
        for line in self.info_lines:
            if match := ORIGIN_LINE.search(line):
                return match["origin"]
        for text in self._nodes_text(ORIGIN_NODES):
            if len(text) <= MAX_BYLINE_LINE:
                return ORIGIN_LABEL.sub("", text) or None
        return None

    @attribute
    def published(self) -> str | None:
        in_text = publication_date(self.texts, self.title_line)
        declared = self._meta(META_DATE) or self.selector.css("time::attr(datetime)").get()
        if declared:
            declared = clean_text(declared)
            # A bare day in a tag gives way to the same day with its time in the text.
            if in_text and len(in_text) > 10 and declared == in_text[:10]:
                return in_text
            return declared
        return in_text

    @cached_property
    def body(self) -> tuple[list[int], Run] | None:
        """The article's line indexes and the span of lines it was found in."""
        run = body_run(self.lines, self.title_line)
        return body_lines(self.lines, run, self._title) if run else None

    @cached_property
    def paragraphs(self) -> list[str]:
        """Body paragraphs: the article's lines; trafilatura's when no line looks like text."""
        if self.body is not None and self.body[0]:
            return [self.texts[i] for i in self.body[0]]
        return self._fallback_paragraphs()

    def _fallback_paragraphs(self) -> list[str]:
        if self.tree is None:
            return []
        import trafilatura  # only here: it costs a third of a second to import

        text = trafilatura.extract(self.text, include_comments=False, favor_recall=True)
        return [line for line in map(clean_text, (text or "").split("\n")) if line]

    @attribute
    def body_html(self) -> str | None:
        return "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in self.paragraphs) or None

    @attribute
    def images(self) -> list[ImageRef]:
        if self.body is None:
            return []
        span = self.body[1]
        lines = self.lines[span.start : span.end]
        captions = caption_lines(lines)
        refs: list[ImageRef] = []
        for index, line in enumerate(lines):
            caption = captions.get(index) or captions.get(index + 1)
            for src, alt in line.images:
                url = urljoin(self.url or "", src)
                if not any(ref.url == url for ref in refs):
                    refs.append(ImageRef(url=url, caption=alt or caption))
        return refs

    @attribute
    def head_image(self) -> str | None:
        if meta := self._meta(("og:image", "twitter:image")):
            return urljoin(self.url or "", meta)
        images = self.images()
        return images[0].url if images else None


def parse_generic(text: str, url: str | None = None, source: str = SOURCE) -> ArticleItem:
    """Extract an article from any news page's text."""
    return GenericArticle(text, url, source).parse()
