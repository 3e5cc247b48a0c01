"""A crawl against pages whose charset lies: a declared charset that makes mojibake is
re-detected, text no charset makes readable is a decoding problem fetched again next time,
and article pages that fail for good (unreadable, 404, redirected to another host) make the
crawl ``partial``, with a non-zero exit and the pages among its problems."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from crawl_helpers import Crawl, landed, pipeline_run, run_crawl

from newsetl.cli.crawl import EXIT_CODES
from newsetl.demo.server import SiteServer
from schemas.items import ArticleItem

TITLES = {
    "utf8": "滨江步道全线贯通 市民漫步有了新去处",
    "gbk": "社区食堂开门迎客 老人吃饭不再犯愁",
    "garbled": "乱码页面不应被当作文章入库",
}
PARAGRAPHS = [
    "近日，城区滨江步道最后一段完成改造，全长十二公里的步道全线贯通，沿线新增休息驿站六处。",
    "步道沿江而建，串联起三处公园和两个历史街区，沿途设置了照明、座椅和无障碍设施。",
    "市民张先生说，以前晚上散步只能绕着小区走，现在沿着江边走一圈，风景好，空气也好。",
    "有关部门表示，下一步将继续完善配套服务，让滨江步道成为市民休闲健身的好去处。",
]


def page(title: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title></head><body>"
        f'<div class="article"><h1>{title}</h1>'
        '<div class="info"><span class="time">2026年11月20日 08:00</span></div>'
        f'<div class="content">{body}</div></div></body></html>'
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def lying_site(tmp_path: Path) -> tuple[SiteServer, int]:
    """A feed of summaries whose pages carry a wrong charset, no readable text, a 404 and a
    redirect to another host (``localhost`` is not ``127.0.0.1`` to the offsite filter)."""
    port = free_port()
    root = tmp_path / "sites"
    site = root / "lying"
    (site / "a").mkdir(parents=True)
    (site / "a" / "utf8.html").write_bytes(page(TITLES["utf8"]).encode("utf-8"))
    (site / "a" / "gbk.html").write_bytes(page(TITLES["gbk"]).encode("gbk"))
    # UTF-8 read as latin-1 and saved as UTF-8 again: no charset gives the text back
    mojibake = page(TITLES["garbled"]).encode("utf-8").decode("latin-1")
    (site / "a" / "garbled.html").write_bytes(mojibake.encode("utf-8"))
    items = "".join(
        f"<item><title>稿件{n}</title><link>a/{n}.html</link><description>摘要。</description>"
        "<pubDate>Fri, 20 Nov 2026 08:00:00 +0800</pubDate></item>"
        for n in ("utf8", "gbk", "garbled", "missing", "away")
    )
    (site / "feed.xml").write_text(
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>滨江</title>'
        f"<link>http://127.0.0.1/</link><description>本地</description>{items}</channel></rss>",
        encoding="utf-8",
    )
    latin1 = {"Content-Type": "text/html; charset=iso-8859-1"}
    (site / "_routes.yml").write_text(
        f"/a/utf8.html: {{file: a/utf8.html, headers: {latin1}}}\n"
        f"/a/gbk.html: {{file: a/gbk.html, headers: {latin1}}}\n"
        "/a/away.html: {status: 302, headers: "
        f"{{Location: 'http://localhost:{port}/lying/a/utf8.html'}}}}\n",
        encoding="utf-8",
    )
    with SiteServer(root, port=port) as server:
        yield server, port


def crawl(server: SiteServer, warehouse_url: str) -> Crawl:
    base = server.site_url("lying")
    return run_crawl(
        "feeds",
        database_url=warehouse_url,
        base_urls={"zaker-feeds": base},
        args={"feed": f"{base}/feed.xml", "category": "新闻/滨江"},
    )


def test_lying_charsets_and_lost_pages(
    lying_site: tuple[SiteServer, int], warehouse_url: str, tmp_path: Path
) -> None:
    server, _ = lying_site
    first = crawl(server, warehouse_url)
    assert first.returncode == EXIT_CODES["partial"], first.stdout[-3000:] + first.stderr[-3000:]
    assert first.status == "partial"
    documents = {
        url.rsplit("/", 1)[1]: doc for url, doc in landed(warehouse_url, "zaker-feeds").items()
    }
    # the latin-1 header made mojibake of both: re-detected from the bytes
    assert documents["utf8.html"].encoding == "utf-8"
    assert documents["gbk.html"].encoding == "gb18030"
    assert ArticleItem.from_dict(documents["utf8.html"].item).title == TITLES["utf8"]
    assert ArticleItem.from_dict(documents["gbk.html"].item).title == TITLES["gbk"]
    # no charset reads the garbled page: its bytes are kept, no article is made of them
    assert documents["garbled.html"].item in (None, "null")

    run = pipeline_run(warehouse_url, first.run_id)
    assert run.status == "partial"
    assert run.counts["failed article pages"] == 3
    problems = {p["url"].rsplit("/", 1)[1]: p["reason"] for p in run.counts["problems"]}
    assert problems["garbled.html"].startswith("decoding: utf-8: ")
    assert "Latin-1 letters" in problems["garbled.html"]
    assert problems["missing.html"] == "http_404"
    assert problems["away.html"].startswith("offsite_redirect: redirected to http://localhost:")
    assert "failed article pages" in first.stdout and "partial" in first.stderr

    second = crawl(server, warehouse_url)
    assert second.status == "partial"
    # landed articles are not fetched again; the undecodable page is
    assert server.hits["/lying/a/utf8.html"] == 1
    assert server.hits["/lying/a/gbk.html"] == 1
    assert server.hits["/lying/a/garbled.html"] == 2
