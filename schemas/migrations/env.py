"""Alembic environment: runs migrations on the connection or URL that `schemas.migrate` gives."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from schemas.db import make_engine, make_folder
from schemas.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # the alembic command with the repository's alembic.ini: NEWSETL_DATABASE_URL
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    make_folder(engine)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()
