"""The ``people_daily`` spider crawling the local e-paper copy for real (``newsetl crawl`` in
a subprocess): landed fields of specific articles in both layouts, a date range, editor
credits never requested, a re-crawl landing nothing new, bad arguments."""

from __future__ import annotations

import base64
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from crawl_helpers import Crawl, landed, pipeline_run, run_crawl

from newsetl.demo.server import SiteServer
from schemas.items import ArticleItem
from spiders.spiders.people_daily import edition_days

SLUG = "people-daily"
REAL = "http://paper.people.com.cn/rmrb/"
OLD = "html/2024-11/{day}/nw.D110000renmrb_202411{day}_{k}-{page}.htm"
NEW = "pc/content/{ym}/{day}/content_{id}.html"


def crawl(server: SiteServer, database_url: str, feed: Path | None = None, **args: str) -> Crawl:
    return run_crawl(
        "people_daily",
        database_url=database_url,
        base_urls={SLUG: server.site_url("people_daily")},
        args=args,
        feed=feed,
    )


@pytest.fixture(scope="module")
def range_crawl(
    module_server: SiteServer, module_warehouse: str, tmp_path_factory: pytest.TempPathFactory
) -> Crawl:
    """Three days across the layout switch: 2024-11-29 … 2024-12-01."""
    done = crawl(
        module_server,
        module_warehouse,
        tmp_path_factory.mktemp("feed") / "pages.jsonl",
        start="2024-11-29",
        end="2024-12-01",
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def items(range_crawl: Crawl, module_warehouse: str) -> dict[str, ArticleItem]:
    """Landed items by their path on the real site."""
    return {
        doc.item["url"].removeprefix(REAL): ArticleItem.from_dict(doc.item)
        for doc in landed(module_warehouse, SLUG).values()
    }


def body(item: ArticleItem) -> str:
    """The body's paragraphs (its figures left out)."""
    assert item.body_html is not None
    return "\n".join(line for line in item.body_html.split("\n") if line.startswith("<p>"))


def test_range_crawl_lands_every_article_of_every_page_of_each_day(
    range_crawl: Crawl, items: dict[str, ArticleItem], module_warehouse: str
) -> None:
    old = [
        OLD.format(day=d, k=k, page=p)
        for d, k, p in [
            ("29", 1, "01"), ("29", 2, "01"), ("29", 1, "02"),
            ("30", 1, "01"), ("30", 1, "03"), ("30", 2, "03"), ("30", 1, "04"),
        ]
    ]  # fmt: skip
    new = [NEW.format(ym="202412", day="01", id=i) for i in (30060011, 30060012, 30060021)]
    assert sorted(items) == sorted(old + new)
    run = pipeline_run(module_warehouse, range_crawl.run_id)
    assert run.status == "success"
    assert run.counts["landed (new)"] == 10
    assert run.counts["errors"] == 0
    # the feed export (`-O pages.jsonl`) holds the same pages, bytes as Base64
    records = range_crawl.feed_records()
    assert sorted(r["article"]["url"].removeprefix(REAL) for r in records) == sorted(items)
    documents = landed(module_warehouse, SLUG)
    assert all(base64.b64decode(r["body"]) == documents[r["url"]].raw_body for r in records)


def test_old_layout_article_landed_fields(items: dict[str, ArticleItem]) -> None:
    item = items[OLD.format(day="29", k=1, page="01")]
    assert item.title == "抓住农闲时节 夯实增产基础"
    assert item.kicker == "全国冬季农田水利建设全面展开"
    assert item.subtitle == "各地已完成投资超过一千二百亿元"
    assert item.author == "郁静、孙超"
    assert item.page == "第01版：要闻"
    assert item.published == "2024年11月29日"
    assert item.fetched_at is not None and item.fetched_at.endswith("+00:00")
    assert body(item).startswith("<p>本报北京11月28日电　记者从水利部获悉：入冬以来")
    assert body(item).endswith("为夺取明年粮食丰收打下坚实基础。</p>")
    assert [(i.url, i.caption) for i in item.images] == [
        (REAL + "res/2024-11/29/01/rmrb2024112901p11_b.jpg", "图为河北馆陶县农民正在修整灌溉渠道。")
    ]


def test_gbk_meta_article_with_column_landed_fields(items: dict[str, ArticleItem]) -> None:
    item = items[OLD.format(day="30", k=1, page="03")]
    assert item.title == "携手构建开放包容的伙伴关系"
    assert item.column == "命运与共"
    assert item.kicker == "中外专家学者热议全球发展合作"
    assert item.page == "第03版：国际"
    assert item.author == "刘晨"
    assert item.published == "2024年11月30日"
    assert body(item).startswith("<p>近日，一场以“全球发展与合作”为主题的研讨会在日内瓦举行")
    assert body(item).endswith("切实改善了当地民众的生活。</p>")
    assert items[OLD.format(day="30", k=1, page="04")].page == "第04版：经济"


def test_new_layout_article_landed_fields(items: dict[str, ArticleItem]) -> None:
    item = items[NEW.format(ym="202412", day="01", id=30060021)]
    assert item.title == "全国多地迎来今冬首场降雪"
    assert item.kicker is None
    assert item.author == "黄鑫"  # 新华社记者　黄　鑫
    assert item.origin == "新华社"
    assert item.page == "第02版：要闻"
    assert item.published == "2024年12月01日"
    assert body(item).startswith("<p>新华社北京11月30日电　受冷空气影响")
    assert body(item).endswith("保障群众正常生产生活。</p>")
    assert [(i.url, i.caption) for i in item.images] == [
        (REAL + "pc/pic/202412/01/0f3b5a7c9d1e4b2f8a6c4e2d_2.jpg", None)
    ]
    commentary = items[NEW.format(ym="202412", day="01", id=30060012)]
    assert (commentary.title, commentary.column) == ("以高质量发展推动共同富裕", "经济新方位")


def test_editor_credits_are_never_requested(range_crawl: Crawl, module_server: SiteServer) -> None:
    credits = [
        "/people_daily/html/2024-11/29/nw.D110000renmrb_20241129_3-01.htm",
        "/people_daily/html/2024-11/29/nw.D110000renmrb_20241129_2-02.htm",
        "/people_daily/html/2024-11/30/nw.D110000renmrb_20241130_2-01.htm",
        "/people_daily/pc/content/202412/01/content_12010190.html",
        "/people_daily/pc/content/202412/01/content_12010290.html",
    ]
    assert all(
        (Path(__file__).parents[2] / "newsetl/demo/sites" / c[1:]).is_file() for c in credits
    )
    assert [module_server.hits[c] for c in credits] == [0] * len(credits)
    # every page of the days was fetched exactly once
    assert module_server.hits["/people_daily/html/2024-11/30/nbs.D110000renmrb_04.htm"] == 1
    assert module_server.hits["/people_daily/pc/layout/202412/01/node_02.html"] == 1


def test_single_date_gbk_header_edition_then_recrawl_lands_nothing_new(
    range_crawl: Crawl,
    module_server: SiteServer,
    module_warehouse: str,
    tmp_path: Path,
) -> None:
    first = crawl(module_server, module_warehouse, None, date="2025-03-05")
    assert first.returncode == 0, first.stdout[-3000:]
    item = ArticleItem.from_dict(
        next(
            doc.item
            for doc in landed(module_warehouse, SLUG).values()
            if doc.item["url"].endswith("content_30170051.html")
        )
    )
    assert (item.title, item.column, item.author) == ("用实干书写新的时代答卷", "人民时评", "何静")
    assert item.page == "第05版：评论"
    assert item.published == "2025年03月05日"
    assert body(item).startswith("<p>春回大地，万象更新。")
    assert body(item).endswith("才能把美好蓝图一步步变为现实。</p>")
    assert pipeline_run(module_warehouse, first.run_id).counts["landed (new)"] == 2

    before = set(landed(module_warehouse, SLUG))
    again = crawl(module_server, module_warehouse, None, start="2024-11-29", end="2024-12-03")
    assert again.returncode == 0, again.stdout[-3000:]
    counts = pipeline_run(module_warehouse, again.run_id).counts
    assert counts["landed (new)"] == 0
    assert counts["skipped (already landed)"] == 10
    assert set(landed(module_warehouse, SLUG)) == before
    # days the site does not keep answer 404: recorded as unavailable with their URL, not as
    # errors, and the crawl goes on
    assert counts["errors"] == 0
    assert counts["detail"]["newsetl/skipped/unavailable"] == 2
    problems = {
        p["url"].rsplit("/people_daily/", 1)[1]: (p["kind"], p["reason"])
        for p in counts["problems"]
    }
    assert problems == {
        "pc/layout/202412/02/node_01.html": (
            "skipped",
            "unavailable: no edition kept for this day",
        ),
        "pc/layout/202412/03/node_01.html": (
            "skipped",
            "unavailable: no edition kept for this day",
        ),
    }
    assert module_server.hits["/people_daily/pc/content/202503/05/content_30170051.html"] == 1


def test_bad_date_argument_fails_with_a_clear_message(
    module_server: SiteServer, module_warehouse: str, tmp_path: Path
) -> None:
    done = crawl(module_server, module_warehouse, None, date="2024-13-01")
    assert done.returncode == 2  # a usage error, refused before the crawl starts
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "Error: crawl people_daily: -a date='2024-13-01' is not a date like 2024-11-30"
    ]


