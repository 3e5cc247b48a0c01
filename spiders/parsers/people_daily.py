"""People's Daily (人民日报) e-paper: article pages of both layouts, and the navigation of a
day's edition (its pages, the articles on each page).

- Until 2024-11-30: ``{base}/html/{YYYY}-{MM}/{DD}/nbs.D110000renmrb_{NN}.htm`` pages and
  ``nw.D110000renmrb_{YYYYMMDD}_{k}-{NN}.htm`` articles.
- From 2024-12-01: ``{base}/pc/layout/{YYYYMM}/{DD}/node_{NN}.html`` pages and
  ``{base}/pc/content/{YYYYMM}/{DD}/content_{id}.html`` articles.

Both article layouts share the fields (``h3`` kicker, ``h1`` title, ``h2`` subtitle, ``.sec``
byline with ``span.date``, ``#ozoom`` body); they differ in where pages and articles are
listed and in the URL scheme, so each field is a small ``@attribute`` over shared helpers.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import ClassVar, cast
from urllib.parse import urljoin

from parsel import Selector

from schemas.items import ArticleItem, ImageRef
from spiders.parsers.base import LayoutParser, PublisherParser, attribute
from spiders.parsers.generic import clean_text, parse_byline

SOURCE = "people-daily"
LAYOUT_SWITCH = date(2024, 12, 1)
PAGE_LABEL = re.compile(r"第?\s*(?P<no>\d{1,3})\s*版\s*[：:\s]?\s*(?P<name>\S*)")
PRINTED = re.compile(r"(?P<date>\d{4}年\d{1,2}月\d{1,2}日)\s*第\s*(?P<no>\d{1,3})\s*版")
COLUMN = re.compile(r"\A(?P<title>.+?)\s*（(?P<column>[^（）]{2,12})）\Z")
# Bracketed endings that are parts of a series or years, not columns: （上） （2024） （第三篇）
NOT_A_COLUMN = re.compile(r"\A(?:[上中下一二三四五六七八九十\d]+|第.+[篇期部集]|\d{4}年?)\Z")
EDITOR_CREDIT = re.compile(r"责编|责任编辑")
URL_DATE = re.compile(
    r"/(?P<y>\d{4})-?(?P<m>\d{2})/(?P<d>\d{2})/"  # html/2024-11/29/ and pc/…/202412/01/
    r"|renmrb_(?P<y2>\d{4})(?P<m2>\d{2})(?P<d2>\d{2})_"
)
KICKER_DASHES = "—－-― "
# A wire story names its agency in the byline (新华社记者) or the dateline (新华社北京…电).
AGENCY = re.compile(r"\A(?P<agency>新华社|中新社|中国新闻社)(?:\S{0,12}电|\s*记者|\s)")


@dataclass(frozen=True)
class PageLink:
    """One page (版) of a day's edition: its URL and label, e.g. ``第03版：国际``."""

    url: str
    label: str


def page_label(text: str) -> str | None:
    """``第01版 要闻`` / ``01版：要闻`` / ``第 1 版`` as ``第01版：要闻`` (or ``第01版``)."""
    match = PAGE_LABEL.search(clean_text(text) or "")
    if match is None:
        return None
    label = f"第{int(match['no']):02d}版"
    return f"{label}：{match['name']}" if match["name"] else label


def split_column(title: str) -> tuple[str, str | None]:
    """A title and the column (栏目) it carries in trailing full-width brackets, if any:
    ``努力共创健康安全的未来（命运与共）`` → (``努力共创健康安全的未来``, ``命运与共``)."""
    match = COLUMN.match(title)
    if match is None or NOT_A_COLUMN.match(match["column"].strip()):
        return title, None
    return match["title"].strip(), match["column"].strip()


def is_editor_credit(text: str) -> bool:
    """Whether a list entry is the page's editor credit (``本版责编：…``), not an article."""
    return bool(EDITOR_CREDIT.search(text))


