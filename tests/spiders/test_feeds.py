"""The ``feeds`` spider crawling local feeds: the registry's list (RSS and Atom, full
bodies), ad hoc GBK/Big5 feeds with summary items followed, and bad feeds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from crawl_helpers import Crawl, landed, pipeline_run, run_crawl

from newsetl.demo.server import SiteServer
from schemas.items import ArticleItem


@pytest.fixture(scope="module")
def list_crawl(
    module_server: SiteServer, module_warehouse: str, tmp_path_factory: pytest.TempPathFactory
) -> Crawl:
    """The registry's feed list, crawled from the local copy of the RSSHub routes."""
    crawl = run_crawl(
        "feeds",
        database_url=module_warehouse,
        base_urls={"zaker-feeds": module_server.site_url("feeds")},
    )
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    return crawl


@pytest.fixture(scope="module")
def local_crawl(
    module_server: SiteServer,
    module_warehouse: str,
    tmp_path_factory: pytest.TempPathFactory,
    list_crawl: Crawl,
) -> Crawl:
    """Ad hoc feeds: GBK with summaries, Big5, and every kind of bad feed."""
    base = module_server.site_url("feeds")
    paths = [
        "local/gbk.xml",
        "local/big5.xml",
        "bad/empty.xml",
        "bad/html.xml",
        "bad/broken.xml",
        "bad/missing.xml",
        "bad/error.xml",
        "private/feed.xml",
    ]
    crawl = run_crawl(
        "feeds",
        database_url=module_warehouse,
        base_urls={"zaker-feeds": base},
        args={"feed": ",".join(f"{base}/{p}" for p in paths), "category": "新闻/滨海"},
    )
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    return crawl


def items_of(database_url: str) -> dict[str, ArticleItem]:
    return {
        url: ArticleItem.from_dict(doc.item)
        for url, doc in landed(database_url, "zaker-feeds").items()
    }


def test_rss_items_with_full_bodies_land_as_they_are(
    list_crawl: Crawl, module_warehouse: str
) -> None:
    item = items_of(module_warehouse)["https://www.myzaker.com/article/6108c2f18e9f0970a43c7a11"]
    assert item.title == "多国专家：中国疫苗为全球抗疫注入信心"
    assert item.published == "Thu, 05 Aug 2021 23:41:09 GMT"
    assert item.author == "新华社"
    assert item.categories == ["新媒体", "ZAKER", "source"]
    assert item.body_html.startswith("<div><p>近日，多国专家和官员在接受采访时表示")
    assert item.body_html.endswith("实现经济社会的全面复苏。</p></div>")
    assert '" 免疫鸿沟 "' in item.body_html  # ZAKER's spaced quotes kept as they are
    assert [(i.url, i.width, i.height) for i in item.images] == [
        ("http://zkres1.myzaker.com/202108/6108c2f18e9f0970a43c7a11_0_1024.jpg", 800, 533)
    ]
    assert item.head_image == item.images[0].url
    two_images = items_of(module_warehouse)[
        "https://www.myzaker.com/article/6108b9e48e9f0970a43c7a02"
    ]
    assert [i.height for i in two_images.images] == [683, 960]


def test_atom_entries_land_with_their_category_path(
    list_crawl: Crawl, module_warehouse: str, module_server: SiteServer
) -> None:
    item = items_of(module_warehouse)["https://www.myzaker.com/article/6108d4a18e9f0970a43c7b20"]
    assert item.title == "暑运客流稳步回升 铁路部门加开列车"
    assert item.published == "2021-08-06T02:15:00+08:00"
    assert item.author == "人民网"
    assert item.categories == ["新媒体", "ZAKER", "channel"]
    assert item.tags == ["国内"]
    assert item.body_html.endswith("方便旅客购票出行。</p></div>")
    run = pipeline_run(module_warehouse, list_crawl.run_id)
    assert run.counts["landed (new)"] == 5
    # the disabled feed of the list is not fetched
    assert module_server.hits["/feeds/zaker/source/10376"] == 0
    assert module_server.hits["/feeds/zaker/source/12291"] == 1