def test_edition_days() -> None:
    assert edition_days("2024-11-30") == [date(2024, 11, 30)]
    assert edition_days("2025-03-05,2024-11-30, 2024-11-30") == [
        date(2024, 11, 30), date(2025, 3, 5)
    ]  # fmt: skip
    assert edition_days(start="2024-11-29", end="2024-12-01") == [
        date(2024, 11, 29), date(2024, 11, 30), date(2024, 12, 1)
    ]  # fmt: skip
    assert edition_days(start="2024-11-29") == [date(2024, 11, 29)]
    assert edition_days() == [datetime.now(ZoneInfo("Asia/Shanghai")).date()]
    for args, message in [
        ({"day": "2024-11-30", "start": "2024-11-29"}, "not both"),
        ({"start": "2024-12-02", "end": "2024-12-01"}, "is before"),
        ({"start": "2020-01-01", "end": "2024-01-01"}, "in parts"),
        ({"day": "30.11.2024"}, "not a date"),
        ({"day": " , "}, "names no day"),
    ]:
        with pytest.raises(ValueError, match=message):
            edition_days(**args)


def test_crawl_lands_in_each_warehouse_backend(
    warehouse_url: str, site_server: SiteServer, tmp_path: Path
) -> None:
    done = crawl(site_server, warehouse_url, None, date="2024-12-01")
    assert done.returncode == 0, done.stdout[-3000:]
    items = {
        url.rsplit("/", 1)[1]: ArticleItem.from_dict(doc.item)
        for url, doc in landed(warehouse_url, SLUG).items()
    }
    assert sorted(items) == [f"content_{i}.html" for i in (30060011, 30060012, 30060021)]
    item = items["content_30060011.html"]
    assert (item.kicker, item.title, item.subtitle) == (
        "坚持生态优先　推动绿色发展",
        "长江十年禁渔取得阶段性成效",
        "水生生物多样性持续恢复",
    )
    assert (item.author, item.page, item.published) == ("寇江泽", "第01版：要闻", "2024年12月01日")
    assert body(item).endswith("推动长江大保护不断取得新成效。</p>")
    assert [i.url for i in item.images] == [
        REAL + "pc/pic/202412/01/c8a1e3f0b7d24c51a8f6e2d9_1.jpg"
    ]


