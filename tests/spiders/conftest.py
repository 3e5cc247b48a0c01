"""Crawl fixtures: the bundled demo sites on 127.0.0.1 and migrated warehouses.

Crawls themselves run through :func:`crawl_helpers.run_crawl` (a subprocess per crawl: the
reactor starts once per process).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from newsetl.demo.server import SiteServer
from schemas.db import make_engine
from schemas.migrate import upgrade


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
