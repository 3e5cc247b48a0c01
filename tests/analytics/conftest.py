"""Fixtures of the analytics tests: a warehouse seeded with known rows on each backend."""

from __future__ import annotations

import pytest
from analytics_seed import Seeded, seed
from sqlalchemy import Engine


@pytest.fixture
def seeded(engine: Engine, warehouse_url: str) -> Seeded:
    """The known rows in a fresh warehouse on each backend."""
    return seed(engine, warehouse_url)
