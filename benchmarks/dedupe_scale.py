"""The near-duplicate index and the daily analytics at 100k and 1M articles on PostgreSQL.

    .venv/bin/python -m benchmarks.dedupe_scale [--sizes 100000 1000000] [--baseline]
        [--band-counts] [--postgres-url postgresql://postgres@127.0.0.1:5432/test]

The corpus is ``benchmarks.etl``'s generator (5% near copies of recent originals, labelled;
its exact copies are left out: the exact stage removes them before the index), made in
chunks of 50,000 by two processes and cached in ``benchmarks/out/`` (text → band keys is
the same code as the ETL's). For each size, a fresh database of its own:

- articles: one row each, written with ``COPY`` in batches of 2,000 (so the per-day count
  triggers run as in a load); 3% without a publication date, the rest over two years;
- index: the ``lsh_band`` rows written in batches of 2,000 as the load writes them; rate,
  and size of the table with its indexes;
- lookup: ``etl.dedupe._band_matches`` for batches of 2,000 articles not in the index
  (what a new batch costs), as the ETL sends it (with ``etl.dedupe.INDEX_PROBES``, "new")
  and with the planner's own choice (the query before, "old"), in the same database:
  cold, the first batch after the load (the new query's; the old query's is the second,
  so any pages the first left in the cache favour the baseline), and warm, median of 7
  batches each, old and new taking turns, every batch one not looked up before; the
  ratios of the last size to the first size close the output;
- precision and recall of pairs sharing ``MIN_SHARED_BANDS`` bands, looked up through the
  database for every article, against the labels;
- analytics: the named queries ``articles_per_day``, ``duplicates_per_day``,
  ``latest_articles`` and ``undated_articles`` on a read-only connection, median of 7, and
  in the same run the per-day count the views made before (grouping ``v_article`` by day).

``--baseline`` also writes and looks up the layout before (``lsh_bucket``: a row per band
of 20, from 80-value signatures) in the same database. ``--band-counts`` measures, at the
first size, index size (PostgreSQL) and precision/recall (in memory) for other band counts.
Results land in ``benchmarks/out/dedupe_scale.json``. Run it as a module from the
repository root.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    SmallInteger,
    Table,
    any_,
    literal,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from benchmarks.etl import OUT, Corpus, Warehouse
from etl.dedupe import MIN_SHARED_BANDS, _band_matches, index_row
from etl.load import insert_plain_rows
from etl.minhash import NUM_PERM, ROWS, band_keys, signature
from schemas.db import make_engine
from schemas.migrate import upgrade
from schemas.models import Article, LshBand, Source
from schemas.queries import get_query, read_only_connection, run_query

CHUNK = 50_000
BATCH = 2000
REPEATS = 7
LOOKUP_SEED = 99
LOOKUPS = ("new", "old")
PLANNER = {"new": None, "old": {}}  # None: _band_matches' default (INDEX_PROBES)
BAND_COUNTS = (10, 12, 14, 16, 20)
OLD_VALUES = 80  # the signature length before: 20 bands of 4
SCRATCH = MetaData()  # the tables this benchmark compares with, outside the warehouse's
PARAGRAPH = re.compile(r"<p>(.*?)</p>")
SOURCES = 10
START = datetime(2024, 12, 1, tzinfo=UTC)
QUERIES = ("articles_per_day", "duplicates_per_day", "latest_articles", "undated_articles")
OLD_DAILY = """SELECT day, source, source_name, COUNT(*) AS articles,
       SUM(CASE WHEN duplicate_of IS NULL THEN 0 ELSE 1 END) AS duplicates
