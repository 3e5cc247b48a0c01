"""What the newsetl DAGs share: raw-batch Assets, the warehouse URL, Airflow's mapping
limit, and the crawl subprocess.

DAG files import this module on every parse, so importing it touches neither the network nor
a database; everything here that does runs inside a task.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from airflow.sdk import Asset, BaseHook
from airflow.sdk.exceptions import AirflowNotFoundException
from airflow.sdk.log import mask_secret
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from schemas.db import DATABASE_URL_ENV, make_engine
from schemas.runs import AIRFLOW_RUN_ENV, crawl_run_after, newest_run_id
from schemas.sources import SourceConfig, load_sources

WAREHOUSE_CONN_ID = "newsetl_warehouse"
# Sources whose spider crawls one dated edition (an e-paper) get the run's day as `-a date=`.
DATED_KINDS = frozenset({"epaper"})

log = logging.getLogger(__name__)


def crawl_sources() -> list[SourceConfig]:
    """Sources of the registry that have a spider and are enabled: one crawl DAG each."""
    return [source for source in load_sources().values() if source.spider and source.enabled]


def slug_id(slug: str) -> str:
    """A slug as DAG ids and Asset names spell it: ``people-daily`` → ``people_daily``."""
    return slug.replace("-", "_")


def raw_asset(slug: str) -> Asset:
    """The Asset a source's crawl DAG updates whenever it landed a raw batch."""
    return Asset(uri=f"newsetl://raw/{slug}", name=f"newsetl_raw_{slug_id(slug)}", group="newsetl")


def max_mapped_tasks() -> int:
    """Airflow's ``core.max_map_length``: the most tasks one mapped task may expand into."""
    from airflow.configuration import conf

    return conf.getint("core", "max_map_length", fallback=1024)


def run_day(context: Mapping[str, Any], timezone: str) -> date:
    """The calendar day, in ``timezone``, of the run's logical date (or of when it ran)."""
    moment: datetime = context.get("logical_date") or context["dag_run"].run_after
    return moment.astimezone(ZoneInfo(timezone)).date()


def warehouse_url() -> str | None:
    """The warehouse URL: the ``newsetl_warehouse`` connection, else ``$NEWSETL_DATABASE_URL``.

    The URL is registered with Airflow's secrets masker, so it never shows in task logs.
    """
    try:
        conn = BaseHook.get_connection(WAREHOUSE_CONN_ID)
    except AirflowNotFoundException:
        url = os.environ.get(DATABASE_URL_ENV)
    else:
        dialect = (conn.conn_type or "").split("+")[0]  # `postgresql+psycopg` is postgresql
        if dialect == "sqlite":
            url = URL.create("sqlite", database=conn.schema or conn.host).render_as_string()
        elif dialect in ("postgres", "postgresql"):
            url = URL.create(
                "postgresql",
                username=conn.login,
                password=conn.password,
                host=conn.host,
                port=conn.port,
                database=conn.schema,
            ).render_as_string(hide_password=False)
        else:
            raise ValueError(
                f"connection {WAREHOUSE_CONN_ID!r} has type {conn.conn_type!r}: "
                "the warehouse is sqlite or postgres"
            )
    if url:
        mask_secret(url)
    return url


@contextmanager
def warehouse_engine() -> Iterator[Engine]:
    """An engine on the warehouse, disposed of when the task step is done."""
    engine = make_engine(warehouse_url())
    try:
        yield engine
    finally:
        engine.dispose()


def newsetl_command() -> str:
    """The ``newsetl`` console script of the running Python (falls back to ``$PATH``)."""
    sibling = Path(sys.executable).with_name("newsetl")
    found = str(sibling) if sibling.exists() else shutil.which("newsetl")
    if found is None:
        raise FileNotFoundError("the `newsetl` command is not installed next to this Python")
    return found


def crawl_command(
    source: SourceConfig,
    day: date,
    spider_args: Mapping[str, Any] | None = None,
    scrapy_settings: Mapping[str, Any] | None = None,
) -> list[str]:
    """``newsetl crawl SPIDER -a KEY=VALUE... -s NAME=VALUE...`` for ``source``.

    Dated editions get ``-a date=DAY`` unless ``spider_args`` names another date.
    """
    args = {"date": day.isoformat()} if source.kind in DATED_KINDS else {}
    args.update(spider_args or {})
    command = [newsetl_command(), "crawl", str(source.spider), "--verbose"]  # log to the task
    for key, value in args.items():
        command += ["-a", f"{key}={value}"]
    for name, value in (scrapy_settings or {}).items():
        command += ["-s", f"{name}={value}"]
    return command


def run_crawl(
    source: SourceConfig,
    day: date,
    airflow_run_id: str,
    spider_args: Mapping[str, Any] | None = None,
    scrapy_settings: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Crawl ``source`` in a subprocess (Twisted's reactor cannot restart in one process).

    Streams the crawl's output into the task log and returns its ``pipeline_run_id`` and
    ``status``: the crawl run this task attempt made, found in the warehouse by the Airflow
    run id it records. A crawl that exits non-zero raises, so Airflow retries the task, unless
    it was ``partial`` (article pages failed, the rest landed: logged as a warning).
    """
    env = dict(os.environ)
    env[AIRFLOW_RUN_ENV] = airflow_run_id
    url = warehouse_url()
    if url:
        env[DATABASE_URL_ENV] = url
    command = crawl_command(source, day, spider_args, scrapy_settings)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            before = newest_run_id(connection)
        log.info("running %s", " ".join(command))
        with subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
        ) as process:
            for line in process.stdout or ():
                log.info("%s", line.rstrip())
        with engine.connect() as connection:
            run = crawl_run_after(connection, str(source.spider), before, airflow_run_id)
    finally:
        engine.dispose()
    if run is not None and run.status == "partial":
        # some article pages failed for good: what landed still goes on to the ETL
        log.warning("crawl %s was partial: see pipeline_run %s", source.spider, run.id)
    elif process.returncode != 0 or run is None:
        raise RuntimeError(
            f"`newsetl crawl {source.spider}` failed (exit {process.returncode}, "
            f"pipeline_run {run.id if run is not None else 'none'})"
        )
    return {"pipeline_run_id": run.id, "status": run.status}
