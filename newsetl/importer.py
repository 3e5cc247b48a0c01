"""``newsetl import``: land article files in the raw zone, then run the ETL over them.

Each file becomes a ``raw_document`` (its exact bytes kept). A file that cannot be read as an
article (empty, binary, broken front matter) is quarantined at the ``parse`` stage; the rest
go through the same clean → validate → dedupe → load pipeline as crawled pages, so an
imported article obeys every rule a crawled one does. A path whose bytes cannot be had (an
unreadable file or folder, a broken link, a FIFO or socket) lands nothing: its reason is
listed in the import's outcomes and in its ``pipeline_run`` counts.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from etl.clean import CleanError, clean_item
from etl.pipeline import EtlResult, run_etl
from schemas.db import session_scope
from schemas.items import ArticleItem
from schemas.landing import finish_run, land, reject, start_run
from schemas.models import Article, PipelineRun, RawDocument, RejectedRecord
from schemas.sources import get_source
from schemas.types import utcnow
from spiders.parsers.files import FileRejected, decode_article_file, parse_article_file

ARTICLE_SUFFIXES = {".md", ".markdown", ".txt", ".text", ".html"}
LAND_BATCH = 50  # files per landing transaction
LINKED_FOLDER = "symbolic link to a folder: not followed"


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


@dataclass(frozen=True)
class Found:
    """A file to import, or a path that cannot be one and why (``problem``)."""

    path: Path
    problem: str | None = None


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file"


def _examine(path: Path) -> Found:
    """``path`` as an article file, or why it cannot be read (without opening it: a FIFO
    would block)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if path.is_symlink():
            return Found(path, f"broken symbolic link (to {os.readlink(path)})")
        return Found(path, "vanished while the folder was read")
    except OSError as error:
        return Found(path, f"cannot read: {error.strerror or error}")
    if stat.S_ISDIR(mode):
        return Found(path, LINKED_FOLDER)
    if not stat.S_ISREG(mode):
        return Found(path, f"{_kind(mode)}, not a file")
    return Found(path)


def _walk(folder: Path) -> list[Found]:
    found: list[Found] = []

    def unreadable(error: OSError) -> None:
        found.append(Found(Path(error.filename), f"cannot read folder: {error.strerror}"))

    for root, folders, names in os.walk(folder, onerror=unreadable):
        found += [  # os.walk lists links to folders among the folders, and does not follow
            Found(Path(root) / name, LINKED_FOLDER)
            for name in folders
            if (Path(root) / name).is_symlink()
        ]
        found += [
            _examine(Path(root) / name)
            for name in names
            if Path(name).suffix.lower() in ARTICLE_SUFFIXES
        ]
    return sorted(found, key=lambda f: f.path)


def find_files(paths: Iterable[Path]) -> Iterator[Found]:
    """The files named, and the article files below the folders named, in a stable order;
    what cannot be read (unreadable folders and files, broken links, FIFOs, sockets) comes
    with its reason. A path that does not exist at all is a user error: FileNotFoundError."""
    for path in paths:
        if path.is_dir():
            yield from _walk(path)
        elif path.exists() or path.is_symlink():
            yield _examine(path)
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
    landed, unreadable = land_files(
        engine, paths, source=source, url=url, published_at=published_at
    )
    etl = run_etl(engine) if any(new for _, new in landed.values()) else None
    files = _outcomes(engine, landed) + [
        FileOutcome(path, "rejected", reason) for path, reason in unreadable.items()
    ]
    return ImportResult(sorted(files, key=lambda f: f.path), etl)


@dataclass
class _Parsed:
    path: Path
    raw: bytes
    item: ArticleItem | None
    encoding: str | None
    problem: str | None


def _parse(found: Found, source: str, url: str | None, published_at: str | None) -> _Parsed:
    try:
        raw = found.path.read_bytes()
    except OSError as error:
        raise FileRejected(f"cannot read: {error.strerror or error}") from None
    item, encoding, problem = None, None, None
    try:
        text, encoding = decode_article_file(raw)
        item = parse_article_file(text, source=source, url=url, published=published_at)
    except FileRejected as error:
        problem = str(error)
    return _Parsed(found.path, raw, item, encoding, problem)


