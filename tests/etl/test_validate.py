"""The Great Expectations suite rejects each bad input with the expectation and value."""

from __future__ import annotations

from typing import Any

import pytest
from etl_items import FETCHED, TEXT_SEED, news_item, seed_item

from etl.clean import clean_item
from etl.validate import validate_records
from schemas.items import ArticleItem

ENGLISH = (
    "<div><p>" + "This is an English article about city renewal and housing. " * 4 + "</p></div>"
)

BAD_ITEMS: dict[str, tuple[dict[str, Any], str, str, Any]] = {
    # name: (item fields, expectation, column, offending value)
    "missing title": ({"title": None}, "expect_column_values_to_not_be_null", "title", None),
    "one-character title": (
        {"title": "短"},
        "expect_column_value_lengths_to_be_between",
        "title",
        "短",
    ),
    "empty body": ({"body_html": ""}, "expect_column_value_lengths_to_be_between", "body_text", ""),
    "HTML-only body": (
        {"body_html": '<div><img src="https://example.com/a.jpg"><p><br></p></div>'},
        "expect_column_value_lengths_to_be_between",
        "body_text",
        "",
    ),
    "wrong language": (
        {"body_html": ENGLISH},
        "expect_column_values_to_be_between",
        "cjk_share",
        0.0,
    ),
    "date in the future": (
        {"published": "2026-08-10 09:00"},
        "expect_column_pair_values_a_to_be_greater_than_b",
        "published_ts",
        "2026-08-10T01:00:00+00:00",
    ),
    "date before 1990": (
        {"published": "1989-12-31 09:00"},
        "expect_column_values_to_be_between",
        "published_ts",
        "1989-12-31T01:00:00+00:00",
    ),
    "missing date": (
        {"published": None},
        "expect_column_values_to_not_be_null",
        "published_ts",
        None,
    ),
    "tags left in text": (
        {
            "body_html": "<div><p>"
            + "&lt;b&gt;城市更新惠民生，老旧小区改造成效显著。" * 3
            + "</p></div>"
        },
        "expect_column_values_to_not_match_regex",
        "body_text",
        None,
    ),
    "missing url": ({"url": None}, "expect_column_values_to_not_be_null", "url", None),
    "not an http url": (
        {"url": "ftp://example.com/a.html"},
        "expect_column_values_to_match_regex",
        "url",
        "ftp://example.com/a.html",
    ),
    "unknown source": (
        {"source": "nowhere"},
        "expect_column_values_to_be_in_set",
        "source",
        "nowhere",
    ),
}


def record(item: ArticleItem) -> dict[str, Any]:
    return clean_item(item, fetched_at=FETCHED)


@pytest.mark.parametrize("name", BAD_ITEMS)
def test_each_bad_input_is_rejected_with_its_expectation_and_value(name: str) -> None:
    fields, expectation, column, value = BAD_ITEMS[name]
    records = [record(news_item(1)), record(news_item(2, **fields)), record(news_item(3))]
    rejections = validate_records(records)
    assert [r.index for r in rejections] == [1]
    failures = rejections[0].failures
    matching = [f for f in failures if f["expectation"] == expectation and f["column"] == column]
    assert matching, failures
    if value is not None:
        assert matching[0]["value"] == value
    assert matching[0]["reason"] in rejections[0].reason
    assert "expect_" not in rejections[0].reason  # words, not the expectation's name


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"title": "短"}, "title: 1 characters, not within 2–200"),
        ({"title": "长" * 201}, "title: 201 characters, not within 2–200"),
        ({"body_html": "<p>很短。</p>"}, "body_text: 3 characters, not at least"),
        ({"published": "1989-12-31 09:00"}, "is before 1990-01-01"),
        ({"published": "2026-08-10 09:00"}, "more than 1 day after it was fetched"),
        ({"body_html": ENGLISH}, "cjk_share: 0.00 below the minimum"),
        ({"url": "ftp://example.com/a.html"}, "does not match ^https?://"),
        ({"source": "nowhere"}, "'nowhere' is not one of"),
        ({"title": None}, "title: missing"),
    ],
)
def test_reasons_name_the_bound_that_failed(fields: dict[str, Any], reason: str) -> None:
    (rejection,) = validate_records([record(news_item(1, **fields))])
    assert reason in rejection.reason, rejection.reason


def test_every_failed_expectation_is_reported() -> None:
    bad = record(news_item(1, title=None, body_html="", published="2030-01-01"))
    (rejection,) = validate_records([bad])
    assert {(f["expectation"], f["column"]) for f in rejection.failures} >= {
        ("expect_column_values_to_not_be_null", "title"),
        ("expect_column_value_lengths_to_be_between", "body_text"),
        ("expect_column_values_to_be_between", "cjk_share"),
        ("expect_column_pair_values_a_to_be_greater_than_b", "published_ts"),
    }


def test_sample_files_pass_under_the_files_policy() -> None:
    """The text seed has neither URL nor date: the ``files`` source allows both."""
    assert validate_records([record(seed_item()), record(seed_item(TEXT_SEED))]) == []


def test_per_source_policy_applies() -> None:
    """The same date-less, URL-less article fails for a crawled source."""
    text = seed_item(TEXT_SEED)
    text.source = "zaker"
    (rejection,) = validate_records([record(text)])
    assert {f["column"] for f in rejection.failures} == {"url", "published_ts"}


def test_exact_repeat_in_a_batch_is_not_a_uniqueness_failure() -> None:
    records = [record(news_item(1)), record(news_item(1))]
    assert validate_records(records) == []


def test_twin_bodies_are_each_judged_by_their_own_date() -> None:
    """Two files without a URL and with the same body share a canonical URL and text; the
    one dated before 1990 is rejected for its date, the one dated well is not rejected."""
    twins = [seed_item(TEXT_SEED) for _ in range(3)]
    twins[0].published, twins[1].published, twins[2].published = (
        "1980-01-01",
        "2024-11-29",
        "2024-11-30",
    )
    records = [record(twin) for twin in twins]
    assert len({(r["canonical_url"], r["content_hash"]) for r in records}) == 1
    rejections = validate_records(records)
    assert [r.index for r in rejections] == [0]
    assert [f["column"] for f in rejections[0].failures] == ["published_ts"]
    # the other way round: the bad twin comes second
    rejections = validate_records(records[::-1])
    assert [r.index for r in rejections] == [2]


def test_two_versions_of_one_url_in_a_batch_are_both_quarantined() -> None:
    other_body = news_item(2).body_html
    records = [record(news_item(1)), record(news_item(1, body_html=other_body))]
    rejections = validate_records(records)
    assert [r.index for r in rejections] == [0, 1]
    assert all(
        f["expectation"] == "expect_column_values_to_be_unique"
        for r in rejections
        for f in r.failures
    )
