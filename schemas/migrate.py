"""Create or migrate the warehouse with Alembic (`newsetl db upgrade`, `newsetl db current`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from schemas.db import make_folder, sqlite_file

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    """An Alembic config bound to ``engine``; no ``alembic.ini`` needed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # options go through configparser interpolation: a "%" (a percent-encoded password, a
    # path that holds one) is written "%%"
    url = engine.url.render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the warehouse behind ``engine`` to ``revision`` (default: the newest); a SQLite
    warehouse gets its folder."""
    make_folder(engine)
    _migrate(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the warehouse behind ``engine`` back to ``revision``."""
    _migrate(engine, command.downgrade, revision)


def _migrate(engine: Engine, step: Callable[[Config, str], None], revision: str) -> None:
    """Run one Alembic command in one transaction.

    On SQLite, Alembic's batch mode rebuilds a table (copy, drop, rename), which SQLite only
    allows with foreign keys off and, where views read the table, with the legacy rename
    rules; both can only be set outside a transaction. Foreign keys are checked before the
    transaction commits and switched back on afterwards.
    """
    config = alembic_config(engine)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.exec_driver_sql("PRAGMA legacy_alter_table=ON")
            connection.commit()
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                step(config, revision)
                if sqlite and (
                    broken := connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                ):
                    raise RuntimeError(f"migration to {revision} broke foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA legacy_alter_table=OFF")
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def current(engine: Engine) -> str | None:
    """The revision the warehouse is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


class WarehouseNotReady(RuntimeError):
    """The warehouse is missing, empty or not at the newest migration."""


def require_current(engine: Engine) -> None:
    """Refuse a warehouse that is not at the newest revision, saying what to run; a SQLite
    file that does not exist is refused without being created."""
    where = engine.url.render_as_string(hide_password=True)
    database = sqlite_file(engine.url)
    if database is not None and not database.exists():
        raise WarehouseNotReady(f"no warehouse at {database}: run `newsetl db upgrade` first")
    revision, newest = current(engine), head()
    if revision is None:
        raise WarehouseNotReady(f"the warehouse {where} is empty: run `newsetl db upgrade` first")
    if revision != newest:
        raise WarehouseNotReady(
            f"the warehouse {where} is at revision {revision}, not {newest}: "
            "run `newsetl db upgrade` first"
        )


def head() -> str | None:
    """The newest revision this code knows."""
    script = ScriptDirectory.from_config(alembic_config_for_scripts())
    return script.get_current_head()


def alembic_config_for_scripts() -> Config:
    """A config that only locates the migration scripts."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config
