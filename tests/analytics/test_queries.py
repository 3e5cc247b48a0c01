"""Named queries: the file format, every query's answer on both backends, and the CLI."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from analytics_seed import Seeded
from sqlalchemy import Engine, func, inspect, select
from typer.testing import CliRunner

from newsetl.cli.app import app
from schemas.models import Article
from schemas.queries import (
    QueryError,
    adhoc_query,
    get_query,
    list_queries,
    parse_query,
    read_only_connection,
    run_query,
)

runner = CliRunner()


def expectations(s: Seeded) -> dict[str, list[tuple[dict[str, str], list[tuple[Any, ...]]]]]:
    """For each named query: (parameters, expected rows) pairs over the seeded warehouse."""
    a, (crawl, etl, files) = s.articles, s.runs
    return {
        "articles_per_day": [
            ({}, [
                ("2021-08-06", "people-daily", "人民日报", 1, 0),
                ("2021-08-06", "zaker-feed", "ZAKER 新媒体", 3, 2),
                ("2021-08-07", "people-daily", "人民日报", 2, 0),
            ]),  # a5 has no known date: it is in undated_per_source, on no day
            ({"since": "2021-08-07", "source": "people-daily"},
             [("2021-08-07", "people-daily", "人民日报", 2, 0)]),
            ({"until": "2021-08-05"}, []),
        ],
        "category_articles": [
            ({}, [
                ("报纸", "报纸", 0, 3),
                ("报纸/人民日报", "人民日报", 1, 3),
                ("新媒体", "新媒体", 0, 3),
                ("新媒体/ZAKER", "ZAKER", 1, 3),
                ("新媒体/ZAKER/source", "source", 2, 3),
            ]),
            ({"since": "2021-08-07"},
             [("报纸", "报纸", 0, 2), ("报纸/人民日报", "人民日报", 1, 2)]),
        ],
        "duplicate_clusters": [
            ({}, [
                (a["a2"], "健康 安全", 3, 3, "local-files,people-daily,zaker-feed",
                 f"{a['a2']},{a['a4']},{a['a5']}", "2021-08-06T00:10:00Z", "2021-08-07T00:30:00Z"),
                (a["a1"], "疫苗 合作", 2, 1, "zaker-feed", f"{a['a1']},{a['a7']}",
                 "2021-08-05T23:35:00Z", "2021-08-06T03:05:00Z"),
            ]),
            ({"min_size": "3"}, [
                (a["a2"], "健康 安全", 3, 3, "local-files,people-daily,zaker-feed",
                 f"{a['a2']},{a['a4']},{a['a5']}", "2021-08-06T00:10:00Z", "2021-08-07T00:30:00Z"),
            ]),
        ],
        "duplicates_per_day": [
            ({}, [("2021-08-06", 4, 2), ("2021-08-07", 2, 0)]),
            ({"since": "2021-08-07"}, [("2021-08-07", 2, 0)]),
        ],
        "top_authors": [
            ({}, [
                ("ZAKER", 3, 1, "2021-08-05T23:30:00Z", "2021-08-06T03:00:00Z"),
                ("王明", 2, 1, "2021-08-06T00:07:04Z", "2021-08-06T16:30:00Z"),
                ("李华", 1, 1, "2021-08-07T01:00:00Z", "2021-08-07T01:00:00Z"),
            ]),
            ({"limit": "1"}, [("ZAKER", 3, 1, "2021-08-05T23:30:00Z", "2021-08-06T03:00:00Z")]),
        ],
        "top_columns": [
            ({}, [
                ("命运与共", "people-daily", 2, "2021-08-06T00:07:04Z", "2021-08-06T16:30:00Z"),
                ("国际论坛", "people-daily", 1, "2021-08-07T01:00:00Z", "2021-08-07T01:00:00Z"),
            ]),
            ({"source": "zaker-feed"}, []),
        ],
        "run_health": [
            ({}, [
                (files, "import", "files", "success", "2021-08-06T09:00:00Z",
                 "2021-08-06T09:30:00Z", 2, None, None, None, 2, None, None, 0, None),
                (etl, "etl", None, "success", "2021-08-06T09:00:00Z", "2021-08-06T09:30:00Z",
                 9, 8, 2, 2, 5, None, None, 2, None),
                (crawl, "crawl", "zaker", "success", "2021-08-06T09:00:00Z",
                 "2021-08-06T09:30:00Z", 10, None, None, None, 7, 1, 1, 1, None),
            ]),
            ({"kind": "crawl", "limit": "5"}, [
                (crawl, "crawl", "zaker", "success", "2021-08-06T09:00:00Z",
                 "2021-08-06T09:30:00Z", 10, None, None, None, 7, 1, 1, 1, None),
            ]),
            ({"limit": "1"}, [
                (files, "import", "files", "success", "2021-08-06T09:00:00Z",
                 "2021-08-06T09:30:00Z", 2, None, None, None, 2, None, None, 0, None),
            ]),
        ],
        "rejection_reasons": [
            ({}, [("validate", "body too short", 2), ("parse", "captcha page", 1)]),
            ({"since": "2021-08-07"}, [("validate", "body too short", 1)]),
        ],
        "top_terms": [
            ({}, [("疫苗", 5, 3), ("合作", 4, 3), ("经济", 3, 1), ("未来", 2, 2), ("健康", 2, 1),
                  ("全球", 1, 1), ("发展", 1, 1), ("安全", 1, 1)]),
            ({"until": "2021-08-06", "limit": "3"},
             [("疫苗", 4, 2), ("健康", 2, 1), ("全球", 1, 1)]),
        ],
        "daily_top_terms": [
            ({"per_day": "2"}, [
                ("2021-08-06", 1, "疫苗", 4, 2), ("2021-08-06", 2, "健康", 2, 1),
                ("2021-08-07", 1, "合作", 3, 2), ("2021-08-07", 2, "经济", 3, 1),
            ]),
        ],
        "latest_articles": [
            ({"limit": "3"}, [
                (a["a6"], "2021-08-07T01:00:00Z", "people-daily", "合作 未来", "李华", "国际论坛",
                 "https://example.test/a6"),
                (a["a3"], "2021-08-06T16:30:00Z", "people-daily", "经济 发展", "王明", "命运与共",
                 "https://example.test/a3"),
                (a["a7"], "2021-08-06T03:00:00Z", "zaker-feed", "疫苗 合作", "ZAKER", None,
                 "https://example.test/a7"),
            ]),  # a5, first seen 2021-08-07T00:30Z, has no known date: not listed here
            ({"source": "zaker-feed", "limit": "2"}, [
                (a["a7"], "2021-08-06T03:00:00Z", "zaker-feed", "疫苗 合作", "ZAKER", None,
                 "https://example.test/a7"),
                (a["a4"], "2021-08-06T02:00:00Z", "zaker-feed", "健康 安全", "ZAKER", None,
                 "https://example.test/a4"),
            ]),
        ],
        "undated_articles": [
            ({}, [(a["a5"], "2021-08-07T00:30:00Z", "local-files", "健康 安全", None, None,
                   "https://example.test/a5")]),
            ({"source": "zaker-feed"}, []),
        ],
        "undated_per_source": [({}, [("local-files", "本地文件", 1, 1)])],
    }  # fmt: skip


def plain(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [tuple(v.isoformat() if isinstance(v, date) else v for v in row) for row in rows]


def article_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Article)).scalar_one()


# --- the file format -------------------------------------------------------------------


def test_every_query_file_parses_and_has_a_description() -> None:
    queries = list_queries()
    assert len(queries) >= 10
    for query in queries.values():
        assert query.description and not query.description.startswith("-")
        query.values()  # every default converts


def test_parse_query_reads_the_header() -> None:
    query = parse_query(
        "q",
        "-- Count things.\n-- :since date = 2021-08-01 | first day\n-- :n int = 3\n"
        "-- :who str = | empty for all\nSELECT :since, :n, :who",
    )
    assert query.description == "Count things."
    assert [(p.name, p.type, p.default, p.help) for p in query.params] == [
        ("since", "date", "2021-08-01", "first day"),
        ("n", "int", "3", ""),
        ("who", "str", "", "empty for all"),
    ]
    assert query.values({"n": "5"}) == {"since": date(2021, 8, 1), "n": 5, "who": ""}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("SELECT 1", "first line"),
        ("-- ok\n-- :n int = 1\n", "no SQL"),
        ("-- ok\nSELECT :n", ":n is used but not declared"),
        ("-- ok\n-- :n int = 1\nSELECT 1", "n is declared but not used"),
        ("-- ok\n-- :n float = 1\nSELECT :n", "unknown type"),
        ("-- ok\n-- :n int = x\nSELECT :n", "not a valid int"),
    ],
)
def test_malformed_query_files_are_refused(source: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        parse_query("bad", source)


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(QueryError, match="not a valid date"):
        get_query("top_terms").values({"since": "yesterday"})
    with pytest.raises(QueryError, match="no parameter"):
        get_query("top_terms").values({"sincee": "2021-08-01"})
    with pytest.raises(QueryError, match="no named query"):
        get_query("nope")
    with pytest.raises(QueryError, match=":x is used but not given"):
        adhoc_query("SELECT :x", set())


# --- every named query, on both backends ------------------------------------------------


def test_every_named_query_answers_as_expected(seeded: Seeded, reader_url: str) -> None:
    expected = expectations(seeded)
    assert set(expected) == set(list_queries())
    with read_only_connection(reader_url) as connection:
        for name, cases in expected.items():
            for params, rows in cases:
                columns, got = run_query(connection, get_query(name), params)
                assert columns
                assert plain(got) == rows, (name, params)


# --- the command line -------------------------------------------------------------------


def test_query_list_names_every_query() -> None:
    result = runner.invoke(app, ["query", "--list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for name in list_queries():
        assert name in result.stdout


def test_query_outputs_json_csv_and_table(seeded: Seeded, use_reader: str) -> None:
    result = runner.invoke(app, ["query", "top_authors", "--format", "json", "-p", "limit=2"])
    assert result.exit_code == 0, result.output
    assert [(r["author"], r["articles"]) for r in json.loads(result.stdout)] == [
        ("ZAKER", 3),
        ("王明", 2),
    ]
    result = runner.invoke(
        app, ["query", "articles_per_day", "--param", "since=2021-08-07", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert list(csv.reader(io.StringIO(result.stdout))) == [
        ["day", "source", "source_name", "articles", "duplicates"],
        ["2021-08-07", "people-daily", "人民日报", "2", "0"],
    ]
    result = runner.invoke(app, ["query", "top_columns"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "命运与共" in result.stdout and "国际论坛" in result.stdout


def test_adhoc_sql_binds_parameters(seeded: Seeded, use_reader: str) -> None:
    sql = "SELECT title FROM article WHERE title = :t ORDER BY id"
    result = runner.invoke(app, ["query", sql, "-p", "t=健康 安全", "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"title": "健康 安全"}] * 3


@pytest.mark.parametrize("attempt", ["x' OR '1'='1", "'; DELETE FROM article; --", "x') OR 1=1 --"])
def test_injection_attempts_are_harmless(seeded: Seeded, use_reader: str, attempt: str) -> None:
    engine_rows = article_count_via_cli()
    for args in (
        ["query", "SELECT title FROM article WHERE title = :t", "-p", f"t={attempt}"],
        ["query", "top_columns", "-p", f"source={attempt}"],
        ["query", "latest_articles", "-p", f"source={attempt}"],
    ):
        result = runner.invoke(app, [*args, "-f", "json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == []
    assert article_count_via_cli() == engine_rows == 7


def article_count_via_cli() -> int:
    result = runner.invoke(app, ["query", "SELECT COUNT(*) AS n FROM article", "-f", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)[0]["n"]


WRITES = [
    "DELETE FROM article",
    "UPDATE article SET title = 'x'",
    "INSERT INTO source (slug, name, kind, created_at) VALUES ('x', 'x', 'file', '2021-01-01')",
    "DROP VIEW v_article",
    "CREATE TABLE scratch (i INTEGER)",
    "WITH gone AS (DELETE FROM article RETURNING id) SELECT COUNT(*) FROM gone",
    "SELECT 1; DELETE FROM article",
    "COMMIT; BEGIN; DELETE FROM article; COMMIT",
]


@pytest.mark.parametrize("statement", WRITES)
def test_writes_are_refused_and_change_nothing(
    seeded: Seeded, use_reader: str, engine: Engine, statement: str
) -> None:
    tables_before = set(inspect(engine).get_table_names())
    result = runner.invoke(app, ["query", statement])
    assert result.exit_code == 1
    assert "refused" in result.stderr or "query failed" in result.stderr, result.output
    assert article_count(engine) == 7
    with engine.connect() as connection:
        titles = set(connection.execute(select(Article.title)).scalars())
    assert "x" not in titles
    assert set(inspect(engine).get_table_names()) == tables_before
    assert "v_article" in inspect(engine).get_view_names()


def test_a_plain_write_names_the_reason(seeded: Seeded, use_reader: str) -> None:
    result = runner.invoke(app, ["query", "DELETE FROM article"], env={"COLUMNS": "300"})
    assert result.exit_code == 1
    assert "refused: `newsetl query` is read-only" in result.stderr
    result = runner.invoke(app, ["query", "SELECT 1; SELECT 2"], env={"COLUMNS": "300"})
    assert result.exit_code == 1
    assert "one statement at a time" in result.stderr


def test_sqlite_cannot_write_other_files_either(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from schemas.db import make_engine
    from schemas.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade(make_engine(url))
    monkeypatch.setenv("NEWSETL_DATABASE_URL", url)
    for statement in (
        f"ATTACH DATABASE '{tmp_path / 'other.db'}' AS other",
        f"VACUUM INTO '{tmp_path / 'copy.db'}'",
        "PRAGMA query_only = OFF",
    ):
        result = runner.invoke(app, ["query", statement])
        assert result.exit_code == 1, (statement, result.output)
        assert "refused" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".db") == ["w.db"]


def test_a_missing_warehouse_is_not_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSETL_DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    result = runner.invoke(app, ["query", "top_terms"])
    assert result.exit_code == 1
    assert "newsetl db upgrade" in result.stderr
    assert not (tmp_path / "none.db").exists()


def test_bad_arguments_exit_2(seeded: Seeded, use_reader: str) -> None:
    for args in (
        ["query", "top_terms", "-p", "since=yesterday"],
        ["query", "top_terms", "-p", "nosuch=1"],
        ["query", "top_terms", "-p", "novalue"],
        ["query", "nosuch_query"],
        ["query", "SELECT :x"],
        ["query"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
