"""`newsetl demo`: the README's first command lands all three sources with no network."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from schemas.db import make_engine
from schemas.models import Article, RawDocument, Source

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
    for word in ("fetched", "rejected", "duplicates", "loaded", "people-daily", "zaker-feeds"):
        assert word in first.stdout

    second = run_demo(tmp_path, port)
    assert second.returncode == 0, second.stdout + second.stderr
    assert counts(f"sqlite:///{database}") == after_first
