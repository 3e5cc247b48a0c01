"""Which lines of a page are the article's body.

Layout-agnostic, so that articles laid out in table cells (government notices, forums) count
as much as ``<p>`` paragraphs in a ``<div>``:

1. Each visible line (see :mod:`spiders.parsers.text`) gets a weight: its word characters and
   punctuation (sentences) minus its link text, minus a constant, so navigation, link lists
   and short labels weigh less than nothing.
2. Boilerplate lines break the page into segments: section heads of related links, ``推荐``
   blocks, comments, a blog's index of posts, copyright notices (``反侵权公告``, ``版权所有``),
   related-link items (``·标题（2007-06-02 10:15）``), forum post headers and signatures.
3. In each segment the heaviest run of consecutive lines is a candidate; the run nearest after
   the headline gets a bonus, runs after a comments head a penalty; the best candidate is
   widened to the lines of its smallest enclosing element (a data table inside a notice).
4. The run's lines minus the headline (wherever it repeats), datelines and bylines at its top,
   credits at its end, link lists, image captions and boilerplate are the body.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from spiders.parsers.dates import find_date
from spiders.parsers.text import Line

LINE_COST = 18  # a line must carry this many word characters to add to a body
SENTENCE = re.compile(r"[，。！？]")
PUNCTUATION = re.compile(r"[，。！？；、“”「」,!?;]")
SECTION_HEAD = re.compile(
    r"\A[\W_]*(?:相关|相關|延伸|更多|热点|熱點|热门|熱門|精彩|为您|為您|猜你|编辑|編輯|今日|最新|推荐|推薦)?"
    r"(?:新闻|新聞|链接|鏈接|阅读|閱讀|文章|信息|资讯|資訊|专题|專題|推荐|推薦|推荐阅读|排行|排行榜"
    r"|喜欢|喜歡|博文|图片|圖片|视频|視頻|稿件)?"
    r"(?:推荐|推薦|阅读|閱讀|排行|排行榜|目录|目錄|列表|回顾|回顧|访客|訪客)?[\W_]*\Z"
)
SECTION_WORDS = re.compile(
    r"相关|相關|推荐|推薦|延伸阅读|排行|目录|目錄|文章列表|最新文章|最近访客|最近訪客|往期|猜你喜欢"
)
COMMENTS_HEAD = re.compile(
    r"\A[\W_]*(?:网友|網友|最新|热门|熱門|精彩|相关|全部|发表|發表|我要|查看)?(?:评论|評論|留言|回复|回覆)"
    r"(?:\s*[（(]?\s*\d*\s*[）)]?|[列表区區]*)[\W_]*\Z"
)
COPYRIGHT = re.compile(
    r"反侵权|反侵權|版权所有|版權所有|版权声明|版權聲明|免责声明|免責聲明|Copyright|©|&copy;|ICP备|ICP證"
    r"|未经.{0,12}(?:授权|许可|同意).{0,12}(?:转载|使用|复制|摘编)"
    r"|未經.{0,12}(?:授權|許可|同意).{0,12}(?:轉載|使用|複製|摘編)",
    re.IGNORECASE,
)
RELATED_ITEM = re.compile(
    r"\A[·•\-\*>›»\s]*.{2,60}?[（(\[]\s*(?:19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}日?"
    r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?\s*[）)\]]\Z"
)
POST_HEADER = re.compile(
    r"发表于|發表於|本[贴帖貼]由|\A\d{1,4}\s*[#楼樓]|前一篇|后一篇|後一篇|上一篇|下一篇"
)
FLOOR = re.compile(
    r"\A(?:楼主|樓主|沙发|沙發|板凳|地板|只看该作者|只看該作者|\d{1,4}\s*[#楼樓]|#\d{1,4}"
    r"|(?:回复|回覆|引用)\s*[:：]?\s*\Z)"
)  # a forum floor's header: short, no sentence
SIGNATURE = re.compile(r"\A[-=_*~—]{5,}")
# Top-of-body lines that are not the article: datelines, bylines, sources, font-size links.
INFO_LABEL = re.compile(
    r"(?:来源|來源|作者|编辑|編輯|[记記]者|实习生|實習生|通讯员|發佈|发布|浏览|瀏覽|点击|點擊|字号|字體|字体)"
    r"\s*[:：/]?|[记記]者|\A[□■●◆▲]|\A(?:文|图|圖|摄|攝|撰文)\s*[/／:：|｜]"
)
CREDIT = re.compile(
    r"(?:来源|來源|责任编辑|責任編輯|责编|責編|编辑|編輯|校对|校對|作者|打印|关闭窗口|關閉窗口"
    r"|分享到|分享至|收藏本文|推荐给朋友|推薦給朋友)\s*[:：】]?"
    r"|\A《\s*[^》]+》\s*[（(].*版\s*[）)]\Z"
)
# Class or id words of containers that hold no article text.
BOILERPLATE_CLASS = re.compile(
    r"(?:^|[\s_-])(?:sign|signature|comments?|cmt|related|relate|recommend|tuijian|copyright"
    r"|footer|foot|share|sharebar|crumbs?|breadcrumbs?|nav|navbar|menu|sidebar|aside"
    r"|advert|advertisement)(?:$|[\s_-])",
    re.IGNORECASE,
)
CLASS_DEPTH = 3  # a line's block element and its parents up to this many levels
MAX_INFO_LINE = 80
MAX_CREDIT_LINE = 60
MAX_CAPTION = 80
CAPTION_HINT = re.compile(r"(?:摄|攝|供图|供圖|图片来源|圖片來源|资料图|資料圖)\s*[)）]?\s*\Z")
NOTICE_DATE = re.compile(r"\A(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\Z")
TITLE_BONUS = 1.5
COMMENTS_PENALTY = 0.2
NEAR_TITLE = 8  # lines between the headline and the start of its article


def in_boilerplate_container(element: etree._Element) -> bool:
    """Whether the element or one of its close parents is a comments box, footer, nav..."""
    for _ in range(CLASS_DEPTH + 1):
        if element is None or not isinstance(element.tag, str) or element.tag in ("body", "html"):
            return False
        names = f"{element.get('class') or ''} {element.get('id') or ''}"
        if element.tag in ("footer", "nav", "aside") or BOILERPLATE_CLASS.search(names):
            return True
        element = element.getparent()
    return False


def is_boilerplate(line: Line) -> bool:
    """A line that is never article text: section heads, copyright, related-link items,
    forum post headers, signatures, and lines in containers named for such things."""
    text = line.text
    if not text:
        return False
    if in_boilerplate_container(line.element):
        return True
    short = len(text) <= 14
    head = short and (bool(SECTION_HEAD.match(text)) and bool(SECTION_WORDS.search(text)))
    return (
        head
        or (short and bool(COMMENTS_HEAD.match(text)))
        or (len(text) <= 200 and bool(COPYRIGHT.search(text)))
        or bool(RELATED_ITEM.match(text))
        or (len(text) <= 60 and bool(POST_HEADER.search(text)))
        or (len(text) <= 40 and not SENTENCE.search(text) and bool(FLOOR.match(text)))
        or bool(SIGNATURE.match(text))
    )


def weight(line: Line) -> float:
    """How much a line adds to a body (negative: it takes away)."""
    words = line.words
    link_words = min(line.links, words)
    return words - 2 * link_words + 3 * len(PUNCTUATION.findall(line.text)) - LINE_COST


@dataclass(frozen=True)
class Run:
    """A run of lines ``[start, end)`` and its score."""

    start: int
    end: int
    score: float


def _heaviest_run(weights: Sequence[float], start: int, end: int) -> Run | None:
    best: Run | None = None
    total, run_start = 0.0, start
    for index in range(start, end):
        if total <= 0:
            total, run_start = 0.0, index
        total += weights[index]
        if total > 0 and (best is None or total > best.score):
            best = Run(run_start, index + 1, total)
    return best


def _ancestors(element: etree._Element) -> list[etree._Element]:
    chain = [element]
    while (parent := chain[-1].getparent()) is not None:
        chain.append(parent)
    return chain


def _enclosing(lines: Sequence[Line]) -> etree._Element:
    """The smallest element holding every line's block element."""
    common = _ancestors(lines[0].element)
    for line in lines[1:]:
        mine = set(_ancestors(line.element))
        common = [element for element in common if element in mine]
    return common[0]