def test_current_layout_as_the_real_site_serves_it(
    module_server: SiteServer, module_warehouse: str, tmp_path: Path
) -> None:
    """2026-05-01: headings holding <p>, the CMS's enpproperty, captions in
    data-original-title, a reporters' bracket, a wire dateline at the end, an editor credit
    whose list entry only a script names, and a page of advertising."""
    done = crawl(module_server, module_warehouse, None, date="2026-05-01")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.status == "success"
    by_id = {
        doc.url.rsplit("_", 1)[1]: ArticleItem.from_dict(doc.item)
        for doc in landed(module_warehouse, SLUG).values()
        if "/202605/" in doc.url
    }
    assert set(by_id) == {"40000011.html", "40000012.html", "40000013.html"}
    first = by_id["40000011.html"]
    assert (first.kicker, first.title, first.subtitle) == (
        "绿水青山就是金山银山",
        "让绿色成为高质量发展的底色",
        "全国生态环境质量持续改善",
    )
    assert (first.author, first.page, first.published) == (
        "王晔、李红",
        "第01版：要闻",
        "2026年05月01日",
    )
    [image] = first.images
    assert image.caption == "浙江安吉余村的竹林。 本报记者 王晔摄"
    assert "<figcaption>浙江安吉余村的竹林。 本报记者 王晔摄</figcaption>" in (
        first.body_html or ""
    )
    assert "<p>绿色转型</p>" in body(first)  # the ■ marker is not text
    assert "■" not in (first.body_html or "")
    second = by_id["40000012.html"]
    assert (second.title, second.column, second.kicker, second.subtitle) == (
        "劳动者的节日", "新时代画卷", None, None
    )  # fmt: skip
    assert second.author == "赵明、孙丽"  # （记者赵  明、孙  丽） in the first paragraph
    wire = by_id["40000013.html"]
    assert (wire.origin, wire.kicker) == ("新华社", "共享发展机遇")  # kicker from enpproperty
    counts = pipeline_run(module_warehouse, done.run_id).counts
    reasons = {p["url"].rsplit("/", 1)[1]: p["reason"] for p in counts["problems"]}
    assert reasons["content_40000019.html"] == "editor_credit: 本版责编：刘 念 韩春瑶"
    assert reasons["node_02.html"] == "advertising: 第02版：广告"
    assert "/people_daily/pc/content/202605/01/content_40000021.html" not in module_server.hits
    assert counts["fields"] == {
        "people-daily/FromDecember2024": {"pages": 3, "title": 3, "body": 3}
    }


