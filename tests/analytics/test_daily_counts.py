"""``daily_article_count`` stays equal to counting the article table, whatever writes it."""

from __future__ import annotations

from datetime import date
from typing import Any

from analytics_seed import Seeded, utc
from sqlalchemy import Engine, delete, select, text, update

from schemas.db import session_scope
from schemas.models import Article, Source
from schemas.upsert import insert_for

RECOUNT = """
SELECT day, source, COUNT(*) AS articles,
       SUM(CASE WHEN duplicate_of IS NULL THEN 0 ELSE 1 END) AS duplicates
FROM v_article GROUP BY day, source"""


def counts(engine: Engine, sql: str) -> set[tuple[Any, ...]]:
    with engine.connect() as connection:
        return {
            tuple(v.isoformat() if isinstance(v, date) else v for v in row)
            for row in connection.execute(text(sql))
        }


def kept(engine: Engine) -> set[tuple[Any, ...]]:
    """The counts the triggers kept, as the view shows them."""
    return counts(engine, "SELECT day, source, articles, duplicates FROM v_daily_source_articles")


def article_row(source_id: int, key: str, **values: Any) -> dict[str, Any]:
    row = {
        "source_id": source_id,
        "url": f"https://example.test/{key}",
        "canonical_url": f"https://example.test/{key}",
        "title": key,
        "body_html": "<p>正文</p>",
        "body_text": "正文",
        "char_count": 2,
        "content_hash": key,
        "tags": [],
        "inferred_fields": [],
        "published_at": None,
        "first_seen_at": utc("2021-08-09T00:00:00"),
        "last_updated_at": utc("2021-08-09T00:00:00"),
        "duplicate_of": None,
    }
    return row | values


def test_counts_follow_inserts_updates_upserts_and_deletes(engine: Engine, seeded: Seeded) -> None:
    a = seeded.articles
    with session_scope(engine) as session:
        zaker = session.scalar(select(Source.id).where(Source.slug == "zaker-feed"))
    assert kept(engine) == counts(engine, RECOUNT)
    assert ("2021-08-06", "zaker-feed", 3, 2) in kept(engine)
    assert (None, "local-files", 1, 1) in kept(engine)  # the undated a5, on no day
    steps = [
        # a multi-row insert: dated, undated, a duplicate
        lambda s: s.execute(
            insert_for(s, Article),
            [
                article_row(zaker, "n1", published_at=utc("2021-08-06T20:00:00")),
                article_row(zaker, "n2"),
                article_row(zaker, "n3", duplicate_of=a["a2"]),
            ],
        ),
        # a date learnt later: the article leaves the undated row for its day
        lambda s: s.execute(
            update(Article)
            .where(Article.id == a["a5"])
            .values(published_at=utc("2021-08-05T10:00:00"))
        ),
        # a new canonical article: a cluster's former root becomes a duplicate
        lambda s: s.execute(
            update(Article).where(Article.id == a["a2"]).values(duplicate_of=a["a4"])
        ),
        # the load's upsert: one row inserted, one updated to another day and source
        lambda s: s.execute(
            insert_for(s, Article).on_conflict_do_update(
                index_elements=["canonical_url"],
                set_={"published_at": text("excluded.published_at"), "source_id": zaker},
            ),
            [
                article_row(zaker, "n4", published_at=utc("2021-08-07T03:00:00")),
                article_row(zaker, "a3", published_at=utc("2021-08-01T03:00:00")),
            ],
        ),
        # a date lost, a text-only change (no count moves), deletions
        lambda s: s.execute(update(Article).where(Article.id == a["a6"]).values(published_at=None)),
        lambda s: s.execute(update(Article).where(Article.id == a["a1"]).values(title="新")),
        lambda s: s.execute(delete(Article).where(Article.id.in_([a["a7"], a["a6"]]))),
    ]
    for step in steps:
        with session_scope(engine) as session:
            step(session)
        assert kept(engine) == counts(engine, RECOUNT)
    assert ("2021-08-01", "zaker-feed", 1, 0) in kept(engine)  # a3, moved
    assert (None, "local-files", 1, 1) not in kept(engine)  # a5 got its date
