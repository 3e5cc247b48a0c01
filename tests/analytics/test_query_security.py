"""`newsetl query` as an attacker uses it: the login's rights, escapes to the server's files
and programs, statements that never end, statements without rows, markup in the data."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsetl.cli.app import app
from schemas.queries import READER_ROLE

runner = CliRunner()
RECURSIVE = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"


def query(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["query", *args], env={"COLUMNS": "300"})
    return result.exit_code, result.stdout, result.stderr


def one_line(text: str) -> bool:
    return len(text.strip().splitlines()) == 1 and "Traceback" not in text


@pytest.mark.postgres
def test_a_superuser_login_is_refused_without_the_flag(use_warehouse: str) -> None:
    if not use_warehouse.startswith("postgresql"):
        pytest.skip("PostgreSQL roles")
    code, out, err = query("SELECT 1 AS one")
    assert code == 2 and one_line(err), err
    assert "superuser" in err and READER_ROLE in err and "--allow-superuser" in err
    assert out == ""
    code, out, err = query("SELECT current_user AS who", "--allow-superuser", "-f", "csv")
    assert code == 0, err
    assert out.splitlines() == ["who", READER_ROLE]  # even then it runs as the reader role


@pytest.mark.postgres
def test_the_readers_login_cannot_reach_the_servers_files_or_programs(
    use_reader: str, tmp_path: Path
) -> None:
    if not use_reader.startswith("postgresql"):
        pytest.skip("PostgreSQL roles and server functions")
    target = Path("/tmp") / f"newsetl-escape-{uuid.uuid4().hex}"
    attempts = [
        f"COPY (SELECT 1) TO PROGRAM 'touch {target}'",
        f"COPY article TO '{target}'",
        "SELECT pg_read_file('/etc/passwd')",
        "SELECT pg_reload_conf()",
        "SELECT pg_ls_dir('.')",
        f"SELECT lo_export(lo_from_bytea(0, 'x'), '{target}')",
        "INSERT INTO source (slug, name, kind) VALUES ('x', 'x', 'file')",
        "SET ROLE postgres",
    ]
    for statement in attempts:
        code, out, err = query(statement)
        assert code == 1, (statement, out, err)
        assert one_line(err), err
        assert "refused" in err or "permission denied" in err, (statement, err)
    assert not target.exists()
    code, out, _ = query("SELECT count(*) AS n FROM article", "-f", "csv")
    assert code == 0 and out.splitlines() == ["n", "0"]


def test_a_statement_that_never_ends_is_cancelled(use_reader: str) -> None:
    code, _, err = query(RECURSIVE, "--timeout", "0.5")
    assert code == 1 and one_line(err), err
    assert "cancelled: the statement ran longer than 0.5 s (--timeout)" in err
    if use_reader.startswith("postgresql"):
        code, _, err = query("SELECT pg_sleep(60)", "--timeout", "0.3")
        assert code == 1 and "cancelled" in err, err


def test_statements_without_rows_answer_in_one_line(use_reader: str) -> None:
    postgres = use_reader.startswith("postgresql")
    statements = ["BEGIN", "SAVEPOINT s1", "SELECT 1 WHERE false"]
    statements += (
        ["SET work_mem = '8MB'", "LOCK TABLE article IN ACCESS SHARE MODE"] if postgres else []
    )
    for statement in statements:
        code, out, err = query(statement)
        assert code == 0, (statement, out, err)
        assert "Traceback" not in out + err
        if statement.startswith("SELECT"):
            continue  # a query with columns and no rows prints its (empty) table
        assert one_line(err) and "returned no rows" in err, (statement, err)


def test_data_is_never_read_as_markup(use_reader: str) -> None:
    code, out, err = query(
        "SELECT 'a[/b]c' AS \"[bold]x\", '[update] 新闻' AS t, 'e\x1b[31mred' AS e"
    )
    assert code == 0, err
    assert "a[/b]c" in out and "[update] 新闻" in out and "[bold]x" in out
    assert "\x1b[31m" not in out


@pytest.mark.postgres
def test_a_login_outside_the_reader_role_is_refused(warehouse_url: str) -> None:
    if not warehouse_url.startswith("postgresql"):
        pytest.skip("PostgreSQL roles")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"newsetl_outsider_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(warehouse_url).set(drivername="postgresql+psycopg"))
    with admin.begin() as connection:
        connection.execute(text(f"CREATE ROLE {name} LOGIN"))
    try:
        url = make_url(warehouse_url).set(username=name).render_as_string(hide_password=False)
        result = runner.invoke(app, ["query", "SELECT 1", "--database-url", url])
        assert result.exit_code == 2, result.output
        assert f"{name} is not a member of {READER_ROLE}" in result.stderr
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP ROLE {name}"))
        admin.dispose()
