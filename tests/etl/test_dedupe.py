"""Exact and near-duplicate detection, within a batch and across runs."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from etl_items import FETCHED, TEXT_SEED, land_items, news_item, seed_item
from sqlalchemy import (
    Engine,
    column,
    create_engine,
    event,
    insert,
    inspect,
    select,
    table,
    text,
)

from etl.clean import clean_item
from etl.dedupe import INDEX_PROBES, MIN_SHARED_BANDS, _band_matches, _shared_bands, index_row
from etl.minhash import BANDS, band_keys, signature
from etl.pipeline import (
    clean_validate_batch,
    dedupe_load_batches,
    finish_etl,
    run_etl,
    start_etl,
)
from schemas.db import database_url, make_engine, session_scope
from schemas.items import ArticleItem
from schemas.migrate import current, downgrade, head, upgrade
from schemas.models import Article, LshBand


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


def index(engine: Engine) -> dict[str, dict]:
    """The ``lsh_band`` rows by canonical URL, article ids left out."""
    with session_scope(engine) as session:
        urls = dict(session.execute(select(Article.id, Article.canonical_url)).all())
        rows = session.execute(select(LshBand.__table__)).mappings().all()
    return {urls[r["article_id"]]: {k: v for k, v in r.items() if k != "article_id"} for r in rows}


def expected_row(item: ArticleItem) -> dict:
    keys = band_keys(signature(clean_item(item, fetched_at=FETCHED)["body_text"]))
    return {k: v for k, v in index_row(0, keys).items() if k != "article_id"}


def test_one_index_row_per_article_replaced_when_its_text_changes(engine: Engine, land_in) -> None:
    first, second = news_item(1), news_item(2)
    land_in([first, second])
    run_etl(engine)
    assert index(engine) == {first.url: expected_row(first), second.url: expected_row(second)}
    edited = news_item(1, body_html=first.body_html.replace("城市更新", "旧城改造"))
    land_in([edited])
    assert run_etl(engine).counts["updated"] == 1
    assert index(engine) == {first.url: expected_row(edited), second.url: expected_row(second)}
    assert expected_row(edited) != expected_row(first)


def test_band_lookup_probes_the_indexes_and_leaves_the_settings_as_they_were(
    engine: Engine, land_in
) -> None:
    """The lookup finds a loaded article by its band keys. On PostgreSQL its statement runs
    with ``INDEX_PROBES``, and the statements after it in the same transaction run with
    the settings from before, a session's own ``SET`` included."""
    item = news_item(1)
    land_in([item])
    run_etl(engine)
    keys = list(expected_row(item).values())
    postgres = engine.dialect.name == "postgresql"
    during: list[dict[str, str]] = []

    def settings(cursor) -> dict[str, str]:
        return {n: cursor.connection.execute(f"SHOW {n}").fetchone()[0] for n in INDEX_PROBES}

    def after_lookup(conn, cursor, statement, parameters, context, executemany) -> None:
        if postgres and "UNION ALL" in statement:
            during.append(settings(cursor))

    event.listen(engine, "after_cursor_execute", after_lookup)
    with session_scope(engine) as session:
        if postgres:
            session.execute(text("SET jit = on"))
            session.execute(text("SET LOCAL enable_seqscan = on"))
        matches = _band_matches(session, [{"band_keys": keys}])
        if postgres:
            after = {n: session.execute(text(f"SHOW {n}")).scalar_one() for n in INDEX_PROBES}
            assert after == {"enable_seqscan": "on", "jit": "on"}
    event.remove(engine, "after_cursor_execute", after_lookup)
    assert {band for band, _ in matches} == set(range(BANDS))
    assert all(len(ids) == 1 for ids in matches.values())
    assert during == ([INDEX_PROBES] if postgres else [])


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database (no revision) on each backend, dropped after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    server = os.environ.get("NEWSETL_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("NEWSETL_TEST_POSTGRES_URL is not set: PostgreSQL tests need a server")
    admin = create_engine(database_url(server), isolation_level="AUTOCOMMIT")
    name = f"newsetl_old_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield admin.url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def daily_counts(engine: Engine) -> set[tuple[str | None, int]]:
    """Articles per Beijing day as the analytics view reads them (undated: day None)."""
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT day, articles FROM v_daily_source_articles"))
        return {(str(day) if day else None, n) for day, n in rows}


def test_upgrade_rebuilds_the_index_of_a_warehouse_with_the_old_layout(empty_url: str) -> None:
    """A warehouse whose index is in the layout before 0005 — articles with their 20 band
    rows in ``lsh_bucket`` — keeps working: the index is rebuilt from the
    text, a new copy finds its original loaded before the upgrade, daily counts are there.
    The articles are loaded by today's code, then the schema is taken back to 0004 (the
    last revision of the old layout) and given old band rows."""
    engine = make_engine(empty_url)
    upgrade(engine)
    original, other = seed_item(TEXT_SEED), seed_item()
    original.published = "2021-05-18 06:00"
    land_items(engine, [original, other])
    run_etl(engine)
    written_by_load, counted_before = index(engine), daily_counts(engine)
    assert len(written_by_load) == 2 and len(counted_before) == 2
    downgrade(engine, "0004")
    with session_scope(engine) as session:
        ids = session.execute(select(Article.id)).scalars().all()
        old = table("lsh_bucket", column("bucket"), column("article_id"), column("band"))
        session.execute(
            insert(old),
            [{"bucket": i * 100 + b, "article_id": i, "band": b} for i in ids for b in range(20)],
        )
    upgrade(engine)
    assert current(engine) == head()
    assert "lsh_bucket" not in inspect(engine).get_table_names()
    assert index(engine) == written_by_load
    assert daily_counts(engine) == counted_before
    land_items(engine, [republished_text_seed()])
    assert run_etl(engine).counts["near_duplicates"] == 1
    found = clusters(engine)
    assert found[republished_text_seed().url] == next(u for u in found if u.startswith("urn:"))
    engine.dispose()


def test_only_bands_shared_with_the_batch_or_the_warehouse_reach_the_clustering_loop() -> None:
    # three records of four bands: the first two share band 1, the first shares band 2
    # and the third band 3 with a loaded article; no other key recurs in its band
    keys = [[10, 11, 12, 13], [20, 11, 22, 23], [30, 31, 32, 33]]
    stored = {(3, 33): [7], (2, 12): [8]}
    assert _shared_bands(keys, stored) == [[1, 2], [1], [3]]
    # a key equal to another record's in a different band ties nothing
    assert _shared_bands([[1, 2], [2, 1]], {}) == [[], []]
    assert _shared_bands([[5, 6], [5, 6], [5, 7]], {}) == [[0, 1], [0, 1], [0]]
