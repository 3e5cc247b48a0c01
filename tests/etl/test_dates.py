"""Dates in every form the sources use become timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from etl.dates import UnparsableDate, parse_published

# 2026-08-03 10:00 in Shanghai
FETCHED = datetime(2026, 8, 3, 2, 0, tzinfo=UTC)
NEW_YEAR = datetime(2027, 1, 1, 1, 0, tzinfo=UTC)  # 2027-01-01 09:00 in Shanghai


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fri, 06 Aug 2021 00:07:04 GMT", utc(2021, 8, 6, 0, 7, 4)),
        ("Fri, 06 Aug 2021 08:07:04 +0800", utc(2021, 8, 6, 0, 7, 4)),
        ("2021-08-06T08:07:04+08:00", utc(2021, 8, 6, 0, 7, 4)),
        ("2021-08-06T00:07:04Z", utc(2021, 8, 6, 0, 7, 4)),
        ("2021-08-06 08:07:04", utc(2021, 8, 6, 0, 7, 4)),
        ("2021年08月06日 08:07", utc(2021, 8, 6, 0, 7)),
        ("2021年8月6日", utc(2021, 8, 5, 16, 0)),
        ("2021-8-6", utc(2021, 8, 5, 16, 0)),
        ("2021/08/06 08:07", utc(2021, 8, 6, 0, 7)),
        ("  2021年08月06日\u300008:07  ", utc(2021, 8, 6, 0, 7)),
        ("August 6, 2021 8:07 AM", utc(2021, 8, 6, 0, 7)),
    ],
)
def test_absolute_dates(text: str, expected: datetime) -> None:
    parsed = parse_published(text, FETCHED)
    assert parsed.value == expected
    assert parsed.value.tzinfo is not None
    assert not parsed.relative


@pytest.mark.parametrize(
    ("text", "fetched", "expected"),
    [
        ("刚刚", FETCHED, FETCHED),
        ("5分钟前", FETCHED, utc(2026, 8, 3, 1, 55)),
        ("3小时前", FETCHED, utc(2026, 8, 2, 23, 0)),
        ("2天前", FETCHED, utc(2026, 8, 1, 2, 0)),
        ("昨天 15:30", FETCHED, utc(2026, 8, 2, 7, 30)),
        ("前天", FETCHED, utc(2026, 7, 31, 16, 0)),
        ("今天 08:00", FETCHED, utc(2026, 8, 3, 0, 0)),
        ("08月02日", FETCHED, utc(2026, 8, 1, 16, 0)),
        ("8月3日 09:15", FETCHED, utc(2026, 8, 3, 1, 15)),
        # year-less dates after the fetch day belong to the previous year
        ("12月31日", NEW_YEAR, utc(2026, 12, 30, 16, 0)),
        ("12月31日 23:50", NEW_YEAR, utc(2026, 12, 31, 15, 50)),
        ("01月01日", NEW_YEAR, utc(2026, 12, 31, 16, 0)),
        ("昨天 23:00", NEW_YEAR, utc(2026, 12, 31, 15, 0)),
        ("08月04日", FETCHED, utc(2025, 8, 3, 16, 0)),
    ],
)
def test_relative_and_yearless_dates_count_from_the_fetch(
    text: str, fetched: datetime, expected: datetime
) -> None:
    parsed = parse_published(text, fetched)
    assert parsed.value == expected
    assert parsed.relative


@pytest.mark.parametrize("text", ["", "   ", "不详", "明天见", "2021年13月45日", "32/45/2021"])
def test_unparsable_dates_raise_with_the_text(text: str) -> None:
    with pytest.raises(UnparsableDate):
        parse_published(text, FETCHED)
