"""Crawl DAGs, one per enabled source with a spider in ``schemas/sources.yml``.

Each runs on its source's ``schedule`` read in its ``timezone`` (feeds and ZAKER hourly, the
People's Daily e-paper daily at 06:00 Asia/Shanghai), crawls in a subprocess, and updates the
source's raw Asset (``newsetl://raw/<slug>``) with the crawl's ``pipeline_run`` id, which
schedules the ETL DAG. A run's conf may add spider arguments and Scrapy settings::

    airflow dags test newsetl_crawl_zaker -c '{"spider_args": {"lists": "channel/1"}}'

Backfill dated sources by day::

    airflow backfill create --dag-id newsetl_crawl_people_daily \\
        --from-date 2024-11-28 --to-date 2024-11-30
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from airflow.sdk import DAG, CronTriggerTimetable, Param, dag, task

from newsetl.airflow.wiring import crawl_sources, raw_asset, run_crawl, run_day, slug_id
from schemas.sources import SourceConfig

CRAWL_RETRIES = {
    "retries": 3,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=30),
}


def crawl_dag(source: SourceConfig) -> DAG:
    """The crawl DAG of one source."""
    asset = raw_asset(source.slug)

    @dag(
        dag_id=f"newsetl_crawl_{slug_id(source.slug)}",
        description=f"Crawl {source.name} into the raw landing zone",
        schedule=(
            CronTriggerTimetable(source.schedule, timezone=source.timezone)
            if source.schedule
            else None
        ),
        start_date=datetime(2024, 1, 1, tzinfo=ZoneInfo(source.timezone)),
        catchup=False,
        max_active_runs=1,
        tags=["newsetl", "crawl", source.kind],
        params={
            "spider_args": Param({}, type="object", description="extra `-a KEY=VALUE`"),
            "scrapy_settings": Param({}, type="object", description="extra `-s NAME=VALUE`"),
        },
    )
    def crawl_source() -> None:
        @task(task_id="crawl", outlets=[asset], **CRAWL_RETRIES)
        def crawl(**context: Any) -> dict[str, Any]:
            """Run the spider; its ``pipeline_run`` id and status go to XCom and the Asset event."""
            day = run_day(context, source.timezone)
            params = context["params"]
            crawled = run_crawl(
                source, day, context["run_id"], params["spider_args"], params["scrapy_settings"]
            )
            landed = {**crawled, "day": day.isoformat()}
            context["outlet_events"][asset].extra = landed
            return landed

        crawl()

    return crawl_source()


for _source in crawl_sources():
    crawl_dag(_source)
