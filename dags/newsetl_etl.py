"""The ETL DAG: runs whenever any crawl DAG landed a raw batch (data-aware scheduling).

``start`` opens an ETL ``pipeline_run`` (carrying this DAG run's id) and plans at most
``max_batches`` batches of what was landed and not processed yet (the next run takes the
rest). Each batch, mapped over batch ids (only ids travel through XCom), runs
``batch.clean_validate`` — all batches in parallel — then ``batch.dedupe_load``, which
loads, under the warehouse's ETL lock, every batch whose earlier batches have loaded, so
near duplicates are matched across all of them with no task waiting on a timer. A bad
record is quarantined and the rest of its batch loads. ``finish`` closes the run with its
counts even when a batch failed (and fails the DAG run when the ETL run failed: too many
rejects, or a batch that did not load, whose documents go back to the next run);
``terms`` then indexes the words of the articles loaded or changed. The task bodies live
in ``newsetl.airflow.etl_tasks`` and run ``etl.pipeline``, the CLI's runner.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from airflow.sdk import AssetAny, Param, chain, dag, task, task_group

from etl.stages import DEFAULT_BATCH_SIZE, PHASES, default_max_batches
from newsetl.airflow import etl_tasks
from newsetl.airflow.wiring import crawl_sources, max_mapped_tasks, raw_asset

clean_validate_phase, dedupe_load_phase = PHASES
map_limit = max_mapped_tasks()


@dag(
    dag_id="newsetl_etl",
    description="Clean, validate, deduplicate and load what the crawls landed",
    schedule=AssetAny(*(raw_asset(source.slug) for source in crawl_sources())),
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    tags=["newsetl", "etl"],
    params={
        "batch_size": Param(DEFAULT_BATCH_SIZE, type="integer", minimum=1),
        "max_batches": Param(
            min(default_max_batches(), map_limit),
            type="integer",
            minimum=1,
            maximum=map_limit,
            description="batches one run plans at most; the next run takes the rest",
        ),
    },
)
def newsetl_etl() -> None:
    @task
    def start(**context: Any) -> list[int]:
        return etl_tasks.start(context)

    @task(task_id=clean_validate_phase)
    def clean_validate(batch_id: int) -> dict[str, Any]:
        return etl_tasks.clean_validate(batch_id)

    @task(task_id=dedupe_load_phase)
    def dedupe_load(batch_id: int) -> list[int]:
        return etl_tasks.dedupe_load(batch_id)

    @task_group
    def batch(batch_id: int) -> None:
        chain(clean_validate(batch_id), dedupe_load(batch_id))

    @task
    def finish(etl_run_id: int) -> dict[str, Any]:
        return etl_tasks.finish(etl_run_id)

    @task
    def terms() -> int:
        return etl_tasks.terms()

    started = start()
    batches = batch.expand(batch_id=started)
    closed = finish(started["etl_run_id"]).as_teardown(setups=started, on_failure_fail_dagrun=True)
    chain(batches, closed)
    chain(batches, terms())


newsetl_etl()