def date_from_url(url: str | None) -> date | None:
    """The edition date in an old (``/2024-11/29/``) or new (``/202412/01/``) URL."""
    match = URL_DATE.search(url or "")
    if match is None:
        return None
    y, m, d = (match["y"], match["m"], match["d"]) if match["y"] else match.group("y2", "m2", "d2")
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


class PeopleDailyArticle(LayoutParser):
    """Fields both layouts share; the subclasses add the edition's navigation."""

    # Where a day's edition starts, relative to the base URL (formatted with the date).
    FIRST_PAGE: ClassVar[str]
    PAGE_LINKS: ClassVar[tuple[str, ...]]
    ARTICLE_LINKS: ClassVar[tuple[str, ...]]
    ARTICLE_URL: ClassVar[re.Pattern[str]]

    @classmethod
    def first_page_url(cls, base_url: str, day: date) -> str:
        """URL of page 01 of ``day``'s edition under ``base_url`` (e.g. ``…/rmrb``)."""
        return f"{base_url.rstrip('/')}/{day.strftime(cls.FIRST_PAGE)}"

    def _links(self, queries: tuple[str, ...]) -> list[tuple[str, str]]:
        """(absolute URL, text) of the anchors matched by the first query that finds any."""
        for query in queries:
            anchors = self.selector.css(query)
            if anchors:
                return [
                    (urljoin(self.url or "", a.attrib["href"].strip()), _node_text(a))
                    for a in anchors
                    if a.attrib.get("href")
                ]
        return []

    def pages(self) -> list[PageLink]:
        """Every page (版) of the edition, as listed on any of its pages, in order."""
        seen: dict[str, PageLink] = {}
        for url, text in self._links(self.PAGE_LINKS):
            if (label := page_label(text)) and url not in seen:
                seen[url] = PageLink(url, label)
        return list(seen.values())

    def articles(self) -> list[str]:
        """URLs of the articles on this page, editor credits (``责编``) left out."""
        urls: list[str] = []
        for url, text in self._links(self.ARTICLE_LINKS):
            if self.ARTICLE_URL.search(url) and not is_editor_credit(text) and url not in urls:
                urls.append(url)
        return urls

    # -- shared helpers -----------------------------------------------------------------

    def _heading(self, tag: str) -> str | None:
        return clean_text(" ".join(self.selector.css(f".article > {tag} ::text").getall()))

    @cached_property
    def _headline(self) -> tuple[str, str | None]:
        return split_column(self._heading("h1") or "")

    @cached_property
    def _printed(self) -> re.Match[str] | None:
        """``《人民日报》（2024年12月01日 第 01 版）`` of the byline's ``span.date``."""
        text = clean_text(" ".join(self.selector.css(".sec .date ::text, .date ::text").getall()))
        return PRINTED.search(text or "")

    @cached_property
    def _paragraphs(self) -> list[str]:
        nodes = self.selector.css("#ozoom founder-content p") or self.selector.css("#ozoom p")
        return [text for node in nodes if (text := clean_text(_node_text(node)))]

    # -- fields ---------------------------------------------------------------------------

    @attribute
    def title(self) -> str | None:
        return self._headline[0] or None

    @attribute
    def column(self) -> str | None:
        return self._headline[1]

    @attribute
    def kicker(self) -> str | None:
        kicker = self._heading("h3")
        return (kicker or "").rstrip(KICKER_DASHES) or None

    @attribute
    def subtitle(self) -> str | None:
        return self._heading("h2")

    @attribute
    def author(self) -> str | None:
        return parse_byline(self._byline)

    @cached_property
    def _byline(self) -> str:
        sec = self.selector.css(".article .sec")
        parts = sec.xpath(".//text()[not(ancestor::*[contains(@class, 'date')])]").getall()
        return clean_text(" ".join(parts)) or ""

    @attribute
    def origin(self) -> str | None:
        for text in (self._byline, *self._paragraphs[:1]):
            if match := AGENCY.match(text):
                return match["agency"]
        return None

    @attribute
    def page(self) -> str | None:
        label = page_label(" ".join(self.selector.css(".ban ::text").getall()))
        if label is None and self._printed:
            label = page_label(f"第{self._printed['no']}版")
        return label

    @attribute
    def published(self) -> str | None:
        if self._printed:
            return self._printed["date"]
        day = date_from_url(self.url)
        return day.isoformat() if day else None

    @attribute
    def inferred(self) -> list[str]:
        return ["published"] if self._printed is None and date_from_url(self.url) else []

    @attribute
    def images(self) -> list[ImageRef]:
        refs: list[ImageRef] = []
        for img in self.selector.css(".article img, #ozoom img"):
            src = (img.attrib.get("src") or "").strip()
            if not src:
                continue
            url = urljoin(self.url or "", src)
            if any(ref.url == url for ref in refs):
                continue
            caption = clean_text(" ".join(img.xpath("ancestor::table[1]//p//text()").getall()))
            refs.append(ImageRef(url=url, width=_int(img.attrib.get("width")), caption=caption))
        return refs

    @attribute
    def head_image(self) -> str | None:
        images = self.images()
        return images[0].url if images else None

    @attribute
    def body_html(self) -> str | None:
        return "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in self._paragraphs) or None