def test_gbk_feed_summaries_are_followed_and_extracted(
    local_crawl: Crawl, module_warehouse: str, module_server: SiteServer
) -> None:
    base = module_server.site_url("feeds")
    items = items_of(module_warehouse)
    page = items[f"{base}/local/news/2021/0806/n1.html"]
    assert page.title == "市区新增三处口袋公园 居民休闲有了好去处"
    assert re.sub(r"\D", "", page.published).startswith("202108060807")  # 2021年08月06日 08:07
    assert page.categories == ["新闻", "滨海"]
    body = page.body_html or page.body_text
    assert "市区新建的三处口袋公园陆续对外开放" in body
    assert "每天都来这里转一转，心情舒畅多了。" in body
    assert "网友评论" not in body
    raw = landed(module_warehouse, "zaker-feeds")[f"{base}/local/news/2021/0806/n1.html"]
    assert raw.encoding == "gb18030" and raw.raw_body.decode("gbk").startswith("<!DOCTYPE html>")
    full = items[f"{base}/local/news/2021/0805/n9.html"]
    assert full.title == "全市防汛工作总体平稳 主汛期仍需严防"
    assert full.body_html.startswith("<p>本市今年夏季防汛工作总体平稳。")
    assert module_server.hits["/feeds/local/news/2021/0805/n9.html"] == 0  # complete: not fetched
    big5 = items[f"{base}/local/big5/2021/0806/a1.html"]
    assert big5.title == "臺北市擴大社區長照服務據點"
    assert big5.body_html.endswith("希望市府能持續投入資源。</p>")


def test_bad_feeds_are_counted_and_the_crawl_finishes(
    local_crawl: Crawl, module_warehouse: str
) -> None:
    run = pipeline_run(module_warehouse, local_crawl.run_id)
    assert run.status == "success"
    reasons = {p["url"].split("/feeds/", 1)[1]: p["reason"] for p in run.counts["problems"]}
    assert reasons["bad/empty.xml"] == "empty_feed: the feed has no items"
    assert reasons["bad/html.xml"] == "not_a_feed: an HTML page, not RSS or Atom"
    assert reasons["bad/broken.xml"].startswith("malformed_feed")
    assert reasons["bad/missing.xml"] == "http_404"
    assert reasons["bad/error.xml"] == "http_500"
    assert reasons["private/feed.xml"] == "robots: Forbidden by robots.txt"
    # the complete item before the cut of the broken feed still lands
    items = items_of(module_warehouse)
    assert "https://www.myzaker.com/article/6108e0018e9f0970a43c7c01" in items


def test_second_crawl_of_the_list_skips_landed_items(
    local_crawl: Crawl, module_server: SiteServer, module_warehouse: str, tmp_path_factory
) -> None:
    again = run_crawl(
        "feeds",
        database_url=module_warehouse,
        base_urls={"zaker-feeds": module_server.site_url("feeds")},
    )
    counts = pipeline_run(module_warehouse, again.run_id).counts
    assert counts["skipped (already landed)"] == 5
    assert counts["items"] == 0


def test_full_text_feed_of_the_e_paper(
    module_server: SiteServer, module_warehouse: str, tmp_path: Path
) -> None:
    """Titles prefixed with the page, the page's block as description, pubDate the time the
    feed was made, an editor credit among the items, an item with no body."""
    crawl = run_crawl(
        "feeds",
        database_url=module_warehouse,
        base_urls={"zaker-feeds": module_server.site_url("feeds")},
        args={
            "feed": module_server.site_url("feeds") + "/epaper/rmrb.xml",
            "category": "报纸/人民日报",
        },
    )
    # the item without a body links a page that answers 404: an article page lost, partial
    assert (crawl.returncode, crawl.status) == (3, "partial"), crawl.stderr[-3000:]
    docs = [d for d in landed(module_warehouse, "zaker-feeds").values() if "content_4000" in d.url]
    [article] = [ArticleItem.from_dict(d.item) for d in docs]
    assert (article.title, article.page) == ("让绿色成为高质量发展的底色", "第01版：要闻")
    assert (article.kicker, article.subtitle, article.author) == (
        "绿水青山就是金山银山", "全国生态环境质量持续改善", "王晔、李红"
    )  # fmt: skip
    assert article.published == "2026年05月01日"  # the page's date, not the feed's pubDate
    assert article.categories == ["报纸", "人民日报"]
    assert article.canonical_url == article.url
    counts = pipeline_run(module_warehouse, crawl.run_id).counts
    reasons = {p["url"].rsplit("/", 1)[1]: (p["kind"], p["reason"]) for p in counts["problems"]}
    assert reasons["content_40000019.html"] == ("skipped", "editor_credit: 本版责编：刘 念 韩春瑶")
    assert reasons["content_40000031.html"] == ("error", "http_404")  # no body: its link fetched
    assert counts["landed (new)"] == 1
