"""Dates in a page's text, and which of them is the publication date.

Dates are returned as ``YYYY-MM-DD[ HH:MM[:SS]]``, local to the page (the ETL turns them into
UTC): ``2021年08月06日 08:07``, ``2021/8/6``, ``2021 08/06 08:07:32``,
``2021年8月6日 星期五 下午3:25``, and the US form ``3/21/2006 7:05:09 PM``. A month alone
(``2001年5月号``) is no date: the warehouse keeps instants, and the first of a month would be
an invented one.

The publication date is not simply the first date of the text: a labelled date (``发表于``,
``发布时间``, ``时间：``, ``本贴由 某某 于 … 发表``) wins, the one nearest the headline first;
then a date beside the headline; dates labelled as something else (``截止``, ``建立于``,
``注册``, ``今天是``) never count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

TIME = (
    r"(?:\s*(?:星期.|周.|[（(]星期.[）)])?\s*(?P<ampm>上午|下午|中午|晚上|凌晨)?\s*"
    r"(?P<H>\d{1,2})[:：](?P<M>\d{2})(?:[:：](?P<S>\d{2}))?(?:\s*(?P<ampm2>[AaPp][Mm])\b)?)?"
)
DATE_TEXT = re.compile(
    r"(?<!\d)(?:(?P<y>(?:19|20)\d{2})\s*"
    r"(?:年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
    r"|[-/.](?P<m2>\d{1,2})[-/.](?P<d2>\d{1,2})(?!\d)"
    r"|\s+(?P<m3>\d{1,2})/(?P<d3>\d{1,2})(?!\d))"
    r"|(?P<m4>\d{1,2})/(?P<d4>\d{1,2})/(?P<y4>(?:19|20)\d{2})(?!\d))" + TIME
)
AFTERNOON = {"下午", "晚上", "pm", "PM", "Pm", "pM"}
MIDNIGHT = {"am", "AM", "Am", "aM"}
# What precedes a publication date, and what precedes a date that is something else.
LABEL = re.compile(
    r"(?:发表于|發表於|发布于|發佈於|发表时间|發表時間|发布时间|發佈時間|发布日期|發佈日期|发稿时间|"
    r"更新时间|更新時間|Posted|posted|(?<![\u4e00-\u9fff])(?:时间|時間|日期))"
    r"\s*[:：]?\s*[\[【(（]?\s*\Z"
)  # a bare 时间/日期 counts at the start of a label only: 活动时间 is not the page's date
POSTED_BY = re.compile(r"(?:本[贴帖貼]由|由).{1,30}?[于於]\s*\Z")
POSTED_AFTER = re.compile(r"\A\s*(?:发表|發表|发布|發佈|发帖|發帖)")
NOT_PUBLISHED = re.compile(
    r"(?:截止|截至|截止到|建立于|建立於|注册|註冊|成立于|成立於|加入于|加入|出生|生于|生於|"
    r"有效期|至|今天是|今天|现在时间是|現在時間是|现在时间|現在時間|最后编辑于|最後編輯於|"
    r"最后登录|最後登錄|上次登录)\s*[:：]?\s*\Z"
)
NEAR_TITLE = 4  # lines after the headline where its dateline sits
LABEL_NEAR_TITLE = 15  # lines from the headline within which a labelled date is its own
BEFORE_TITLE = 2  # lines above the headline where a dateline may sit
LIST_ITEM_END = re.compile(r"\s*[)）\]】]\s*\Z")
LIST_ITEM_TITLE = 4
MAX_DATELINE = 40


@dataclass(frozen=True)
class FoundDate:
    """A date found in a line: its value, where it is, how it is labelled, and whether it
    closes a list item (``·标题（2007-06-02 10:15）``), the date of another article."""

    value: str
    line: int
    labelled: bool
    list_item: bool = False


def _value(match: re.Match[str]) -> str | None:
    year = match["y"] or match["y4"]
    month = int(match["m"] or match["m2"] or match["m3"] or match["m4"])
    day = int(match["d"] or match["d2"] or match["d3"] or match["d4"])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    found = f"{year}-{month:02d}-{day:02d}"
    if match["H"] is None:
        return found
    hour = int(match["H"])
    if (match["ampm"] in AFTERNOON or match["ampm2"] in AFTERNOON) and hour < 12:
        hour += 12
    elif match["ampm2"] in MIDNIGHT and hour == 12:
        hour = 0
    if hour > 23 or int(match["M"]) > 59:
        return found
    seconds = f":{match['S']}" if match["S"] else ""
    return f"{found} {hour:02d}:{match['M']}{seconds}"


def dates_in(text: str) -> Iterator[tuple[str, str, str]]:
    """Each valid date of ``text`` as (value, the text before it, the text after it)."""
    for match in DATE_TEXT.finditer(text):
        if value := _value(match):
            yield value, text[: match.start()], text[match.end() :]


def find_date(text: str) -> str | None:
    """The first valid date (and time) in ``text``."""
    return next((value for value, _, _ in dates_in(text)), None)


def line_dates(lines: Sequence[str]) -> list[FoundDate]:
    """The dates of the lines that may be publication dates, labelled or not."""
    found = []
    for index, line in enumerate(lines):
        for value, before, after in dates_in(line):
            context = before[-12:]
            if NOT_PUBLISHED.search(context):
                continue
            labelled = bool(LABEL.search(context)) or (
                bool(POSTED_BY.search(before[-40:])) and bool(POSTED_AFTER.match(after))
            )
            list_item = len(before.strip()) > LIST_ITEM_TITLE and LIST_ITEM_END.match(after)
            found.append(FoundDate(value, index, labelled, bool(list_item)))
    return found


def publication_date(lines: Sequence[str], title_line: int | None) -> str | None:
    """The page's publication date among its lines' dates: the labelled one nearest the
    headline if close to it, else an unlabelled one beside it, else the nearest labelled one
    (a comment's ``发表于`` far below loses to the dateline under the headline), else the
    first one after it on a short line; dates closing list items are other articles'."""
    found = line_dates(lines)
    labelled = [date for date in found if date.labelled]
    if title_line is None:
        return labelled[0].value if labelled else None
    nearest = sorted(labelled, key=lambda d: (abs(d.line - title_line), d.line < title_line))
    unlabelled = [d for d in found if not d.list_item]
    beside = sorted(
        (d for d in unlabelled if -BEFORE_TITLE <= d.line - title_line <= NEAR_TITLE),
        key=lambda d: (abs(d.line - title_line), d.line < title_line),
    )
    short = [d for d in unlabelled if d.line > title_line and len(lines[d.line]) <= MAX_DATELINE]
    close = [d for d in nearest if abs(d.line - title_line) <= LABEL_NEAR_TITLE]
    return next((d.value for d in (*close, *beside, *nearest, *short)), None)
