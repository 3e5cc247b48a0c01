"""`newsetl demo`: the README's first command lands all three sources with no network."""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from sqlalchemy import func, select

from schemas.db import make_engine
from schemas.models import Article, ArticleTerm, RawDocument, Source

NEWSETL = Path(sys.executable).with_name("newsetl")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_demo(tmp_path: Path, port: int) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "COLUMNS": "200"}
    return subprocess.run(
        [str(NEWSETL), "demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def counts(url: str) -> dict[str, tuple[int, int]]:
    engine = make_engine(url)
    with engine.connect() as connection:
        fetched = dict(
            connection.execute(
                select(Source.slug, func.count(RawDocument.id))
                .join(RawDocument, RawDocument.source_id == Source.id)
                .group_by(Source.slug)
            ).all()
        )
        loaded = dict(
            connection.execute(
                select(Source.slug, func.count(Article.id))
                .join(Article, Article.source_id == Source.id)
                .group_by(Source.slug)
            ).all()
        )
    engine.dispose()
    return {slug: (fetched[slug], loaded.get(slug, 0)) for slug in fetched}


def test_demo_lands_every_source_into_a_fresh_sqlite_warehouse(tmp_path: Path) -> None:
    port = free_port()
    first = run_demo(tmp_path, port)
    assert first.returncode == 0, first.stdout + first.stderr
    database = tmp_path / "data" / "warehouse.db"
    assert database.exists()
    after_first = counts(f"sqlite:///{database}")
    assert set(after_first) == {"files", "zaker", "people-daily", "zaker-feeds"}
    for slug, (_, loaded) in after_first.items():
        assert loaded > 0, slug
    assert after_first["files"] == (2, 2)
    engine = make_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(ArticleTerm)) > 0
    engine.dispose()
    assert "the demo sites misbehave on purpose" in first.stderr
    [log] = (tmp_path / "data" / "logs").glob("demo-*.log")
    assert f"Scrapy log: data/logs/{log.name}" in first.stderr
    assert "Gave up retrying" in log.read_text("utf-8")  # the deliberate 500, in the log only
    assert "Gave up retrying" not in first.stdout + first.stderr
    first_rows = per_source(first.stdout)
    assert first_rows["zaker"]["errors"] > 0 and first_rows["zaker"]["blocked"] == 2
    assert first_rows["files"]["landed (new)"] == 2

    second = run_demo(tmp_path, port)
    assert second.returncode == 0, second.stdout + second.stderr
    assert counts(f"sqlite:///{database}") == after_first
    second_rows = per_source(second.stdout)  # what the second run did, not the totals
    for slug, row in second_rows.items():
        assert row["landed (new)"] == 0 and row["new articles"] == 0, slug
        assert row["skipped"] > 0, slug
        assert row["articles (all runs)"] == first_rows[slug]["articles (all runs)"] > 0
    assert not (tmp_path / "data" / "warehouse.db-wal").exists()


def per_source(stdout: str) -> dict[str, dict[str, int]]:
    """The demo's per-source table: source → column → count."""
    table = stdout.split("demo · this run, per source", 1)[1]
    lines = [line for line in table.splitlines() if line.count("┃") > 2 or line.count("│") > 2]
    header = [cell.strip() for cell in lines[0].strip("┃").split("┃")]
    rows = {}
    for line in lines[1:]:
        if "│" not in line:
            break
        cells = [cell.strip() for cell in line.strip("│").split("│")]
        rows[cells[0]] = dict(zip(header[1:], map(int, cells[1:]), strict=True))
    return rows


def test_demo_serve_prints_the_base_urls_and_serves_the_sites(tmp_path: Path) -> None:
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "COLUMNS": "200"}
    server = subprocess.Popen(
        [str(NEWSETL), "demo", "--serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [server.stdout.readline().strip() for _ in range(4)]
        exports = dict(line.removeprefix("export ").split("=", 1) for line in lines[1:])
        assert exports["NEWSETL_ZAKER_BASE_URL"] == f"http://127.0.0.1:{port}/zaker"
        index = exports["NEWSETL_ZAKER_BASE_URL"] + "/"
        with urllib.request.urlopen(index) as page:
            assert page.status == 200
    finally:
        server.terminate()
        server.wait(timeout=10)
