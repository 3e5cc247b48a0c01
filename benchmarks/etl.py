"""ETL throughput, memory and dedup quality on a generated corpus.

    .venv/bin/python -m benchmarks.etl [--sizes 10000 100000] [--backends sqlite postgresql]
        [--batch-size 2000] [--repeats 3] [--postgres-url postgresql://postgres@127.0.0.1:5432/test]

For each backend and size, a fresh warehouse gets a corpus of ZAKER-style articles landed
as raw documents: 2–6 KB HTML bodies with image boxes and mixed date forms; 5% exact
duplicates (the same article under a tracking-parameter URL or another site's URL) and 5%
near duplicates (an original with sentences inserted or removed, boilerplate added, the
end truncated or the punctuation changed).

A separate process then runs ``run_etl`` and reports articles per second end to end
(documents read / wall time of the run; the one-off start-up, importing Great
Expectations and building its context in this process and in the ETL's validation
process, and the workers' fork server importing the clean stage, is measured apart), its
peak resident memory, and the CPU the run took an article: on all cores, and by process
(main, workers, validation, the rest of the machine: the database server, the kernel).
In the same process, after the run, it times the bare building blocks one article needs
(:func:`ceiling`): their sum over the run is the one-process ceiling, and ``ratio`` is the
ETL's rate over the ceiling's (the ETL uses both cores: worker processes clean and a
validation process validates while the main process dedupes and loads). Precision and
recall of near-duplicate detection are counted against the corpus labels. With
``--command``, a copy of the landed warehouse also goes through the ``newsetl etl
--no-terms`` console script, timed end to end (interpreter, imports, Great Expectations'
start-up and the run): what a user waits for. Writes ``benchmarks/out/etl.json`` and prints
a table.

Run it as a module from the repository root: as a script, this file's folder would lead
``sys.path`` and its name would hide the ``etl`` package.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from etl.clean import parse_body, sanitised, unsanitised_parts
from etl.dedupe import index_row
from etl.load import insert_plain_rows, upsert_articles
from etl.minhash import band_keys, signature
from etl.pipeline import count_pending, run_etl, start_workers
from etl.text import script_of
from etl.validate import validate_records, warm_up
from etl.validator import outcome
from etl.validator import start as start_validator
from schemas.db import checkpoint, database_url, make_engine, session_scope
from schemas.items import ArticleItem
from schemas.landing import ensure_source, start_run
from schemas.migrate import upgrade
from schemas.models import Article, LshBand, RawDocument
from schemas.upsert import insert_for

OUT = Path(__file__).with_name("out")
HANZI = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
PROXY = "https://cors.zfour.workers.dev/?"
BOILERPLATE = ("（来源：新华网）", "责任编辑：张三", "点击进入专题：今日要闻", "原标题：旧标题")
FETCHED = "2026-08-03T10:00:00+08:00"
LAND_CHUNK = 1000
FOOTER = "本文来源于网络，如有侵权请联系删除。"


class Corpus:
    """A reproducible corpus: originals, exact copies and labelled near copies."""

    def __init__(self, size: int, seed: int = 20261124) -> None:
        self.size = size
        self.rng = random.Random(seed)
        self.words = [
            "".join(self.rng.choices(HANZI, k=self.rng.choice((1, 2, 2, 3)))) for _ in range(6000)
        ]
        self.near: dict[str, str] = {}  # canonical URL of a near copy → of its original
        self.exact = 0

    def sentence(self) -> str:
        words = self.rng.choices(self.words, k=self.rng.randint(6, 14))
        cut = self.rng.randint(2, len(words) - 2)
        return "".join(words[:cut]) + "，" + "".join(words[cut:]) + "。"

    def paragraphs(self) -> list[str]:
        target = self.rng.randint(700, 2000)  # ≈ 2–6 KB of UTF-8 HTML
        paragraphs, length = [], 0
        while length < target:
            paragraph = "".join(self.sentence() for _ in range(self.rng.randint(2, 5)))
            paragraphs.append(paragraph)
            length += len(paragraph)
        return paragraphs

    def html(self, paragraphs: list[str], ident: str) -> str:
        parts = []
        for n, paragraph in enumerate(paragraphs):
            parts.append(f"<p>{paragraph}</p>")
            if n == 1:
                image = f"http://zkres1.myzaker.com/202608/{ident}_1024.jpg"
                parts.append(
                    '<div class="img_box"><div class="content_img_div">'
                    f'<img class="lazy" data-original="{image}" data-width="800" '
                    f'data-height="515" src="{PROXY}{image}"></div></div>'
                )
        return "<div>" + "".join(parts) + "</div>"

    def original(self, n: int) -> ArticleItem:
        ident = hashlib.md5(f"article {n}".encode()).hexdigest()[:24]
        day = 1 + n % 28
        published = self.rng.choice(
            [
                f"Mon, {day:02d} Jun 2026 0{n % 10}:15:00 GMT",
                f"2026年07月{day:02d}日 1{n % 10}:30",
                f"2026-07-{day:02d}T08:00:00+08:00",
                "3小时前",
                f"07月{day:02d}日",
            ]
        )
        paragraphs = self.paragraphs()
        return ArticleItem(
            source="zaker",
            url=f"https://www.myzaker.com/article/{ident}",
            title="".join(self.rng.choices(self.words, k=6)),
            author=self.rng.choice(["ZAKER", "新华社", "本报记者"]),
            published=published,
            fetched_at=FETCHED,
            categories=["新媒体", "ZAKER", self.rng.choice(["国内", "国际", "财经", "科技"])],
            head_image=f"{PROXY}http://zkres1.myzaker.com/202608/{ident}_1024.jpg",
            body_html=self.html(paragraphs, ident),
        )

    def near_copy(self, item: ArticleItem, n: int) -> ArticleItem:
        paragraphs = [p for p in item.body_html.split("<p>")[1:]]
        texts = [p.split("</p>")[0] for p in paragraphs]
        edits = self.rng.sample(["insert", "remove", "boilerplate", "truncate", "punctuation"], 2)
        for edit in edits:
            if edit == "insert":
                texts.insert(self.rng.randrange(len(texts) + 1), self.sentence())
            elif edit == "remove" and len(texts) > 2:
                del texts[self.rng.randrange(len(texts))]
            elif edit == "boilerplate":
                texts = [
                    self.rng.choice(BOILERPLATE),
                    *texts,
                    "本文来源于网络，如有侵权请联系删除。",
                ]
            elif edit == "truncate":
                texts = texts[: max(2, int(len(texts) * self.rng.uniform(0.75, 0.9)))]
            elif edit == "punctuation":
                texts = [t.replace("，", ",").replace("。", ".") for t in texts]
        copy = ArticleItem.from_dict(item.to_dict())
        copy.url = f"https://news.example.com/{n}.html"
        copy.body_html = "<div>" + "".join(f"<p>{t}</p>" for t in texts) + "</div>"
        self.near[copy.url] = item.url
        return copy

    def exact_copy(self, item: ArticleItem, n: int) -> ArticleItem:
        copy = ArticleItem.from_dict(item.to_dict())
        copy.url = (
            item.url + "?utm_source=feed" if n % 2 else f"https://mirror.example.org/{n}.html"
        )
        self.exact += 1
        return copy

    def items(self) -> Iterator[ArticleItem]:
        recent: list[ArticleItem] = []
        for n in range(self.size):
            roll = self.rng.random()
            if recent and roll < 0.05:
                yield self.exact_copy(self.rng.choice(recent), n)
            elif recent and roll < 0.10:
                yield self.near_copy(self.rng.choice(recent), n)
            else:
                item = self.original(n)
                recent = [*recent[-199:], item]
                yield item


def land_corpus(url: str, size: int, labels: Path) -> None:
    """Land the corpus as raw documents (benchmark set-up: plain bulk inserts)."""
    engine = make_engine(url)
    upgrade(engine)
    corpus = Corpus(size)
    with session_scope(engine) as session:
        source_id = ensure_source(session, "zaker").id
        run_id = start_run(session, "crawl", "benchmark").id
    rows: list[dict[str, Any]] = []

    def flush() -> None:
        if not rows:
            return
        with session_scope(engine) as session:
            session.execute(insert_for(session, RawDocument).on_conflict_do_nothing(), rows)
        rows.clear()

    for item in corpus.items():
        body = item.body_html.encode()
        rows.append(
            {
                "source_id": source_id,
                "run_id": run_id,
                "url": item.url,
                "http_status": 200,
                "encoding": "utf-8",
                "raw_body": body,
                "content_hash": hashlib.sha256(body).hexdigest(),
                "item": item.to_dict(),
            }
        )
        if len(rows) >= LAND_CHUNK:
            flush()
    flush()
    labels.write_text(json.dumps({"near": corpus.near, "exact": corpus.exact}))


def _chunks(connection: Any, query: Any, key: Any, size: int) -> Iterator[list[Any]]:
    """Rows of ``query`` in ``key`` order, ``size`` at a time (keyset pagination)."""
    last = 0
    while chunk := connection.execute(query.where(key > last).order_by(key).limit(size)).all():
        last = chunk[-1][0]
        yield chunk


class Clock:
    """Seconds spent per building block, summed over calls."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def block(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started


