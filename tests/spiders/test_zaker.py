"""The ``zaker`` spider crawling the local ZAKER copy: landed fields, blocks, bad input,
politeness. One crawl (module fixture) serves the assertions on what it did."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from crawl_helpers import TEST_AGENT, Crawl, landed, pipeline_run, run_crawl

from newsetl.cli.crawl import EXIT_CODES
from newsetl.demo.server import SiteServer
from schemas.items import ArticleItem

PARTIAL_EXIT = EXIT_CODES["partial"]

ID = "6101a3c2e4b0f1d2c3a4b5"


def article_path(suffix: str) -> str:
    return f"/zaker/article/{ID}{suffix}"


@pytest.fixture(scope="module")
def zaker_crawl(
    module_server: SiteServer, module_warehouse: str, tmp_path_factory: pytest.TempPathFactory
) -> Crawl:
    return run_crawl(
        "zaker",
        database_url=module_warehouse,
        base_urls={"zaker": module_server.site_url("zaker")},
    )


@pytest.fixture(scope="module")
def items(zaker_crawl: Crawl, module_warehouse: str) -> dict[str, ArticleItem]:
    """Landed items by ZAKER article id suffix."""
    assert zaker_crawl.returncode == PARTIAL_EXIT, zaker_crawl.stderr[-3000:]
    return {
        url.rsplit("/", 1)[1].removeprefix(ID): ArticleItem.from_dict(doc.item)
        for url, doc in landed(module_warehouse, "zaker").items()
    }


def test_crawl_is_partial_when_article_pages_fail_for_good(zaker_crawl: Crawl) -> None:
    """The copy answers some article pages with 429, a WAF page, 500 or a redirect loop:
    they fail for good, so the crawl is partial (its own exit code) with them counted."""
    assert zaker_crawl.returncode == PARTIAL_EXIT
    assert zaker_crawl.status == "partial"
    assert re.search(r"failed article pages\s*│\s*[1-9]\d*\s*│", zaker_crawl.stdout)
    assert zaker_crawl.run_id is not None
    assert f"crawl zaker · run {zaker_crawl.run_id} · partial" in zaker_crawl.stdout
    assert "run_id=" not in zaker_crawl.stdout  # no line protocol: the run is in the warehouse


def test_article_from_a_win_page_data_list(items: dict[str, ArticleItem]) -> None:
    item = items["01"]
    assert item.url == f"https://www.myzaker.com/article/{ID}01"
    assert item.title == "城市夜间经济持续升温 多地推出消费新场景"
    assert item.author == "新京报"
    assert item.published == "3小时前"  # relative: the ETL reads it against fetched_at
    assert item.fetched_at is not None and item.fetched_at.endswith("+00:00")
    # listed by two channels: fetched once, filed under the channel that linked it first
    assert item.categories[:2] == ["新媒体", "ZAKER"] and item.categories[2] in {"国内", "科技"}
    assert items["03"].categories == ["新媒体", "ZAKER", "国内"]
    assert item.tags == ["夜间经济", "消费"]
    assert item.body_html.startswith('<div id="content"><p>入夏以来，多地城市夜间消费明显回暖')
    assert item.body_html.endswith("鼓励商场与文旅机构联合推出夜间主题活动。</p></div>")
    assert [(i.url, i.width, i.height) for i in item.images] == [
        (f"http://zkres1.myzaker.com/202108/{ID}01_0_1024.jpg", 800, 515),
        (f"http://zkres2.myzaker.com/202108/{ID}01_1_1024.jpg", 640, 427),
    ]
    assert item.head_image == f"http://zkres1.myzaker.com/202108/{ID}01_0_1024.jpg"
    assert item.thumbnail == f"http://zkres1.myzaker.com/202108/{ID}01_320.jpg"


def test_year_less_list_date_is_kept_raw_when_the_page_has_none(
    items: dict[str, ArticleItem],
) -> None:
    item = items["07"]
    assert item.title == "量子通信网络再添新节点"
    assert item.published == "08月05日"
    assert item.categories == ["新媒体", "ZAKER", "科技"]


def test_article_from_an_older_content_block_list(items: dict[str, ArticleItem]) -> None:
    item = items["09"]
    assert item.title == "地铁新线开通试运营 沿线居民出行更便利"
    assert item.published == "08月03日 07:45"
    assert item.categories == ["新媒体", "ZAKER", "新京报"]
    assert item.images == []
    assert "连接城市东部多个大型居住区" in item.body_html
    assert items["12"].published == "前天 08:00"
    assert items["02"].published == "昨天 15:30"


def test_every_listed_article_lands_once(items: dict[str, ArticleItem], zaker_crawl: Crawl) -> None:
    # 13 is on the second page of channel/2, 15 on channel/4's JSON next page
    good = {f"{n:02d}" for n in range(1, 16)}
    assert good <= set(items)
    # the truncated page and the one with a wrong charset land too (with what they hold)
    assert set(items) == good | {"e1", "e3"}


def test_deleted_and_blocked_pages_are_counted_never_landed(
    items: dict[str, ArticleItem],
    zaker_crawl: Crawl,
    module_warehouse: str,
    module_server: SiteServer,
) -> None:
    assert not {"d1", "f1", "f2"} & set(items)
    run = pipeline_run(module_warehouse, zaker_crawl.run_id)
    assert run.kind == "crawl" and run.name == "zaker" and run.status == "partial"
    assert run.counts["failed article pages"] >= 2
    assert run.counts["skipped (deleted)"] == 1
    assert run.counts["blocked"] == 2
    assert run.counts["detail"]["newsetl/blocked/429"] == 1
    assert run.counts["detail"]["newsetl/blocked/waf"] == 1
    blocked = {p["url"] for p in run.counts["problems"] if p["kind"] == "blocked"}
    assert {u.rsplit("/", 1)[1] for u in blocked} == {f"{ID}f1", f"{ID}f2"}
    # backed off and retried before giving up (RETRY_TIMES=2: three tries each)
    assert run.counts["detail"]["newsetl/backoff"] >= 4
    assert module_server.hits[article_path("f1")] == 3
    assert module_server.hits[article_path("f2")] == 3


def test_bad_input_is_counted_with_url_and_reason(
    items: dict[str, ArticleItem], zaker_crawl: Crawl, module_warehouse: str
) -> None:
    run = pipeline_run(module_warehouse, zaker_crawl.run_id)
    reasons = {p["url"].rsplit("/", 1)[1]: p["reason"] for p in run.counts["problems"]}
    assert reasons[f"{ID}e2"] == "parse: zaker/ArticlePage found no body"
    assert reasons[f"{ID}e3"] == "charset: declared utf-8, decoded as gb18030"
    assert reasons[f"{ID}e4"] == "http_404"
    assert reasons[f"{ID}e5"] == "http_500"
    assert reasons[f"{ID}e6"].startswith("too_large")
    loop = reasons.get(f"{ID}e7") or reasons.get(f"{ID}e8") or ""
    assert loop.startswith("redirect_loop")
    assert reasons["3"].startswith("list_page: window.WinPageData is not valid JSON")
    empty = next(p for p in run.counts["problems"] if "/news/block_next.php" in p["url"])
    assert empty["reason"] == "list_page: empty list page"
    assert run.counts["errors"] == 8
    # the page with the wrong declaration is read right, the truncated one as far as it goes
    assert items["e3"].title == "高温天气持续 电网迎峰度夏保供应"
    assert items["e3"].body_html.endswith("电力供应仍面临考验。</p></div>")
    assert items["e1"].body_html.endswith("城市排水系统建设</p></div>")


def test_next_url_objects_json_next_pages_and_app_links(
    items: dict[str, ArticleItem], zaker_crawl: Crawl, module_warehouse: str
) -> None:
    """channel/4: ``next_url`` is ``{"value": …}`` at the top level of the page data; the next
    page is a JSON endpoint linking its article through app.myzaker.com."""
    app_linked = items["15"]
    assert app_linked.url == f"https://www.myzaker.com/article/{ID}15"
    assert app_linked.canonical_url == app_linked.url
    assert app_linked.title == "全民健身设施覆盖城乡社区"
    assert app_linked.categories == ["新媒体", "ZAKER"]  # a JSON page names no channel
    assert items["14"].url == f"https://www.myzaker.com/article/{ID}14"  # older link with /


def test_captions_become_figures_and_dividers_are_dropped(items: dict[str, ArticleItem]) -> None:
    item = items["14"]
    assert [(i.url.rsplit("/", 1)[1], i.caption) for i in item.images] == [
        (f"{ID}14_0_1024.jpg", "选手们从起点出发。"),
        (f"{ID}14_1_1024.jpg", "志愿者为跑者递上饮用水。"),  # bare text in .zk_decsimg
    ]
    assert item.body_html is not None
    assert item.body_html.count("<figure>") == 2
    assert "<figcaption>选手们从起点出发。</figcaption></figure>" in item.body_html
    assert "divider_line" not in item.body_html and "zk_decsimg" not in item.body_html


def test_robots_txt_and_user_agent_are_obeyed(
    zaker_crawl: Crawl, module_server: SiteServer, module_warehouse: str
) -> None:
    assert module_server.hits["/robots.txt"] == 1
    assert module_server.hits[article_path("d2")] == 0
    run = pipeline_run(module_warehouse, zaker_crawl.run_id)
    assert run.counts["detail"]["newsetl/skipped/robots"] == 1
    assert set(module_server.user_agents) == {TEST_AGENT}
    assert "AutoThrottle" in zaker_crawl.stderr  # the extension is on
    assert "Remote control HTTP server listening" not in zaker_crawl.stderr
    assert "Telnet console listening" not in zaker_crawl.stderr


def test_second_crawl_requests_no_landed_article(
    site_server: SiteServer, warehouse_url: str, tmp_path: Path
) -> None:
    """Incremental on both backends; ``refresh=1`` fetches them again."""
    options = {
        "database_url": warehouse_url,
        "base_urls": {"zaker": site_server.site_url("zaker")},
        "args": {"lists": "source/10"},
    }
    first = run_crawl("zaker", **options)
    assert first.returncode == 0, first.stderr[-3000:]
    landed_urls = set(landed(warehouse_url, "zaker"))
    assert len(landed_urls) == 3
    hits = dict(site_server.hits)

    second = run_crawl("zaker", **options)
    assert second.returncode == 0
    for url in landed_urls:
        path = "/zaker/" + url.split("/zaker/", 1)[1]
        assert site_server.hits[path] == hits[path] == 1
    counts = pipeline_run(warehouse_url, second.run_id).counts
    assert counts["skipped (already landed)"] == 3
    assert counts["landed (new)"] == 0
    assert re.search(r"skipped \(already landed\)\s*│\s*3\s*│", second.stdout)

    third = run_crawl("zaker", **{**options, "args": {**options["args"], "refresh": "1"}})
    assert third.returncode == 0
    counts = pipeline_run(warehouse_url, third.run_id).counts
    assert counts["skipped (already landed)"] == 0
    assert counts["landed (already there)"] == 3  # same bytes: no new rows
    assert len(landed(warehouse_url, "zaker")) == 3


def test_next_list_pages_are_followed_while_they_bring_new_articles(
    site_server: SiteServer, warehouse_url: str, tmp_path: Path
) -> None:
    """channel/2 names a next page (``next_url``) holding one more article, and that one a
    third; a list page whose articles are all landed already is not followed further."""
    page_two, page_three = "/zaker/channel/2/p2", "/zaker/channel/2/p3"
    options = {
        "database_url": warehouse_url,
        "base_urls": {"zaker": site_server.site_url("zaker")},
        "args": {"lists": "channel/2", "max_pages": "1"},
    }
    only_first = run_crawl("zaker", **options)
    # channel/2 links the article the WAF page blocks: those crawls are partial
    assert only_first.returncode == PARTIAL_EXIT, only_first.stderr[-3000:]
    assert site_server.hits[page_two] == 0
    assert not any(url.endswith(f"{ID}13") for url in landed(warehouse_url, "zaker"))

    every_page = run_crawl("zaker", **{**options, "args": {"lists": "channel/2"}})
    assert every_page.returncode == PARTIAL_EXIT, every_page.stderr[-3000:]
    assert site_server.hits[page_two] == site_server.hits[page_three] == 1
    assert any(url.endswith(f"{ID}13") for url in landed(warehouse_url, "zaker"))

    from_two = run_crawl("zaker", **{**options, "args": {"lists": "channel/2/p2"}})
    assert from_two.returncode == 0
    assert site_server.hits[page_two] == 2
    assert site_server.hits[page_three] == 1  # page two brought nothing new
