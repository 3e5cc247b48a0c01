"""The warehouse: SQLAlchemy 2 typed declarative models (design §3).

Every table that receives loads has a natural unique key, so every write can be an upsert
and re-running any step adds nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from schemas.lsh import LSH_BANDS, band_column
from schemas.types import CompressedBytes, UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SOURCE_KINDS = ("feed", "site", "epaper", "file")


class Base(DeclarativeBase):
    """Declarative base with a stable constraint naming scheme for migrations."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


class Source(Base):
    """Where articles come from: a feed, a site, an e-paper or a folder of files."""

    __tablename__ = "source"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    home_url: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PipelineRun(Base):
    """One run of a crawl, an import or the ETL, with its counts per stage."""

    __tablename__ = "pipeline_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # crawl | import | etl
    name: Mapped[str | None] = mapped_column(String(200))  # spider name, source slug, ...
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # running | success | degraded | failed | abandoned (its process died: schemas.runs)
    status: Mapped[str] = mapped_column(String(16), default="running")
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    airflow_run_id: Mapped[str | None] = mapped_column(String(250), index=True)
    message: Mapped[str | None] = mapped_column(Text)
    pid: Mapped[int | None]  # the process running it, when one process runs it all
    host: Mapped[str | None] = mapped_column(String(255))
    heartbeat_at: Mapped[datetime | None]


class RawDocument(Base):
    """A page or file as it was fetched, with the item its parser made of it.

    ``content_hash`` is the SHA-256 of the raw bytes: landing the same bytes again for the
    same source and URL adds nothing. A document with an item gets its ``etl_document`` row
    as it lands (a trigger). ``raw_body`` is stored zstd-compressed and reads back as the raw bytes
    (``schemas.types.CompressedBytes``).
    """

    __tablename__ = "raw_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("pipeline_run.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    http_status: Mapped[int | None] = mapped_column(SmallInteger)
    encoding: Mapped[str | None] = mapped_column(String(32))
    raw_body: Mapped[bytes] = mapped_column(CompressedBytes)
    content_hash: Mapped[str] = mapped_column(String(64))
    item: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))

    source: Mapped[Source] = relationship()

    __table_args__ = (UniqueConstraint("source_id", "url", "content_hash"),)


