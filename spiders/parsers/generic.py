"""Generic article extraction for pages no site-specific parser knows.

The body comes from trafilatura (comments off, precision first); title, byline, source (来源)
and date come from our own rules, because trafilatura misses Chinese bylines (``作者：``,
``本报记者 …``) and drops Chinese ``<meta name="author">`` values. The rules read the page's
short text lines, those right after the headline first:

- author: labels (``作者：``, ``文/``, ``记者：``), ``.author``/``.byline`` elements, byline
  lines (``本报记者　张　三``), bracketed bylines (``（记者 李四）``), then ``<meta>``;
- source: ``<meta name="source">``, then ``来源：``/``稿源：`` labels, then ``.source``;
- date: ``<meta>``/``<time>`` values as given (a bare day gives way to the same day with
  its time from the text), else the first date in the text as ``YYYY-MM-DD[ HH:MM[:SS]]``,
  local to the page (``2021年08月06日 08:07``, ``2021/8/6``, ``下午3:25``); the ETL turns
  it into UTC.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from functools import cached_property
from urllib.parse import urljoin

import trafilatura
from lxml import etree
from lxml import html as lxml_html
from trafilatura.settings import Document

from schemas.items import ArticleItem, ImageRef
from spiders.parsers.base import LayoutParser, attribute

SOURCE = "web"
SPACES = re.compile(r"[ \t\r\n\f\v\xa0\u2002\u2003\u200b]+")
WIDE_SPACES = re.compile(r"[\s\u3000]+")
HAN = r"\u4e00-\u9fff"
CJK_NAME = re.compile(
    rf"\A[{HAN}]{{2,4}}\Z|\A[{HAN}]{{1,6}}[·•][{HAN}·•]{{1,10}}\Z|\A[A-Za-z][A-Za-z .\-]{{1,30}}\Z"
)
# A role before names: 本报记者, 新华社记者, 本报驻日内瓦记者, 澎湃新闻记者, 实习生, 作者：, 文/
ROLE = re.compile(
    r"[^\s\u3000:：/／|｜（(]{0,12}?(?:特约|实习|首席|全媒体|融媒体)?"
    r"(?:[记記]者|通讯员|通訊員|评论员|評論員|撰稿人|特派员|实习生|實習生)"
    r"|(?:作者|撰文|撰稿|文字|文|图|圖|摄影|攝影|摄|攝)\s*[:：/／|｜]"
)
NAME_SEPARATORS = re.compile(r"[\s\u3000、，,;；/／|｜]+")
# Where a byline ends: the next label, a date, a photo credit, a place of reporting.
BYLINE_END = re.compile(
    r"来源|來源|稿源|出处|责任编辑|責任編輯|编辑|編輯|责编|校对|发布|發佈|时间|時間|日期|浏览|阅读|閱讀|字号|点击|分享"
    r"|[图圖]\s*[/／:：]|\d{4}\s*[-年/.]|[/／][^\s/／]{0,8}(?:报道|報導)|报道|報導"
)
AUTHOR_LABEL = re.compile(
    r"(?:^|(?<=[\s\u3000|｜·]))(?:作者|撰文|撰稿|文|[记記]者)\s*[:：/／|｜]\s*(?P<rest>.+)"
)
BYLINE_LINE = re.compile(r"\A[^\s\u3000（(]{0,12}?[记記]者")
BYLINE_IN_BRACKETS = re.compile(r"[（(]\s*[^（）()]{0,12}?[记記]者[^（）()]{2,40}[）)]")
MAX_BYLINE_LINE = 40
ORIGIN_LABEL = re.compile(r"\A\s*(?:本文)?(?:来源|來源|稿源|出处|出處|转自)\s*[:：]\s*")
ORIGIN_LINE = re.compile(
    r"(?:来源|來源|稿源|出处|出處|转自)\s*[:：]\s*(?P<origin>[^\s\u3000|｜丨·]+)"
)
DATE_TEXT = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*"
    r"(?:年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
    r"|[-/.](?P<m2>\d{1,2})[-/.](?P<d2>\d{1,2})(?!\d)"
    r"|\s+(?P<m3>\d{1,2})/(?P<d3>\d{1,2})(?!\d))"
    r"(?:\s*(?:星期.|周.|[（(]星期.[）)])?\s*(?P<ampm>上午|下午|中午|晚上|凌晨)?\s*"
    r"(?P<H>\d{1,2})[:：](?P<M>\d{2})(?:[:：](?P<S>\d{2}))?)?"
)
AFTERNOON = {"下午", "晚上"}
MAX_INFO_LINE = 160
MAX_CREDIT_LINE = 60
MAX_CAPTION = 80
CREDIT_LINE = re.compile(
    r"(?:来源|來源|责任编辑|责编|編輯|编辑|校对|作者)\s*[:：]|\A《\s*[^》]+》\s*[（(].*版\s*[）)]\Z"
)
INFO_LABEL = re.compile(r"(?:来源|來源|作者|编辑|[记記]者)\s*[:：]")
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
BLOCK_TAGS = {
    "p", "div", "li", "ul", "ol", "td", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "footer", "section", "article", "aside", "nav", "br", "dd", "dt", "dl", "blockquote",
    "figure", "figcaption", "form", "hr", "pre", "main", "address", "time",
}  # fmt: skip
SKIP_TAGS = {"script", "style", "noscript", "template", "iframe", "select", "option", "textarea"}


def clean_text(text: str | None) -> str | None:
    """Text with ASCII whitespace and no-break spaces collapsed to one space and the ends
    (ideographic spaces included) stripped; None when nothing is left. Inner ideographic
    spaces stay: they separate phrases in Chinese headlines and datelines."""
    if text is None:
        return None
    cleaned = SPACES.sub(" ", text).strip(" \u3000")
    return cleaned or None


def _merge_single_characters(tokens: list[str]) -> list[str]:
    """``郁　静　孙　超`` is two names typeset with spaces: join single characters pairwise."""
    merged: list[str] = []
    pending = ""
    for token in tokens:
        if len(token) == 1 and "\u4e00" <= token <= "\u9fff":
            pending += token
            if len(pending) == 2:
                merged.append(pending)
                pending = ""
            continue
        if pending:
            merged.append(pending)
            pending = ""
        merged.append(token)
    return [*merged, pending] if pending else merged


def parse_byline(text: str | None) -> str | None:
    """The authors' names in a byline, joined by ``、``: ``本报记者　郁　静　孙　超`` →
    ``郁静、孙超``; ``文/滨海晚报记者 吕思远 图/朱一鸣`` → ``吕思远``. A byline with a role
    but no name (``本报评论员``) is kept as it is; text that is no byline gives None."""
    text = clean_text(text)
    if not text:
        return None
    text = BYLINE_END.split(text, maxsplit=1)[0]
    stripped = ROLE.sub(" ", text)
    tokens = [t for t in NAME_SEPARATORS.split(stripped.strip("（）()【】[]· ")) if t]
    names = [t.strip("（）()【】[]") for t in _merge_single_characters(tokens)]
    names = [name for name in names if CJK_NAME.match(name)]
    if names:
        return "、".join(dict.fromkeys(names))
    role_only = WIDE_SPACES.sub("", text).strip("（）()【】[]:：")
    return role_only if ROLE.fullmatch(role_only) and len(role_only) <= 20 else None


def find_date(text: str) -> str | None:
    """The first valid date (and time) in ``text`` as ``YYYY-MM-DD[ HH:MM[:SS]]``, local to
    the page: ``2021年08月06日 08:07``, ``2021/8/6``, ``2021 08/06 08:07:32``,
    ``2021年8月6日 星期五 下午3:25``."""
    for match in DATE_TEXT.finditer(text):
        month = int(match["m"] or match["m2"] or match["m3"])
        day = int(match["d"] or match["d2"] or match["d3"])
        if not (1 <= month <= 12 and 1 <= day <= 31):
            continue
        found = f"{match['y']}-{month:02d}-{day:02d}"
        if match["H"] is None:
            return found
        hour = int(match["H"]) + (12 if match["ampm"] in AFTERNOON and int(match["H"]) < 12 else 0)
        if hour > 23 or int(match["M"]) > 59:
            return found
        seconds = f":{match['S']}" if match["S"] else ""
        return f"{found} {hour:02d}:{match['M']}{seconds}"
    return None


def text_lines(root: etree._Element) -> list[str]:
    """The visible text of a tree as lines, one per block element (scripts and styles left
    out); inline elements are separated by a space."""
    parts: list[str] = []

    def walk(element: etree._Element) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in SKIP_TAGS or not tag:
            parts.append(element.tail or "")
            return
        parts.append("\n" if tag in BLOCK_TAGS else " ")
        parts.append(element.text or "")
        for child in element:
            walk(child)
        parts.append("\n" if tag in BLOCK_TAGS else " ")
        parts.append(element.tail or "")

    walk(root)
    return [line for raw in "".join(parts).split("\n") if (line := clean_text(raw))]


def html_to_text(body_html: str | None) -> str | None:
    """Paragraph HTML as text, one paragraph a line."""
    if not body_html or not body_html.strip():
        return None
    return "\n".join(text_lines(lxml_html.fragment_fromstring(body_html, create_parent="div")))


class GenericArticle(LayoutParser):
    """Any news article page: rules over ``<meta>`` tags and text lines, trafilatura body."""

    @cached_property
    def tree(self) -> etree._Element:
        return lxml_html.document_fromstring(self.text)

    @cached_property
    def document(self) -> Document | None:
        """trafilatura's extraction (it prunes the tree it gets: give it the text)."""
        return trafilatura.bare_extraction(
            self.text,
            url=self.url,
            include_comments=False,
            include_images=True,
            with_metadata=True,
            favor_precision=True,
        )

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
    def lines(self) -> list[str]:
        body = self.tree.find("body")
        return text_lines(body if body is not None else self.tree)

    @cached_property
    def info_lines(self) -> list[str]:
        """Short lines: those after the headline first (the byline area), then the rest."""
        short = [line for line in self.lines if len(line) <= MAX_INFO_LINE]
        title = self._title
        start = next((i for i, line in enumerate(short) if title and title in line), -1)
        return short[start + 1 :] + short[: start + 1]

    @cached_property
    def _title(self) -> str | None:
        headings = [h for h in self._nodes_text("h1") if len(h) > 1]
        page_title = clean_text(self.selector.css("title::text").get()) or ""
        in_title = [h for h in headings if h in page_title]
        if in_title:
            return max(in_title, key=len)
        if meta := self._meta(META_TITLE):
            return TITLE_SEPARATORS.split(meta)[0] if meta == page_title else meta
        if headings:
            return max(headings, key=len)
        if page_title:
            return TITLE_SEPARATORS.split(page_title)[0]
        return self.document.title if self.document else None

    @attribute
    def title(self) -> str | None:
        return self._title

    @attribute
    def kicker(self) -> str | None:
        found = self._nodes_text(".kicker, .pretitle, .yinti")
        return found[0] if found else None

    def _bylines(self) -> Iterator[str | None]:
        """Candidate authors, most explicit first."""
        for line in self.info_lines:
            if match := AUTHOR_LABEL.search(line):
                yield parse_byline(match["rest"])
        for text in self._nodes_text(AUTHOR_NODES):
            yield parse_byline(text)
        for line in self.info_lines:
            if len(line) <= MAX_BYLINE_LINE and BYLINE_LINE.match(line):
                yield parse_byline(line)
        for line in self.lines:
            for match in BYLINE_IN_BRACKETS.finditer(line):
                yield parse_byline(match.group(0))
        if meta := self._meta(META_AUTHOR):
            yield parse_byline(meta) or meta
        if self.document and self.document.author:
            yield parse_byline(self.document.author)

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
        in_text = next(filter(None, map(find_date, self.info_lines)), None)
        declared = self._meta(META_DATE) or self.selector.css("time::attr(datetime)").get()
        if declared:
            declared = clean_text(declared)
            # A bare day in a tag gives way to the same day with its time in the text.
            if in_text and len(in_text) > 10 and declared == in_text[:10]:
                return in_text
            return declared
        return in_text or (self.document.date if self.document else None)

    @cached_property
    def blocks(self) -> list[tuple[str, etree._Element]]:
        """The extracted body's blocks as (text, element), images included."""
        body = self.document.body if self.document else None
        if body is None:
            return []
        found = body.xpath(".//p | .//head | .//item | .//quote[not(.//p)] | .//graphic")
        return [(clean_text("".join(block.itertext())) or "", block) for block in found]

    @staticmethod
    def _caption_of(text: str, block: etree._Element) -> str | None:
        """The caption a block gives its image: the short text of a block holding one."""
        has_image = block.tag == "graphic" or bool(block.xpath(".//graphic"))
        return text if has_image and text and len(text) <= MAX_CAPTION else None

    @cached_property
    def paragraphs(self) -> list[str]:
        """Body paragraphs: image captions left out, and so are whatever precedes the
        headline, byline/date lines at the top and credits or print references at the end."""
        texts = [
            text
            for text, block in self.blocks
            if text and block.tag != "graphic" and self._caption_of(text, block) is None
        ]
        if self._title in texts:
            texts = texts[texts.index(self._title) + 1 :]
        while texts and self._is_info_line(texts[0]):
            texts.pop(0)
        while texts and (self._is_info_line(texts[-1]) or self._is_credit(texts[-1])):
            texts.pop()
        return texts

    def _is_info_line(self, text: str) -> bool:
        """A short line of byline, date or source, not a sentence of the article."""
        if len(text) > MAX_INFO_LINE // 2 or "。" in text:
            return False
        byline = len(text) <= MAX_BYLINE_LINE and BYLINE_LINE.match(text) is not None
        return byline or find_date(text) is not None or INFO_LABEL.search(text) is not None

    @staticmethod
    def _is_credit(text: str) -> bool:
        return len(text) <= MAX_CREDIT_LINE and CREDIT_LINE.search(text) is not None

    @attribute
    def body_html(self) -> str | None:
        return "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in self.paragraphs) or None

    @attribute
    def images(self) -> list[ImageRef]:
        refs: list[ImageRef] = []
        for text, block in self.blocks:
            for graphic in [block] if block.tag == "graphic" else block.iter("graphic"):
                src = graphic.get("src")
                url = urljoin(self.url or "", src) if src else None
                if url is None or any(ref.url == url for ref in refs):
                    continue
                caption = clean_text(graphic.get("title") or graphic.get("alt"))
                caption = caption or self._caption_of(text, block)
                refs.append(ImageRef(url=url, caption=caption))
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
