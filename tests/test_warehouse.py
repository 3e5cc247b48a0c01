"""The warehouse schema: migrations, identical tables on both backends, UTC timestamps."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, select, text
from typer.testing import CliRunner

from newsetl.cli import app
from schemas.db import database_url, make_engine, session_scope
from schemas.migrate import current, head, upgrade
from schemas.models import PipelineRun

POSTGRES = os.environ.get("NEWSETL_TEST_POSTGRES_URL")


def shape(engine: Engine) -> dict[str, object]:
    """Tables, their columns and their unique keys, as the database reports them."""
    inspector = inspect(engine)
    return {
        table: (
            sorted(c["name"] for c in inspector.get_columns(table)),
            sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)),
            sorted(inspector.get_pk_constraint(table)["constrained_columns"]),
        )
        for table in sorted(inspector.get_table_names())
    }


@pytest.mark.postgres
def test_upgrade_gives_the_same_tables_on_sqlite_and_postgresql(tmp_path: Path) -> None:
    if not POSTGRES:
        pytest.skip("NEWSETL_TEST_POSTGRES_URL is not set: PostgreSQL tests need a server")
    sqlite = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    admin = create_engine(database_url(POSTGRES), isolation_level="AUTOCOMMIT")
    name = f"newsetl_empty_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        postgres = make_engine(admin.url.set(database=name).render_as_string(hide_password=False))
        assert current(postgres) is None
        upgrade(postgres)
        upgrade(sqlite)
        assert shape(sqlite) == shape(postgres)
        assert current(postgres) == current(sqlite) == head()
        views = set(inspect(sqlite).get_view_names())
        assert views == set(inspect(postgres).get_view_names())
        postgres.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_twice_is_harmless(engine: Engine) -> None:
    before = shape(engine)
    upgrade(engine)
    assert shape(engine) == before and current(engine) == head()


def test_timestamps_are_utc_aware_on_both_backends(engine: Engine) -> None:
    shanghai = timezone(timedelta(hours=8))
    with session_scope(engine) as session:
        session.add(
            PipelineRun(kind="etl", started_at=datetime(2021, 8, 6, 8, 7, 4, tzinfo=shanghai))
        )
    with session_scope(engine) as session:
        run = session.scalars(select(PipelineRun)).one()
        assert run.started_at == datetime(2021, 8, 6, 0, 7, 4, tzinfo=UTC)
        assert run.started_at.utcoffset() == timedelta(0)


def test_naive_timestamps_are_refused(engine: Engine) -> None:
    with pytest.raises(Exception, match="naive datetime"), session_scope(engine) as session:
        session.add(PipelineRun(kind="etl", started_at=datetime(2021, 8, 6, 8, 7, 4)))


def test_db_commands(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sub' / 'w.db'}"
    runner = CliRunner()
    result = runner.invoke(app, ["db", "current", "--database-url", url])
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"Error: no warehouse at {tmp_path / 'sub' / 'w.db'}: run `newsetl db upgrade` first\n"
    )
    assert not (tmp_path / "sub").exists()  # reading created nothing
    result = runner.invoke(app, ["db", "upgrade", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "sub" / "w.db").exists()
    result = runner.invoke(app, ["db", "current", "--database-url", url])
    assert f"{head()} (up to date)" in result.output


def test_alembic_upgrade_head_works_from_the_repository_root(tmp_path: Path) -> None:
    """The root ``alembic.ini`` migrates the warehouse ``NEWSETL_DATABASE_URL`` names."""
    database = tmp_path / "new" / "warehouse.db"
    url = f"sqlite:///{database}"
    alembic = Path(sys.executable).with_name("alembic")
    env = {**os.environ, "NEWSETL_DATABASE_URL": url}
    repo = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [str(alembic), "upgrade", "head"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    engine = make_engine(url)
    assert current(engine) == head()
    engine.dispose()
