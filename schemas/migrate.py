"""Create or migrate the warehouse with Alembic (`newsetl db upgrade`, `newsetl db current`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    """An Alembic config bound to ``engine``; no ``alembic.ini`` needed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the warehouse behind ``engine`` to ``revision`` (default: the newest)."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current(engine: Engine) -> str | None:
    """The revision the warehouse is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head() -> str | None:
    """The newest revision this code knows."""
    script = ScriptDirectory.from_config(alembic_config_for_scripts())
    return script.get_current_head()


def alembic_config_for_scripts() -> Config:
    """A config that only locates the migration scripts."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config