FROM v_article GROUP BY day, source, source_name ORDER BY day, source"""


def make_chunk(
    number: int, seed: int = 20261201, values: tuple[int, ...] = (NUM_PERM, OLD_VALUES)
) -> dict:
    """One chunk of the corpus: band keys of each distinct text for each signature length
    in ``values`` and, for a labelled near copy, the chunk index of its original."""
    corpus = Corpus(CHUNK, seed=seed + number)
    seen: set[str] = set()
    keys: dict[int, list[list[int]]] = {v: [] for v in values}
    urls: list[str] = []
    for item in corpus.items():
        body = "\n".join(PARAGRAPH.findall(item.body_html))
        if body in seen:
            continue  # an exact copy
        seen.add(body)
        urls.append(item.url)
        for v in values:
            keys[v].append(band_keys(signature(body, v)))
    position = {u: i for i, u in enumerate(urls)}
    original = [position.get(corpus.near.get(u, ""), -1) for u in urls]
    return {"keys": {v: np.array(k, dtype=np.int64) for v, k in keys.items()}, "original": original}


def corpus(size: int, real: int, workers: int = 2) -> tuple[dict[int, np.ndarray], np.ndarray]:
    """Band keys (by signature length) and the original of each near copy (-1 for
    originals) of ``size`` distinct articles: the first ``real`` from generated text
    (cached per chunk), the rest originals whose keys are drawn at random, as the keys of
    distinct texts are (a shortcut for sizes whose text this machine cannot generate in
    time; precision then still counts chance collisions of keys)."""
    OUT.mkdir(exist_ok=True)
    chunks = chunk_numbers(min(size, real))
    missing = [n for n in chunks if not (OUT / f"dedupe_chunk_{n}.npz").exists()]
    with ProcessPoolExecutor(workers) as pool:
        for n, chunk in zip(missing, pool.map(make_chunk, missing), strict=True):
            np.savez(
                OUT / f"dedupe_chunk_{n}.npz",
                original=np.array(chunk["original"]),
                **{f"k{v}": k for v, k in chunk["keys"].items()},
            )
    keys: dict[int, list[np.ndarray]] = {}
    originals, offset = [], 0
    for n in chunks:
        data = np.load(OUT / f"dedupe_chunk_{n}.npz")
        for name in data.files:
            if name.startswith("k"):
                keys.setdefault(int(name[1:]), []).append(data[name])
        original = data["original"]
        originals.append(np.where(original >= 0, original + offset, -1))
        offset += len(original)
    merged = {v: np.concatenate(k)[: min(size, real)] for v, k in keys.items()}
    if len(merged[NUM_PERM]) < min(size, real):
        raise RuntimeError(f"the corpus chunks hold fewer than {min(size, real)} articles")
    rng, drawn = np.random.default_rng(size), size - min(size, real)
    for v in merged:
        merged[v] = np.vstack([merged[v], rng.integers(0, 2**63 - 1, (drawn, v // ROWS))])
    return merged, np.concatenate([*originals, np.full(drawn, -1)])[:size]


def chunk_numbers(size: int) -> range:
    """Chunks enough for ``size`` distinct articles (about 5% of a chunk are exact copies)."""
    return range(-(-size // int(CHUNK * 0.93)))


def median_ms(action: Callable[[], Any], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 2)


def article_rows(first: int, count: int, original: np.ndarray) -> Iterator[dict]:
    """Article rows for ids ``first + 1 …``: a tenth per source, 3% undated, the rest over
    two years; a near copy points at its original."""
    rng = np.random.default_rng(first)
    for i in range(first, first + count):
        published = START + timedelta(minutes=int(rng.integers(0, 730 * 24 * 60)))
        yield {
            "id": i + 1,
            "source_id": i % SOURCES + 1,
            "canonical_url": f"https://bench.example/{i}",
            "title": f"标题{i}",
            "body_html": f"<p>正文{i}</p>",
            "body_text": f"正文{i}",
            "char_count": 4,
            "content_hash": f"{i:064x}",
            "tags": "[]",
            "inferred_fields": "[]",
            "published_at": None if rng.random() < 0.03 else published,
            "first_seen_at": published + timedelta(hours=1),
            "last_updated_at": published + timedelta(hours=1),
            "duplicate_of": int(original[i]) + 1 if original[i] >= 0 else None,
        }


def write_batches(
    url: str, size: int, rows: Callable[[int, int], list[dict]], table: Table
) -> float:
    """Seconds to write ``size`` rows of ``table`` in batches of ``BATCH`` articles, one
    transaction each, as the load does (rows are made outside the clock)."""
    engine, elapsed = make_engine(url), 0.0
    for first in range(0, size, BATCH):
        batch = rows(first, min(BATCH, size - first))
        started = time.perf_counter()
        with Session(engine) as session, session.begin():
            insert_plain_rows(session, table, batch)
        elapsed += time.perf_counter() - started
    engine.dispose()
    return elapsed


def table_mb(url: str, name: str) -> float:
    engine = make_engine(url)
    with engine.connect() as connection:
        size = connection.execute(text(f"SELECT pg_total_relation_size('{name}')")).scalar_one()
    engine.dispose()
    return round(size / 2**20, 1)


def lookup_ms(url: str, batches: list[Callable[[Session], Any]]) -> float:
    """Median milliseconds of the lookups, each in a fresh session."""
    engine, times = make_engine(url), []
    for lookup in batches:
        with Session(engine) as session:
            session.execute(text("SELECT 1"))  # connect outside the clock
            started = time.perf_counter()
            lookup(session)
            times.append(time.perf_counter() - started)
    engine.dispose()
    return round(statistics.median(times) * 1000, 1)


def band_lookup(batch: list[list[int]], query: str) -> Callable[[Session], Any]:
    """``_band_matches`` for a batch of band keys, as the ETL sends it ("new") or with
    the planner's own choice ("old")."""
    records = [{"band_keys": k} for k in batch]
    planner = PLANNER[query]
    if planner is None:
        return lambda session: _band_matches(session, records)
    return lambda session: _band_matches(session, records, planner)


