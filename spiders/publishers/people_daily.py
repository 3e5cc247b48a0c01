"""People's Daily (人民日报) e-paper: article pages of both layouts, and the navigation of a
day's edition (its pages, the articles on each page).

- Until 2024-11-30: ``{base}/html/{YYYY}-{MM}/{DD}/nbs.D110000renmrb_{NN}.htm`` pages and
  ``nw.D110000renmrb_{YYYYMMDD}_{k}-{NN}.htm`` articles.
- From 2024-12-01: ``{base}/pc/layout/{YYYYMM}/{DD}/node_{NN}.html`` pages and
  ``{base}/pc/content/{YYYYMM}/{DD}/content_{id}.html`` articles.

Both article layouts share the fields (``h3`` kicker, ``h1`` title, ``h2`` subtitle, ``.sec``
byline with ``span.date``, ``#ozoom`` body); they differ in where pages and articles are
listed and in the URL scheme, so each field is a small ``@attribute`` over shared helpers.

Article pages are read as a browser reads them (the current layout writes
``<h1><p> 标题 </p></h1>``), with the CMS's ``<!--enpproperty …-->`` fields (title,
introtitle = kicker, subtitle, author, date) as fallback. Captions are in the images'
``data-original-title``; bylines in ``.sec``, the CMS's author, or ``（记者…）`` at the start
of the first paragraph; ``■``-style section markers are not text. Pages named ``广告``
carry ads; entries and pages that are only ``本版责编：…`` credits are no articles.
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
from spiders.parsers.base import LayoutParser, Publisher, PublisherParser, attribute
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
# A wire story names its agency in the byline (新华社记者) or the dateline (新华社北京…电),
# at the start of the body or at its end (（据新华社北京4月30日电）).
AGENCIES = r"(?P<agency>新华社|中新社|中国新闻社)"
AGENCY = re.compile(r"\A" + AGENCIES + r"(?:\S{0,12}电|\s*记者|\s)")
AGENCY_AT_END = re.compile(r"[（(]\s*(?:据|来源[：:])?\s*" + AGENCIES + r"\S{0,12}电?\s*[）)]\s*\Z")
# Reporters named in brackets at the start of the first paragraph: （记者王某、李某）.
BRACKET_BYLINE = re.compile(r"[（(](?P<byline>[^（）()]{0,12}?记者[^（）()]{1,40})[）)]")
MAX_LEAD = 60
# "X摄影报道" / "X摄": a photographer's credit after the name.
PHOTO_REPORT = re.compile(r"(?:摄影报道|摄影|报道)(?=[\s\u3000]|\Z)")
WIDE_SPACE = re.compile(r"[\s\u3000]+")
INSTITUTION = re.compile(
    r"[\u4e00-\u9fff]{2,24}(?:部|委员会|办公室|办公厅|评论员|中心|研究院|小组|课题组)"
)
# Section markers that head paragraphs but are not text.
MARKERS = "■□▲△●◆◇★☆▌"
# The CMS's fields in <!--enpproperty <date>…</date><author>…</author>…/enpproperty-->.
ENP_PROPERTY = re.compile(r"<!--\s*enpproperty(?P<fields>.*?)/?\s*enpproperty\s*-->", re.S)
ENP_FIELD = re.compile(r"<(?P<name>[a-z]+)>(?P<value>.*?)</(?P=name)>", re.S)
TAGS = re.compile(r"<[^>]+>")
CMS_DATE = re.compile(r"(?P<day>\d{4}-\d{2}-\d{2})")
# Where a page names itself (第01版：要闻): old layout, current layout's page, older copies.
PAGE_NAME = (".ban_t", ".paper-box", ".ban")
# Pictures printed outside the body: the old layout's tables, the current ``.attachment``.
PICTURES = ".article > table img, .article .attachment img"
ADVERTISING = "广告"


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
    """Fields both layouts share; the subclasses add the edition's navigation.

    Read as a browser reads the page: headings hold their text in a ``<p>``
    (``<h1><p>标题</p></h1>``), which lxml's parser would move out of the heading.
    """

    BROWSER_TREE = True
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

    @cached_property
    def _property(self) -> dict[str, str]:
        """The CMS's own fields in the ``<!--enpproperty …-->`` comment, as text."""
        match = ENP_PROPERTY.search(self.text)
        if match is None:
            return {}
        return {
            m["name"]: text
            for m in ENP_FIELD.finditer(match["fields"])
            if (text := clean_text(html.unescape(TAGS.sub(" ", m["value"])))) is not None
        }

    def _heading(self, tag: str, fallback: str) -> str | None:
        """A heading as the page shows it, else the CMS's field of the same meaning."""
        shown = clean_text(" ".join(self.selector.css(f".article > {tag} ::text").getall()))
        return shown or self._property.get(fallback)

    @cached_property
    def _headline(self) -> tuple[str, str | None]:
        return split_column(self._heading("h1", "title") or "")

    @cached_property
    def _printed(self) -> re.Match[str] | None:
        """``《人民日报》（2024年12月01日 第 01 版）`` of the byline's ``span.date``."""
        text = clean_text(" ".join(self.selector.css(".sec .date ::text, .date ::text").getall()))
        return PRINTED.search(text or "")

    @cached_property
    def _blocks(self) -> list[tuple[str, str | ImageRef]]:
        """The body in reading order: ``("p", text)`` and ``("img", image)`` blocks;
        pictures printed above the body (old layout's tables, ``.attachment``) first."""
        blocks: list[tuple[str, str | ImageRef]] = [
            ("img", ref) for img in self.selector.css(PICTURES) if (ref := self._image(img))
        ]
        ozoom = self.selector.css("#ozoom")
        nodes = ozoom.css("founder-content p") or ozoom.css("p")
        for node in nodes:
            blocks += [("img", ref) for img in node.css("img") if (ref := self._image(img))]
            if text := clean_text(_node_text(node).lstrip(MARKERS + " \u3000")):
                blocks.append(("p", text))
        return blocks

    @cached_property
    def _paragraphs(self) -> list[str]:
        return [text for kind, text in self._blocks if kind == "p" and isinstance(text, str)]

    def _image(self, img: Selector) -> ImageRef | None:
        src = (img.attrib.get("src") or "").strip()
        if not src:
            return None
        titled = html.unescape(TAGS.sub(" ", img.attrib.get("data-original-title") or ""))
        caption = titled.strip() or " ".join(img.xpath("ancestor::table[1]//p//text()").getall())
        return ImageRef(
            url=urljoin(self.url or "", src),
            width=_int(img.attrib.get("width")),
            caption=clean_text(caption),
        )

    # -- fields ---------------------------------------------------------------------------

    @attribute
    def title(self) -> str | None:
        return self._headline[0] or None

    @attribute
    def column(self) -> str | None:
        return self._headline[1]

    @attribute
    def kicker(self) -> str | None:
        kicker = self._heading("h3", "introtitle")
        return (kicker or "").rstrip(KICKER_DASHES) or None

    @attribute
    def subtitle(self) -> str | None:
        return self._heading("h2", "subtitle")

    @attribute
    def author(self) -> str | None:
        """The byline of ``.sec``, else the CMS's author, else the reporters named in
        brackets at the start of the first paragraph (``（记者王某、李某）``)."""
        bracketed = (
            BRACKET_BYLINE.search(self._paragraphs[0][:MAX_LEAD]) if self._paragraphs else None
        )
        for byline in (
            self._byline,
            self._property.get("author"),
            bracketed["byline"] if bracketed else None,
        ):
            byline = PHOTO_REPORT.sub("", byline or "")
            if name := parse_byline(byline) or _institution(byline):
                return name
        return None

    @cached_property
    def _byline(self) -> str:
        sec = self.selector.css(".article .sec")
        parts = sec.xpath(".//text()[not(ancestor::*[contains(@class, 'date')])]").getall()
        return clean_text(" ".join(parts)) or ""

    @attribute
    def origin(self) -> str | None:
        """The agency of a wire story: in the byline, or a dateline at the start or the end
        of the body (``新华社北京4月30日电``, ``（据新华社电）``)."""
        ends = self._paragraphs[:1] + self._paragraphs[-1:]
        for text in (self._byline, *ends):
            if match := AGENCY.match(text) or AGENCY_AT_END.search(text):
                return match["agency"]
        return None

    @attribute
    def page(self) -> str | None:
        label = next(
            (
                found
                for query in PAGE_NAME
                if (found := page_label(" ".join(self.selector.css(f"{query} ::text").getall())))
            ),
            None,
        )
        if label is None and self._printed:
            label = page_label(f"第{self._printed['no']}版")
        return label

    @cached_property
    def _read_date(self) -> str | None:
        """The date the page prints, else the CMS's."""
        if self._printed:
            return self._printed["date"]
        stamp = CMS_DATE.match(self._property.get("date", ""))
        return stamp["day"] if stamp else None

    @attribute
    def published(self) -> str | None:
        day = date_from_url(self.url)
        return self._read_date or (day.isoformat() if day else None)

    @attribute
    def inferred(self) -> list[str]:
        return ["published"] if self._read_date is None and date_from_url(self.url) else []

    @attribute
    def images(self) -> list[ImageRef]:
        refs: list[ImageRef] = []
        for _, ref in self._blocks:
            if isinstance(ref, ImageRef) and all(ref.url != known.url for known in refs):
                refs.append(ref)
        return refs

    @attribute
    def head_image(self) -> str | None:
        images = self.images()
        return images[0].url if images else None

    @attribute
    def body_html(self) -> str | None:
        """Paragraphs as ``<p>``, pictures as ``<figure>`` with their caption."""
        parts = [
            f"<p>{html.escape(block, quote=False)}</p>"
            if isinstance(block, str)
            else _figure(block)
            for _, block in self._blocks
        ]
        return "\n".join(parts) if self._paragraphs else None


def _figure(image: ImageRef) -> str:
    caption = (
        image.caption and f"<figcaption>{html.escape(image.caption, quote=False)}</figcaption>"
    )
    return f'<figure><img src="{html.escape(image.url)}">{caption or ""}</figure>'


def _institution(byline: str) -> str | None:
    """A byline that names bodies, not people (``本报评论部``, ``中共中央组织部  国家民族事务
    委员会``): its parts joined by ``、``."""
    parts = WIDE_SPACE.split(byline.strip(" \u3000"))
    if all(INSTITUTION.fullmatch(part) for part in parts if part):
        return "、".join(part for part in parts if part) or None
    return None


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


PUBLISHER = Publisher("people_daily", PeopleDaily, matches=matches)