def _widen(lines: Sequence[Line], breaks: Sequence[bool], run: Run) -> Run:
    """The run grown over neighbouring lines inside its enclosing element, up to a break."""
    container = _enclosing(lines[run.start : run.end])
    inside = {id(element) for element in container.iter()}
    start, end = run.start, run.end
    while start > 0 and not breaks[start - 1] and id(lines[start - 1].element) in inside:
        start -= 1
    while end < len(lines) and not breaks[end] and id(lines[end].element) in inside:
        end += 1
    return Run(start, end, run.score)


def body_run(lines: Sequence[Line], title_line: int | None) -> Run | None:
    """The run of lines holding the article, or None when no line looks like text."""
    breaks = [is_boilerplate(line) for line in lines]
    weights = [weight(line) for line in lines]
    candidates: list[Run] = []
    comments_from = None
    segment_start = 0
    for index in range(len(lines) + 1):
        if index < len(lines) and not breaks[index]:
            continue
        if run := _heaviest_run(weights, segment_start, index):
            score = run.score
            if title_line is not None and 0 <= run.start - title_line <= NEAR_TITLE:
                score *= TITLE_BONUS
            if comments_from is not None and run.start > comments_from:
                score *= COMMENTS_PENALTY
            candidates.append(Run(run.start, run.end, score))
        if (
            index < len(lines)
            and comments_from is None
            and COMMENTS_HEAD.match(lines[index].text)
            and (title_line is None or index > title_line)
        ):
            comments_from = index
        segment_start = index + 1
    return max(candidates, key=lambda run: run.score) if candidates else None


