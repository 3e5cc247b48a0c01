"""The article upsert, on both backends: new and changed articles written, unchanged ones
left alone, every value stored as given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from etl.load import upsert_articles
from schemas.db import session_scope
from schemas.landing import ensure_source
from schemas.models import Article

BEIJING = timezone(timedelta(hours=8))
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def article(source_id: int, n: int, **changes: object) -> dict[str, object]:
    text = f"第{n}篇文章的正文。"
    return {
        "source_id": source_id, "raw_document_id": None,
        "url": f"https://www.myzaker.com/article/{n}?utm_source=feed",
        "canonical_url": f"https://www.myzaker.com/article/{n}",
        "title": f"标题 {n}", "kicker": None, "subtitle": "副题", "column": None, "page": None,
        "author": "新华社", "origin": None,
        "published_at": datetime(2026, 7, 1, 8, n, tzinfo=BEIJING) if n else None,
        "head_image": None, "thumbnail": None, "comments": n % 2 == 0,
        "tags": ["中文", 'a "quoted" tag'], "body_html": f"<p>{text}</p>", "body_text": text,
        "char_count": len(text), "content_hash": f"{n:064x}", "language": "zh",
        "inferred_fields": ["published_at"] if n else [],
        "first_seen_at": NOW, "last_updated_at": NOW, "duplicate_of": None,
    } | changes  # fmt: skip


def test_upsert_writes_new_and_changed_articles_and_keeps_every_value(engine: Engine) -> None:
    with session_scope(engine) as session:
        source_id = ensure_source(session, "zaker").id
    rows = [article(source_id, n) for n in range(3)]
    with session_scope(engine) as session:
        ids = upsert_articles(session, rows)
    assert set(ids) == {row["canonical_url"] for row in rows}
    with session_scope(engine) as session:
        assert upsert_articles(session, rows) == {}  # nothing changed, nothing written
        for row in rows:
            stored = session.get(Article, ids[row["canonical_url"]])
            assert {name: getattr(stored, name) for name in row} == row
    changed = article(source_id, 1, title="新标题", tags=["改过"])
    with session_scope(engine) as session:
        assert upsert_articles(session, [rows[0], changed, rows[2]]) == {
            changed["canonical_url"]: ids[changed["canonical_url"]]
        }
    with session_scope(engine) as session:
        stored = session.get(Article, ids[changed["canonical_url"]])
        assert (stored.title, stored.tags) == ("新标题", ["改过"])
    with session_scope(engine) as session:
        assert upsert_articles(session, []) == {}


def test_a_database_error_in_the_upsert_is_sqlalchemy_s(engine: Engine) -> None:
    """Raised as SQLAlchemy raises it, whichever way the rows were sent: what the CLI
    explains in one line."""
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        upsert_articles(session, [article(source_id=999_999, n=1)])  # no such source
