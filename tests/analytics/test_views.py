"""Every analytics view gives the same, known answer on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from analytics_seed import Seeded
from sqlalchemy import Engine, inspect, text

from schemas.models import Base
from schemas.views import VIEWS, create_view_statements


def rows(engine: Engine, sql: str) -> list[dict[str, Any]]:
    """Rows as dicts; dates as ISO text (SQLite returns text, PostgreSQL ``date``)."""
    with engine.connect() as connection:
        result = connection.execute(text(sql))
        return [
            {k: v.isoformat() if isinstance(v, date) else v for k, v in row._mapping.items()}
            for row in result
        ]


def test_every_view_exists_after_upgrade(engine: Engine) -> None:
    with engine.connect() as connection:
        for name in VIEWS:
            assert connection.execute(text(f"SELECT COUNT(*) FROM {name}")).scalar_one() == 0


def test_view_sql_is_emitted_for_both_dialects_only() -> None:
    sqlite, postgres = create_view_statements("sqlite"), create_view_statements("postgresql")
    assert "json_extract" in "".join(sqlite) and "->>" not in "".join(sqlite)
    assert "->>" in "".join(postgres) and "json_extract" not in "".join(postgres)
    try:
        create_view_statements("mysql")
    except ValueError as error:
        assert "mysql" in str(error)
    else:
        raise AssertionError("an unknown dialect must be refused")


def test_article_view_uses_beijing_days_and_iso_timestamps(engine: Engine, seeded: Seeded) -> None:
    got = {
        r["article_id"]: r
        for r in rows(engine, "SELECT article_id, day, published_at, first_seen_at FROM v_article")
    }
    a = seeded.articles
    # published 2021-08-05T23:30Z is 2021-08-06 07:30 in Beijing
    assert got[a["a1"]]["day"] == "2021-08-06"
    assert got[a["a1"]]["published_at"] == "2021-08-05T23:30:00Z"
    assert got[a["a3"]]["day"] == "2021-08-07"  # 16:30 UTC is past midnight in Beijing
    # no publication time: no day either (never the day it was first seen)
    assert got[a["a5"]]["published_at"] is None
    assert got[a["a5"]]["day"] is None
    assert got[a["a5"]]["first_seen_at"] == "2021-08-07T00:30:00Z"


def test_daily_source_articles(engine: Engine, seeded: Seeded) -> None:
    got = rows(
        engine,
        "SELECT day, source, source_name, articles, duplicates FROM v_daily_source_articles "
        "ORDER BY CASE WHEN day IS NULL THEN 1 ELSE 0 END, day, source",
    )
    assert got == [
        {"day": "2021-08-06", "source": "people-daily", "source_name": "人民日报",
         "articles": 1, "duplicates": 0},
        {"day": "2021-08-06", "source": "zaker-feed", "source_name": "ZAKER 新媒体",
         "articles": 3, "duplicates": 2},
        {"day": "2021-08-07", "source": "people-daily", "source_name": "人民日报",
         "articles": 2, "duplicates": 0},
        {"day": None, "source": "local-files", "source_name": "本地文件",
         "articles": 1, "duplicates": 1},
    ]  # fmt: skip


def test_daily_category_articles_count_every_node_of_the_path(
    engine: Engine, seeded: Seeded
) -> None:
    got = rows(
        engine,
        "SELECT day, category, category_name, depth, articles FROM v_daily_category_articles "
        "ORDER BY day, category",
    )
    assert [(r["day"], r["category"], r["depth"], r["articles"]) for r in got] == [
        ("2021-08-06", "报纸", 0, 1),
        ("2021-08-06", "报纸/人民日报", 1, 1),
        ("2021-08-06", "新媒体", 0, 3),
        ("2021-08-06", "新媒体/ZAKER", 1, 3),
        ("2021-08-06", "新媒体/ZAKER/source", 2, 3),
        ("2021-08-07", "报纸", 0, 2),
        ("2021-08-07", "报纸/人民日报", 1, 2),
    ]
    assert {r["category_name"] for r in got} == {"报纸", "人民日报", "新媒体", "ZAKER", "source"}


def test_duplicate_members(engine: Engine, seeded: Seeded) -> None:
    a = seeded.articles
    got = rows(
        engine,
        "SELECT cluster_id, article_id, source, is_canonical FROM v_duplicate_member "
        "ORDER BY cluster_id, article_id",
    )
    assert [tuple(r.values()) for r in got] == [
        (a["a1"], a["a1"], "zaker-feed", 1),
        (a["a1"], a["a7"], "zaker-feed", 0),
        (a["a2"], a["a2"], "people-daily", 1),
        (a["a2"], a["a4"], "zaker-feed", 0),
        (a["a2"], a["a5"], "local-files", 0),
    ]


def test_duplicate_clusters(engine: Engine, seeded: Seeded) -> None:
    a = seeded.articles
    got = rows(engine, "SELECT * FROM v_duplicate_cluster ORDER BY cluster_id")
    assert got == [
        {
            "cluster_id": a["a1"],
            "canonical_title": "疫苗 合作",
            "size": 2,
            "member_ids": f"{a['a1']},{a['a7']}",
            "source_count": 1,
            "sources": "zaker-feed",
            "first_seen_at": "2021-08-05T23:35:00Z",
            "last_seen_at": "2021-08-06T03:05:00Z",
        },
        {
            "cluster_id": a["a2"],
            "canonical_title": "健康 安全",
            "size": 3,
            "member_ids": f"{a['a2']},{a['a4']},{a['a5']}",
            "source_count": 3,
            "sources": "local-files,people-daily,zaker-feed",
            "first_seen_at": "2021-08-06T00:10:00Z",
            "last_seen_at": "2021-08-07T00:30:00Z",
        },
    ]


def test_author_articles(engine: Engine, seeded: Seeded) -> None:
    got = rows(engine, "SELECT * FROM v_author_articles ORDER BY articles DESC")
    assert got == [
        {"author": "ZAKER", "articles": 3, "sources": 1,
         "first_published_at": "2021-08-05T23:30:00Z", "last_published_at": "2021-08-06T03:00:00Z"},
        {"author": "王明", "articles": 2, "sources": 1,
         "first_published_at": "2021-08-06T00:07:04Z", "last_published_at": "2021-08-06T16:30:00Z"},
        {"author": "李华", "articles": 1, "sources": 1,
         "first_published_at": "2021-08-07T01:00:00Z", "last_published_at": "2021-08-07T01:00:00Z"},
    ]  # fmt: skip


def test_column_articles(engine: Engine, seeded: Seeded) -> None:
    got = rows(engine, "SELECT * FROM v_column_articles ORDER BY articles DESC")
    assert got == [
        {"column_name": "命运与共", "source": "people-daily", "articles": 2,
         "first_published_at": "2021-08-06T00:07:04Z", "last_published_at": "2021-08-06T16:30:00Z"},
        {"column_name": "国际论坛", "source": "people-daily", "articles": 1,
         "first_published_at": "2021-08-07T01:00:00Z", "last_published_at": "2021-08-07T01:00:00Z"},
    ]  # fmt: skip


def test_run_health_reads_the_counts_json(engine: Engine, seeded: Seeded) -> None:
    got = rows(engine, "SELECT * FROM v_run_health ORDER BY run_id")
    crawl, etl, files = seeded.runs
    times = {
        "status": "success",
        "started_at": "2021-08-06T09:00:00Z",
        "finished_at": "2021-08-06T09:30:00Z",
    }
    assert got == [
        {"run_id": crawl, "kind": "crawl", "name": "zaker", **times,
         "fetched": 10, "cleaned": None, "rejected": None, "duplicates": None, "loaded": 7,
         "blocked": 1, "errors": 1, "rejected_records": 1, "message": None},
        {"run_id": etl, "kind": "etl", "name": None, **times,
         "fetched": 9, "cleaned": 8, "rejected": 2, "duplicates": 2, "loaded": 5,
         "blocked": None, "errors": None, "rejected_records": 2, "message": None},
        {"run_id": files, "kind": "import", "name": "files", **times,
         "fetched": 2, "cleaned": None, "rejected": None, "duplicates": None, "loaded": 2,
         "blocked": None, "errors": None, "rejected_records": 0, "message": None},
    ]  # fmt: skip


def test_run_rejections(engine: Engine, seeded: Seeded) -> None:
    got = rows(engine, "SELECT * FROM v_run_rejections ORDER BY run_id, day, stage")
    crawl, etl, _ = seeded.runs
    assert [tuple(r.values()) for r in got] == [
        (crawl, "2021-08-06", "parse", "captcha page", 1),
        (etl, "2021-08-06", "validate", "body too short", 1),
        (etl, "2021-08-07", "validate", "body too short", 1),  # 17:00 UTC: Beijing next day
    ]


def test_daily_terms_rank_terms_of_canonical_articles(engine: Engine, seeded: Seeded) -> None:
    got = rows(engine, "SELECT day, day_rank, term, occurrences, articles FROM v_daily_terms")
    assert sorted(tuple(r.values()) for r in got) == [
        ("2021-08-06", 1, "疫苗", 4, 2),
        ("2021-08-06", 2, "健康", 2, 1),
        ("2021-08-06", 3, "全球", 1, 1),
        ("2021-08-06", 4, "合作", 1, 1),
        ("2021-08-06", 5, "安全", 1, 1),
        ("2021-08-06", 6, "未来", 1, 1),
        ("2021-08-07", 1, "合作", 3, 2),
        ("2021-08-07", 2, "经济", 3, 1),
        ("2021-08-07", 3, "发展", 1, 1),
        ("2021-08-07", 4, "未来", 1, 1),
        ("2021-08-07", 5, "疫苗", 1, 1),
    ]


def test_article_term_table_matches_its_model(engine: Engine) -> None:
    with engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diffs if "article_term" in repr(d)] == []
    with engine.connect() as connection:
        indexes = inspect(connection).get_indexes("article_term")
    assert [(i["name"], i["column_names"]) for i in indexes] == [("ix_article_term_term", ["term"])]
