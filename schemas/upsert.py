"""Dialect-aware ``INSERT … ON CONFLICT`` for SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_for(session: Session, table: Any) -> Any:
    """An ``insert()`` of the session's dialect, which has ``on_conflict_do_*``."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"unsupported warehouse dialect {dialect!r}: use SQLite or PostgreSQL")
