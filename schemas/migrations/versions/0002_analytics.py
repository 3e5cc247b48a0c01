"""analytics: article_term and the analytics views

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 08:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from schemas.views import drop_view_statements

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "article_term",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_article_term_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "term", name=op.f("pk_article_term")),
    )
    op.create_index(op.f("ix_article_term_term"), "article_term", ["term"], unique=False)
    # the views are created by the newest revision that changed them (0003): they read
    # tables that do not exist yet at this revision


def downgrade() -> None:
    for statement in drop_view_statements():
        op.execute(statement)
    op.drop_index(op.f("ix_article_term_term"), table_name="article_term")
    op.drop_table("article_term")
