"""Publication dates as the page says them → timezone-aware UTC.

Pages give RFC 2822, ISO 8601, Chinese dates (``2021年08月06日 08:07``, ``2021-8-6``),
year-less dates (``08月06日``: the nearest such date not after the fetch) and relative ones
(``刚刚``, ``5分钟前``, ``3小时前``, ``昨天 15:30``, ``前天``) counted from the fetch time.
Times without a zone are read in the source's zone (Asia/Shanghai unless configured).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

FULL_DATE = re.compile(
    r"^(?P<y>\d{4})\s*[年/.\-]\s*(?P<m>\d{1,2})\s*[月/.\-]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{1,2})(?:\s*[:：分]\s*(?P<S>\d{1,2}))?\s*秒?)?$"
)
YEARLESS_DATE = re.compile(
    r"^(?P<m>\d{1,2})\s*[月/\-]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*(?P<H>\d{1,2})\s*[:：]\s*(?P<M>\d{1,2}))?$"
)
RFC_2822 = re.compile(r"^(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s")
AGO = re.compile(r"^(?P<n>\d+)\s*(?P<unit>秒|分钟|分|小时|天|日|周|星期)前$")
DAY_WORD = re.compile(r"^(?P<day>今天|昨天|前天)(?:\s*(?P<H>\d{1,2})\s*[:：]\s*(?P<M>\d{1,2}))?$")
JUST_NOW = {"刚刚", "刚才", "片刻前"}
AGO_UNITS = {
    "秒": timedelta(seconds=1),
    "分钟": timedelta(minutes=1),
    "分": timedelta(minutes=1),
    "小时": timedelta(hours=1),
    "天": timedelta(days=1),
    "日": timedelta(days=1),
    "周": timedelta(weeks=1),
    "星期": timedelta(weeks=1),
}
DAYS_BACK = {"今天": 0, "昨天": 1, "前天": 2}


class UnparsableDate(ValueError):
    """A date text none of the known forms reads; the message quotes it."""


@dataclass(frozen=True)
class ParsedDate:
    """A parsed date in UTC; ``relative`` when it was worked out from the fetch time."""

    value: datetime
    relative: bool = False


def _local(value: datetime, zone: tzinfo) -> datetime:
    return (value.replace(tzinfo=zone) if value.tzinfo is None else value).astimezone(UTC)


def _absolute(text: str, zone: tzinfo) -> datetime | None:
    if match := FULL_DATE.match(text):
        parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
        try:
            moment = datetime(
                parts["y"], parts["m"], parts["d"], parts.get("H", 0), parts.get("M", 0),
                parts.get("S", 0),
            )  # fmt: skip
        except ValueError as error:
            raise UnparsableDate(f"impossible date {text!r}: {error}") from None
        return _local(moment, zone)
    with contextlib.suppress(ValueError):
        return _local(datetime.fromisoformat(text), zone)
    if RFC_2822.match(text):
        try:
            return _local(parsedate_to_datetime(text), zone)
        except (TypeError, ValueError, IndexError):
            return None
    return None


def _relative(text: str, fetched: datetime, zone: tzinfo) -> datetime | None:
    local_now = fetched.astimezone(zone)
    if text in JUST_NOW:
        return fetched
    if match := AGO.match(text):
        return fetched - int(match["n"]) * AGO_UNITS[match["unit"]]
    if match := DAY_WORD.match(text):
        day = local_now - timedelta(days=DAYS_BACK[match["day"]])
        if match["H"] is None:
            return day.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
        moment = day.replace(hour=int(match["H"]), minute=int(match["M"]), second=0, microsecond=0)
        return moment.astimezone(UTC)
    if match := YEARLESS_DATE.match(text):
        hour, minute = int(match["H"] or 0), int(match["M"] or 0)
        for year in (local_now.year, local_now.year - 1):
            try:
                moment = datetime(year, int(match["m"]), int(match["d"]), hour, minute, tzinfo=zone)
            except ValueError:  # 02月29日 outside a leap year
                continue
            if moment.date() <= local_now.date():
                return moment.astimezone(UTC)
    return None


def parse_published(text: str, fetched_at: datetime, zone: tzinfo = SHANGHAI) -> ParsedDate:
    """Read a publication date; raises :class:`UnparsableDate` when no known form fits."""
    cleaned = " ".join(text.replace("\u3000", " ").split())
    if not cleaned:
        raise UnparsableDate("empty date")
    if (value := _absolute(cleaned, zone)) is not None:
        return ParsedDate(value)
    if (value := _relative(cleaned, fetched_at, zone)) is not None:
        return ParsedDate(value, relative=True)
    default = fetched_at.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    from dateutil import parser as dateutil_parser  # the last resort: slow to import

    try:
        parsed = dateutil_parser.parse(cleaned, default=default.replace(tzinfo=None))
    except (ValueError, OverflowError) as error:
        raise UnparsableDate(f"unparsable date {text!r}") from error
    return ParsedDate(_local(parsed, zone))
