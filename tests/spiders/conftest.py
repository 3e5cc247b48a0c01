"""Crawl fixtures: the bundled demo sites on 127.0.0.1 and migrated warehouses.

Crawls themselves run through :func:`crawl_helpers.run_crawl` (a subprocess per crawl: the
reactor starts once per process).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis

from newsetl.demo.server import SiteServer
from schemas.db import make_engine
from schemas.migrate import upgrade

REDIS_ENV = "NEWSETL_TEST_REDIS_URL"


@pytest.fixture
def site_server() -> Iterator[SiteServer]:
    """The bundled demo sites on 127.0.0.1, fresh request counters."""
    with SiteServer() as server:
        yield server


@pytest.fixture(scope="module")
def module_server() -> Iterator[SiteServer]:
    """The bundled demo sites, shared by a module's tests of one crawl."""
    with SiteServer() as server:
        yield server


@pytest.fixture(scope="module")
def module_warehouse(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite warehouse shared by a module's tests of one crawl."""
    url = f"sqlite:///{tmp_path_factory.mktemp('warehouse') / 'warehouse.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def redis_url() -> str:
    """``NEWSETL_TEST_REDIS_URL``'s server, checked to answer; skips the test without it."""
    url = os.environ.get(REDIS_ENV)
    if not url:
        pytest.skip(f"{REDIS_ENV} is not set: shared-frontier tests need a Redis server")
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"the Redis server of {REDIS_ENV} does not answer: {error}")
    finally:
        client.close()
    return url
