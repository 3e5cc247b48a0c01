"""Validate: run the Great Expectations suite on a batch of cleaned records and map the
row-level results back to the records that failed, with every failed expectation, its
bound and the value.

Every record is judged on its own fields. Records that repeat another record of the batch
exactly (same canonical URL and text: twin files without a URL, a page seen twice) are not
a uniqueness failure: they reach dedupe as duplicates. A repeat still fails on its own
date, title or source, and only on those.
"""

from __future__ import annotations

import gc
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from schemas.sources import SourceConfig, ValidationPolicy, load_sources

if TYPE_CHECKING:  # pandas comes with Great Expectations, when a batch is validated
    import pandas as pd

DEFAULT_REJECT_THRESHOLD = 0.2
FRESHNESS_SLACK = timedelta(days=1)
# frame column → record field whose value a failure reports
REPORTED_FIELD = {"published_ts": "published_at", "latest_ts": "published_at"}
UNIQUENESS = "expect_column_values_to_be_unique"
UNIQUE_COLUMNS = ("url", "canonical_url")
BOUND_KEYS = ("min_value", "max_value", "regex", "value_set", "or_equal")
# the record fields validation reads (the suite's columns, what failures report, and what
# tells an exact repeat)
VALIDATED_FIELDS = (
    "source", "url", "canonical_url", "title", "body_text", "cjk_share", "published_at",
    "fetched_at", "content_hash",
)  # fmt: skip


@dataclass
class Rejection:
    """One record that failed validation."""

    index: int  # position in the batch
    reason: str
    failures: list[dict[str, Any]]


class _Validator:
    """One ephemeral GX context per process, with a suite per source policy."""

    def __init__(self) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        asset = self.context.data_sources.add_pandas("etl").add_dataframe_asset("records")
        self.batch_definition = asset.add_batch_definition_whole_dataframe("batch")
        self.suites: dict[ValidationPolicy, Any] = {}

    def suite(self, policy: ValidationPolicy, known: tuple[str, ...]) -> Any:
        """The suite of ``policy`` (one a process, built for the sources ``known`` then)."""
        from schemas.expectations import build_suite

        if policy not in self.suites:
            self.suites[policy] = self.context.suites.add(build_suite(policy, known))
        return self.suites[policy]

    def failing_rows(
        self, frame: pd.DataFrame, policy: ValidationPolicy, known: tuple[str, ...]
    ) -> dict[int, list]:
        """``row → [(expectation type, column, kwargs), ...]`` for every failed row, by the
        suite of ``policy`` for the ``known`` sources."""
        batch = self.batch_definition.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(
            self.suite(policy, known),
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": ["row"],
                "return_unexpected_index_query": False,
            },
        )
        failing: dict[int, list[tuple[str, str, dict[str, Any]]]] = {}
        for outcome in result.results:
            if outcome.success:
                continue
            config = outcome.expectation_config
            column = config.kwargs.get("column") or config.kwargs.get("column_B")
            rows = outcome.result.get("unexpected_index_list")
            if rows is None:
                raise RuntimeError(f"{config.type} failed without row results: {outcome}")
            for entry in rows:
                failing.setdefault(int(entry["row"]), []).append(
                    (config.type, column, dict(config.kwargs))
                )
        return failing


@cache
def _validator() -> _Validator:
    validator = _Validator()
    # GX leaves a quarter of a million long-lived objects: frozen out of the collector's
    # sight, the full collections that building each batch's records triggers stay cheap
    gc.freeze()
    return validator


def warm_up() -> None:
    """Import Great Expectations and build the context now rather than on the first batch."""
    _validator()


def _timestamp(value: Any) -> float:
    return value.timestamp() if value is not None else math.nan