def lookup_times(url: str, batches: np.ndarray) -> dict[str, dict[str, float]]:
    """Cold and warm lookup milliseconds of each query (:data:`LOOKUPS`): batch 0 the new
    query's cold one, batch 1 the old's, then ``REPEATS`` batches each, taking turns."""
    times: dict[str, dict[str, float]] = {"cold_ms": {}, "warm_ms": {}}
    for query, batch in zip(LOOKUPS, batches[: len(LOOKUPS)].tolist(), strict=True):
        times["cold_ms"][query] = lookup_ms(url, [band_lookup(batch, query)])
    warm = batches[len(LOOKUPS) :].tolist()
    engine, taken = make_engine(url), {q: [] for q in LOOKUPS}
    for turn, batch in enumerate(warm[: REPEATS * len(LOOKUPS)]):
        query = LOOKUPS[turn % len(LOOKUPS)]
        with Session(engine) as session:
            session.execute(text("SELECT 1"))  # connect outside the clock
            started = time.perf_counter()
            band_lookup(batch, query)(session)
            taken[query].append(time.perf_counter() - started)
    engine.dispose()
    for query, seconds in taken.items():
        times["warm_ms"][query] = round(statistics.median(seconds) * 1000, 1)
    return times


def fresh_keys() -> dict[int, np.ndarray]:
    """Band keys of articles not in any index (the lookup batches), cached like the corpus."""
    path = OUT / f"dedupe_fresh_{LOOKUP_SEED}.npz"
    if not path.exists():
        OUT.mkdir(exist_ok=True)
        np.savez(path, **{f"k{v}": k for v, k in make_chunk(LOOKUP_SEED)["keys"].items()})
    data = np.load(path)
    return {int(name[1:]): data[name] for name in data.files}


def pair_quality(url: str, keys: np.ndarray, original: np.ndarray, limit: int) -> dict[str, Any]:
    """Pairs sharing ``MIN_SHARED_BANDS`` bands, found through the database for each of the
    first ``limit`` articles (against all), against their labelled (copy, original) pairs."""
    engine = make_engine(url)
    found: set[tuple[int, int]] = set()
    started = time.perf_counter()
    for first in range(0, min(limit, len(keys)), BATCH):
        records = [{"band_keys": list(k)} for k in keys[first : first + BATCH].tolist()]
        with Session(engine) as session:
            matches = _band_matches(session, records)
        for offset, record in enumerate(records):
            me = first + offset + 1
            shared: dict[int, int] = {}
            for key in enumerate(record["band_keys"]):
                for other in matches.get(key, ()):
                    shared[other] = shared.get(other, 0) + 1
            found |= {
                (min(me, o), max(me, o))
                for o, n in shared.items()
                if o != me and n >= MIN_SHARED_BANDS
            }
    engine.dispose()
    root = {i + 1: (o + 1 if o >= 0 else i + 1) for i, o in enumerate(original.tolist())}
    truth = {(o + 1, i + 1) for i, o in enumerate(original[:limit].tolist()) if o >= 0}
    correct = sum(root[a] == root[b] for a, b in found)
    return {
        "labelled_pairs": len(truth),
        "found_pairs": len(found),
        "precision": round(correct / len(found), 4) if found else 1.0,
        "recall": round(len(found & truth) / len(truth), 4),
        "pass_seconds": round(time.perf_counter() - started, 1),
    }


