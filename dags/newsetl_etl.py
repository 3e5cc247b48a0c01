"""The ETL DAG: runs whenever any crawl DAG landed a raw batch (data-aware scheduling).

``start`` opens an ETL ``pipeline_run`` (carrying this DAG run's id) and splits everything
landed and not yet processed into batches; each batch goes through ``clean``, ``validate``,
``dedupe`` and ``load`` as separate tasks (mapped over batch ids: only ids travel through
XCom), a ``wait_turn`` sensor holding its dedupe until the earlier batches have loaded.
``finish`` closes the run with its counts even when a batch failed; ``terms`` then indexes
the words of the articles loaded or changed (the top-terms analytics). A batch with too
many invalid rows fails its ``validate`` task after quarantining them, and fails the DAG run.
The steps themselves live in ``etl.pipeline``, imported inside the tasks to keep parsing light.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from airflow.sdk import AssetAny, PokeReturnValue, chain, dag, task, task_group
from newsetl_wiring import crawl_sources, raw_asset, warehouse_engine

STEPS = ("clean", "validate", "dedupe", "load")


def batch_step(step: str) -> Any:
    """The task running ``etl.pipeline.<step>_batch`` on one batch; returns its counts."""

    @task(task_id=step)
    def run_step(batch_id: int) -> dict[str, Any]:
        from etl import pipeline

        with warehouse_engine() as engine:
            return getattr(pipeline, f"{step}_batch")(engine, batch_id)

    return run_step


@dag(
    dag_id="newsetl_etl",
    description="Clean, validate, deduplicate and load what the crawls landed",
    schedule=AssetAny(*(raw_asset(source.slug) for source in crawl_sources())),
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    tags=["newsetl", "etl"],
)
def newsetl_etl() -> None:
    @task
    def start(**context: Any) -> list[int]:
        """Open the ETL run; its id goes to XCom key ``etl_run_id``, the batch ids are returned."""
        from etl.pipeline import start_etl

        with warehouse_engine() as engine:
            etl_run_id, batch_ids = start_etl(engine, airflow_run_id=context["run_id"])
        context["ti"].xcom_push(key="etl_run_id", value=etl_run_id)
        return batch_ids

    @task.sensor(task_id="wait_turn", poke_interval=10, timeout=6 * 3600, mode="reschedule")
    def wait_turn(batch_id: int) -> PokeReturnValue:
        """Hold a batch before dedupe until every earlier batch of the run has loaded, so
        near duplicates are matched across all of them even when batches run in parallel."""
        from etl.pipeline import ready_to_dedupe

        with warehouse_engine() as engine:
            return PokeReturnValue(is_done=ready_to_dedupe(engine, batch_id))

    @task_group
    def batch(batch_id: int) -> None:
        clean, validate, dedupe, load = (batch_step(step)(batch_id) for step in STEPS)
        chain(clean, validate, wait_turn(batch_id), dedupe, load)

    @task
    def finish(etl_run_id: int) -> dict[str, Any]:
        """Close the ETL run and return its status and counts."""
        from etl.pipeline import finish_etl

        with warehouse_engine() as engine:
            result = finish_etl(engine, etl_run_id)
        return {"run_id": result.run_id, "status": result.status, "counts": result.counts}

    @task
    def terms() -> int:
        """Index the terms of the articles loaded or changed (for the analytics); after a
        failed batch the next run catches up, as it indexes whatever is stale."""
        from etl.terms import index_pending_terms

        with warehouse_engine() as engine:
            return index_pending_terms(engine)

    started = start()
    batches = batch.expand(batch_id=started)
    chain(batches, finish(started["etl_run_id"]).as_teardown(setups=started))
    chain(batches, terms())


newsetl_etl()
