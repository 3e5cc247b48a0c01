"""Shared fixtures: a migrated warehouse on SQLite and on PostgreSQL.

Tests that take ``warehouse_url`` or ``engine`` run once per backend. The PostgreSQL run
uses a database created for this test session on the server named by
``NEWSETL_TEST_POSTGRES_URL`` and is skipped, with that reason, where the variable is unset.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url

from schemas.db import database_url, make_engine
from schemas.migrate import upgrade
from schemas.models import Base

POSTGRES_ENV = "NEWSETL_TEST_POSTGRES_URL"
FIXTURES = Path(__file__).parent / "fixtures"


@contextmanager
def new_postgres_database() -> Iterator[str]:
    """URL of an empty PostgreSQL database of its own, dropped afterwards; skips the test
    where no server is named."""
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        pytest.skip(f"{POSTGRES_ENV} is not set: PostgreSQL tests need a server")
    admin_url = make_url(database_url(server))
    name = f"newsetl_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this session, dropped at the end."""
    with new_postgres_database() as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def blank_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty, unmigrated database on each backend (for migration tests)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        return
    with new_postgres_database() as url:
        yield url


def _empty_postgres(url: str) -> None:
    engine = make_engine(url)
    existing = set(inspect(engine).get_table_names())
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables if t.name in existing)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def warehouse_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty, migrated warehouse on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'warehouse.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        return url
    url = request.getfixturevalue("postgres_database")
    _empty_postgres(url)
    return url


@pytest.fixture
def engine(warehouse_url: str) -> Iterator[Engine]:
    """An engine on the empty, migrated warehouse."""
    engine = make_engine(warehouse_url)
    yield engine
    engine.dispose()


@pytest.fixture
def use_warehouse(warehouse_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point ``NEWSETL_DATABASE_URL`` (what the CLI reads) at the test warehouse."""
    monkeypatch.setenv("NEWSETL_DATABASE_URL", warehouse_url)
    return warehouse_url


@pytest.fixture
def reader_url(warehouse_url: str) -> Iterator[str]:
    """The warehouse URL as an analyst logs in: on PostgreSQL a login role of its own that
    is only a member of the reader role (migration 0004); on SQLite the file itself."""
    if not warehouse_url.startswith("postgresql"):
        yield warehouse_url
        return
    from schemas.queries import READER_ROLE

    name = f"newsetl_analyst_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(database_url(warehouse_url)), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE ROLE {name} LOGIN IN ROLE {READER_ROLE}"))
    yield make_url(warehouse_url).set(username=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f"DROP ROLE IF EXISTS {name}"))
    admin.dispose()


@pytest.fixture
def use_reader(reader_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point ``NEWSETL_DATABASE_URL`` at the warehouse as an analyst reads it."""
    monkeypatch.setenv("NEWSETL_DATABASE_URL", reader_url)
    return reader_url
