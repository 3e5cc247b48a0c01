"""The whole pipeline on SQLite and PostgreSQL: load, quarantine, rerun, crash, staged API."""

from __future__ import annotations

import gc
import json
from datetime import UTC, datetime, timedelta

import pytest
from etl_items import (
    FETCHED,
    TEXT_SEED,
    land_items,
    news_item,
    seed_item,
    warehouse_contents,
)
from sqlalchemy import Engine, func, select

import etl.load
import etl.pipeline
import etl.prepare
from etl.pipeline import (
    clean_validate_batch,
    dedupe_load_batches,
    finish_etl,
    run_etl,
    start_etl,
)
from etl.records import Record
from schemas.db import make_engine, session_scope
from schemas.migrate import upgrade
from schemas.models import (
    Article,
    Category,
    EtlBatch,
    EtlDocument,
    Image,
    LshBand,
    PipelineRun,
    RawDocument,
    RejectedRecord,
)

HEAD = "http://zkres2.myzaker.com/202108/610ce1ad8e9f0904fe64126a_1024.jpg"


def count(engine: Engine, model) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def articles(engine: Engine) -> list[Article]:
    with session_scope(engine) as session:
        rows = session.scalars(select(Article).order_by(Article.id)).all()
        for row in rows:
            _ = [c.category.path for c in row.categories], list(row.images)
        return rows


def test_seeds_load_with_categories_images_and_identity(engine: Engine, land_in) -> None:
    land_in([seed_item(), seed_item(TEXT_SEED)], kind="import")
    result = run_etl(engine)
    assert result.status == "success"
    assert result.counts["loaded"] == 2 and result.counts["rejected"] == 0
    hexo, text = articles(engine)
    assert hexo.canonical_url == "https://www.myzaker.com/article/610ce1ad8e9f0904fe64126a"
    assert hexo.published_at.isoformat() == "2021-08-06T00:07:04+00:00"
    assert hexo.head_image == HEAD and hexo.language == "zh"
    assert hexo.inferred_fields == ["url"] and hexo.char_count == len(hexo.body_text)
    assert [(c.position, c.category.path) for c in hexo.categories] == [
        (0, "新媒体"),
        (1, "新媒体/ZAKER"),
        (2, "新媒体/ZAKER/source"),
    ]
    assert [(i.position, i.width, i.height) for i in hexo.images] == [(0, 800, 515), (1, 800, 515)]
    assert hexo.images[0].proxied_url == "https://cors.zfour.workers.dev/?" + HEAD
    assert text.canonical_url == f"urn:newsetl:text:{text.content_hash}"
    assert len(text.body_text.split("\n")) == 28 and text.published_at is None
    with session_scope(engine) as session:
        parents = dict(session.execute(select(Category.path, Category.parent_id)).all())
        ids = dict(session.execute(select(Category.path, Category.id)).all())
    assert parents["新媒体/ZAKER/source"] == ids["新媒体/ZAKER"]
    assert parents["新媒体"] is None
    with session_scope(engine) as session:
        run = session.get(PipelineRun, result.run_id)
        assert run.kind == "etl" and run.status == "success" and run.counts["loaded"] == 2
        processed = session.scalars(select(EtlDocument.processed_run_id)).all()
        assert processed == [result.run_id, result.run_id]


def test_bad_inputs_are_quarantined_with_reasons_and_fail_the_run(engine: Engine, land_in) -> None:
    good = [news_item(i) for i in range(3)]
    bad = [
        news_item(10, body_html=""),
        news_item(11, body_html='<div><img src="https://example.com/a.jpg"></div>'),
        news_item(12, title=None),
        news_item(13, body_html="<div><p>" + "English words only here. " * 10 + "</p></div>"),
        news_item(14, published="2027-01-01 00:00"),
        news_item(15, published="某日"),
        news_item(16, body_html="<div>" + "<p>很长的段落内容。</p>" * 400_000 + "</div>"),
    ]
    land_in(good + bad)
    result = run_etl(engine, batch_size=100)
    assert result.status == "failed"
    assert result.counts["loaded"] == 3 and result.counts["rejected"] == 7
    reasons = result.counts["rejected_by_reason"]
    assert reasons["clean: published_at parsable"] == 1
    assert reasons["clean: body size limit"] == 1
    assert reasons["validate: expect_column_values_to_not_be_null (title)"] == 1
    assert reasons["validate: expect_column_value_lengths_to_be_between (body_text)"] == 2
    assert reasons["validate: expect_column_values_to_be_between (cjk_share)"] == 3
    with session_scope(engine) as session:
        rejected = session.execute(
            select(RejectedRecord.stage, RejectedRecord.reason, RejectedRecord.failures)
        ).all()
        run = session.get(PipelineRun, result.run_id)
        assert run.status == "failed" and "threshold" in run.message
        unprocessed = session.scalar(
            select(func.count()).where(EtlDocument.processed_run_id.is_(None))
        )
        queued = session.scalar(select(func.count()).select_from(EtlDocument))
        landed = session.scalar(select(func.count()).select_from(RawDocument))
    assert len(rejected) == 7 and unprocessed == 0 and queued == landed
    assert sorted(stage for stage, _, _ in rejected).count("clean") == 2
    with session_scope(engine) as session:
        huge = session.scalar(
            select(RejectedRecord.record).where(RejectedRecord.reason.contains("too large"))
        )
    assert len(huge["body_html"]) < 600 and huge["title"] == "城市更新惠民生（16）"
    future = next(f for _, _, fs in rejected for f in fs if f["column"] == "published_ts")
    assert future["value"] == "2026-12-31T16:00:00+00:00"
    assert count(engine, Article) == 3


