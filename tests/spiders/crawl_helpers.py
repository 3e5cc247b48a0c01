"""Crawl helpers: a real ``newsetl crawl`` in a subprocess and what it landed.

Scrapy's reactor starts once per process, so every crawl runs ``newsetl crawl`` in a fresh
Python process, with the warehouse and the site's base URL passed in its environment. The
crawl's ``pipeline_run`` is found in the warehouse: the newest run of the spider that
started after the command did.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from schemas.db import make_engine
from schemas.models import PipelineRun, RawDocument, Source
from schemas.runs import crawl_run_after, newest_run_id

# Fast but otherwise real settings: no politeness delays against our own local server.
FAST = {
    "AUTOTHROTTLE_START_DELAY": "0",
    "DOWNLOAD_DELAY": "0",
    "NEWSETL_BACKOFF_BASE": "0.05",
    "NEWSETL_BACKOFF_MAX": "0.2",
}
TEST_AGENT = "newsetl-tests/1.0 (+https://example.invalid/newsetl)"


@dataclass
class Crawl:
    """What one ``newsetl crawl`` did."""

    returncode: int
    stdout: str
    stderr: str
    run_id: int | None
    status: str | None
    feed: Path | None

    def feed_records(self) -> list[dict[str, Any]]:
        """The records of the crawl's feed export (``-O FILE.jsonl``)."""
        assert self.feed is not None
        return [json.loads(line) for line in self.feed.read_text("utf-8").splitlines()]


def _read_only(database_url: str) -> Engine | None:
    """A read-only engine, so that looking does not create a missing SQLite warehouse."""
    try:
        return make_engine(database_url, read_only=True)
    except FileNotFoundError:
        return None


def last_run_id(database_url: str) -> int:
    """The newest ``pipeline_run`` id (0 when there is none or no warehouse yet)."""
    engine = _read_only(database_url)
    if engine is None:
        return 0
    try:
        with engine.connect() as connection:
            return newest_run_id(connection)
    except SQLAlchemyError:
        return 0
    finally:
        engine.dispose()


def crawl_run(database_url: str, spider: str, after: int) -> tuple[int, str] | None:
    """``(id, status)`` of the newest crawl run of ``spider`` above id ``after``."""
    engine = _read_only(database_url)
    if engine is None:
        return None
    try:
        with engine.connect() as connection:
            return crawl_run_after(connection, spider, after)
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def run_crawl(
    spider: str,
    *,
    database_url: str,
    base_urls: dict[str, str],
    args: dict[str, str] | None = None,
    settings: dict[str, str] | None = None,
    options: tuple[str, ...] = ("--verbose",),
    feed: Path | None = None,
    timeout: float = 90,
) -> Crawl:
    """Run ``newsetl crawl SPIDER`` in a subprocess against local sites; ``options`` default
    to ``--verbose`` (Scrapy's log on stderr, where tests read it); ``feed`` is given as
    ``-O``."""
    env = dict(os.environ)
    env.update(
        NEWSETL_DATABASE_URL=database_url,
        NEWSETL_USER_AGENT=TEST_AGENT,
    )
    for slug, url in base_urls.items():
        env["NEWSETL_" + slug.upper().replace("-", "_") + "_BASE_URL"] = url
    command = [sys.executable, "-c", "from newsetl.cli import main; main()", "crawl", spider]
    command += options
    if feed is not None:
        command += ["-O", str(feed)]
    for key, value in (args or {}).items():
        command += ["-a", f"{key}={value}"]
    for key, value in {**FAST, **(settings or {})}.items():
        command += ["-s", f"{key}={value}"]
    before = last_run_id(database_url)
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    run = crawl_run(database_url, spider, before)
    return Crawl(
        returncode=done.returncode,
        stdout=done.stdout,
        stderr=done.stderr,
        run_id=run[0] if run is not None else None,
        status=run[1] if run is not None else None,
        feed=feed,
    )


def landed(database_url: str, slug: str) -> dict[str, RawDocument]:
    """The source's raw documents by URL."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            rows = session.scalars(
                select(RawDocument)
                .join(Source, Source.id == RawDocument.source_id)
                .where(Source.slug == slug)
            ).all()
    finally:
        engine.dispose()
    return {row.url: row for row in rows}


def pipeline_run(database_url: str, run_id: int) -> PipelineRun:
    """One ``pipeline_run`` row."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return session.get_one(PipelineRun, run_id)
    finally:
        engine.dispose()
