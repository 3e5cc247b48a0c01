"""query role: newsetl_reader, a role that can only read the warehouse

``newsetl query`` runs its statements as this role. It has no login of its own: analysts log
in as a role that is a member of it (``CREATE ROLE analyst LOGIN IN ROLE newsetl_reader``).
Roles belong to the whole PostgreSQL server, so the role is created only where missing and
the downgrade only takes back what it was granted here. SQLite has no roles: nothing to do.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from schemas.queries import READER_ROLE

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# several warehouses on one server may create the role at the same moment
CREATE_ROLE = f"""
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{READER_ROLE}') THEN
        CREATE ROLE {READER_ROLE} NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$
"""
# the warehouse's owner may query it too (as the reader): where the grant is allowed
JOIN_ROLE = f"""
DO $$ BEGIN
    EXECUTE format('GRANT {READER_ROLE} TO %I', session_user);
EXCEPTION WHEN insufficient_privilege OR invalid_grant_operation OR unique_violation THEN NULL;
END $$
"""


def _schema() -> str:
    return op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one()


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = _schema()
    op.execute(CREATE_ROLE)
    op.execute(JOIN_ROLE)
    op.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO {READER_ROLE}')
    op.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO {READER_ROLE}')
    op.execute(
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" GRANT SELECT ON TABLES TO {READER_ROLE}'
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = _schema()
    op.execute(
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" REVOKE SELECT ON TABLES FROM {READER_ROLE}'
    )
    op.execute(f'REVOKE SELECT ON ALL TABLES IN SCHEMA "{schema}" FROM {READER_ROLE}')
    op.execute(f'REVOKE USAGE ON SCHEMA "{schema}" FROM {READER_ROLE}')
