"""``newsetl import``: land article files in the raw zone, then run the ETL over them.

Each file becomes a ``raw_document`` (its exact bytes kept). A file that cannot be read as an
article (empty, binary, broken front matter) is quarantined at the ``parse`` stage; the rest
go through the same clean → validate → dedupe → load pipeline as crawled pages, so an
imported article obeys every rule a crawled one does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select

from etl.pipeline import EtlResult, run_etl
from schemas.db import session_scope
from schemas.landing import finish_run, land, reject, start_run
from schemas.models import Article, RawDocument, RejectedRecord
from schemas.sources import get_source
from spiders.parsers.files import FileRejected, decode_article_file, parse_article_file

ARTICLE_SUFFIXES = {".md", ".markdown", ".txt", ".text", ".html"}


@dataclass
class FileOutcome:
    """What became of one file."""

    path: Path
    status: str  # loaded | duplicate | rejected | unchanged
    reason: str = ""
    article_id: int | None = None


@dataclass
class ImportResult:
    """Per-file outcomes of an import and the ETL run that processed it."""

    files: list[FileOutcome]
    etl: EtlResult | None

    @property
    def rejected(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == "rejected"]


def find_files(paths: Iterable[Path]) -> Iterator[Path]:
    """The files named, and the article files below the folders named, in a stable order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES
            )
        elif path.is_file():
            yield path
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")


def import_files(
    engine: Engine,
    paths: Iterable[Path],
    *,
    source: str = "files",
    url: str | None = None,
    published_at: str | None = None,
) -> ImportResult:
    """Land every file under ``paths`` and run the ETL; returns what became of each file.

    ``url`` and ``published_at`` fill in what the files lack (and are recorded as inferred).
    Re-importing the same files changes nothing.
    """
    landed = land_files(engine, paths, source=source, url=url, published_at=published_at)
    etl = run_etl(engine) if any(new for _, new in landed.values()) else None
    return ImportResult(_outcomes(engine, landed), etl)


def land_files(
    engine: Engine,
    paths: Iterable[Path],
    *,
    source: str = "files",
    url: str | None = None,
    published_at: str | None = None,
) -> dict[Path, tuple[int, bool]]:
    """Land every file under ``paths`` as a raw document (unreadable ones quarantined);
    returns each file's raw document id and whether it is new."""
    get_source(source)  # an unknown source is an error before anything lands
    files = list(find_files(paths))
    landed: dict[Path, tuple[int, bool]] = {}
    with session_scope(engine) as session:
        run = start_run(session, "import", source)
        for path in files:
            raw = path.read_bytes()
            item, encoding, problem = None, None, None
            try:
                text, encoding = decode_article_file(raw)
                item = parse_article_file(text, source=source, url=url, published=published_at)
            except FileRejected as error:
                problem = str(error)
            document, new = land(
                session,
                source=source,
                url=path.resolve().as_uri(),
                raw_body=raw,
                item=item,
                run_id=run.id,
                encoding=encoding,
            )
            if problem and new:
                reject(
                    session,
                    stage="parse",
                    reason=problem,
                    raw_document_id=document.id,
                    source_id=document.source_id,
                    run_id=run.id,
                    record={"file": str(path)},
                )
            landed[path] = (document.id, new)
        new_count = sum(new for _, new in landed.values())
        finish_run(session, run, {"files": len(files), "landed": new_count})
    return landed


def _outcomes(engine: Engine, landed: dict[Path, tuple[int, bool]]) -> list[FileOutcome]:
    ids = [document_id for document_id, _ in landed.values()]
    with session_scope(engine) as session:
        rejections = {
            r.raw_document_id: r.reason
            for r in session.scalars(
                select(RejectedRecord).where(RejectedRecord.raw_document_id.in_(ids))
            )
        }
        articles = dict(
            session.execute(
                select(Article.raw_document_id, Article.id).where(Article.raw_document_id.in_(ids))
            ).all()
        )
        items = dict(
            session.execute(
                select(RawDocument.id, RawDocument.item).where(RawDocument.id.in_(ids))
            ).all()
        )
    outcomes = []
    for path, (document_id, new) in landed.items():
        if document_id in rejections:
            outcomes.append(FileOutcome(path, "rejected", rejections[document_id]))
        elif not new:
            outcomes.append(FileOutcome(path, "unchanged", "already imported"))
        elif document_id in articles:
            outcomes.append(FileOutcome(path, "loaded", article_id=articles[document_id]))
        else:
            title = (items.get(document_id) or {}).get("title", "")
            outcomes.append(
                FileOutcome(path, "duplicate", f"same article as loaded before: {title}")
            )
    return outcomes
