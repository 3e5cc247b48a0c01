"""Splitting long value lists for ``IN (…)`` queries and bulk writes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

IN_LIST_SIZE = 1000
WRITE_CHUNK = 5000


def in_lists(values: Iterable[Any], size: int = IN_LIST_SIZE) -> list[list[Any]]:
    """Distinct values in lists of exactly ``size`` (the last padded with its own last
    value), so every ``IN (…)`` query of a kind has one shape: database drivers cache one
    prepared statement per shape, and varying lengths would grow that cache batch by batch.
    """
    unique = sorted(set(values))
    lists = [unique[i : i + size] for i in range(0, len(unique), size)]
    if lists:
        lists[-1] += [lists[-1][-1]] * (size - len(lists[-1]))
    return lists


def write_chunks(rows: list[Any], size: int = WRITE_CHUNK) -> list[list[Any]]:
    """Rows in chunks for executemany, so no single statement gets unbounded."""
    return [rows[i : i + size] for i in range(0, len(rows), size)]
