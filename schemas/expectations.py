"""The Great Expectations suite articles must meet, built from a source's ValidationPolicy.

The suite runs on a pandas frame with one row per cleaned record and these columns:
``row`` (the record's position), ``source``, ``url``, ``canonical_url``, ``title``,
``body_text``, ``cjk_share``, ``published_ts`` and ``latest_ts`` (seconds since the epoch:
the publication time, and the fetch time plus one day).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import UTC, datetime

# Importing GX logs hundreds of INFO lines wherever logging is configured (Airflow task
# logs): keep its warnings and errors only.
logging.getLogger("great_expectations").setLevel(logging.WARNING)

import great_expectations as gx  # noqa: E402
import great_expectations.expectations as gxe  # noqa: E402

from schemas.sources import ValidationPolicy  # noqa: E402

EARLIEST_PUBLISHED = datetime(1990, 1, 1, tzinfo=UTC)
URL_PATTERN = r"^https?://"
HTML_TAG_PATTERN = r"<[A-Za-z/!][^>]*>"
TITLE_CHARS = (2, 200)


def suite_name(policy: ValidationPolicy) -> str:
    """A stable name per policy, so each distinct policy has one suite."""
    return "articles-" + hashlib.sha1(repr(policy).encode()).hexdigest()[:12]


def build_suite(policy: ValidationPolicy, known_sources: Iterable[str]) -> gx.ExpectationSuite:
    """The article suite for one source policy (see the module docstring for the columns)."""
    expectations: list[gxe.Expectation] = []
    if policy.require_url:
        expectations.append(gxe.ExpectColumnValuesToNotBeNull(column="url"))
    expectations += [
        gxe.ExpectColumnValuesToMatchRegex(column="url", regex=URL_PATTERN),
        gxe.ExpectColumnValuesToBeUnique(column="url"),
        gxe.ExpectColumnValuesToNotBeNull(column="canonical_url"),
        gxe.ExpectColumnValuesToBeUnique(column="canonical_url"),
        gxe.ExpectColumnValuesToNotBeNull(column="title"),
        gxe.ExpectColumnValueLengthsToBeBetween(
            column="title", min_value=TITLE_CHARS[0], max_value=TITLE_CHARS[1]
        ),
        gxe.ExpectColumnValueLengthsToBeBetween(
            column="body_text", min_value=policy.min_body_chars
        ),
        gxe.ExpectColumnValuesToBeBetween(column="cjk_share", min_value=policy.min_cjk_share),
        gxe.ExpectColumnValuesToNotMatchRegex(column="body_text", regex=HTML_TAG_PATTERN),
        gxe.ExpectColumnValuesToBeBetween(
            column="published_ts", min_value=EARLIEST_PUBLISHED.timestamp()
        ),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="latest_ts",
            column_B="published_ts",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        gxe.ExpectColumnValuesToBeInSet(column="source", value_set=sorted(known_sources)),
    ]
    if not policy.allow_inferred_dates:
        expectations.append(gxe.ExpectColumnValuesToNotBeNull(column="published_ts"))
    return gx.ExpectationSuite(name=suite_name(policy), expectations=expectations)