def ceiling(url: str, scratch_url: str, batch_size: int) -> dict[str, float]:
    """Seconds the bare building blocks take for the run, one after another in this
    process, each in the form the ETL uses (its lxml parser, its sanitising, its article
    upsert): lxml parse, nh3 and MinHash (with band keys) of every document read, Great
    Expectations on every batch of the loaded articles, their upsert into an empty warehouse
    and their LSH rows' insert. Inputs are read and prepared outside the clock. "nh3" is
    sanitising as the ETL does it: each cleaned paragraph and figure on its own, nh3 called
    only for those not in its form already (``etl.clean.sanitised``)."""
    source, target = make_engine(url), make_engine(scratch_url)
    upgrade(target)
    with session_scope(target) as session:
        ensure_source(session, "zaker")
    clock = Clock()
    with source.connect() as reader:
        query = select(RawDocument.id, RawDocument.item)
        for chunk in _chunks(reader, query, RawDocument.id, batch_size):
            bodies = [item["body_html"] for _, item in chunk]
            with clock.block("lxml parse"):
                roots = [parse_body(body) for body in bodies]
            texts = ["".join(root.itertext()) for root in roots]
            parts = [unsanitised_parts(item["body_html"], item.get("url")) for _, item in chunk]
            with clock.block("nh3"):
                for body_parts in parts:
                    sanitised(body_parts)
            with clock.block("MinHash"):
                for text_ in texts:
                    band_keys(signature(text_))
        columns = [c for c in Article.__table__.columns if c.name not in ("id", "duplicate_of")]
        for chunk in _chunks(reader, select(Article.id, *columns), Article.id, batch_size):
            rows = [{c.name: getattr(r, c.name) for c in columns} for r in chunk]
            for row in rows:
                row["raw_document_id"] = None  # the empty warehouse has no documents
                row["duplicate_of"] = None
            records = [
                row
                | {
                    "source": "zaker",
                    "fetched_at": datetime.fromisoformat(FETCHED),
                    "cjk_share": script_of(row["body_text"]).cjk_share,
                }
                for row in rows
            ]
            keys = {r.canonical_url: band_keys(signature(r.body_text)) for r in chunk}
            with clock.block("GX"):
                validate_records(records)
            with clock.block("upsert"), session_scope(target) as session:
                ids = upsert_articles(session, rows)
            with clock.block("LSH insert"), session_scope(target) as session:
                bands = [index_row(ids[url], keys[url]) for url in keys]
                insert_plain_rows(session, LshBand.__table__, bands)
    return clock.seconds


