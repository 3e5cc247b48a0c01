"""The two ETL drivers — ``run_etl`` (the CLI) and the ETL DAG (``dag.test()``) — reach
the same warehouse and the same counts on the same landed batches, on SQLite and
PostgreSQL; and the DAG's runs plan a bounded number of batches each."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk import DAG
from etl_items import FETCHED, PARAGRAPHS, land_items, news_item, warehouse_contents
from sqlalchemy import Engine, delete, func, select

from etl.pipeline import run_etl
from schemas.db import session_scope
from schemas.models import (
    Article,
    Base,
    EtlBatch,
    EtlDocument,
    PipelineRun,
    RawDocument,
    RejectedRecord,
)

pytestmark = pytest.mark.airflow

DAGS = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture(scope="module")
def etl_dag(airflow_db: Path) -> DAG:
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    return bag.dags["newsetl_etl"]


def batches_of_every_kind() -> list:
    """Two versions of one URL (the later fetched landed first), a poison record for each
    stage that quarantines, a repeat, a near duplicate, and plain articles."""
    near_copy = "".join(f"<p>第2号稿件。{p}</p>" for p in PARAGRAPHS) + "<p>（完）</p>"
    return [
        news_item(
            5, title="城市更新惠民生（更正）", fetched_at=(FETCHED + timedelta(hours=1)).isoformat()
        ),
        news_item(5, title="城市更新惠民生（初稿）"),
        *(news_item(n) for n in range(4)),
        news_item(10, title=None),  # fails validation
        news_item(11, published="某日"),  # fails cleaning
        news_item(1, author="本报记者 "),  # the same article from other bytes
        news_item(21, body_html=f"<div>{near_copy}</div>"),  # near duplicate of 2
        news_item(6),
    ]


def empty(engine: Engine) -> None:
    with session_scope(engine) as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(delete(table))


def etl_run(engine: Engine) -> PipelineRun:
    with session_scope(engine) as session:
        return session.scalars(select(PipelineRun).where(PipelineRun.kind == "etl")).one()


def test_both_drivers_reach_the_same_warehouse(
    etl_dag: DAG, engine: Engine, warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSETL_DATABASE_URL", warehouse_url)
    outcomes: dict[str, Any] = {}
    # in batches of 4 the poison records exceed the rejection threshold: the run fails,
    # yet everything valid loads; in one batch of 11 they do not
    for batch_size, status in ((4, "failed"), (100, "success")):
        for driver in ("cli", "dag"):
            empty(engine)
            land_items(engine, batches_of_every_kind())
            if driver == "cli":
                run_etl(engine, batch_size=batch_size)
            else:
                dag_run = etl_dag.test(run_conf={"batch_size": batch_size})
                assert dag_run.state == status
            run = etl_run(engine)
            outcomes[driver] = (run.status, run.counts, warehouse_contents(engine))
        assert outcomes["cli"] == outcomes["dag"], batch_size
        assert outcomes["dag"][0] == status
        counts, contents = outcomes["dag"][1:]
        assert counts["read"] == 11 and counts["rejected"] == 2 and counts["superseded"] == 1
        # the news items share most paragraphs: they are all one near-duplicate cluster
        assert counts["exact_duplicates"] == 1 and counts["near_duplicates"] == 6
        assert counts["loaded"] == 7
        articles = {row[0]: row for row in contents["articles"]}
        assert articles[news_item(5).url][1] == "城市更新惠民生（更正）"
        assert articles[news_item(21).url][5] is not None  # duplicate_of
        assert len(contents["rejected"]) == 2
        with session_scope(engine) as session:
            # nothing left for the next run: the superseded version stays in the landing zone
            left = select(func.count()).where(EtlDocument.processed_run_id.is_(None))
            assert session.scalar(left) == 0
            assert session.scalar(select(func.count()).select_from(RawDocument)) == 11
            assert session.scalar(select(func.count()).select_from(EtlDocument)) == 11
            assert session.scalar(select(func.count()).select_from(RejectedRecord)) == 2
            assert session.scalar(select(func.count()).select_from(Article)) == 7


def test_a_dag_run_plans_at_most_max_batches_and_the_next_run_takes_the_rest(
    etl_dag: DAG, engine: Engine, warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSETL_DATABASE_URL", warehouse_url)
    land_items(engine, [news_item(n) for n in range(3)])
    conf = {"batch_size": 1, "max_batches": 2}
    for planned in (2, 1):
        dag_run = etl_dag.test(run_conf=conf)
        assert dag_run.state == "success"
        with session_scope(engine) as session:
            latest = select(PipelineRun).where(PipelineRun.kind == "etl").order_by(PipelineRun.id)
            run = session.scalars(latest).all()[-1]
            assert run.counts["batches"] == planned and run.counts["read"] == planned
            batches = session.scalars(select(EtlBatch.stage).where(EtlBatch.run_id == run.id))
            assert set(batches) == {"loaded"}
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 3