def test_a_refusing_site_is_backed_off_retried_and_recorded_as_blocked(
    module_server: SiteServer, module_warehouse: str, tmp_path: Path
) -> None:
    done = crawl(module_server, module_warehouse, None, date="2026-05-02")
    counts = pipeline_run(module_warehouse, done.run_id).counts
    assert (
        module_server.hits["/people_daily/pc/layout/202605/02/node_01.html"] == 3
    )  # 1 + 2 retries
    assert counts["blocked"] == 1 and counts["retries"] == 2
    [problem] = counts["problems"]
    assert (problem["kind"], problem["reason"]) == ("blocked", "403: still refused after retries")


def test_a_redesigned_site_ends_the_run_degraded(
    module_server: SiteServer, module_warehouse: str, tmp_path: Path
) -> None:
    """2026-06-01: the article pages changed layout; no parser version finds title or body."""
    done = crawl(module_server, module_warehouse, None, date="2026-06-01")
    assert done.returncode == 1
    assert done.status == "degraded"
    assert "layout drift: people-daily/FromDecember2024 gave no title on 2 of 2" in " ".join(
        done.stderr.split()
    )
    run = pipeline_run(module_warehouse, done.run_id)
    assert run.status == "degraded"
    assert run.message is not None and run.message.startswith("layout drift:")
    drift = {(a["field"], a["missing"], a["pages"]) for a in run.counts["drift"]}
    assert drift == {("title", 2, 2), ("body", 2, 2)}
    samples = run.counts["drift"][0]["samples"]
    assert sorted(url.rsplit("_", 1)[1] for url in samples) == ["40100011.html", "40100012.html"]