def busy_cpu_seconds() -> float | None:
    """CPU time the machine's cores have spent busy since boot (all processes: the ETL's
    main process, its workers and the database server), or None where there is no
    ``/proc/stat``."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(n) for n in stat.readline().split()[1:]]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq = ticks[:7]  # not steal: the host's
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def helpers_cpu_seconds() -> dict[str, float]:
    """CPU seconds this process's helpers have spent, by kind: the ETL's validation
    process, and the workers' fork server with the workers it has reaped; empty where
    there is no ``/proc``."""
    kinds = {"multiprocessing.spawn": "validation", "multiprocessing.forkserver": "workers"}
    seconds: dict[str, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes().decode(errors="replace")
        except OSError:  # the process has ended since the listing
            continue
        kind = next((k for marker, k in kinds.items() if marker in command), None)
        if kind and int(fields[1]) == os.getpid():  # utime, stime, cutime, cstime
            ticks = sum(int(v) for v in fields[11:15])
            seconds[kind] = seconds.get(kind, 0.0) + ticks / os.sysconf("SC_CLK_TCK")
    return seconds


def fork_server_ready() -> None:
    """Wait until the workers' fork server has imported what it preloads: it forks a first
    child only then."""
    child = multiprocessing.get_context("forkserver").Process(target=int)
    child.start()
    child.join()


def etl_worker(url: str, scratch_url: str, batch_size: int) -> dict[str, Any]:
    """Run the ETL over everything landed; then the bare building blocks, in the same
    process."""
    engine = make_engine(url)
    started = time.perf_counter()
    start_workers(engine, count_pending(engine))  # as `newsetl etl` does
    warm_up()  # for the ceiling, which validates in this process
    outcome(start_validator())  # the ETL's validation process, which imports GX too
    fork_server_ready()
    startup = time.perf_counter() - started
    started, busy = time.perf_counter(), busy_cpu_seconds()
    own, helpers = time.process_time(), helpers_cpu_seconds()
    result = run_etl(engine, batch_size=batch_size)
    seconds = time.perf_counter() - started
    busy = busy_cpu_seconds() - busy if busy is not None else None
    by_process = {"main": time.process_time() - own} | {
        kind: spent - helpers.get(kind, 0.0) for kind, spent in helpers_cpu_seconds().items()
    }
    if busy is not None:
        by_process["other"] = busy - sum(by_process.values())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "startup_seconds": startup,
        "seconds": seconds,
        "counts": result.counts,
        "status": result.status,
        "peak_mib": peak,
        "busy_seconds": busy,
        "cpu_seconds": by_process,
        "blocks": ceiling(url, scratch_url, batch_size),
    }


def dedup_quality(url: str, labels: dict[str, Any]) -> dict[str, float]:
    """Precision and recall of the near-duplicate clusters against the corpus labels."""
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(Article.id, Article.canonical_url, Article.duplicate_of)
        ).all()
    cluster = {u: d or i for i, u, d in rows}
    group = {u: labels["near"].get(u, u) for _, u, _ in rows}
    by_id = {i: u for i, u, _ in rows}
    flagged = [(u, by_id[d]) for _, u, d in rows if d]
    correct = sum(group[u] == group[c] for u, c in flagged)
    found = sum(
        cluster.get(copy) is not None and cluster.get(copy) == cluster.get(original)
        for copy, original in labels["near"].items()
    )
    return {
        "flagged": len(flagged),
        "precision": correct / len(flagged) if flagged else 1.0,
        "recall": found / len(labels["near"]) if labels["near"] else 1.0,
    }


class Warehouse:
    """A fresh warehouse (and scratch warehouse) on one backend, removed afterwards."""

    def __init__(self, backend: str, postgres_url: str, workdir: Path) -> None:
        self.backend, self.server, self.names = backend, postgres_url, []
        self.workdir = workdir

    def new(self, like: str | None = None) -> str:
        """A new warehouse: empty, or holding what the warehouse ``like`` holds (no one may
        be connected to it)."""
        if self.backend == "sqlite":
            url = f"sqlite:///{self.workdir / (uuid.uuid4().hex[:8] + '.db')}"
            if like is not None:
                engine = make_engine(like)
                checkpoint(engine)  # the file alone then holds every row
                engine.dispose()
                shutil.copyfile(make_url(like).database, make_url(url).database)
            return url
        name = f"newsetl_bench_{uuid.uuid4().hex[:8]}"
        template = f' TEMPLATE "{make_url(like).database}"' if like is not None else ""
        admin = create_engine(database_url(self.server), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{template}'))
        admin.dispose()
        self.names.append(name)
        return make_url(database_url(self.server)).set(database=name).render_as_string(False)

    def drop(self) -> None:
        if not self.names:
            return
        admin = create_engine(database_url(self.server), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for name in self.names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def command_seconds(url: str, batch_size: int) -> float:
    """Wall time of ``newsetl etl --no-terms`` on the warehouse ``url``, as a user runs it."""
    command = Path(sys.executable).with_name("newsetl")
    args = ["etl", "--no-terms", "--batch-size", str(batch_size), "--database-url", url]
    started = time.perf_counter()
    done = subprocess.run([str(command), *args], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"newsetl etl failed:\n{done.stderr}")
    return seconds


def measure(
    backend: str, size: int, postgres_url: str, batch_size: int, command: bool = False
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="newsetl-bench-") as tmp:
        warehouses = Warehouse(backend, postgres_url, Path(tmp))
        try:
            url, scratch = warehouses.new(), warehouses.new()
            labels = Path(tmp) / "labels.json"
            started = time.perf_counter()
            _worker("land", url, str(size), str(labels))
            landing = time.perf_counter() - started
            end_to_end = command_seconds(warehouses.new(like=url), batch_size) if command else None
            result = json.loads(_worker("etl", url, scratch, str(batch_size)))
            quality = dedup_quality(url, json.loads(labels.read_text()))
            expected = json.loads(labels.read_text())
        finally:
            warehouses.drop()
    read = result["counts"]["read"]
    blocks = result["blocks"]
    ceiling_seconds = sum(blocks.values())
    return {
        "backend": backend,
        "size": size,
        "batch_size": batch_size,
        "landing_seconds": round(landing, 1),
        "startup_seconds": round(result["startup_seconds"], 1),
        "etl_seconds": round(result["seconds"], 1),
        "articles_per_s": round(read / result["seconds"]),
        "ceiling_per_s": round(read / ceiling_seconds),
        "ratio": round(result["seconds"] and ceiling_seconds / result["seconds"], 2),
        "blocks_us": {k: round(v / read * 1e6) for k, v in blocks.items()},
        # CPU the ETL took an article, on all cores, against the ceiling's one-core time:
        # a ratio above (cores × ceiling µs / this) would need idle cores to be busier
        "etl_cpu_us": result["busy_seconds"] and round(result["busy_seconds"] / read * 1e6),
        "ceiling_us": round(ceiling_seconds / read * 1e6),
        # the same CPU by process; "other" is the rest of the machine's busy time (the
        # database server, the kernel, anything else running)
        "cpu_us": {k: round(v / read * 1e6) for k, v in result["cpu_seconds"].items()},
        "cores_busy": result["busy_seconds"]
        and round(result["busy_seconds"] / result["seconds"], 2),
        "peak_mib": round(result["peak_mib"]),
        "command_seconds": end_to_end and round(end_to_end, 1),
        "command_per_s": end_to_end and round(read / end_to_end),
        "status": result["status"],
        "counts": result["counts"],
        "exact_expected": expected["exact"],
        "near_expected": len(expected["near"]),
        **{k: round(v, 4) if isinstance(v, float) else v for k, v in quality.items()},
    }


def _worker(*args: str) -> str:
    # Started with ``-c``: the ETL's spawned pool workers re-import the main module, and
    # this one imports far more than the ``newsetl`` console script (≈ 0.3 s a worker).
    code = "from benchmarks.etl import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", code, "--worker", *args],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    if done.returncode:
        raise RuntimeError(f"{args[0]} worker failed:\n{done.stderr}")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument(
        "--batch-size", type=int, default=2000, help="ETL batch size (GX runs once per batch)"
    )
    parser.add_argument("--repeats", type=int, default=1, help="runs of each backend and size")
    parser.add_argument(
        "--command", action="store_true", help="also time `newsetl etl` end to end on a copy"
    )
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        if kind == "land":
            land_corpus(rest[0], int(rest[1]), Path(rest[2]))
        else:
            print(json.dumps(etl_worker(rest[0], rest[1], int(rest[2]))))
        return
    results = []
    console = Console()
    for backend in args.backends:
        for size in args.sizes:
            for repeat in range(args.repeats):
                console.print(f"[bold]{backend}[/], {size:,} articles, run {repeat + 1} …")
                results.append(
                    measure(backend, size, args.postgres_url, args.batch_size, args.command)
                )
                console.print(results[-1])
    OUT.mkdir(exist_ok=True)
    (OUT / "etl.json").write_text(json.dumps(results, indent=2))
    table = Table(title="ETL benchmark", title_justify="left")
    columns = (
        "backend", "size", "articles_per_s", "ceiling_per_s", "ratio", "peak_mib",
        "precision", "recall", "etl_seconds",
    ) + (("command_seconds", "command_per_s") if args.command else ())  # fmt: skip
    for column in columns:
        table.add_column(column.replace("_", " "), justify="right")
    for row in results:
        table.add_row(*(f"{row[c]:,}" if isinstance(row[c], int) else str(row[c]) for c in columns))
    console.print(table)
    for backend in args.backends:
        for size in args.sizes:
            ratios = [r["ratio"] for r in results if (r["backend"], r["size"]) == (backend, size)]
            console.print(f"{backend} {size:,}: median ratio {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
