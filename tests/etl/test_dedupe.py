"""Exact and near-duplicate detection, within a batch and across runs."""

from __future__ import annotations

from etl_items import FETCHED, TEXT_SEED, news_item, seed_item
from sqlalchemy import Engine, select

from etl.clean import clean_item
from etl.dedupe import BANDS, MIN_SHARED_BANDS, band_keys, signature
from etl.pipeline import (
    clean_validate_batch,
    dedupe_load_batches,
    finish_etl,
    run_etl,
    start_etl,
)
from schemas.db import session_scope
from schemas.items import ArticleItem
from schemas.models import Article


def republished_text_seed() -> ArticleItem:
    """The second seed as another site would republish it: a header and a footer added,
    one paragraph removed, Chinese punctuation swapped for ASCII."""
    item = seed_item(TEXT_SEED)
    paragraphs = item.body_text.split("\n")
    del paragraphs[5]
    body = "\n".join(paragraphs).replace("，", ",").replace("。", ".").replace("：", ":")
    header = "【转载】本文转自人民日报客户端，版权归原作者所有"
    item.body_text = f"{header}\n{body}\n欢迎关注我们的公众号获取更多资讯"
    item.url = "https://news.example.com/2021/05/18/health.html"
    item.source = "files"
    return item


def shared_bands(a: ArticleItem, b: ArticleItem) -> int:
    keys = [band_keys(signature(clean_item(i, fetched_at=FETCHED)["body_text"])) for i in (a, b)]
    return sum(x == y for x, y in zip(*keys, strict=True))


def test_republished_copy_is_near_and_the_two_seeds_are_not() -> None:
    assert shared_bands(seed_item(TEXT_SEED), republished_text_seed()) >= MIN_SHARED_BANDS
    assert shared_bands(seed_item(TEXT_SEED), seed_item()) < MIN_SHARED_BANDS
    assert shared_bands(seed_item(), seed_item()) == BANDS


def clusters(engine: Engine) -> dict[str, str | None]:
    with session_scope(engine) as session:
        urls = dict(session.execute(select(Article.id, Article.canonical_url)).all())
        return {
            urls[i]: urls.get(d)
            for i, d in session.execute(select(Article.id, Article.duplicate_of)).all()
        }


def test_near_duplicate_in_one_batch_points_at_the_earliest_published(
    engine: Engine, land_in
) -> None:
    original = seed_item(TEXT_SEED)
    original.published = "2021-05-18 06:00"
    copy = republished_text_seed()
    copy.published = "2021-05-19 10:00"
    land_in([copy, original, seed_item()])
    result = run_etl(engine)
    assert result.counts["loaded"] == 3 and result.counts["near_duplicates"] == 1
    found = clusters(engine)
    original_url = next(u for u in found if u.startswith("urn:"))
    assert found[copy.url] == original_url
    assert found[original_url] is None
    assert found["https://www.myzaker.com/article/610ce1ad8e9f0904fe64126a"] is None


def test_near_duplicates_across_runs_join_one_cluster_without_chains(
    engine: Engine, land_in
) -> None:
    first = republished_text_seed()
    first.published = "2021-05-20 10:00"
    land_in([first])
    run_etl(engine)
    # an earlier-published version arrives later: it becomes the canonical article
    original = seed_item(TEXT_SEED)
    original.published = "2021-05-18 06:00"
    land_in([original])
    assert run_etl(engine).counts["near_duplicates"] == 1
    # a third copy matching the first copy joins the cluster's canonical, not the copy
    third = republished_text_seed()
    third.url = "https://mirror.example.org/health.html"
    third.body_text += "\n本文来源于网络，如有侵权请联系删除"
    third.published = "2021-05-21 08:00"
    land_in([third])
    assert run_etl(engine).counts["near_duplicates"] == 1
    found = clusters(engine)
    canonical = next(u for u in found if u.startswith("urn:"))
    assert found == {canonical: None, first.url: canonical, third.url: canonical}


def test_exact_duplicates_inside_a_batch_and_across_runs(engine: Engine, land_in) -> None:
    item = news_item(1)
    same_url = news_item(1, author="本报记者 ")  # other bytes, same article
    same_text = news_item(1, url="https://www.example.com/copy.html?utm_source=feed")
    land_in([item, same_url, same_text])
    result = run_etl(engine)
    assert result.counts["loaded"] == 1 and result.counts["exact_duplicates"] == 2
    tracking = news_item(1, url=item.url.replace("https://www.", "http://www.") + "/?from=home")
    land_in([tracking, news_item(1, url="https://www.example.com/copy.html")])
    result = run_etl(engine)
    assert result.counts["loaded"] == 0 and result.counts["exact_duplicates"] == 2
    assert list(clusters(engine)) == [item.url]


def test_reloading_the_same_batch_adds_nothing(engine: Engine, land_in) -> None:
    items = [seed_item(), seed_item(TEXT_SEED), republished_text_seed()]
    land_in(items)
    run_etl(engine)
    before = clusters(engine)
    for item in items:
        item.tags = ["重载"]  # new bytes, so the documents land again
        item.tags = []
        item.comments = item.comments  # the same item
    land_in(
        [ArticleItem.from_dict(i.to_dict() | {"author": (i.author or "") + " "}) for i in items]
    )
    result = run_etl(engine)
    assert result.counts["read"] == 3 and result.counts["loaded"] == 0
    assert result.counts["near_duplicates"] == 0
    assert clusters(engine) == before


def test_without_dates_the_earliest_seen_stays_canonical(engine: Engine, land_in) -> None:
    land_in([seed_item(TEXT_SEED)])
    run_etl(engine)
    land_in([republished_text_seed()])  # no date either: seen later, so it follows
    run_etl(engine)
    found = clusters(engine)
    canonical = next(u for u in found if u.startswith("urn:"))
    assert found == {canonical: None, republished_text_seed().url: canonical}


def test_staged_batches_dedupe_in_order_even_when_their_tasks_run_out_of_order(
    engine: Engine, land_in
) -> None:
    """Airflow may run the mapped batches in parallel: batches dedupe and load in order
    (the one whose turn comes loads every batch ready after it), so a near duplicate
    across batches is still found."""
    land_in([seed_item(TEXT_SEED), republished_text_seed()])
    run_id, (first, second) = start_etl(engine, batch_size=1)
    clean_validate_batch(engine, second)
    assert dedupe_load_batches(engine, second) == []
    clean_validate_batch(engine, first)
    assert dedupe_load_batches(engine, first) == [first, second]
    assert finish_etl(engine, run_id).counts["near_duplicates"] == 1
    assert sorted(v is None for v in clusters(engine).values()) == [False, True]
