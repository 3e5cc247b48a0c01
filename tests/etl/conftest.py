"""Fixtures of the ETL tests."""

from __future__ import annotations

import pytest
from etl_items import land_items
from sqlalchemy import Engine


@pytest.fixture
def land_in(engine: Engine):
    """``land_in(items)`` lands items in the test warehouse."""
    return lambda items, kind="crawl": land_items(engine, items, kind)
