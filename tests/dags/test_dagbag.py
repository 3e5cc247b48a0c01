"""Every DAG imports, touching neither network nor database, and is wired as the registry says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from airflow.dag_processing.dagbag import BundleDagBag
from airflow.sdk import AssetAny, CronTriggerTimetable

from schemas.sources import load_sources

pytestmark = pytest.mark.airflow

DAGS = Path(__file__).resolve().parents[2] / "dags"

# Runs in a fresh interpreter: audit hooks cannot be removed once installed. Airflow itself is
# imported first; only then are sockets, SQLite and every SQLAlchemy pool watched while the
# DAG files are parsed.
WATCH_IMPORTS = """
import json, sys
from pathlib import Path
from airflow.dag_processing.dagbag import BundleDagBag
from sqlalchemy import event
from sqlalchemy.pool import Pool

seen = []
WATCHED = ("socket.connect", "socket.getaddrinfo", "sqlite3.connect", "http.client.connect")
sys.addaudithook(lambda name, args: name in WATCHED and seen.append([name, repr(args)[:200]]))
event.listen(Pool, "connect", lambda *args: seen.append(["sqlalchemy.connect", ""]))
dags = Path(sys.argv[1])
bag = BundleDagBag(dag_folder=dags, bundle_path=dags)
print(json.dumps({"dags": sorted(bag.dag_ids), "errors": bag.import_errors, "seen": seen}))
"""


def crawl_dag_ids() -> set[str]:
    return {
        "newsetl_crawl_" + slug.replace("-", "_")
        for slug, source in load_sources().items()
        if source.spider and source.enabled
    }


def cron(bag: BundleDagBag, dag_id: str) -> tuple[str, str]:
    """A DAG's cron expression and the timezone it is read in."""
    timetable = bag.dags[dag_id].timetable
    assert isinstance(timetable, CronTriggerTimetable)
    return timetable.expression, str(timetable.timezone)


@pytest.fixture(scope="module")
def dagbag() -> BundleDagBag:
    return BundleDagBag(dag_folder=DAGS, bundle_path=DAGS)


def test_every_dag_imports_without_errors(dagbag: BundleDagBag) -> None:
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == crawl_dag_ids() | {"newsetl_etl"}
    assert len(crawl_dag_ids()) == 3


def parse_watched(dags: Path, warehouse: Path) -> dict:
    """Parse a DAGs folder in a fresh interpreter; what it imported and what it touched."""
    result = subprocess.run(
        [sys.executable, "-c", WATCH_IMPORTS, str(dags)],
        env={**os.environ, "NEWSETL_DATABASE_URL": f"sqlite:///{warehouse}"},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_parsing_the_dags_touches_no_network_and_no_database(tmp_path: Path) -> None:
    report = parse_watched(DAGS, tmp_path / "never.db")
    assert report["errors"] == {}
    assert "newsetl_etl" in report["dags"]
    assert report["seen"] == []
    assert not (tmp_path / "never.db").exists()


def test_the_import_watcher_sees_a_dag_file_that_opens_the_warehouse(tmp_path: Path) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "eager.py").write_text(
        "from airflow.sdk import dag\n"
        "from schemas.db import make_engine\n"
        "make_engine().connect()\n",
        encoding="utf-8",
    )
    report = parse_watched(dags, tmp_path / "eager.db")
    assert {name for name, _ in report["seen"]} >= {"sqlite3.connect", "sqlalchemy.connect"}


def test_crawl_dags_follow_each_sources_schedule_and_timezone(dagbag: BundleDagBag) -> None:
    assert cron(dagbag, "newsetl_crawl_people_daily") == ("0 6 * * *", "Asia/Shanghai")
    assert cron(dagbag, "newsetl_crawl_zaker") == ("0 * * * *", "Asia/Shanghai")
    assert cron(dagbag, "newsetl_crawl_zaker_feeds") == ("0 * * * *", "Asia/Shanghai")


def test_crawl_tasks_retry_with_exponential_backoff_and_emit_their_raw_asset(
    dagbag: BundleDagBag,
) -> None:
    for dag_id in crawl_dag_ids():
        crawl = dagbag.dags[dag_id].get_task("crawl")
        assert crawl.retries >= 2
        assert crawl.retry_exponential_backoff > 1
        assert crawl.max_retry_delay >= timedelta(minutes=10)
        slug = next(s for s in load_sources() if "newsetl_crawl_" + s.replace("-", "_") == dag_id)
        assert [outlet.uri for outlet in crawl.outlets] == [f"newsetl://raw/{slug}"]


def test_etl_dag_is_scheduled_on_every_raw_asset(dagbag: BundleDagBag) -> None:
    etl = dagbag.dags["newsetl_etl"]
    condition = etl.timetable.asset_condition
    assert isinstance(condition, AssetAny)
    uris = {asset.uri for asset in condition.objects}
    crawled = [slug for slug, s in load_sources().items() if s.spider and s.enabled]
    assert uris == {f"newsetl://raw/{slug}" for slug in crawled}
    assert {task.task_id for task in etl.tasks} == {
        "start",
        "batch.clean_validate",
        "batch.dedupe_load",
        "finish",
        "terms",
    }
    assert etl.get_task("finish").is_teardown
    assert etl.get_task("terms").upstream_task_ids == {"batch.dedupe_load"}
    # Mapped batch tasks also take the batch id from `start`; no sensor, no waiting task.
    assert etl.get_task("batch.clean_validate").upstream_task_ids == {"start"}
    assert etl.get_task("batch.dedupe_load").upstream_task_ids - {"start"} == {
        "batch.clean_validate"
    }
    assert etl.params["max_batches"] < 1024


def airflow_json(*args: str) -> tuple[int, list]:
    """Run ``airflow ARGS --output json`` in a process of its own: exit code and the JSON it
    printed (Airflow prints warnings on stdout too)."""
    airflow = str(Path(sys.executable).with_name("airflow"))
    done = subprocess.run(
        [airflow, *args, "--output", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    printed = [line for line in done.stdout.splitlines() if line.startswith("[")]
    assert printed, done.stdout[-2000:] + done.stderr[-2000:]
    return done.returncode, json.loads(printed[-1])


def test_a_plain_dagbag_and_airflow_dags_list_local_load_the_folder(airflow_db: Path) -> None:
    """Nothing but the installed package is on the path: no `dags/` module imports another."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == crawl_dag_ids() | {"newsetl_etl"}
    code, listed = airflow_json("dags", "list", "--local")
    assert code == 0 and {d["dag_id"] for d in listed} == set(bag.dag_ids)
    assert airflow_json("dags", "list-import-errors", "--local") == (0, [])


def test_only_enabled_sources_with_a_spider_get_a_crawl_dag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = {
        "sources": {
            "files": {"name": "Files", "kind": "file"},
            "paused": {"name": "Paused", "kind": "feed", "spider": "feeds", "schedule": "@daily"},
            "evening-paper": {
                "name": "Evening paper",
                "kind": "epaper",
                "spider": "people_daily",
                "schedule": "30 18 * * *",
                "timezone": "Europe/Berlin",
                "enabled": True,
            },
        }
    }
    sources_file = tmp_path / "sources.yml"
    sources_file.write_text(yaml.safe_dump(registry), encoding="utf-8")
    monkeypatch.setenv("NEWSETL_SOURCES", str(sources_file))
    bag = BundleDagBag(dag_folder=DAGS, bundle_path=DAGS)
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == {"newsetl_crawl_evening_paper", "newsetl_etl"}
    assert cron(bag, "newsetl_crawl_evening_paper") == ("30 18 * * *", "Europe/Berlin")
