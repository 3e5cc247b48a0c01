"""run liveness and document claims: pipeline_run.pid/host/heartbeat_at, raw_document.etl_batch_id

A run records the process and host that run it and beats a heartbeat, so a later run can
tell a dead run from a live one; an ETL batch claims its documents when it is planned, so
two runs started together never take the same document.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pipeline_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("host", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("raw_document", schema=None) as batch_op:
        batch_op.add_column(sa.Column("etl_batch_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_raw_document_etl_batch_id_etl_batch"),
            "etl_batch",
            ["etl_batch_id"],
            ["id"],
        )
        batch_op.create_index(
            "ix_raw_document_unclaimed", ["processed_run_id", "etl_batch_id", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_raw_document_etl_batch_id"), ["etl_batch_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("raw_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_raw_document_etl_batch_id"))
        batch_op.drop_index("ix_raw_document_unclaimed")
        batch_op.drop_constraint(
            batch_op.f("fk_raw_document_etl_batch_id_etl_batch"), type_="foreignkey"
        )
        batch_op.drop_column("etl_batch_id")
    with op.batch_alter_table("pipeline_run", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("host")
        batch_op.drop_column("pid")