def test_threshold_is_configurable(engine: Engine, land_in) -> None:
    land_in([news_item(1), news_item(2, title=None)])
    assert run_etl(engine, reject_threshold=0.6).status == "success"


def test_rerun_adds_nothing_and_identical_reload_changes_nothing(engine: Engine, land_in) -> None:
    land_in([news_item(i) for i in range(4)])
    first = run_etl(engine, batch_size=3)
    assert first.counts["loaded"] == 4 and first.counts["batches"] == 2
    before = [(a.id, a.last_updated_at, a.raw_document_id) for a in articles(engine)]
    assert run_etl(engine).counts["read"] == 0
    # the same articles landed again from other bytes (another crawl) change nothing
    land_in([news_item(i, author="本报记者 ") for i in range(4)])
    again = run_etl(engine)
    assert again.counts["read"] == 4 and again.counts["loaded"] == 0
    assert again.counts["unchanged"] == 4 and again.counts["exact_duplicates"] == 4
    assert [(a.id, a.last_updated_at, a.raw_document_id) for a in articles(engine)] == before
    assert count(engine, LshBand) == 4


def test_changed_version_updates_the_article(engine: Engine, land_in) -> None:
    land_in([news_item(1, published="2026-08-02 09:30")])
    run_etl(engine)
    (before,) = articles(engine)
    land_in([news_item(1, title="城市更新惠民生（更正）", published="2026-08-02 09:30")])
    result = run_etl(engine)
    (after,) = articles(engine)
    assert result.counts["updated"] == 1 and result.counts["loaded"] == 0
    assert after.id == before.id and after.title == "城市更新惠民生（更正）"
    assert after.last_updated_at > before.last_updated_at
    assert after.first_seen_at == before.first_seen_at


def test_crash_mid_batch_leaves_the_warehouse_as_before(
    engine: Engine, land_in, monkeypatch: pytest.MonkeyPatch
) -> None:
    land_in([news_item(1), news_item(2), news_item(3, title=None)])

    def crash(*args, **kwargs) -> None:
        raise RuntimeError("worker killed")

    monkeypatch.setattr(etl.load, "_settle_clusters", crash)  # after articles were written
    with pytest.raises(RuntimeError, match="worker killed"):
        run_etl(engine, reject_threshold=1.0)
    assert count(engine, Article) == 0 and count(engine, Image) == 0
    assert count(engine, RejectedRecord) == 0 and count(engine, LshBand) == 0
    with session_scope(engine) as session:
        assert (
            session.scalar(select(func.count()).where(EtlDocument.processed_run_id.is_not(None)))
            == 0
        )
        failed = session.scalars(select(PipelineRun).where(PipelineRun.kind == "etl")).one()
        assert failed.status == "failed" and "worker killed" in failed.message
    monkeypatch.undo()
    result = run_etl(engine, reject_threshold=1.0)
    assert result.counts["loaded"] == 2 and result.counts["rejected"] == 1
    assert count(engine, Article) == 2 and count(engine, RejectedRecord) == 1


