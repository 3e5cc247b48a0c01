"""Crawls shared through Redis (``spiders.frontier``): three ``newsetl crawl zaker``
processes against one generated site fetch every page once and land it once, the frontier
is gone from Redis when they are done, and the next crawl starts afresh."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from crawl_helpers import FAST, TEST_AGENT
from sqlalchemy import func, select

from newsetl.demo.generated import PER_LIST, build_site
from newsetl.demo.server import SiteServer
from schemas.db import make_engine
from schemas.migrate import upgrade
from schemas.models import PipelineRun, RawDocument
from spiders.frontier import frontier_keys

ARTICLES = 600
PROCESSES = 3
# slow enough (per process) that the three overlap, however late one starts
SHARED = {**FAST, "DOWNLOAD_DELAY": "0.05", "AUTOTHROTTLE_ENABLED": "0"}


@pytest.fixture(scope="module")
def generated_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sites")
    build_site(root, ARTICLES)
    return root


@pytest.fixture
def site(generated_site: Path) -> Iterator[SiteServer]:
    with SiteServer(generated_site) as server:
        yield server


def start_crawls(
    count: int, site: SiteServer, database_url: str, env: dict[str, str]
) -> list[subprocess.Popen[str]]:
    environment = dict(
        os.environ,
        NEWSETL_DATABASE_URL=database_url,
        NEWSETL_USER_AGENT=TEST_AGENT,
        NEWSETL_ZAKER_BASE_URL=site.site_url("zaker"),
        **env,
    )
    command = [sys.executable, "-c", "from newsetl.cli import main; main()", "crawl", "zaker"]
    command += ["--verbose", *(f"-s{key}={value}" for key, value in SHARED.items())]
    return [
        subprocess.Popen(
            command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(count)
    ]


def finish(processes: list[subprocess.Popen[str]]) -> list[tuple[int, str]]:
    """Each process's exit code and log, once all have ended."""
    done = []
    for process in processes:
        _, stderr = process.communicate(timeout=240)
        done.append((process.returncode, stderr))
    return done


def article_paths(site: SiteServer) -> dict[str, int]:
    return {path: n for path, n in site.hits.items() if "/article/" in path}


def test_three_processes_fetch_every_page_once_and_land_it_once(
    site: SiteServer, warehouse_url: str, redis_url: str
) -> None:
    prefix = f"newsetl-test-{uuid.uuid4().hex[:8]}"
    env = {"NEWSETL_REDIS_URL": redis_url, "NEWSETL_FRONTIER": prefix}
    results = finish(start_crawls(PROCESSES, site, warehouse_url, env))
    for code, log in results:
        assert code == 0, log[-3000:]
    assert sum("began the crawl" in log for _, log in results) == 1
    assert sum("joined the crawl" in log for _, log in results) == PROCESSES - 1

    hits = site.hits
    articles = article_paths(site)
    assert len(articles) == ARTICLES and set(articles.values()) == {1}
    lists = ARTICLES // PER_LIST
    assert [hits[f"/zaker/channel/{n}"] + hits[f"/zaker/channel/{n}/"] for n in range(lists)] == [
        1
    ] * lists
    assert hits["/zaker/"] == 1

    engine = make_engine(warehouse_url)  # an emptied warehouse on either backend
    with engine.connect() as connection:
        documents = connection.scalar(select(func.count()).select_from(RawDocument))
        urls = connection.scalar(select(func.count(func.distinct(RawDocument.url))))
        runs = connection.execute(
            select(PipelineRun.status, PipelineRun.counts).where(PipelineRun.kind == "crawl")
        ).all()
    engine.dispose()
    assert documents == urls == ARTICLES  # landed once each
    assert len(runs) == PROCESSES and {run.status for run in runs} == {"success"}
    landed = [run.counts["landed (new)"] for run in runs]
    assert sum(landed) == ARTICLES
    assert all(n > 0 for n in landed), landed  # every process did a share

    client = redis.Redis.from_url(redis_url)
    assert client.exists(*frontier_keys(prefix, "zaker").values()) == 0  # nothing left behind
    client.close()


def test_the_next_crawl_starts_afresh_and_skips_landed_articles(
    site: SiteServer, tmp_path: Path, redis_url: str
) -> None:
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    env = {"NEWSETL_REDIS_URL": redis_url, "NEWSETL_FRONTIER": f"t-{uuid.uuid4().hex[:8]}"}
    first, second = (finish(start_crawls(1, site, url, env))[0] for _ in range(2))
    assert first[0] == 0 and second[0] == 0, second[1][-3000:]
    assert "began the crawl" in second[1]
    hits = site.hits
    assert hits["/zaker/"] == 2  # the list pages again: the fingerprints went with the crawl
    assert set(article_paths(site).values()) == {1}  # landed articles are not fetched again


def test_an_unreachable_redis_is_a_one_line_failure(site: SiteServer, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"NEWSETL_REDIS_URL": f"redis://127.0.0.1:{port}/0"}
    process = start_crawls(1, site, url, env)[0]
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 1
    assert "crawl zaker failed: ConnectionError" in stderr
    assert "Traceback" not in stdout + stderr.split("crawl zaker failed")[-1]
    assert article_paths(site) == {}