def _frame(rows: list[tuple[int, dict[str, Any]]]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(
        {
            "row": [i for i, _ in rows],
            "source": [r["source"] for _, r in rows],
            "url": [r["url"] for _, r in rows],
            "canonical_url": [r["canonical_url"] for _, r in rows],
            "title": [r["title"] for _, r in rows],
            "body_text": [r["body_text"] for _, r in rows],
            "cjk_share": [r["cjk_share"] for _, r in rows],
            "published_ts": [_timestamp(r["published_at"]) for _, r in rows],
            "latest_ts": [(r["fetched_at"] + FRESHNESS_SLACK).timestamp() for _, r in rows],
        }
    )


def _reported(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str) and len(value) > 200:
        return value[:200] + f"… ({len(value)} characters)"
    return value


def _when(seconds: float | None) -> str:
    return datetime.fromtimestamp(seconds, UTC).date().isoformat() if seconds else "?"


def describe(expectation: str, column: str, bound: dict[str, Any], value: Any) -> str:
    """One failed expectation in words, with the bound it set (``title: 1 characters, not
    within 2–200``)."""
    field = REPORTED_FIELD.get(column, column)
    low, high = bound.get("min_value"), bound.get("max_value")
    if expectation == "expect_column_values_to_not_be_null":
        return f"{field}: missing"
    if expectation == UNIQUENESS:
        return f"{field}: another record of the batch has the same {field}"
    if expectation == "expect_column_value_lengths_to_be_between":
        size = len(value) if isinstance(value, str) else 0
        limits = f"at least {low}" if high is None else f"within {low}–{high}"
        return f"{field}: {size} characters, not {limits}"
    if expectation == "expect_column_values_to_be_between" and column == "published_ts":
        return f"{field}: {_reported(value)} is before {_when(low)}"
    if expectation == "expect_column_values_to_be_between":
        return f"{field}: {value:.2f} below the minimum {low}"
    if expectation == "expect_column_pair_values_a_to_be_greater_than_b":
        late = f"more than {FRESHNESS_SLACK.days} day after it was fetched"
        return f"{field}: {_reported(value)} is {late}"
    if expectation == "expect_column_values_to_match_regex":
        return f"{field}: {_reported(value)!r} does not match {bound.get('regex')}"
    if expectation == "expect_column_values_to_not_match_regex":
        return f"{field}: contains HTML tags ({bound.get('regex')})"
    if expectation == "expect_column_values_to_be_in_set":
        return f"{field}: {value!r} is not one of {', '.join(bound.get('value_set') or [])}"
    return f"{expectation} ({column})"


def _only_exact_repeats(records: list[dict[str, Any]], column: str) -> Callable[[int], bool]:
    """For a uniqueness rule on ``column``: whether record ``i`` shares its value only
    with exact repeats of itself (same canonical URL and text). Such twins are dedupe's
    business, not a broken uniqueness rule."""
    keys: dict[Any, set[tuple[str, str]]] = defaultdict(set)
    for record in records:
        keys[record.get(column)].add((record["canonical_url"], record["content_hash"]))
    return lambda i: len(keys[records[i].get(column)]) == 1


def validate_records(
    records: list[dict[str, Any]], sources: dict[str, SourceConfig] | None = None
) -> list[Rejection]:
    """The records of a batch that fail their source's suite, with every failure, by the
    given ``sources`` (default: the registry, :func:`schemas.sources.load_sources`)."""
    sources = load_sources() if sources is None else sources
    known = tuple(sorted(sources))
    groups: dict[ValidationPolicy, list[tuple[int, dict[str, Any]]]] = {}
    default = ValidationPolicy()  # an unknown source fails its rule under the default policy
    for index, record in enumerate(records):
        source = sources.get(record["source"])
        groups.setdefault(source.validation if source else default, []).append((index, record))
    failing: dict[int, list[tuple[str, str, dict[str, Any]]]] = {}
    for policy, rows in groups.items():
        failing.update(_validator().failing_rows(_frame(rows), policy, known))
    repeats = {column: _only_exact_repeats(records, column) for column in UNIQUE_COLUMNS}
    rejections = []
    for index in sorted(failing):
        record = records[index]
        failures = []
        for expectation, column, kwargs in failing[index]:
            if expectation == UNIQUENESS and repeats[column](index):
                continue
            value = record.get(REPORTED_FIELD.get(column, column))
            bound = {k: v for k, v in kwargs.items() if k in BOUND_KEYS}
            failures.append(
                {
                    "expectation": expectation,
                    "column": column,
                    "bound": bound,
                    "value": _reported(value),
                    "reason": describe(expectation, column, bound, value),
                }
            )
        if failures:
            reason = "; ".join(f["reason"] for f in failures)
            rejections.append(Rejection(index, reason, failures))
    return rejections