def test_worker_processes_leave_the_same_warehouse_as_one_process(
    engine: Engine, land_in, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run large enough cleans in worker processes (the size threshold is lowered here):
    same articles, clusters, band keys, quarantine and counts as cleaning in-process."""
    items = [
        seed_item(), seed_item(TEXT_SEED), *(news_item(i) for i in range(5)),
        news_item(1, author="本报记者 "), news_item(8, published="某日"),
        news_item(9, title=None),
    ]  # fmt: skip
    reference = make_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    upgrade(reference)
    land_items(reference, items)
    expected = run_etl(reference, batch_size=3, reject_threshold=1.0)
    land_in(items)
    monkeypatch.setattr(etl.prepare, "POOL_MIN_DOCUMENTS", 1)
    result = run_etl(engine, batch_size=3, reject_threshold=1.0)
    assert result.counts == expected.counts
    assert result.counts["read"] == 10 and result.counts["rejected"] == 2
    assert result.counts["near_duplicates"] >= 4 and result.counts["exact_duplicates"] == 1
    assert warehouse_contents(engine) == warehouse_contents(reference)


def test_staged_api_loads_batches_in_order_whatever_order_their_tasks_run(
    engine: Engine, land_in
) -> None:
    land_in([seed_item(), seed_item(TEXT_SEED), news_item(1), news_item(1, author="本报记者 ")])
    run_id, batch_ids = start_etl(engine, batch_size=3, airflow_run_id="manual__2026-08-03")
    assert len(batch_ids) == 2
    first = clean_validate_batch(engine, batch_ids[1])
    assert clean_validate_batch(engine, batch_ids[1]) == first  # safe to repeat
    assert dedupe_load_batches(engine, batch_ids[1]) == []  # batch 1 is not validated yet
    clean_validate_batch(engine, batch_ids[0])
    assert dedupe_load_batches(engine, batch_ids[0]) == batch_ids
    assert dedupe_load_batches(engine, batch_ids[1]) == []
    clean_validate_batch(engine, batch_ids[0])  # a rerun after load changes nothing
    result = finish_etl(engine, run_id)
    assert result.status == "success"
    assert result.counts["loaded"] == 3 and result.counts["exact_duplicates"] == 1
    assert count(engine, Article) == 3
    with session_scope(engine) as session:
        run = session.get(PipelineRun, run_id)
        assert run.airflow_run_id == "manual__2026-08-03" and run.counts["loaded"] == 3
        assert session.scalars(select(EtlBatch.records)).all() == [None, None]


def test_since_run_limits_the_documents(engine: Engine, land_in) -> None:
    land_in([news_item(1)])
    land_in([news_item(2)])
    with session_scope(engine) as session:
        second_run = session.scalar(select(func.max(RawDocument.run_id)))
    result = run_etl(engine, since_run=second_run)
    assert result.counts["read"] == 1
    assert run_etl(engine).counts["read"] == 1


def test_documents_without_item_are_left_to_the_parse_quarantine(engine: Engine) -> None:
    from schemas.landing import land, start_run

    with session_scope(engine) as session:
        run = start_run(session, "import", "files")
        land(session, source="files", url="file:///x", raw_body=b"\x00", item=None, run_id=run.id)
    assert run_etl(engine).counts["read"] == 0


def test_relative_dates_count_from_the_items_fetch_time(engine: Engine, land_in) -> None:
    land_in([news_item(1, published="3小时前", fetched_at="2026-08-03T12:00:00+08:00")])
    run_etl(engine)
    (article,) = articles(engine)
    assert article.published_at == datetime(2026, 8, 3, 1, 0, tzinfo=UTC)
    assert article.published_at != FETCHED - timedelta(hours=3)
    assert "published_at" in article.inferred_fields


def test_outcomes_come_back_from_the_workers_as_they_left() -> None:
    """What a worker sends back (MessagePack) reads back equal to what it prepared: records
    with their dates, images and band keys, and rejections with their failures."""
    image = '<div class="img_box"><img class="lazy" data-original="http://zkres1.myzaker.com/a.jpg"></div>'
    first = news_item(1)
    first.body_html = first.body_html.replace("</p>", "</p>" + image, 1)
    items = [first, news_item(2, published="not a date"), news_item(3, published="3小时前")]
    documents = [
        etl.prepare.Document(n, 1, "zaker", FETCHED, json.dumps(item.to_dict()))
        for n, item in enumerate(items, start=1)
    ]
    documents.append(etl.prepare.Document(9, 1, "zaker", FETCHED, '{"source": "zaker", "x": 1}'))
    prepared = etl.prepare.prepare_all(documents, {})
    assert [p.record is None for p in prepared] == [False, True, False, True]
    back = etl.prepare.unpacked(etl.prepare.prepare_packed(documents, {}))
    assert back == prepared
    assert back[0].record.published_at == prepared[0].record.published_at
    assert isinstance(back[0].record, Record) and back[0].record.images


def test_a_run_collects_garbage_less_often_and_gives_the_setting_back(
    engine: Engine, land_in
) -> None:
    land_in([news_item(1), news_item(2)])
    during: list[tuple[int, ...]] = []
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        run_etl(engine, progress=lambda _: during.append(gc.get_threshold()))
        assert during == [(etl.pipeline.RUN_GC_THRESHOLD, 10, 10)]
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)
