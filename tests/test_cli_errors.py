"""User errors of the command line: one line each (what failed, why, what to do), exit 2 for
usage and 1 for failures, the traceback only with ``--debug``; reading creates no file."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from newsetl.cli import app
from newsetl.demo import SAMPLES
from schemas.db import DatabaseUrlError, database_url, make_engine
from schemas.models import Article

UPGRADE = "run `newsetl db upgrade` first"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env={"NEWSETL_DEBUG": None, **(env or {})})


def one_line(result: Result) -> str:
    """The error line, after checking it is the only thing on stderr."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize(
    "command",
    [
        ["etl"],
        ["db", "upgrade"],
        ["db", "current"],
        ["export", "out"],
        ["report", "r.html"],
        ["query", "SELECT 1"],
        ["import", str(SAMPLES)],
    ],
)
def test_postgresql_down_is_one_line(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"postgresql://newsetl@127.0.0.1:{closed_port()}/warehouse"
    result = invoke(*command, env={"NEWSETL_DATABASE_URL": url})
    assert result.exit_code == 1
    line = one_line(result)
    assert line.startswith(f"Error: cannot use the warehouse {url}: connection refused; ")
    assert "is PostgreSQL running there?" in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("warehouse.db", "database URL 'warehouse.db' is not a URL: use sqlite:///"),
        ("mysql://user@127.0.0.1/news", "names mysql, which newsetl does not support: use"),
        ("sqlite://", "database URL 'sqlite://' names no file"),
    ],
)
def test_a_database_url_newsetl_cannot_use_is_a_usage_error(url: str, expected: str) -> None:
    for command in (["etl"], ["db", "upgrade"], ["query", "SELECT 1"], ["demo"]):
        result = invoke(*command, env={"NEWSETL_DATABASE_URL": url})
        assert result.exit_code == 2, command
        assert expected in one_line(result)


@pytest.mark.postgres
def test_db_upgrade_of_a_postgresql_database_that_does_not_exist() -> None:
    server = os.environ.get("NEWSETL_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("NEWSETL_TEST_POSTGRES_URL is not set: PostgreSQL tests need a server")
    name = f"newsetl_missing_{uuid.uuid4().hex[:8]}"
    url = server.rsplit("/", 1)[0] + f"/{name}"
    result = invoke("db", "upgrade", env={"NEWSETL_DATABASE_URL": url})
    assert result.exit_code == 1
    line = one_line(result)
    assert f'database "{name}" does not exist; create it first' in line
    assert "then run `newsetl db upgrade`" in line


@pytest.mark.parametrize(
    "command", [["etl"], ["export", "out"], ["import", str(SAMPLES)], ["report", "r.html"]]
)
def test_commands_before_db_upgrade_say_so_and_create_nothing(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(*command, env={"NEWSETL_DATABASE_URL": None})
    assert result.exit_code == 1
    assert one_line(result).startswith("Error: no warehouse at data/warehouse.db: ")
    assert UPGRADE in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_query_in_another_folder_creates_no_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("query", "articles_per_day", env={"NEWSETL_DATABASE_URL": None})
    assert result.exit_code == 1
    assert one_line(result) == f"Error: no warehouse at data/warehouse.db: {UPGRADE}"
    assert not (tmp_path / "data").exists()


def test_an_empty_database_file_still_says_to_run_db_upgrade(tmp_path: Path) -> None:
    database = tmp_path / "empty.db"
    sqlite3.connect(database).close()
    url = f"sqlite:///{database}"
    for command in (["query", "SELECT count(*) FROM article"], ["etl"], ["export", "out"]):
        result = invoke(*command, env={"NEWSETL_DATABASE_URL": url})
        assert result.exit_code == 1, command
        assert one_line(result) == f"Error: the warehouse {url} is empty: {UPGRADE}"


def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    flag = invoke("--debug", "etl", env={"NEWSETL_DATABASE_URL": "warehouse.db"})
    assert isinstance(flag.exception, DatabaseUrlError)
    variable = invoke("etl", env={"NEWSETL_DATABASE_URL": "warehouse.db", "NEWSETL_DEBUG": "1"})
    assert isinstance(variable.exception, DatabaseUrlError)
    plain = invoke("etl", env={"NEWSETL_DATABASE_URL": "warehouse.db"})
    assert plain.exit_code == 2 and not isinstance(plain.exception, DatabaseUrlError)


def test_a_bad_crawl_argument_is_a_usage_error(use_warehouse: str) -> None:
    result = invoke("crawl", "people_daily", "-a", "date=2024-13-45")
    assert result.exit_code == 2
    assert one_line(result) == (
        "Error: crawl people_daily: -a date='2024-13-45' is not a date like 2024-11-30"
    )
    unknown = invoke("crawl", "sina")
    assert unknown.exit_code == 2
    assert one_line(unknown) == "Error: unknown spider sina; known: feeds, people_daily, zaker"
    malformed = invoke("crawl", "zaker", "-a", "max_pages")
    assert malformed.exit_code == 2
    assert one_line(malformed) == "Error: argument 'max_pages' is not KEY=VALUE"


def test_the_sqlite_file_alone_holds_the_warehouse_after_a_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert invoke("db", "upgrade").exit_code == 0
    assert invoke("import", str(SAMPLES)).exit_code == 0
    database = Path(make_engine().url.database)
    assert not Path(f"{database}-wal").exists() or Path(f"{database}-wal").stat().st_size == 0
    copy = tmp_path / "copy.db"
    shutil.copyfile(database, copy)  # the .db file only, as a user would copy it
    engine = make_engine(f"sqlite:///{copy}")
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Article)) == 2
    engine.dispose()
    assert database_url() == "sqlite:///data/warehouse.db"


def test_flags_show_no_type_in_help() -> None:
    for command in (["demo", "--help"], ["etl", "--help"], ["export", "--help"], ["--help"]):
        result = invoke(*command)
        assert result.exit_code == 0
        assert "<bool>" not in result.output
    assert "--serve " in invoke("demo", "--help").output


def test_demo_on_a_port_in_use_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = invoke("demo", "--port", str(port), env={"NEWSETL_DATABASE_URL": None})
    assert result.exit_code == 2
    last = result.stderr.strip().splitlines()[-1]  # after the demo's own progress lines
    assert last.startswith(f"Error: cannot serve the demo sites on port {port}: ")
    assert "Traceback" not in result.output


def test_click_usage_errors_are_one_line_too() -> None:
    missing = invoke("crawl")
    assert missing.exit_code == 2
    assert one_line(missing) == (
        "Error: Missing argument 'SPIDER'. (`newsetl crawl --help` shows how)"
    )
    unknown = invoke("etl", "--bogus")
    assert unknown.exit_code == 2
    assert one_line(unknown) == "Error: No such option: --bogus (`newsetl etl --help` shows how)"
    assert invoke("etl", "--help").exit_code == 0
