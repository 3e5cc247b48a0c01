"""The ETL DAG against the CLI's runner on the same corpus, in the same run.

    .venv/bin/python -m benchmarks.airflow_etl [--size 20000] [--repeats 3]
        [--batch-size 2000]

Each repeat lands the corpus of ``benchmarks.etl`` (ZAKER-style articles with exact and
near duplicates) into two fresh SQLite warehouses, then, each in a process of its own,
runs ``run_etl`` on one and the ``newsetl_etl`` DAG with ``dag.test()`` on the other (a
throw-away ``AIRFLOW_HOME`` with a SQLite metadata database, migrated beforehand). Both
figures are documents read over the wall time of the run, after start-up (imports, Great
Expectations' context, parsing the DAG folder); the DAG's includes Airflow's own work
between tasks. The main figures leave out the term index (the DAG's ``terms`` task, the
CLI's ``index_pending_terms``), which is the same code in both; "with terms" adds it.
Prints medians and the DAG/CLI ratio; writes ``benchmarks/out/airflow_etl.json``. Run it
as a module from the repository root.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.etl import OUT, land_corpus

REPO = Path(__file__).resolve().parents[1]


def cli_worker(url: str, batch_size: int) -> dict[str, Any]:
    """``run_etl`` over everything landed, then the term index (as ``newsetl etl`` does)."""
    from etl.pipeline import run_etl
    from etl.terms import index_pending_terms
    from etl.validate import warm_up
    from schemas.db import make_engine

    engine = make_engine(url)
    warm_up()
    started = time.perf_counter()
    result = run_etl(engine, batch_size=batch_size)
    seconds = time.perf_counter() - started
    index_pending_terms(engine)
    total = time.perf_counter() - started
    return {"seconds": seconds, "terms_seconds": total - seconds, "counts": result.counts}


def dag_worker(url: str, batch_size: int) -> dict[str, Any]:
    """One ``dag.test()`` run of the ETL DAG over everything landed."""
    from airflow.dag_processing.dagbag import DagBag
    from sqlalchemy import select

    from etl.validate import warm_up
    from schemas.db import make_engine, session_scope
    from schemas.models import PipelineRun

    warm_up()
    dag = DagBag(dag_folder=str(REPO / "dags")).dags["newsetl_etl"]
    started = time.perf_counter()
    dag_run = dag.test(run_conf={"batch_size": batch_size})
    seconds = time.perf_counter() - started
    terms = dag_run.get_task_instance("terms").duration
    with session_scope(make_engine(url)) as session:
        counts = session.scalar(select(PipelineRun.counts).where(PipelineRun.kind == "etl"))
    return {
        "seconds": seconds - terms,
        "terms_seconds": terms,
        "counts": counts,
        "state": str(dag_run.state),
    }


def _worker(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.airflow_etl", "--worker", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **env},
    )
    if done.returncode:
        raise RuntimeError(f"{args[0]} worker failed:\n{done.stderr[-5000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def airflow_env(home: Path, url: str) -> dict[str, str]:
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "NEWSETL_DATABASE_URL": url,
    }


def one_repeat(size: int, batch_size: int, workdir: Path) -> dict[str, Any]:
    cli_url, dag_url = (f"sqlite:///{workdir / name}" for name in ("cli.db", "dag.db"))
    for url in (cli_url, dag_url):
        land_corpus(url, size, workdir / "labels.json")
    cli = _worker({"NEWSETL_DATABASE_URL": cli_url}, "cli", cli_url, str(batch_size))
    dag = _worker(airflow_env(workdir / "airflow", dag_url), "dag", dag_url, str(batch_size))
    assert dag["counts"] == cli["counts"], (dag["counts"], cli["counts"])
    read = cli["counts"]["read"]
    return {
        "cli_docs_per_s": round(read / cli["seconds"]),
        "dag_docs_per_s": round(read / dag["seconds"]),
        "cli_with_terms_docs_per_s": round(read / (cli["seconds"] + cli["terms_seconds"])),
        "dag_with_terms_docs_per_s": round(read / (dag["seconds"] + dag["terms_seconds"])),
        "dag_state": dag["state"],
        "read": read,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, url, batch_size = args.worker
        worker = cli_worker if kind == "cli" else dag_worker
        print(json.dumps(worker(url, int(batch_size))))
        return
    repeats = []
    for repeat in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="newsetl-airflow-bench-") as tmp:
            home = Path(tmp) / "airflow"
            home.mkdir()
            env = {**os.environ, **airflow_env(home, "")}
            airflow = str(Path(sys.executable).with_name("airflow"))
            subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True)
            repeats.append(one_repeat(args.size, args.batch_size, Path(tmp)))
        print(f"repeat {repeat + 1}: {repeats[-1]}", flush=True)
    cli = statistics.median(r["cli_docs_per_s"] for r in repeats)
    dag = statistics.median(r["dag_docs_per_s"] for r in repeats)
    ratio = statistics.median(r["dag_docs_per_s"] / r["cli_docs_per_s"] for r in repeats)
    summary = {
        "size": args.size,
        "batch_size": args.batch_size,
        "cli_docs_per_s": cli,
        "dag_docs_per_s": dag,
        "dag_over_cli": round(ratio, 2),
        "repeats": repeats,
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "airflow_etl.json").write_text(json.dumps(summary, indent=2))
    print(
        f"{args.size:,} documents, batches of {args.batch_size}: run_etl {cli:,.0f} docs/s, "
        f"ETL DAG (dag.test) {dag:,.0f} docs/s, DAG/CLI {ratio:.2f} (median of {args.repeats})"
    )


if __name__ == "__main__":
    main()