def in_memory_quality(keys: np.ndarray, original: np.ndarray) -> dict[str, float]:
    """:func:`pair_quality` computed in memory (the same equality matches, any band count)."""
    found: set[tuple[int, int]] = set()
    for band in range(keys.shape[1]):
        order = np.argsort(keys[:, band], kind="stable")
        values = keys[order, band]
        starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
        ends = np.r_[starts[1:], len(values)]
        for s, e in zip(starts[ends - starts > 1], ends[ends - starts > 1], strict=True):
            members = sorted(order[s:e].tolist())
            found |= {(a, b) for i, a in enumerate(members) for b in members[i + 1 :]}
    shared = {p: int((keys[p[0]] == keys[p[1]]).sum()) for p in found}
    pairs = {p for p, n in shared.items() if n >= MIN_SHARED_BANDS}
    root = [o if o >= 0 else i for i, o in enumerate(original.tolist())]
    truth = {(o, i) for i, o in enumerate(original.tolist()) if o >= 0}
    correct = sum(root[a] == root[b] for a, b in pairs)
    return {
        "precision": round(correct / len(pairs), 4) if pairs else 1.0,
        "recall": round(len(pairs & truth) / len(truth), 4),
    }


def wide_table(name: str, bands: int) -> Table:
    """An ``lsh_band``-shaped table with ``bands`` columns, for the band-count table."""
    return Table(
        name,
        SCRATCH,
        Column("article_id", Integer, primary_key=True, autoincrement=False),
        *(Column(f"band_{b}", BigInteger, nullable=False, index=True) for b in range(bands)),
    )


OLD_INDEX = Table(
    "lsh_bucket",
    SCRATCH,
    Column("bucket", BigInteger, primary_key=True),
    Column("article_id", Integer, primary_key=True, index=True),
    Column("band", SmallInteger),
)


def old_rows(keys: np.ndarray) -> Callable[[int, int], list[dict]]:
    return lambda first, count: [
        {"bucket": key, "article_id": first + i + 1, "band": band}
        for i, row in enumerate(keys[first : first + count].tolist())
        for band, key in enumerate(row)
    ]


def old_lookup(keys: list[int]) -> Callable[[Session], Any]:
    column = OLD_INDEX.c.bucket
    return lambda session: session.execute(
        OLD_INDEX.select().where(column == any_(literal(sorted(set(keys)), ARRAY(BigInteger))))
    ).all()


def measure(
    url: str,
    size: int,
    keys: dict,
    original: np.ndarray,
    fresh: dict,
    baseline: bool,
    quality_limit: int,
) -> dict:
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        session.add_all(Source(slug=f"s{n}", name=f"来源{n}", kind="feed") for n in range(SOURCES))
    engine.dispose()
    result: dict[str, Any] = {"size": size}
    seconds = write_batches(
        url, size, lambda f, c: list(article_rows(f, c, original)), Article.__table__
    )
    result["articles_per_s"] = round(size / seconds)
    new = keys[NUM_PERM]
    seconds = write_batches(
        url,
        size,
        lambda f, c: [index_row(f + i + 1, k) for i, k in enumerate(new[f : f + c].tolist())],
        LshBand.__table__,
    )
    result["index"] = {
        "insert_per_s": round(size / seconds),
        "insert_seconds": round(seconds, 1),
        "mb": table_mb(url, "lsh_band"),
        "lookup": lookup_times(url, fresh[NUM_PERM]),
    }
    result["index"]["mb_per_million"] = round(result["index"]["mb"] * 1e6 / size)
    print(result, flush=True)
    result["index"] |= pair_quality(url, new, original, quality_limit)
    if baseline:
        engine = make_engine(url)
        OLD_INDEX.create(engine)
        engine.dispose()
        seconds = write_batches(url, size, old_rows(keys[OLD_VALUES]), OLD_INDEX)
        result["baseline"] = {
            "insert_per_s": round(size / seconds),
            "insert_seconds": round(seconds, 1),
            "mb": table_mb(url, "lsh_bucket"),
            "lookup_ms": lookup_ms(
                url,
                [
                    old_lookup([k for row in b for k in row])
                    for b in fresh[OLD_VALUES][:REPEATS].tolist()
                ],
            ),
        }
        result["baseline"]["mb_per_million"] = round(result["baseline"]["mb"] * 1e6 / size)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()
    with read_only_connection(url, allow_superuser=True) as connection:  # its own database
        result["analytics_ms"] = {
            name: median_ms(partial(run_query, connection, get_query(name))) for name in QUERIES
        }
        result["analytics_ms"]["per-day by grouping v_article (before)"] = median_ms(
            lambda: connection.execute(text(OLD_DAILY)).all(), repeats=3
        )
    return result


