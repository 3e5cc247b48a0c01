"""initial warehouse

Revision ID: 0001
Revises:
Create Date: 2026-11-24 08:17:54.353280
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("depth", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["category.id"], name=op.f("fk_category_parent_id_category")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category")),
        sa.UniqueConstraint("path", name=op.f("uq_category_path")),
    )
    op.create_table(
        "pipeline_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("airflow_run_id", sa.String(length=250), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_run")),
    )
    with op.batch_alter_table("pipeline_run", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pipeline_run_airflow_run_id"), ["airflow_run_id"], unique=False
        )

    op.create_table(
        "source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("home_url", sa.String(length=2000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source")),
        sa.UniqueConstraint("slug", name=op.f("uq_source_slug")),
    )
    op.create_table(
        "raw_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("http_status", sa.SmallInteger(), nullable=True),
        sa.Column("encoding", sa.String(length=32), nullable=True),
        sa.Column("raw_body", sa.LargeBinary(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("item", sa.JSON(), nullable=True),
        sa.Column("processed_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["processed_run_id"],
            ["pipeline_run.id"],
            name=op.f("fk_raw_document_processed_run_id_pipeline_run"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["pipeline_run.id"], name=op.f("fk_raw_document_run_id_pipeline_run")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_raw_document_source_id_source")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_raw_document")),
        sa.UniqueConstraint(
            "source_id",
            "url",
            "content_hash",
            name=op.f("uq_raw_document_source_id_url_content_hash"),
        ),
    )
    with op.batch_alter_table("raw_document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_raw_document_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_raw_document_source_id"), ["source_id"], unique=False)
        batch_op.create_index(
            "ix_raw_document_unprocessed", ["processed_run_id", "id"], unique=False
        )

    op.create_table(
        "article",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("raw_document_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("canonical_url", sa.String(length=2000), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("kicker", sa.String(length=500), nullable=True),
        sa.Column("subtitle", sa.String(length=500), nullable=True),
        sa.Column("column", sa.String(length=200), nullable=True),
        sa.Column("page", sa.String(length=200), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=True),
        sa.Column("origin", sa.String(length=200), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("head_image", sa.String(length=2000), nullable=True),
        sa.Column("thumbnail", sa.String(length=2000), nullable=True),
        sa.Column("comments", sa.Boolean(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("char_count", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("duplicate_of", sa.Integer(), nullable=True),
        sa.Column("inferred_fields", sa.JSON(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("terms_indexed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["duplicate_of"], ["article.id"], name=op.f("fk_article_duplicate_of_article")
        ),
        sa.ForeignKeyConstraint(
            ["raw_document_id"],
            ["raw_document.id"],
            name=op.f("fk_article_raw_document_id_raw_document"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_article_source_id_source")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article")),
        sa.UniqueConstraint("canonical_url", name=op.f("uq_article_canonical_url")),
    )
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_article_author"), ["author"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_column"), ["column"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_content_hash"), ["content_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_duplicate_of"), ["duplicate_of"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_published_at"), ["published_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_source_id"), ["source_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # lz4 TOAST compression: bulk loads of article bodies are bound by the server
        # compressing them, and the default pglz is about twice as slow (design §7)
        for column in ("body_html", "body_text"):
            op.execute(f"ALTER TABLE article ALTER COLUMN {column} SET COMPRESSION lz4")

    op.create_table(
        "rejected_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("raw_document_id", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("failures", sa.JSON(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["raw_document_id"],
            ["raw_document.id"],
            name=op.f("fk_rejected_record_raw_document_id_raw_document"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["pipeline_run.id"], name=op.f("fk_rejected_record_run_id_pipeline_run")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_rejected_record_source_id_source")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rejected_record")),
        sa.UniqueConstraint(
            "raw_document_id", "stage", name=op.f("uq_rejected_record_raw_document_id_stage")
        ),
    )
    with op.batch_alter_table("rejected_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rejected_record_run_id"), ["run_id"], unique=False)

    op.create_table(
        "article_category",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_article_category_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"], ["category.id"], name=op.f("fk_article_category_category_id_category")
        ),
        sa.PrimaryKeyConstraint("article_id", "position", name=op.f("pk_article_category")),
    )
    with op.batch_alter_table("article_category", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_article_category_category_id"), ["category_id"], unique=False
        )

    op.create_table(
        "image",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("proxied_url", sa.String(length=2000), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("caption", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_image_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_image")),
        sa.UniqueConstraint("article_id", "position", name=op.f("uq_image_article_id_position")),
    )
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
    with op.batch_alter_table("lsh_bucket", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lsh_bucket_article_id"), ["article_id"], unique=False)

    op.create_table(
        "etl_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("raw_document_ids", sa.JSON(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("reject_threshold", sa.Float(), nullable=False),
        sa.Column("records", sa.JSON(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["pipeline_run.id"], name=op.f("fk_etl_batch_run_id_pipeline_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_etl_batch")),
    )
    with op.batch_alter_table("etl_batch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_etl_batch_run_id"), ["run_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("etl_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_etl_batch_run_id"))

    op.drop_table("etl_batch")
    with op.batch_alter_table("lsh_bucket", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lsh_bucket_article_id"))

    op.drop_table("lsh_bucket")
    op.drop_table("image")
    with op.batch_alter_table("article_category", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_category_category_id"))

    op.drop_table("article_category")
    with op.batch_alter_table("rejected_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rejected_record_run_id"))

    op.drop_table("rejected_record")
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_source_id"))
        batch_op.drop_index(batch_op.f("ix_article_published_at"))
        batch_op.drop_index(batch_op.f("ix_article_duplicate_of"))
        batch_op.drop_index(batch_op.f("ix_article_content_hash"))
        batch_op.drop_index(batch_op.f("ix_article_column"))
        batch_op.drop_index(batch_op.f("ix_article_author"))

    op.drop_table("article")
    with op.batch_alter_table("raw_document", schema=None) as batch_op:
        batch_op.drop_index("ix_raw_document_unprocessed")
        batch_op.drop_index(batch_op.f("ix_raw_document_source_id"))
        batch_op.drop_index(batch_op.f("ix_raw_document_run_id"))

    op.drop_table("raw_document")
    op.drop_table("source")
    with op.batch_alter_table("pipeline_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pipeline_run_airflow_run_id"))

    op.drop_table("pipeline_run")
    op.drop_table("category")