class EtlDocument(Base):
    """Where the ETL is with one landed document that has an item: the batch that claimed
    it (planned, not necessarily processed yet) and the run that processed it. Empty both:
    pending.

    Kept apart from the wide ``raw_document`` row (page and item), which these two marks
    would otherwise rewrite for every document: whole on SQLite (≈ 100 µs a document at
    100k), with a new entry in each of its indexes on PostgreSQL.
    """

    __tablename__ = "etl_document"

    raw_document_id: Mapped[int] = mapped_column(
        ForeignKey("raw_document.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    etl_batch_id: Mapped[int | None] = mapped_column(ForeignKey("etl_batch.id"), index=True)
    processed_run_id: Mapped[int | None] = mapped_column(ForeignKey("pipeline_run.id"))

    __table_args__ = (
        Index("ix_etl_document_pending", "processed_run_id", "etl_batch_id", "raw_document_id"),
    )


class Category(Base):
    """A node of the category tree; ``path`` (``新媒体/ZAKER/source``) is its natural key."""

    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"))
    path: Mapped[str] = mapped_column(String(1000), unique=True)
    depth: Mapped[int] = mapped_column(SmallInteger)


class Article(Base):
    """A clean, validated article. ``canonical_url`` is its identity.

    Articles without any URL (a plain-text file) get ``urn:newsetl:text:<sha256>`` of their
    normalised body text as identity, so re-importing them changes nothing.
    """

    __tablename__ = "article"
    __table_args__ = (  # the undated articles, newest seen first, without a scan
        Index(
            "ix_article_undated_seen",
            "first_seen_at",
            sqlite_where=text("published_at IS NULL"),
            postgresql_where=text("published_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"), index=True)
    raw_document_id: Mapped[int | None] = mapped_column(ForeignKey("raw_document.id"))
    url: Mapped[str | None] = mapped_column(String(2000))
    canonical_url: Mapped[str] = mapped_column(String(2000), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    kicker: Mapped[str | None] = mapped_column(String(500))
    subtitle: Mapped[str | None] = mapped_column(String(500))
    column: Mapped[str | None] = mapped_column(String(200), index=True)
    page: Mapped[str | None] = mapped_column(String(200))
    author: Mapped[str | None] = mapped_column(String(200), index=True)
    origin: Mapped[str | None] = mapped_column(String(200))  # 来源 line, when the page has one
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    head_image: Mapped[str | None] = mapped_column(String(2000))
    thumbnail: Mapped[str | None] = mapped_column(String(2000))
    comments: Mapped[bool | None] = mapped_column(Boolean)
    tags: Mapped[list[str]] = mapped_column(default=list)
    body_html: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    char_count: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    language: Mapped[str | None] = mapped_column(String(16))
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("article.id"), index=True)
    inferred_fields: Mapped[list[str]] = mapped_column(default=list)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    terms_indexed_at: Mapped[datetime | None]  # last_updated_at of the text article_term holds

    source: Mapped[Source] = relationship()
    categories: Mapped[list[ArticleCategory]] = relationship(
        order_by="ArticleCategory.position", cascade="all, delete-orphan"
    )
    images: Mapped[list[Image]] = relationship(
        order_by="Image.position", cascade="all, delete-orphan"
    )


class ArticleCategory(Base):
    """An article's ordered category path: position 0 is the root of the hierarchy."""

    __tablename__ = "article_category"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("article.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)

    category: Mapped[Category] = relationship()


class Image(Base):
    """An image of an article body, in reading order, with its original (unproxied) URL."""

    __tablename__ = "image"
    __table_args__ = (UniqueConstraint("article_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    url: Mapped[str] = mapped_column(String(2000))
    proxied_url: Mapped[str | None] = mapped_column(String(2000))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    caption: Mapped[str | None] = mapped_column(Text)


class LshBand(Base):
    """MinHash LSH band keys of a loaded article, so near-duplicates are found across runs.

    One row per article and one indexed 64-bit column per band: a lookup by one band's
    column finds every article sharing that band. Against one ``(key, article)`` row per
    band this keeps one heap row per article instead of sixteen (docs/benchmarks.md).
    """

    __table__ = Table(
        "lsh_band",
        Base.metadata,
        Column(
            "article_id",
            Integer,
            ForeignKey("article.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        ),
        *(
            Column(band_column(band), BigInteger, nullable=False, index=True)
            for band in range(LSH_BANDS)
        ),
    )


class DailyArticleCount(Base):
    """Articles and duplicates per source and Beijing day, kept by triggers on ``article``
    (``schemas/views.py``) so daily counts never scan the article table. ``day`` is NULL
    for the articles whose publication date is unknown: they are counted apart."""

    __tablename__ = "daily_article_count"
    __table_args__ = (
        Index(
            "ix_daily_article_count_key",
            "source_id",
            "day",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"))
    day: Mapped[date | None] = mapped_column(Date)
    articles: Mapped[int] = mapped_column(Integer)
    duplicates: Mapped[int] = mapped_column(Integer)


class EtlBatch(Base):
    """One batch of an ETL run: the raw documents it takes and its records between stages.

    Stages may run in different processes (Airflow tasks), so what one stage hands to the
    next lives here; ``stage`` names the last stage done (planned → … → loaded).
    """

    __tablename__ = "etl_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("pipeline_run.id"), index=True)
    raw_document_ids: Mapped[list[int]] = mapped_column(JSON)
    stage: Mapped[str] = mapped_column(String(16), default="planned")
    reject_threshold: Mapped[float] = mapped_column(Float)
    records: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RejectedRecord(Base):
    """A record that failed parsing, cleaning or validation, with every reason and value."""

    __tablename__ = "rejected_record"
    __table_args__ = (UniqueConstraint("raw_document_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("pipeline_run.id"), index=True)
    raw_document_id: Mapped[int | None] = mapped_column(ForeignKey("raw_document.id"))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("source.id"))
    stage: Mapped[str] = mapped_column(String(16))  # parse | clean | validate | load
    reason: Mapped[str] = mapped_column(String(500))
    failures: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    record: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ArticleTerm(Base):
    """How often a segmented word (jieba, stop words dropped) occurs in an article."""

    __tablename__ = "article_term"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("article.id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    count: Mapped[int] = mapped_column(Integer)
