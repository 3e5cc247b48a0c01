"""Validate: run the Great Expectations suite on a batch of cleaned records and map the
row-level results back to the records that failed, with every failed expectation and value.

Records that repeat an earlier record of the batch exactly (same canonical URL and text)
are not validated twice: they share that record's outcome and reach dedupe as duplicates,
so a page seen twice in one batch is one article, not a uniqueness failure.
"""

from __future__ import annotations

import gc
import math
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

import pandas as pd

from schemas.sources import ValidationPolicy, get_source, load_sources

DEFAULT_REJECT_THRESHOLD = 0.2
FRESHNESS_SLACK = timedelta(days=1)
# frame column → record field whose value a failure reports
REPORTED_FIELD = {"published_ts": "published_at", "latest_ts": "published_at"}


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

    def suite(self, policy: ValidationPolicy) -> Any:
        from schemas.expectations import build_suite

        if policy not in self.suites:
            self.suites[policy] = self.context.suites.add(build_suite(policy, load_sources()))
        return self.suites[policy]

    def failing_rows(self, frame: pd.DataFrame, policy: ValidationPolicy) -> dict[int, list]:
        """``row → [(expectation type, column), ...]`` for every failed row."""
        batch = self.batch_definition.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(
            self.suite(policy),
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": ["row"],
                "return_unexpected_index_query": False,
            },
        )
        failing: dict[int, list[tuple[str, str]]] = {}
        for outcome in result.results:
            if outcome.success:
                continue
            config = outcome.expectation_config
            column = config.kwargs.get("column") or config.kwargs.get("column_B")
            rows = outcome.result.get("unexpected_index_list")
            if rows is None:
                raise RuntimeError(f"{config.type} failed without row results: {outcome}")
            for entry in rows:
                failing.setdefault(int(entry["row"]), []).append((config.type, column))
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


def _policy(slug: str) -> ValidationPolicy:
    try:
        return get_source(slug).validation
    except KeyError:
        return ValidationPolicy()


def _timestamp(value: Any) -> float:
    return value.timestamp() if value is not None else math.nan


def _frame(rows: list[tuple[int, dict[str, Any]]]) -> pd.DataFrame:
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


def validate_records(records: list[dict[str, Any]]) -> list[Rejection]:
    """The records of a batch that fail their source's suite, with every failure."""
    first_of: dict[tuple[str, str], int] = {}
    repeats: dict[int, int] = {}
    groups: dict[ValidationPolicy, list[tuple[int, dict[str, Any]]]] = {}
    policies: dict[str, ValidationPolicy] = {}  # looked up once per source and batch
    for index, record in enumerate(records):
        key = (record["canonical_url"], record["content_hash"])
        if key in first_of:
            repeats[index] = first_of[key]
            continue
        first_of[key] = index
        source = record["source"]
        if source not in policies:
            policies[source] = _policy(source)
        groups.setdefault(policies[source], []).append((index, record))
    failing: dict[int, list[tuple[str, str]]] = {}
    for policy, rows in groups.items():
        failing.update(_validator().failing_rows(_frame(rows), policy))
    failing.update({index: failing[first] for index, first in repeats.items() if first in failing})
    rejections = []
    for index in sorted(failing):
        record = records[index]
        failures = [
            {
                "expectation": expectation,
                "column": column,
                "value": _reported(record.get(REPORTED_FIELD.get(column, column))),
            }
            for expectation, column in failing[index]
        ]
        reason = "; ".join(f"{f['expectation']} ({f['column']})" for f in failures)
        rejections.append(Rejection(index, reason, failures))
    return rejections
