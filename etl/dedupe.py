"""Dedupe: exact duplicates (canonical URL, then text hash) and near-duplicates (MinHash
LSH band keys, :mod:`etl.minhash`, kept in the warehouse's ``lsh_band`` table).

Each article's band keys are stored as one ``lsh_band`` row (a column per band). Two
articles are near-duplicates when at least ``MIN_SHARED_BANDS`` of their bands agree: half
the pairs of Jaccard similarity 0.57 are found, nine in ten at 0.69, one in 3,300 at 0.2.

A near-duplicate joins the cluster of the article it matches, never a chain: the cluster is
named by its canonical article (earliest published, then earliest seen), which the load
step settles once the new articles have ids.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from sqlalchemy import Connection, func, insert, literal, select, union_all
from sqlalchemy.orm import Session

from etl.chunks import one_of, write_chunks
from etl.minhash import BANDS, band_keys, signature
from schemas.lsh import band_column
from schemas.models import Article, LshBand

MIN_SHARED_BANDS = 2
# Planner settings of the band lookup on PostgreSQL (docs/benchmarks.md): each band's
# ``= ANY(array)`` is answered by probing that band's index, never by scanning the table,
# and the statement is not JIT-compiled (its cost estimate passes ``jit_above_cost`` at
# 1M articles, and compiling costs more than the probes save).
INDEX_PROBES = {"enable_seqscan": "off", "jit": "off"}


def _existing_by(session: Session, column: Any, values: set[str]) -> dict[str, tuple]:
    found: dict[str, tuple] = {}
    for condition in one_of(session, column, values):
        for row in session.execute(
            select(column, Article.id, Article.content_hash).where(condition)
        ):
            found.setdefault(row[0], (row[1], row[2]))
    return found


def index_row(article_id: int, keys: list[int]) -> dict[str, int]:
    """The ``lsh_band`` row of an article with these band keys."""
    return {"article_id": article_id} | {band_column(b): key for b, key in enumerate(keys)}


def _band_matches(
    session: Session, records: list[dict[str, Any]], planner: dict[str, str] = INDEX_PROBES
) -> dict[tuple, list[int]]:
    """``(band, key) → ids of the loaded articles with that key in that band``, for the
    band keys of ``records``: a lookup per band on that band's indexed column, sent as one
    ``UNION ALL`` statement a batch (on PostgreSQL with the ``planner`` settings for that
    statement only; the benchmark passes ``{}`` to compare with the planner's own choice)."""
    table = LshBand.__table__
    by_band = zip(*(r["band_keys"] for r in records), strict=True)  # each band's keys
    lookups = [
        select(literal(band), column, table.c.article_id).where(condition)
        for band, (column, keys) in enumerate(
            zip((table.c[band_column(b)] for b in range(BANDS)), by_band, strict=False)
        )
        for condition in one_of(session, column, set(keys))
    ]
    if not lookups:
        return {}
    postgres = bool(planner) and session.get_bind().dialect.name == "postgresql"
    before = _set_local(session, planner) if postgres else {}
    matches: dict[tuple[int, int], list[int]] = {}
    for band, key, article_id in session.execute(union_all(*lookups)):
        matches.setdefault((band, key), []).append(article_id)
    if postgres:
        # Back to the transaction's values, so the load's statements after this one are
        # planned as usual. (Were the lookup to fail, the transaction is rolled back, and
        # that undoes the settings as well.)
        _set_local(session, before)
    return matches


def _set_local(session: Session, settings: dict[str, str]) -> dict[str, str]:
    """Set PostgreSQL settings until the end of the transaction (``SET LOCAL``); returns
    their values before."""
    names = list(settings)
    before = session.execute(select(*(func.current_setting(n) for n in names))).one()
    session.execute(select(*(func.set_config(n, settings[n], True) for n in names)))
    return dict(zip(names, before, strict=True))


def rebuild_index(connection: Connection, chunk: int = 2000) -> int:
    """Fill ``lsh_band`` from the text of every article (by id, ``chunk`` at a time);
    returns how many articles were indexed. The index must be empty."""
    table = LshBand.__table__
    done, after = 0, 0
    while True:
        rows = connection.execute(
            select(Article.id, Article.body_text)
            .where(Article.id > after)
            .order_by(Article.id)
            .limit(chunk)
        ).all()
        if not rows:
            return done
        index = [index_row(i, band_keys(signature(text))) for i, text in rows]
        for part in write_chunks(index):
            connection.execute(insert(table), part)
        done, after = done + len(rows), rows[-1][0]


def _roots(session: Session, article_ids: set[int]) -> dict[int, int]:
    roots: dict[int, int] = {}
    for condition in one_of(session, Article.id, article_ids):
        for article_id, duplicate_of in session.execute(
            select(Article.id, Article.duplicate_of).where(condition)
        ):
            roots[article_id] = duplicate_of or article_id
    return roots


def dedupe_records(session: Session, records: list[dict[str, Any]]) -> dict[str, int]:
    """Mark each valid record ``insert``, ``update`` (its canonical URL is loaded already)
    or ``duplicate`` (``duplicate_reason`` says of what), and give new ones their
    near-duplicate ``cluster`` (``["article", id]`` or ``["batch", index]``) by the
    ``band_keys`` the clean stage computed."""
    by_url = _existing_by(session, Article.canonical_url, {r["canonical_url"] for r in records})
    by_text = _existing_by(session, Article.content_hash, {r["content_hash"] for r in records})
    seen_urls: dict[str, int] = {}
    seen_texts: dict[str, int] = {}
    counts = Counter(exact_duplicates=0, near_duplicates=0, new=0, existing=0)
    for index, record in enumerate(records):
        url, text = record["canonical_url"], record["content_hash"]
        record["cluster"] = None
        if url in seen_urls:
            record.update(action="duplicate", duplicate_reason=f"repeat of {url} in this batch")
        elif url in by_url:
            record["action"] = "update"
            record["article_id"] = by_url[url][0]
            counts["existing"] += 1
            if by_url[url][1] == text:
                counts["exact_duplicates"] += 1
        elif text in seen_texts or text in by_text:
            record.update(action="duplicate", duplicate_reason="same text as an article loaded")
        else:
            record["action"] = "insert"
            counts["new"] += 1
        if record["action"] == "duplicate":
            counts["exact_duplicates"] += 1
            continue
        seen_urls[url] = index
        seen_texts.setdefault(text, index)
    counts["near_duplicates"] = _cluster(session, records)
    return dict(counts)


def _cluster_of(records: list[dict[str, Any]], index: int) -> tuple[str, int]:
    cluster = records[index]["cluster"]
    return (cluster[0], cluster[1]) if cluster else ("batch", index)


def _shared_bands(band_keys: list[list[int]], stored: dict[tuple, list[int]]) -> list[list[int]]:
    """For each of a batch's new records (its ``band_keys``), the bands whose key another
    record of the batch or a loaded article (``stored``) also has: the only bands that can
    tie it to a cluster. Found with numpy for the whole batch, so the clustering loop
    visits only those bands, and only the records that have one (near duplicates and the
    articles they copy: one in ten of the benchmark's corpus)."""
    keys = np.array(band_keys, dtype=np.int64)  # a row per record, a column per band
    order = np.argsort(keys, axis=0)  # any order that groups equal keys
    in_order = np.take_along_axis(keys, order, axis=0)
    same = in_order[1:] == in_order[:-1]  # a key equal to the next one in its band
    repeated = np.zeros(keys.shape, dtype=bool)
    repeated[1:] |= same
    repeated[:-1] |= same
    shared = np.zeros(keys.shape, dtype=bool)
    np.put_along_axis(shared, order, repeated, axis=0)
    loaded: dict[int, list[int]] = {}
    for band, key in stored:
        loaded.setdefault(band, []).append(key)
    for band, found in loaded.items():
        shared[:, band] |= np.isin(keys[:, band], found)
    return [np.flatnonzero(row).tolist() for row in shared]


def _cluster(session: Session, records: list[dict[str, Any]]) -> int:
    """Attach new records to the cluster sharing most bands with them (at least
    ``MIN_SHARED_BANDS``): a loaded article's cluster or one formed in this batch."""
    new = [(i, r) for i, r in enumerate(records) if r["action"] == "insert"]
    if not new:
        return 0
    stored = _band_matches(session, [r for _, r in new])
    roots = _roots(session, {a for ids in stored.values() for a in ids})
    in_batch: dict[tuple[int, int], list[int]] = {}
    found = 0
    bands = _shared_bands([r["band_keys"] for _, r in new], stored)
    for (index, record), shared_bands in zip(new, bands, strict=True):
        if not shared_bands:
            continue  # no band in common with anything: most records
        keys = [(band, record["band_keys"][band]) for band in shared_bands]
        in_stored = [key for key in keys if key in stored]
        earlier = [key for key in keys if key in in_batch]
        for key in keys:
            in_batch.setdefault(key, []).append(index)
        if len(in_stored) + len(earlier) < MIN_SHARED_BANDS:
            continue  # no cluster can share enough bands
        shared: Counter[tuple[str, int]] = Counter()
        for key in in_stored:
            shared.update({("article", roots[a]) for a in stored[key]})
        for key in earlier:
            shared.update({_cluster_of(records, j) for j in in_batch[key] if j != index})
        best = max(
            (c for c in shared.items() if c[1] >= MIN_SHARED_BANDS),
            key=lambda c: (c[1], c[0][0] == "article"),
            default=None,
        )
        if best is not None:
            record["cluster"] = list(best[0])
            found += 1
    return found
