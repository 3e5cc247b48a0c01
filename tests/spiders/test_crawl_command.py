"""``newsetl crawl`` and ``scrapy crawl`` as commands: exit codes, the last line, failures."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from crawl_helpers import FAST, landed, pipeline_run, run_crawl
from sqlalchemy import select
from sqlalchemy.orm import Session

from newsetl.demo.server import SiteServer
from schemas.db import make_engine
from schemas.migrate import upgrade
from schemas.models import Article, PipelineRun

REPO = Path(__file__).resolve().parents[2]


def test_crawl_refuses_a_warehouse_that_is_not_migrated(
    site_server: SiteServer, tmp_path: Path
) -> None:
    for database in (tmp_path / "missing.db", tmp_path / "empty.db"):
        if database.name == "empty.db":
            make_engine(f"sqlite:///{database}").connect().close()  # a file with no tables
        crawl = run_crawl(
            "zaker",
            database_url=f"sqlite:///{database}",
            base_urls={"zaker": site_server.site_url("zaker")},
        )
        assert crawl.returncode == 1
        assert crawl.stderr.strip().splitlines() == [
            f"Error: no warehouse at {database}: run `newsetl db upgrade` first"
            if database.name == "missing.db"
            else f"Error: the warehouse sqlite:///{database} is empty: "
            "run `newsetl db upgrade` first"
        ]  # one line: no Scrapy signal-handler traceback before it
        assert site_server.hits["/zaker/"] == 0
    assert not (tmp_path / "missing.db").exists()


def test_crawl_of_an_unreachable_site_fails(warehouse_url: str, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    crawl = run_crawl(
        "zaker",
        database_url=warehouse_url,
        base_urls={"zaker": f"http://127.0.0.1:{port}/zaker"},
        settings={"RETRY_TIMES": "0"},
    )
    assert crawl.returncode == 1
    assert crawl.status == "failed"
    run = pipeline_run(warehouse_url, crawl.run_id)
    assert run.status == "failed"
    assert run.counts["errors"] >= 1
    assert landed(warehouse_url, "zaker") == {}


def test_crawl_logs_to_a_file_and_summarises_this_run(
    site_server: SiteServer, warehouse_url: str, tmp_path: Path
) -> None:
    base = {"zaker": site_server.site_url("zaker")}
    log = tmp_path / "crawl.log"
    first = run_crawl(
        "zaker",
        database_url=warehouse_url,
        base_urls=base,
        args={"lists": "source/10"},
        settings={"LOG_FILE": str(log)},
        options=(),
    )
    assert first.returncode == 0, first.stderr[-3000:]
    assert f"Scrapy log: {log}" in first.stderr
    assert "[scrapy" not in first.stderr and "INFO" not in first.stderr
    assert "Spider opened" in log.read_text("utf-8")  # Scrapy's log went to the file
    second = run_crawl(
        "zaker", database_url=warehouse_url, base_urls=base,
        args={"lists": "source/10"}, settings={"LOG_FILE": str(log)}, options=(),
    )  # fmt: skip
    assert second.returncode == 0
    for crawl, landed_new, skipped in ((first, "3", "0"), (second, "0", "3")):
        rows = {
            cells[1].strip(): cells[2].strip()
            for line in crawl.stdout.splitlines()
            if len(cells := line.split("│")) == 4
        }
        assert rows["landed (new)"] == landed_new
        assert rows["skipped (already landed)"] == skipped
        assert f"· run {crawl.run_id} · success" in crawl.stdout
        assert "warehouse total: 3 pages of zaker landed (all runs)" in crawl.stdout


def test_crawl_shows_progress_per_source_on_a_terminal(
    site_server: SiteServer, warehouse_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # Rich draws as on a terminal
    monkeypatch.setenv("COLUMNS", "120")
    crawl = run_crawl(
        "zaker",
        database_url=warehouse_url,
        base_urls={"zaker": site_server.site_url("zaker")},
        args={"lists": "source/10"},
        settings={"LOG_FILE": str(tmp_path / "crawl.log")},
        options=(),
    )
    assert crawl.returncode == 0
    frames = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", crawl.stderr)
    header = "┃ source ┃ state    ┃ fetched ┃ landed (new) ┃ skipped ┃ blocked ┃ errors ┃ time ┃"
    assert header in frames
    final = re.search(r"│ zaker  │ finished │ +(\d+) │ +(\d+) │ +(\d+) │ +(\d+) │ +(\d+) │", frames)
    assert final is not None and final.group(2) == "3"  # three pages landed


def test_crawl_verbose_shows_scrapys_log(
    site_server: SiteServer, warehouse_url: str, tmp_path: Path
) -> None:
    crawl = run_crawl(
        "zaker",
        database_url=warehouse_url,
        base_urls={"zaker": site_server.site_url("zaker")},
        args={"lists": "source/10"},
    )  # run_crawl's default options: --verbose
    assert crawl.returncode == 0
    assert "Scrapy log:" not in crawl.stderr
    assert "Spider opened" in crawl.stderr


def test_scrapy_crawl_works_from_the_repository_root(
    site_server: SiteServer, warehouse_url: str, tmp_path: Path
) -> None:
    env = dict(
        os.environ,
        NEWSETL_DATABASE_URL=warehouse_url,
        NEWSETL_ZAKER_BASE_URL=site_server.site_url("zaker"),
    )
    fast = ["-s", "AUTOTHROTTLE_START_DELAY=0", "-s", "DOWNLOAD_DELAY=0"]
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "zaker", "-a", "lists=source/10", *fast],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(landed(warehouse_url, "zaker")) == 3


def test_run_crawls_the_enabled_sources_then_the_etl(
    site_server: SiteServer, tmp_path: Path
) -> None:
    """``newsetl run`` with a registry where ZAKER and the feeds are the enabled sources."""
    registry = yaml.safe_load((REPO / "schemas" / "sources.yml").read_text("utf-8"))
    for slug, entry in registry["sources"].items():
        entry["enabled"] = slug in {"zaker", "zaker-feeds"}
    sources = tmp_path / "sources.yml"
    sources.write_text(yaml.safe_dump(registry, allow_unicode=True), "utf-8")
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    engine = make_engine(url)
    upgrade(engine)
    env = dict(
        os.environ,
        NEWSETL_DATABASE_URL=url,
        NEWSETL_SOURCES=str(sources),
        NEWSETL_ZAKER_BASE_URL=site_server.site_url("zaker"),
        NEWSETL_ZAKER_FEEDS_BASE_URL=site_server.site_url("feeds"),
    )
    settings = [f"-s{key}={value}" for key, value in FAST.items()]
    done = subprocess.run(
        [sys.executable, "-c", "from newsetl.cli import main; main()", "run", "-v", *settings],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 3, done.stderr[-3000:]  # the ZAKER copy's failing pages: partial
    with Session(engine) as session:
        runs = session.scalars(select(PipelineRun).order_by(PipelineRun.id)).all()
        assert sorted(r.name for r in runs if r.kind == "crawl") == ["feeds", "zaker"]
        assert runs[-1].kind == "etl" and runs[-1].status == "success"
        titles = set(session.scalars(select(Article.title)))
    engine.dispose()
    assert "城市夜间经济持续升温 多地推出消费新场景" in titles  # from the ZAKER site
    assert "多国专家：中国疫苗为全球抗疫注入信心" in titles  # from a feed
