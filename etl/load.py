"""Load: upsert a batch's articles with their categories, images and LSH band keys, and
settle near-duplicate clusters, all inside the caller's transaction.

An article is keyed by its canonical URL. Loading it again unchanged changes nothing; a
changed version updates the row and ``last_updated_at`` and replaces its images,
categories and band keys.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, Text, bindparam, cast, delete, insert, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from etl.chunks import one_of, write_chunks
from etl.dedupe import index_row
from schemas.models import Article, ArticleCategory, Category, Image, LshBand
from schemas.types import utcnow
from schemas.upsert import insert_for

ARTICLE_FIELDS = (
    "source_id", "raw_document_id", "url", "canonical_url", "title", "kicker", "subtitle",
    "column", "page", "author", "origin", "published_at", "head_image", "thumbnail",
    "comments", "tags", "body_html", "body_text", "char_count", "content_hash", "language",
    "inferred_fields",
)  # fmt: skip
JSON_FIELDS = ("tags", "inferred_fields")
# what makes a reloaded article "changed": everything but where it was read from (the
# document, and the URL spelling: tracking parameters do not make a new version)
COMPARED_FIELDS = tuple(
    f for f in ARTICLE_FIELDS if f not in ("raw_document_id", "canonical_url", "url")
)
IMAGE_FIELDS = ("position", "url", "proxied_url", "width", "height", "caption")
NEVER_PUBLISHED = datetime.max.replace(tzinfo=UTC)
INSERT_PAGE_ROWS = 50


def category_ids(session: Session, paths: set[tuple[str, ...]]) -> dict[str, int]:
    """Ids of every node of the given category paths (``a``, ``a/b``, ``a/b/c``), created
    root first when missing."""
    nodes = {tuple(path[: depth + 1]) for path in paths for depth in range(len(path))}
    keys = {"/".join(node): node for node in nodes}
    ids: dict[str, int] = {}

    def look_up(paths: list[str]) -> None:
        for condition in one_of(session, Category.path, paths):
            query = select(Category.path, Category.id).where(condition)
            ids.update(session.execute(query).tuples().all())

    if not keys:
        return ids
    look_up(list(keys))
    for depth in range(1, max(len(n) for n in nodes) + 1):
        missing = [
            {
                "name": node[-1],
                "parent_id": ids["/".join(node[:-1])] if depth > 1 else None,
                "path": path,
                "depth": depth - 1,
            }
            for path, node in sorted(keys.items())
            if len(node) == depth and path not in ids
        ]
        if missing:
            session.execute(
                insert_for(session, Category).on_conflict_do_nothing(index_elements=["path"]),
                missing,
            )
            look_up([m["path"] for m in missing])
    return ids


def upsert_articles(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert new articles, update changed ones; ``canonical_url → id`` of those written.
    Each row holds :data:`ARTICLE_FIELDS`, ``first_seen_at``, ``last_updated_at`` and
    ``duplicate_of``."""
    if not rows:
        return {}
    table = Article.__table__
    statement = insert_for(session, table)
    excluded = statement.excluded
    changed = or_(
        *(
            cast(table.c[f], Text) != cast(excluded[f], Text)
            if f in JSON_FIELDS
            else table.c[f].is_distinct_from(excluded[f])
            for f in COMPARED_FIELDS
        )
    )
    statement = statement.on_conflict_do_update(
        index_elements=["canonical_url"],
        set_={f: excluded[f] for f in (*ARTICLE_FIELDS, "last_updated_at")},
        where=changed,
    ).returning(table.c.canonical_url, table.c.id)
    connection = session.connection()  # Core: no ORM bookkeeping per row
    if connection.dialect.name == "postgresql":
        return _pipelined(connection, statement, rows)
    # RETURNING makes SQLAlchemy send multi-row INSERTs; the driver caches one prepared
    # statement per row count, so small pages keep those (and memory) bounded.
    statement = statement.execution_options(insertmanyvalues_page_size=INSERT_PAGE_ROWS)
    written: dict[str, int] = {}
    for chunk in write_chunks(rows):
        written.update(connection.execute(statement, chunk).tuples().all())
    return written


