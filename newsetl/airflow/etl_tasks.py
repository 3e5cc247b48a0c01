"""The ETL DAG's task bodies: each opens the warehouse and calls the one ETL runner of
:mod:`etl.pipeline` (imported here, inside the tasks, to keep DAG parsing light)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from newsetl.airflow.wiring import warehouse_engine


def start(context: Mapping[str, Any]) -> list[int]:
    """Open the ETL run (its id goes to XCom key ``etl_run_id``) and plan at most
    ``max_batches`` batches; returns their ids."""
    from etl.pipeline import start_etl

    params = context["params"]
    with warehouse_engine() as engine:
        etl_run_id, batch_ids = start_etl(
            engine,
            batch_size=params["batch_size"],
            max_batches=params["max_batches"],
            airflow_run_id=context["run_id"],
        )
    context["ti"].xcom_push(key="etl_run_id", value=etl_run_id)
    return batch_ids


def clean_validate(batch_id: int) -> dict[str, Any]:
    """Clean and validate one batch; returns the two stages' counts."""
    from etl.pipeline import clean_validate_batch

    with warehouse_engine() as engine:
        return clean_validate_batch(engine, batch_id)


def dedupe_load(batch_id: int) -> list[int]:
    """Dedupe and load, in order, every batch of the run whose turn has come."""
    from etl.pipeline import dedupe_load_batches

    with warehouse_engine() as engine:
        return dedupe_load_batches(engine, batch_id)


def finish(etl_run_id: int) -> dict[str, Any]:
    """Close the ETL run; raises (failing the DAG run) when the run failed, after closing
    it with its counts."""
    from etl.pipeline import finish_etl

    with warehouse_engine() as engine:
        result = finish_etl(engine, etl_run_id)
    if result.status != "success":
        raise RuntimeError(f"ETL run {etl_run_id} {result.status}: see pipeline_run.message")
    return {"run_id": result.run_id, "status": result.status, "counts": result.counts}


def terms() -> int:
    """Index the terms of the articles loaded or changed (for the analytics); after a
    failed batch the next run catches up, as it indexes whatever is stale."""
    from etl.terms import index_pending_terms

    with warehouse_engine() as engine:
        return index_pending_terms(engine)