def _is_info(text: str) -> bool:
    if len(text) > MAX_INFO_LINE or SENTENCE.search(text):
        return False
    return find_date(text) is not None or INFO_LABEL.search(text) is not None


def _is_credit(text: str) -> bool:
    return len(text) <= MAX_CREDIT_LINE and CREDIT.search(text) is not None


def caption_lines(lines: Sequence[Line]) -> dict[int, str]:
    """Image captions by line index: the short text beside an image in the same block
    (on the image's own line or the next one)."""
    captions: dict[int, str] = {}
    for index, line in enumerate(lines):
        if not line.images:
            continue
        if line.text and len(line.text) <= MAX_CAPTION:
            captions[index] = line.text
        elif not line.text and index + 1 < len(lines):
            following = lines[index + 1]
            element = following.element
            looks_like = (
                element is line.element
                or CAPTION_HINT.search(following.text) is not None
                or "center" in f"{element.get('align')} {element.get('style')}".lower()
            )
            if looks_like and following.text and len(following.text) <= MAX_CAPTION:
                captions[index + 1] = following.text
    return captions


def _article_lines(lines: Sequence[Line], start: int, end: int, title: str | None) -> list[int]:
    captions = caption_lines(lines)
    kept = [
        index
        for index in range(start, end)
        if (text := lines[index].text)
        and text != title
        and index not in captions
        and not is_boilerplate(lines[index])
        and not (lines[index].link_share > 0.5 and not PUNCTUATION.search(text))
    ]
    while kept and _is_info(lines[kept[0]].text):
        kept.pop(0)
    # A notice ends with its issuer and a bare date: that date is the notice's, keep it.
    while kept and not NOTICE_DATE.match(lines[kept[-1]].text):
        if not (_is_info(lines[kept[-1]].text) or _is_credit(lines[kept[-1]].text)):
            break
        kept.pop()
    return kept


def body_lines(lines: Sequence[Line], run: Run, title: str | None) -> tuple[list[int], Run]:
    """Indexes of the article's lines and the span they were taken from (its images are the
    article's): the run's lines trimmed of headline, datelines, bylines and credits, then
    widened over the rest of their enclosing element (a data table in a notice, a paragraph
    too short to weigh)."""
    kept = _article_lines(lines, run.start, run.end, title)
    if not kept:
        return kept, run
    breaks = [is_boilerplate(line) for line in lines]
    wide = _widen(lines, breaks, Run(kept[0], kept[-1] + 1, run.score))
    return _article_lines(lines, wide.start, wide.end, title), wide
