"""Migration 0003 on a warehouse of the previous release (0002): canonical URLs re-keyed to
w3lib's form, clashes kept apart as duplicates, ZAKER's one article URL kept."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from schemas.db import make_engine, session_scope
from schemas.migrate import current, head, upgrade
from schemas.models import Article, PipelineRun, Source
from schemas.queries import get_query, read_only_connection, run_query

ZAKER = "https://www.myzaker.com/article/610ce1ad8e9f0904fe64126a"
BEFORE = {
    # keys as 0002's hand-made canonicalisation left them
    "query order": "https://example.com/s?b=2&a=1",
    "dot segments": "https://example.com/a/b/../c.html",
    "non-ascii path": "https://example.com/新闻/一.html",
    "fbclid": "https://example.com/n?id=7&fbclid=IwAR0",
    "zaker": ZAKER,
    "text": "urn:newsetl:text:abc",
    # an older article already holds the form the first one moves to
    "holder": "https://example.com/x?a=1&b=2",
    "clash": "https://example.com/x?b=2&a=1",
}
AFTER = {
    "query order": "https://example.com/s?a=1&b=2",
    "dot segments": "https://example.com/a/c.html",
    "non-ascii path": "https://example.com/%E6%96%B0%E9%97%BB/%E4%B8%80.html",
    "fbclid": "https://example.com/n?id=7",
    "zaker": ZAKER,
    "text": "urn:newsetl:text:abc",
    "holder": "https://example.com/x?a=1&b=2",
    "clash": "https://example.com/x?b=2&a=1",  # keeps its key, marked a duplicate
}


def test_0003_rekeys_canonical_urls_of_existing_rows(blank_database_url: str) -> None:
    engine = make_engine(blank_database_url)
    upgrade(engine, "0002")
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        source = Source(slug="web", name="web", kind="site")
        session.add(source)
        session.flush()
        for title, url in BEFORE.items():
            session.add(
                Article(
                    source_id=source.id, url=url, canonical_url=url, title=title, body_html="",
                    body_text=title, char_count=len(title), content_hash=title,
                    first_seen_at=now, last_updated_at=now,
                )
            )  # fmt: skip
        session.add(PipelineRun(kind="crawl", name="people_daily", status="degraded",
                                message="layout drift: people-daily/X gave no title"))  # fmt: skip
    upgrade(engine)
    assert current(engine) == head()
    with session_scope(engine) as session:
        rows = {a.title: a for a in session.scalars(select(Article))}
        assert {title: a.canonical_url for title, a in rows.items()} == AFTER
        assert rows["clash"].duplicate_of == rows["holder"].id
        assert all(a.duplicate_of is None for t, a in rows.items() if t != "clash")
    upgrade(engine)  # again: nothing left to do
    # the test's PostgreSQL login is a superuser; only a named query runs here
    with read_only_connection(blank_database_url, allow_superuser=True) as connection:
        columns, health = run_query(connection, get_query("run_health"), {})
    [run] = [dict(zip(columns, row, strict=True)) for row in health]
    assert (run["status"], run["message"]) == (
        "degraded", "layout drift: people-daily/X gave no title"
    )  # fmt: skip
    engine.dispose()
