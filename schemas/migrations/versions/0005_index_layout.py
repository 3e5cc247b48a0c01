"""index layout at scale: one lsh_band row per article, per-day counts kept by triggers

The near-duplicate index moves from ``lsh_bucket`` (one row per article and band, 20
bands) to ``lsh_band`` (one row per article, an indexed column per band, 16 bands): the
new keys come from a shorter signature, so the index is rebuilt from the articles' text.
Articles get their per-day counts in ``daily_article_count``, kept by triggers, and the
views are recreated: an article without a publication date no longer takes the day it was
first seen.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 06:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from schemas.views import (
    create_trigger_statements,
    create_view_statements,
    drop_trigger_statements,
    drop_view_statements,
    fill_counts_statement,
)

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BANDS = 16
UNDATED = sa.text("published_at IS NULL")


def upgrade() -> None:
    # the band keys are what etl.minhash computes from an article's text: the one place
    # where a migration runs pipeline code, so the rebuilt index is the one the ETL reads
    from etl.dedupe import rebuild_index

    dialect = op.get_bind().dialect.name
    op.create_table(
        "lsh_band",
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        *(sa.Column(f"band_{b}", sa.BigInteger(), nullable=False) for b in range(BANDS)),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_lsh_band_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_lsh_band")),
    )
    rebuild_index(op.get_bind())  # before the indexes: one sort each beats row-by-row
    for b in range(BANDS):
        op.create_index(op.f(f"ix_lsh_band_band_{b}"), "lsh_band", [f"band_{b}"])
    op.drop_index(op.f("ix_lsh_bucket_article_id"), table_name="lsh_bucket")
    op.drop_table("lsh_bucket")

    op.create_table(
        "daily_article_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_daily_article_count_source_id_source")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_daily_article_count")),
    )
    op.create_index(
        "ix_daily_article_count_key",
        "daily_article_count",
        ["source_id", "day"],
        unique=True,
        postgresql_nulls_not_distinct=True,
    )
    op.create_index(
        "ix_article_undated_seen",
        "article",
        ["first_seen_at"],
        sqlite_where=UNDATED,
        postgresql_where=UNDATED,
    )
    for statement in [
        *drop_view_statements(),
        fill_counts_statement(dialect),
        *create_trigger_statements(dialect),
        *create_view_statements(dialect),
    ]:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in drop_view_statements() + drop_trigger_statements(dialect):
        op.execute(statement)
    op.drop_index("ix_article_undated_seen", table_name="article")
    op.drop_index("ix_daily_article_count_key", table_name="daily_article_count")
    op.drop_table("daily_article_count")
    # revision 0002's index cannot be rebuilt from here (its keys came from code that is
    # gone): it comes back empty, and the views come back with 0005
    op.create_table(
        "lsh_bucket",
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("band", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_lsh_bucket_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("bucket", "article_id", name=op.f("pk_lsh_bucket")),
    )
    op.create_index(op.f("ix_lsh_bucket_article_id"), "lsh_bucket", ["article_id"])
    op.drop_table("lsh_band")