def _land(session: Session, parsed: _Parsed, source: str, run_id: int) -> tuple[int, bool]:
    document, new = land(
        session,
        source=source,
        url=parsed.path.resolve().as_uri(),
        raw_body=parsed.raw,
        item=parsed.item,
        run_id=run_id,
        encoding=parsed.encoding,
    )
    if parsed.problem and new:
        reject(
            session,
            stage="parse",
            reason=parsed.problem,
            raw_document_id=document.id,
            source_id=document.source_id,
            run_id=run_id,
            record={"file": str(parsed.path)},
        )
    return document.id, new


def land_files(
    engine: Engine,
    paths: Iterable[Path],
    *,
    source: str = "files",
    url: str | None = None,
    published_at: str | None = None,
) -> tuple[dict[Path, tuple[int, bool]], dict[Path, str]]:
    """Land every file under ``paths`` as a raw document (unparsable ones quarantined), in
    transactions of :data:`LAND_BATCH` files: a file the database refuses is landed alone,
    so it never takes the others with it. Returns each landed file's raw document id and
    whether it is new, and the reason of each file that could not be read or stored."""
    get_source(source)  # an unknown source is an error before anything lands
    found = list(find_files(paths))
    landed: dict[Path, tuple[int, bool]] = {}
    unreadable: dict[Path, str] = {f.path: f.problem for f in found if f.problem}
    with session_scope(engine) as session:
        run_id = start_run(session, "import", source).id
    readable = [f for f in found if not f.problem]
    for start in range(0, len(readable), LAND_BATCH):
        batch: list[_Parsed] = []
        for item in readable[start : start + LAND_BATCH]:
            try:
                batch.append(_parse(item, source, url, published_at))
            except FileRejected as error:
                unreadable[item.path] = str(error)
        try:
            with session_scope(engine) as session:
                landed |= {p.path: _land(session, p, source, run_id) for p in batch}
        except SQLAlchemyError:
            for parsed in batch:  # one by one: only the file the database refuses fails
                try:
                    with session_scope(engine) as session:
                        landed[parsed.path] = _land(session, parsed, source, run_id)
                except SQLAlchemyError as error:
                    reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
                    unreadable[parsed.path] = f"could not be stored: {reason}"[:300]
    with session_scope(engine) as session:
        counts = {
            "files": len(found),
            "landed": sum(new for _, new in landed.values()),
            "unreadable": len(unreadable),
            "problems": [{"file": str(p), "reason": r} for p, r in sorted(unreadable.items())],
        }
        finish_run(session, session.get(PipelineRun, run_id), counts)
    return landed, unreadable


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
        duplicated = {
            document_id: _duplicated(session, items.get(document_id))
            for document_id, new in landed.values()
            if new and document_id not in rejections and document_id not in articles
        }
    outcomes = []
    for path, (document_id, new) in landed.items():
        if document_id in rejections:
            outcomes.append(FileOutcome(path, "rejected", rejections[document_id]))
        elif not new:
            outcomes.append(FileOutcome(path, "unchanged", "already imported"))
        elif document_id in articles:
            outcomes.append(FileOutcome(path, "loaded", article_id=articles[document_id]))
        else:
            outcomes.append(FileOutcome(path, "duplicate", duplicated[document_id]))
    return outcomes


def _duplicated(session: Session, item: dict[str, Any] | None) -> str:
    """Which article a file that loaded nothing repeats: the one with its canonical URL,
    else the one with its text."""
    try:
        record = clean_item(ArticleItem.from_dict(item or {}), fetched_at=utcnow())
    except (CleanError, TypeError, ValueError):
        return "same article as one loaded before"
    article = session.execute(
        select(Article.id, Article.title)
        .where(
            (Article.canonical_url == record["canonical_url"])
            | (Article.content_hash == record["content_hash"])
        )
        .order_by((Article.canonical_url != record["canonical_url"]), Article.id)
        .limit(1)
    ).first()
    if article is None:
        return "same article as one loaded before"
    return f"same article as article {article.id}: {article.title}"
