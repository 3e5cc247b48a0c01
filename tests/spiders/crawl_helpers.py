"""Crawl helpers: a real ``newsetl crawl`` in a subprocess and what it landed.

Scrapy's reactor starts once per process, so every crawl runs ``newsetl crawl`` in a fresh
Python process, with the warehouse, the landing folder and the site's base URL passed in its
environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.db import make_engine
from schemas.models import PipelineRun, RawDocument, Source

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
    batch: Path | None

    def batch_records(self) -> list[dict[str, Any]]:
        """The JSONL batch file's records."""
        assert self.batch is not None
        return [json.loads(line) for line in self.batch.read_text("utf-8").splitlines()]


def _last_line(stdout: str) -> dict[str, str]:
    lines = [line for line in stdout.splitlines() if line.startswith("run_id=")]
    return dict(part.split("=", 1) for part in lines[-1].split()) if lines else {}


def run_crawl(
    spider: str,
    *,
    database_url: str,
    base_urls: dict[str, str],
    landing_dir: Path,
    args: dict[str, str] | None = None,
    settings: dict[str, str] | None = None,
    options: tuple[str, ...] = ("--verbose",),
    timeout: float = 90,
) -> Crawl:
    """Run ``newsetl crawl SPIDER`` in a subprocess against local sites; ``options`` default
    to ``--verbose`` (Scrapy's log on stderr, where tests read it)."""
    env = dict(os.environ)
    env.update(
        NEWSETL_DATABASE_URL=database_url,
        NEWSETL_LANDING_DIR=str(landing_dir),
        NEWSETL_USER_AGENT=TEST_AGENT,
    )
    for slug, url in base_urls.items():
        env["NEWSETL_" + slug.upper().replace("-", "_") + "_BASE_URL"] = url
    command = [sys.executable, "-c", "from newsetl.cli import main; main()", "crawl", spider]
    command += options
    for key, value in (args or {}).items():
        command += ["-a", f"{key}={value}"]
    for key, value in {**FAST, **(settings or {})}.items():
        command += ["-s", f"{key}={value}"]
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    last = _last_line(done.stdout)
    return Crawl(
        returncode=done.returncode,
        stdout=done.stdout,
        stderr=done.stderr,
        run_id=int(last["run_id"]) if last.get("run_id") else None,
        status=last.get("status"),
        batch=Path(last["batch"]) if last.get("batch") else None,
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