def band_count_table(url: str, size: int, keys: dict, original: np.ndarray) -> list[dict]:
    """For each band count (``ROWS`` values a band, ``MIN_SHARED_BANDS`` shared): precision
    and recall in memory, and the size of an index table with that many band columns."""
    other = [b * ROWS for b in BAND_COUNTS if b * ROWS not in keys]
    chunks = list(chunk_numbers(size))
    with ProcessPoolExecutor(2) as pool:
        parts = list(
            pool.map(make_chunk, chunks, [20261201] * len(chunks), [tuple(other)] * len(chunks))
        )
    keys = keys | {v: np.concatenate([p["keys"][v] for p in parts])[:size] for v in other}
    rows = []
    for bands in BAND_COUNTS:
        table = wide_table(f"lsh_band_{bands}", bands)
        engine = make_engine(url)
        table.create(engine)
        engine.dispose()
        values = keys[bands * ROWS]
        write_batches(
            url,
            size,
            lambda f, c, k=values: [
                {"article_id": f + i + 1} | {f"band_{b}": v for b, v in enumerate(row)}
                for i, row in enumerate(k[f : f + c].tolist())
            ],
            table,
        )
        mb = table_mb(url, table.name)
        rows.append(
            {"bands": bands, "mb": mb, "mb_per_million": round(mb * 1e6 / size)}
            | in_memory_quality(values, original)
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--baseline", action="store_true", help="also the layout before")
    parser.add_argument("--band-counts", action="store_true", help="size/quality per band count")
    parser.add_argument("--real", type=int, help="articles from generated text (default: all)")
    parser.add_argument(
        "--quality-limit", type=int, help="look up the first N articles for precision/recall"
    )
    args = parser.parse_args()
    console = Console()
    lookups = len(LOOKUPS) * (1 + REPEATS)
    fresh = {v: k[: lookups * BATCH].reshape(lookups, BATCH, -1) for v, k in fresh_keys().items()}
    results: dict[str, Any] = {"runs": []}
    keys, original = corpus(max(args.sizes), args.real or max(args.sizes))
    for size in args.sizes:
        console.print(f"[bold]{size:,} articles[/] …")
        with tempfile.TemporaryDirectory() as tmp:
            warehouses = Warehouse("postgresql", args.postgres_url, Path(tmp))
            try:
                sized = {v: k[:size] for v, k in keys.items()}
                results["runs"].append(
                    measure(
                        warehouses.new(),
                        size,
                        sized,
                        original[:size],
                        fresh,
                        args.baseline,
                        args.quality_limit or size,
                    )
                )
                if args.band_counts and size == args.sizes[0]:
                    results["band_counts"] = band_count_table(
                        warehouses.new(), size, sized, original[:size]
                    )
            finally:
                warehouses.drop()
        console.print(results)
    if len(results["runs"]) > 1:
        first, last = results["runs"][0], results["runs"][-1]
        results["lookup_ratio"] = {
            f"{kind} {query}": round(
                last["index"]["lookup"][kind][query] / first["index"]["lookup"][kind][query], 2
            )
            for kind in ("cold_ms", "warm_ms")
            for query in LOOKUPS
        }
        console.print(f"lookup, {last['size']:,} / {first['size']:,}:", results["lookup_ratio"])
    OUT.mkdir(exist_ok=True)
    (OUT / "dedupe_scale.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