def _pipelined(
    connection: Connection, statement: Any, rows: list[dict[str, Any]]
) -> dict[str, int]:
    """Run ``statement`` (one row's ``INSERT … RETURNING``) for every row in psycopg's
    pipeline mode: the rows stream to the server while it writes the earlier ones, instead
    of each page of rows waiting for the one before (the server and this process take
    turns otherwise). Values go through the columns' own bind processing, as SQLAlchemy's
    would."""
    names, dialect = list(rows[0]), connection.dialect
    compiled = statement.compile(dialect=dialect, column_keys=names)
    types = Article.__table__.c
    processors = [
        (name, types[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in names
    ]
    parameters = [
        {name: process(row[name]) if process else row[name] for name, process in processors}
        for row in rows
    ]
    written: dict[str, int] = {}
    sql = str(compiled)
    with driver_errors(connection, sql), connection.connection.driver_connection.cursor() as cursor:
        cursor.executemany(sql, parameters, returning=True)
        while True:  # a result per row: empty for an unchanged article
            written.update(cursor.fetchall())
            if not cursor.nextset():
                return written


@contextmanager
def driver_errors(connection: Connection, statement: str) -> Iterator[None]:
    """Errors of a statement run on the bare driver raised as SQLAlchemy would raise them
    (``DBAPIError`` subclasses, what the CLI explains), the driver's error as the cause."""
    error_class = connection.dialect.loaded_dbapi.Error
    try:
        yield
    except error_class as error:
        raise DBAPIError.instance(
            statement, None, error, error_class, dialect=connection.dialect
        ) from error


def _replace_children(
    session: Session, records: list[dict[str, Any]], ids: dict[str, int], categories: dict
) -> None:
    """Images, category links and band keys of the written articles; updated articles
    lose their old ones first."""
    updated = sorted(ids[r["canonical_url"]] for r in records if r["action"] == "update")
    for model in (Image, ArticleCategory, LshBand):
        for condition in one_of(session, model.article_id, updated):
            session.execute(delete(model).where(condition))
    images, links, buckets = [], [], []
    for record in records:
        article_id = ids[record["canonical_url"]]
        images += [
            {"article_id": article_id, **{f: image[f] for f in IMAGE_FIELDS}}
            for image in record["images"]
        ]
        path = record["categories"]
        links += [
            {
                "article_id": article_id,
                "position": depth,
                "category_id": categories["/".join(path[: depth + 1])],
            }
            for depth in range(len(path))
        ]
        buckets.append(index_row(article_id, record["band_keys"]))
    for model, rows in ((Image, images), (ArticleCategory, links), (LshBand, buckets)):
        insert_plain_rows(session, model.__table__, rows)


def insert_plain_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Rows of plain values (numbers, texts: nothing for SQLAlchemy to convert) into
    ``table`` straight through the driver: ``COPY`` on PostgreSQL, one prepared
    ``INSERT`` run with executemany elsewhere. For these narrow rows SQLAlchemy's per-row
    parameter handling cost more than the database's own work."""
    if not rows:
        return
    connection = session.connection()
    columns = list(rows[0])
    quote = connection.dialect.identifier_preparer.quote
    if connection.dialect.name == "postgresql":
        names = ", ".join(quote(c) for c in columns)
        statement = f"COPY {quote(table.name)} ({names}) FROM STDIN"
        cursor = connection.connection.driver_connection.cursor()
        with driver_errors(connection, statement), cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
        return
    compiled = insert(table).compile(dialect=connection.dialect, column_keys=columns)
    order = compiled.positiontup or columns
    for chunk in write_chunks(rows):
        connection.exec_driver_sql(str(compiled), [tuple(r[c] for c in order) for r in chunk])


def _settle_clusters(session: Session, records: list[dict[str, Any]], ids: dict[str, int]) -> None:
    """Point every new near-duplicate at its cluster's canonical article: the earliest
    published, then the earliest seen (loaded articles before this batch, then batch order).
    When a new article becomes canonical, the cluster's older members follow it."""
    clusters: dict[tuple[str, int], list[int]] = {}
    for index, record in enumerate(records):
        if record.get("cluster") and record["canonical_url"] in ids:
            kind, root = record["cluster"]
            clusters.setdefault((kind, root), []).append(index)
    if not clusters:
        return
    # a root of this batch that another run wrote first was not written here: find its id
    unwritten = {records[root]["canonical_url"] for kind, root in clusters if kind == "batch"}
    ids = ids | {
        url: article_id
        for condition in one_of(session, Article.canonical_url, unwritten - ids.keys())
        for url, article_id in session.execute(
            select(Article.canonical_url, Article.id).where(condition)
        )
    }
    stored_roots = [root for kind, root in clusters if kind == "article"]
    published = {
        article_id: date
        for condition in one_of(session, Article.id, stored_roots)
        for article_id, date in session.execute(
            select(Article.id, Article.published_at).where(condition)
        )
    }
    table, connection = Article.__table__, session.connection()
    follow: list[dict[str, int]] = []  # every follower of every cluster: one executemany
    for (kind, root), members in clusters.items():
        candidates = [
            (records[i]["published_at"] or NEVER_PUBLISHED, 1, i, ids[records[i]["canonical_url"]])
            for i in ([root] if kind == "batch" else []) + members
        ]
        if kind == "article":
            candidates.append((published.get(root) or NEVER_PUBLISHED, 0, -1, root))
        canonical = min(candidates)[3]
        follow += [
            {"member": c[3], "canonical": canonical}
            for c in candidates
            if c[3] != canonical and c[2] >= 0
        ]
        if kind == "article" and canonical != root:
            connection.execute(
                update(table)
                .where(or_(table.c.id == root, table.c.duplicate_of == root))
                .values(duplicate_of=canonical)
            )
    if follow:
        connection.execute(
            update(table)
            .where(table.c.id == bindparam("member"))
            .values(duplicate_of=bindparam("canonical")),
            follow,
        )


def load_records(session: Session, records: list[dict[str, Any]]) -> dict[str, int]:
    """Write the records dedupe marked ``insert`` or ``update``; returns how many articles
    were loaded (new), updated, and found unchanged."""
    loadable = [r for r in records if r.get("action") in ("insert", "update")]
    now = utcnow()
    categories = category_ids(session, {tuple(r["categories"]) for r in loadable})
    ids = upsert_articles(
        session,
        [
            {f: r[f] for f in ARTICLE_FIELDS}
            | {"first_seen_at": now, "last_updated_at": now, "duplicate_of": None}
            for r in loadable
        ],
    )
    written = [r for r in loadable if r["canonical_url"] in ids]
    _replace_children(session, written, ids, categories)
    _settle_clusters(session, records, ids)
    counts = Counter(r["action"] for r in written)
    return {
        "loaded": counts["insert"],
        "updated": counts["update"],
        "unchanged": len(loadable) - len(written),
    }
