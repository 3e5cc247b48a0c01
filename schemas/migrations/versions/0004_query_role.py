"""query role: newsetl_reader, a role that can only read the warehouse

``newsetl query`` runs its statements as this role. It has no login of its own: analysts log
in as a role that is a member of it (``CREATE ROLE analyst LOGIN IN ROLE newsetl_reader``).
Roles belong to the whole PostgreSQL server, so the role is created only where missing and
the downgrade only takes back what it was granted here. SQLite has no roles: nothing to do.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from schemas.queries import READER_ROLE

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Several warehouses on one server may create the role at the same moment; an owner who
# may not create roles gets a notice (a DBA creates the role and runs the upgrade again).
GRANT_READER = f"""
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{READER_ROLE}') THEN
        BEGIN
            CREATE ROLE {READER_ROLE} NOLOGIN;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN NULL;
            WHEN insufficient_privilege THEN
                RAISE NOTICE 'cannot create role {READER_ROLE}: newsetl query will refuse';
                RETURN;
        END;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO {READER_ROLE}', current_schema());
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO {READER_ROLE}', current_schema());
    EXECUTE format(
        'ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES TO {READER_ROLE}',
        current_schema()
    );
    BEGIN  -- the warehouse's owner may query it too, as the reader
        EXECUTE format('GRANT {READER_ROLE} TO %I', session_user);
    EXCEPTION
        WHEN insufficient_privilege OR invalid_grant_operation OR unique_violation THEN NULL;
    END;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(GRANT_READER)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar_one()
    op.execute(
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{schema}" REVOKE SELECT ON TABLES FROM {READER_ROLE}'
    )
    op.execute(f'REVOKE SELECT ON ALL TABLES IN SCHEMA "{schema}" FROM {READER_ROLE}')
    op.execute(f'REVOKE USAGE ON SCHEMA "{schema}" FROM {READER_ROLE}')
