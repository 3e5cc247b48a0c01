"""ETL progress apart from the landed page: etl_document holds each document's claim and run

``raw_document.etl_batch_id`` and ``processed_run_id`` move to ``etl_document``, one narrow
row per landed document with an item, made by a trigger as the document lands. Claiming
and finishing a document then rewrite that row instead of the page's wide one.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from schemas.pending import create_queue_statements, drop_queue_statements

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HAS_ITEM = "item IS NOT NULL AND CAST(item AS TEXT) != 'null'"


def upgrade() -> None:
    op.create_table(
        "etl_document",
        sa.Column("raw_document_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("etl_batch_id", sa.Integer(), nullable=True),
        sa.Column("processed_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["raw_document_id"],
            ["raw_document.id"],
            name=op.f("fk_etl_document_raw_document_id_raw_document"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["etl_batch_id"], ["etl_batch.id"], name=op.f("fk_etl_document_etl_batch_id_etl_batch")
        ),
        sa.ForeignKeyConstraint(
            ["processed_run_id"],
            ["pipeline_run.id"],
            name=op.f("fk_etl_document_processed_run_id_pipeline_run"),
        ),
        sa.PrimaryKeyConstraint("raw_document_id", name=op.f("pk_etl_document")),
    )
    op.execute(
        "INSERT INTO etl_document (raw_document_id, etl_batch_id, processed_run_id) "
        f"SELECT id, etl_batch_id, processed_run_id FROM raw_document WHERE {HAS_ITEM}"
    )
    op.create_index(
        op.f("ix_etl_document_etl_batch_id"), "etl_document", ["etl_batch_id"], unique=False
    )
    op.create_index(
        "ix_etl_document_pending",
        "etl_document",
        ["processed_run_id", "etl_batch_id", "raw_document_id"],
        unique=False,
    )
    with op.batch_alter_table("raw_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_raw_document_etl_batch_id"))
        batch_op.drop_index("ix_raw_document_unclaimed")
        batch_op.drop_index("ix_raw_document_unprocessed")
        batch_op.drop_constraint(
            batch_op.f("fk_raw_document_etl_batch_id_etl_batch"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_raw_document_processed_run_id_pipeline_run"), type_="foreignkey"
        )
        batch_op.drop_column("etl_batch_id")
        batch_op.drop_column("processed_run_id")
    for statement in create_queue_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_queue_statements(op.get_bind().dialect.name):
        op.execute(statement)
    with op.batch_alter_table("raw_document", schema=None) as batch_op:
        batch_op.add_column(sa.Column("processed_run_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("etl_batch_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_raw_document_processed_run_id_pipeline_run"),
            "pipeline_run",
            ["processed_run_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_raw_document_etl_batch_id_etl_batch"),
            "etl_batch",
            ["etl_batch_id"],
            ["id"],
        )
        batch_op.create_index("ix_raw_document_unprocessed", ["processed_run_id", "id"])
        batch_op.create_index(
            "ix_raw_document_unclaimed", ["processed_run_id", "etl_batch_id", "id"]
        )
        batch_op.create_index(batch_op.f("ix_raw_document_etl_batch_id"), ["etl_batch_id"])
    op.execute(
        "UPDATE raw_document SET "
        "processed_run_id = (SELECT processed_run_id FROM etl_document "
        "WHERE raw_document_id = raw_document.id), "
        "etl_batch_id = (SELECT etl_batch_id FROM etl_document "
        "WHERE raw_document_id = raw_document.id) "
        "WHERE id IN (SELECT raw_document_id FROM etl_document)"
    )
    op.drop_index("ix_etl_document_pending", table_name="etl_document")
    op.drop_index(op.f("ix_etl_document_etl_batch_id"), table_name="etl_document")
    op.drop_table("etl_document")
