"""Term counts of articles for the analytics: jieba segmentation, stop words dropped.

``index_terms`` keeps ``article_term`` equal to the terms of the articles' current title and
body text: re-running it changes nothing, and terms an edited article lost are deleted.
"""

from __future__ import annotations

import logging
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

import jieba
from sqlalchemy import Engine, delete, func, or_, select, update
from sqlalchemy.orm import Session

from schemas.db import session_scope
from schemas.models import Article, ArticleTerm
from schemas.upsert import insert_for

STOPWORDS_FILE = Path(__file__).with_name("stopwords_zh.txt")
MAX_TERM_CHARS = ArticleTerm.__table__.c.term.type.length
BATCH_SIZE = 200


@cache
def _tokenizer() -> jieba.Tokenizer:
    """jieba's default tokenizer with its dictionary loaded, quietly, once per process."""
    jieba.setLogLevel(logging.WARNING)
    jieba.dt.initialize()
    return jieba.dt


@cache
def stop_words() -> frozenset[str]:
    """The stop-word list kept in ``etl/stopwords_zh.txt``."""
    lines = STOPWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(w for line in lines if (w := line.strip()) and not w.startswith("#"))


def count_terms(text: str) -> Counter[str]:
    """Occurrences of each term of ``text``.

    Words are NFKC-normalised and lower-cased; single characters, stop words, and tokens
    without any letter (digits, punctuation, space) are dropped.
    """
    words = _tokenizer().lcut(unicodedata.normalize("NFKC", text), HMM=False)
    stop = stop_words()
    counts: Counter[str] = Counter()
    for word in words:
        term = word.strip().lower()
        if (
            1 < len(term) <= MAX_TERM_CHARS
            and term not in stop
            and any(ch.isalpha() for ch in term)
        ):
            counts[term] += 1
    return counts


def index_terms(session: Session, article_ids: Sequence[int]) -> int:
    """Index the terms of the given articles' title and body; unknown ids are skipped.

    Only differences are written: new terms and changed counts are upserted, terms the text
    no longer has are deleted. Returns the number of ``article_term`` rows so changed.
    """
    changed = 0
    ids = sorted(set(article_ids))
    for start in range(0, len(ids), BATCH_SIZE):
        chunk = ids[start : start + BATCH_SIZE]
        articles = session.execute(
            select(Article.id, Article.title, Article.body_text).where(Article.id.in_(chunk))
        ).all()
        terms = {row.id: count_terms(f"{row.title}\n{row.body_text}") for row in articles}
        indexed: dict[int, dict[str, int]] = {}
        for article_id, term, count in session.execute(
            select(ArticleTerm.article_id, ArticleTerm.term, ArticleTerm.count).where(
                ArticleTerm.article_id.in_(chunk)
            )
        ):
            indexed.setdefault(article_id, {})[term] = count
        for article_id, old in indexed.items():
            keep = terms.get(article_id, Counter())
            stale = old.keys() - keep.keys()
            if stale:
                session.execute(
                    delete(ArticleTerm).where(
                        ArticleTerm.article_id == article_id, ArticleTerm.term.in_(sorted(stale))
                    )
                )
                changed += len(stale)
        rows = [
            {"article_id": article_id, "term": term, "count": count}
            for article_id, counts in terms.items()
            for term, count in counts.items()
            if indexed.get(article_id, {}).get(term) != count
        ]
        if rows:
            insert = insert_for(session, ArticleTerm)
            session.execute(
                insert.on_conflict_do_update(
                    index_elements=["article_id", "term"], set_={"count": insert.excluded["count"]}
                ),
                rows,
            )
        changed += len(rows)
    return changed


def pending_terms(engine: Engine) -> int:
    """How many articles' terms are missing or older than their text."""
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).where(_STALE).select_from(Article)) or 0


_STALE = or_(Article.terms_indexed_at.is_(None), Article.terms_indexed_at < Article.last_updated_at)


def index_pending_terms(
    engine: Engine, batch_size: int = 200, progress: Callable[[int], None] | None = None
) -> int:
    """Index every article whose terms are missing or stale, one transaction per batch.

    Its own stage after load (segmenting costs milliseconds an article, more than the rest
    of the pipeline), so it can run as its own task; safe to re-run. Returns the articles
    indexed.
    """
    done, last_id = 0, 0
    while True:
        with session_scope(engine) as session:
            ids = list(
                session.scalars(
                    select(Article.id)
                    .where(_STALE, Article.id > last_id)
                    .order_by(Article.id)
                    .limit(batch_size)
                )
            )
            if not ids:
                return done
            index_terms(session, ids)
            # Stamped with the version of the text indexed, not the clock: exact, skew-proof.
            session.execute(
                update(Article)
                .where(Article.id.in_(ids))
                .values(terms_indexed_at=Article.last_updated_at)
            )
        done, last_id = done + len(ids), ids[-1]
        if progress is not None:
            progress(len(ids))