def _node_text(node: Selector) -> str:
    return " ".join(node.xpath(".//text()[not(ancestor::script)]").getall())


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


class UntilNovember2024(PeopleDailyArticle):
    """``html/YYYY-MM/DD/nbs.D110000renmrb_NN.htm`` pages, ``nw.D110000renmrb_…`` articles."""

    VALID_UNTIL = LAYOUT_SWITCH - timedelta(days=1)
    FIRST_PAGE = "html/%Y-%m/%d/nbs.D110000renmrb_01.htm"
    PAGE_LINKS = (
        "#pageList ul div.right_title-name a",
        "div.swiper-container div.swiper-slide a",
    )
    ARTICLE_LINKS = ("#titleList ul li a", "ul.news-list li a")
    ARTICLE_URL = re.compile(r"nw\.D110000renmrb_\d{8}_\d+-\d+\.htm")


class FromDecember2024(PeopleDailyArticle):
    """``pc/layout/YYYYMM/DD/node_NN.html`` pages, ``pc/content/…/content_ID.html`` articles."""

    VALID_FROM = LAYOUT_SWITCH
    FIRST_PAGE = "pc/layout/%Y%m/%d/node_01.html"
    PAGE_LINKS = ("#list li a", "div.swiper-container div.swiper-slide a")
    ARTICLE_LINKS = (".news-list a",)
    ARTICLE_URL = re.compile(r"content_\d+\.html")


class PeopleDaily(PublisherParser):
    """The People's Daily e-paper; the layout changed on 2024-12-01."""

    source = SOURCE
    layouts = (UntilNovember2024, FromDecember2024)

    @classmethod
    def layout_of(cls, url: str | None, day: date | None = None) -> type[PeopleDailyArticle]:
        """The layout of a page, by its date (given, else read from the URL)."""
        return cast(type[PeopleDailyArticle], cls.layout_for(day or date_from_url(url)))

    @classmethod
    def page(cls, text: str, url: str, day: date | None = None) -> PeopleDailyArticle:
        """A page (版) or article page of the edition, for its navigation and fields."""
        return cls.layout_of(url, day)(text, url, cls.source)

    @classmethod
    def parse(cls, text: str, url: str | None = None, day: date | None = None) -> ArticleItem:
        """Parse one article page with the layout of its date (from the URL if not given)."""
        return cls.layout_of(url, day)(text, url, cls.source).parse()


URL_PATTERN = re.compile(
    r"nbs\.D110000renmrb_\d+\.htm|nw\.D110000renmrb_\d{8}_\d+-\d+\.htm"
    r"|/pc/(?:content/\d{6}/\d{2}/content_\d+|layout/\d{6}/\d{2}/node_\d+)\.html"
)


def matches(url: str | None) -> bool:
    """Whether ``url`` is a page of the e-paper (either layout, on any host)."""
    return bool(url and URL_PATTERN.search(url))
