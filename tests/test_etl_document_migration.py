"""Migration 0008 on a warehouse of the previous release (0007): each document's claim and
processing run move from ``raw_document`` to ``etl_document``, and documents landed after
it are queued by the trigger; the downgrade puts them back."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import Engine, select, text

from etl.pipeline import count_pending, run_etl
from schemas.db import make_engine, session_scope
from schemas.items import ArticleItem
from schemas.landing import ensure_source, land, start_run
from schemas.migrate import current, downgrade, head, upgrade
from schemas.models import EtlDocument

# what 0007's raw_document held of the ETL's progress, by URL
BEFORE = {
    "processed": ("run", None),
    "claimed": (None, "batch"),
    "pending": (None, None),
    "no item": (None, None),
    "json null": (None, None),
}
ITEM = '{"source": "zaker", "url": "https://example.com/a", "title": "t"}'


def land_at_0007(engine: Engine) -> dict[str, int]:
    """Documents landed and partly processed by the previous release; returns the ids of
    the ETL run and the batch."""
    with session_scope(engine) as session:
        source_id = ensure_source(session, "zaker").id
        run_id = start_run(session, "etl", "etl").id
        batch_id = session.execute(
            text(
                "INSERT INTO etl_batch (run_id, raw_document_ids, stage, reject_threshold, counts)"
                " VALUES (:run, '[]', 'planned', 0.2, '{}') RETURNING id"
            ),
            {"run": run_id},
        ).scalar_one()
        ids = {"run": run_id, "batch": batch_id}
        # (SQLite would read CAST(... AS JSON) as a number)
        item_value = ":item" if engine.dialect.name == "sqlite" else "CAST(:item AS JSON)"
        for url, (processed, claimed) in BEFORE.items():
            item = {"no item": None, "json null": "null"}.get(url, ITEM)
            session.execute(
                text(
                    "INSERT INTO raw_document (source_id, url, fetched_at, raw_body, content_hash,"
                    " item, processed_run_id, etl_batch_id) VALUES (:source, :url,"
                    f" CURRENT_TIMESTAMP, :body, :hash, {item_value}, :processed, :claimed)"
                ),
                {
                    "source": source_id, "url": url, "body": b"", "hash": url, "item": item,
                    "processed": ids.get(processed), "claimed": ids.get(claimed),
                },
            )  # fmt: skip
    return ids


def progress(engine: Engine) -> dict[str, tuple]:
    query = text(
        "SELECT r.url, e.processed_run_id, e.etl_batch_id FROM etl_document e"
        " JOIN raw_document r ON r.id = e.raw_document_id"
    )
    with engine.connect() as connection:
        return {url: (run, batch) for url, run, batch in connection.execute(query)}


def test_0008_moves_claims_and_runs_to_etl_document(blank_database_url: str) -> None:
    engine = make_engine(blank_database_url)
    upgrade(engine, "0007")
    ids = land_at_0007(engine)
    upgrade(engine)
    assert current(engine) == head()
    # documents without an item were never the ETL's: they get no row
    assert progress(engine) == {
        "processed": (ids["run"], None),
        "claimed": (None, ids["batch"]),
        "pending": (None, None),
    }
    assert count_pending(engine) == 1
    assert "processed_run_id" not in {c["name"] for c in sa.inspect(engine).get_columns(
        "raw_document")}  # fmt: skip

    # landing queues a document that has an item, and only such a document
    with session_scope(engine) as session:
        item = ArticleItem(source="zaker", url="https://example.com/new", title="新的文章")
        land(session, source="zaker", url=item.url, raw_body=b"<html/>", item=item)
        land(session, source="zaker", url="https://example.com/bare", raw_body=b"x", item=None)
    assert set(progress(engine)) == {"processed", "claimed", "pending", item.url}
    assert count_pending(engine) == 2

    downgrade(engine, "0007")
    query = text("SELECT url, processed_run_id, etl_batch_id FROM raw_document")
    with engine.connect() as connection:
        restored = {url: (run, batch) for url, run, batch in connection.execute(query)}
    assert restored["processed"] == (ids["run"], None)
    assert restored["claimed"] == (None, ids["batch"])
    assert restored["pending"] == restored[item.url] == (None, None)
    assert not sa.inspect(engine).has_table("etl_document")

    upgrade(engine)
    assert progress(engine)["processed"] == (ids["run"], None)
    assert set(progress(engine)) == {"processed", "claimed", "pending", item.url}
    engine.dispose()


def test_an_etl_run_marks_only_the_narrow_rows(warehouse_url: str) -> None:
    """A run takes the pending documents and records itself on their ``etl_document``
    rows; the next run finds nothing left."""
    engine = make_engine(warehouse_url)
    with session_scope(engine) as session:
        for n in range(3):
            item = ArticleItem(
                source="zaker", url=f"https://example.com/{n}", title=f"标题{n}号",
                published="2026-07-01T08:00:00+08:00", fetched_at="2026-07-01T09:00:00+08:00",
                body_text="今天的新闻内容十分丰富。" * 10,
            )  # fmt: skip
            land(session, source="zaker", url=item.url, raw_body=b"<html/>", item=item)
    result = run_etl(engine)
    assert result.status == "success" and result.counts["read"] == 3
    with session_scope(engine) as session:
        runs = set(session.scalars(select(EtlDocument.processed_run_id)))
    assert runs == {result.run_id}
    assert count_pending(engine) == 0
    engine.dispose()
