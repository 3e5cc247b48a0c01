"""Raw pages kept zstd-compressed: the column type both ways through the ORM and Core, and
migration 0007 on a warehouse of the previous release (0006) with pages in it."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
import zstandard
from sqlalchemy import Engine, insert, select

from schemas.db import make_engine, session_scope
from schemas.landing import content_hash, ensure_source, land
from schemas.migrate import current, downgrade, head, upgrade
from schemas.models import RawDocument
from schemas.types import ZSTD_MAGIC, compress, decompress

SITES = Path(__file__).parents[1] / "newsetl" / "demo" / "sites"
# the column as the warehouse holds it, without the model's type in between
STORED = sa.table(
    "raw_document",
    sa.column("id", sa.Integer()),
    sa.column("source_id", sa.Integer()),
    sa.column("url", sa.String()),
    sa.column("fetched_at", sa.DateTime(timezone=True)),
    sa.column("raw_body", sa.LargeBinary()),
    sa.column("content_hash", sa.String()),
)
ODD_BODIES = {
    "empty": b"",
    "not utf-8": b"\xff\xfe\x00\x80\xc3(",
    "gb18030": "<html><body>人民日报 新闻</body></html>".encode("gb18030"),
    # a fetched page that happens to start with the zstd magic number, and a fetched .zst file
    "fake magic": ZSTD_MAGIC + b"not a frame",
    "a zstd file": zstandard.ZstdCompressor().compress(b"a file that was zstd already" * 20),
}


def demo_pages() -> dict[str, bytes]:
    """A dozen real-looking pages of the demo sites (HTML, feeds) and the odd bodies."""
    paths = sorted(p for p in SITES.rglob("*") if p.suffix in (".html", ".htm", ".xml"))[:12]
    return {f"https://demo.test/{p.relative_to(SITES)}": p.read_bytes() for p in paths} | {
        f"https://demo.test/odd/{name}": body for name, body in ODD_BODIES.items()
    }


def stored_bodies(engine: Engine) -> dict[str, bytes]:
    with engine.connect() as connection:
        rows = connection.execute(select(STORED.c.url, STORED.c.raw_body))
        return {url: bytes(body) for url, body in rows}


def read_bodies(engine: Engine) -> dict[str, bytes]:
    with session_scope(engine) as session:
        return {d.url: d.raw_body for d in session.scalars(select(RawDocument))}


def test_round_trip_through_the_orm_and_core(engine: Engine) -> None:
    pages = demo_pages()
    urls = list(pages)
    with session_scope(engine) as session:
        source_id = ensure_source(session, "zaker").id
        for url in urls[::2]:  # ORM
            session.add(
                RawDocument(
                    source_id=source_id, url=url, raw_body=pages[url],
                    content_hash=content_hash(pages[url]),
                )
            )  # fmt: skip
    with engine.begin() as connection:  # Core, through the model's table
        connection.execute(
            insert(RawDocument),
            [
                {
                    "source_id": source_id,
                    "url": url,
                    "fetched_at": datetime.now(UTC),
                    "raw_body": pages[url],
                    "content_hash": content_hash(pages[url]),
                }
                for url in urls[1::2]
            ],
        )
    assert read_bodies(engine) == pages
    with engine.connect() as connection:
        core = dict(connection.execute(select(RawDocument.url, RawDocument.raw_body)).all())
    assert core == pages
    stored = stored_bodies(engine)
    assert all(body.startswith(ZSTD_MAGIC) for body in stored.values())
    assert all(decompress(stored[url]) == pages[url] for url in urls)
    html = [url for url in urls if url.endswith((".html", ".htm"))]
    assert html and all(len(stored[url]) < len(pages[url]) for url in html)


def test_land_hashes_the_raw_bytes_and_keeps_them(engine: Engine) -> None:
    raw = (SITES / "zaker" / "channel" / "2" / "index.html").read_bytes()
    with session_scope(engine) as session:
        document, new = land(session, source="zaker", url="https://x.test/1", raw_body=raw,
                             item=None)  # fmt: skip
        assert new and document.content_hash == hashlib.sha256(raw).hexdigest()
        _, again = land(session, source="zaker", url="https://x.test/1", raw_body=raw, item=None)
        assert not again
    assert read_bodies(engine) == {"https://x.test/1": raw}
    assert stored_bodies(engine)["https://x.test/1"].startswith(ZSTD_MAGIC)


def test_plain_bytes_read_back_as_they_are(engine: Engine) -> None:
    """Rows written before migration 0007 (or that it has not reached yet) are read as-is."""
    with session_scope(engine) as session:
        source_id = ensure_source(session, "files").id
    with engine.begin() as connection:
        connection.execute(
            insert(STORED),
            [
                {"source_id": source_id, "url": name, "fetched_at": datetime.now(UTC),
                 "raw_body": body, "content_hash": content_hash(body)}
                for name, body in {"page": b"<html>plain</html>", "empty": b""}.items()
            ],
        )  # fmt: skip
    assert read_bodies(engine) == {"page": b"<html>plain</html>", "empty": b""}


def test_0007_compresses_the_pages_of_a_0006_warehouse(blank_database_url: str) -> None:
    engine = make_engine(blank_database_url)
    upgrade(engine, "0006")
    # more rows than the migration rewrites at a time (1,000)
    pages = demo_pages() | {
        f"https://demo.test/n/{n}": f"<p>第{n}段</p>".encode() * 30 for n in range(2_100)
    }
    landed_url = "https://demo.test/landed-by-today"
    landed = (SITES / "robots.txt").read_bytes() * 20
    with session_scope(engine) as session:
        source_id = ensure_source(session, "zaker").id
        # today's land() writes a compressed body: the migration must leave it as it is
        land(session, source="zaker", url=landed_url, raw_body=landed, item=None)
    already = stored_bodies(engine)[landed_url]
    with engine.begin() as connection:  # the plain bytes 0006 kept, inserted in two chunks
        rows = [
            {"source_id": source_id, "url": url, "fetched_at": datetime.now(UTC),
             "raw_body": body, "content_hash": content_hash(body)}
            for url, body in pages.items()
        ]  # fmt: skip
        connection.execute(insert(STORED), rows)
    pages[landed_url] = landed
    before = stored_bodies(engine)

    upgrade(engine)
    assert current(engine) == head()
    stored = stored_bodies(engine)
    assert stored[landed_url] == already  # compressed once, not twice
    assert all(body.startswith(ZSTD_MAGIC) for body in stored.values())
    assert {url: decompress(body) for url, body in stored.items()} == pages
    assert read_bodies(engine) == pages
    assert sum(map(len, stored.values())) < sum(map(len, before.values())) / 2
    html = [url for url in pages if url.endswith((".html", ".htm"))]
    assert html and all(len(stored[url]) < len(pages[url]) for url in html)

    downgrade(engine, "0006")
    assert stored_bodies(engine) == pages  # plain bytes again, the zstd file included
    upgrade(engine)
    assert stored_bodies(engine) == {url: compress(body) for url, body in pages.items()}
    assert read_bodies(engine) == pages
    engine.dispose()
