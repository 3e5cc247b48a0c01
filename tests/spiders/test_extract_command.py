"""``newsetl extract``: one page, local file or live URL on 127.0.0.1, through the parser
that matches its URL."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from newsetl.cli import app
from newsetl.demo.server import SiteServer

SITES = Path(__file__).parents[2] / "newsetl" / "demo" / "sites"
runner = CliRunner()


def extract(*args: str) -> dict:
    result = runner.invoke(app, ["extract", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_gbk_file_prints_the_expected_json() -> None:
    assert extract(str(SITES / "generic" / "gbk-portal.html")) == {
        "parser": "generic",
        "url": None,
        "encoding": "gb18030",
        "title": "我市启动夏季河道清淤工程",
        "kicker": None,
        "subtitle": None,
        "column": None,
        "page": None,
        "author": "周明远",
        "source": "江城日报",
        "published": "2021-08-06 08:07",
        "published_at": "2021-08-06T00:07:00+00:00",  # 08:07 in Asia/Shanghai
        "images": [],
        "body_text": (
            "为提升城区河道行洪能力、改善水环境质量，我市夏季河道清淤工程日前全面启动，"
            "计划清理河道淤泥十二万立方米。\n"
            "此次清淤涉及城区主要河道十余条。施工单位采用环保绞吸式清淤设备，"
            "淤泥经脱水处理后集中外运，最大程度减少对周边居民生活的影响。\n"
            "市水务部门相关负责人介绍，工程预计九月底前完工。完工后，"
            "相关河道的防洪排涝能力将明显提升，河水也将更加清澈。\n"
            "施工期间，部分路段将临时封闭，请过往车辆和行人注意绕行。"
        ),
    }


def test_url_option_picks_the_people_daily_parser_for_a_saved_page() -> None:
    url = "http://paper.people.com.cn/rmrb/pc/content/202412/01/content_30060011.html"
    path = SITES / "people_daily" / "pc" / "content" / "202412" / "01" / "content_30060011.html"
    fields = extract(str(path), "--url", url)
    assert fields["parser"] == "people_daily"
    assert fields["url"] == url
    assert (fields["kicker"], fields["title"], fields["subtitle"]) == (
        "坚持生态优先　推动绿色发展",
        "长江十年禁渔取得阶段性成效",
        "水生生物多样性持续恢复",
    )
    assert fields["author"] == "寇江泽"
    assert fields["page"] == "第01版：要闻"
    assert fields["published_at"] == "2024-11-30T16:00:00+00:00"
    assert fields["images"] == [
        {
            "url": "http://paper.people.com.cn/rmrb/pc/pic/202412/01/c8a1e3f0b7d24c51a8f6e2d9_1.jpg",
            "caption": "江豚在长江湖北宜昌段水域嬉戏。",
        }
    ]
    caption, first, *_ = fields["body_text"].split("\n")
    assert caption == "江豚在长江湖北宜昌段水域嬉戏。"  # the figure, then the paragraphs
    assert first.startswith("本报武汉11月30日电　记者从农业农村部获悉")
    assert fields["body_text"].count("\n") == 3


def test_live_url_decoded_by_its_header(site_server: SiteServer) -> None:
    # served with "Content-Type: text/html; charset=GBK" and no <meta charset>
    url = site_server.site_url("people_daily") + "/pc/content/202503/05/content_30170051.html"
    fields = extract(url)
    assert fields["parser"] == "people_daily"
    assert fields["encoding"] == "gb18030"
    assert (fields["title"], fields["column"], fields["author"]) == (
        "用实干书写新的时代答卷",
        "人民时评",
        "何静",
    )
    assert site_server.hits["/people_daily/pc/content/202503/05/content_30170051.html"] == 1


def test_text_format_and_big5_page() -> None:
    result = runner.invoke(app, ["extract", str(SITES / "generic" / "big5-hk.html")])
    assert result.exit_code == 0, result.output
    assert "港鐵新線通車 沿線居民出行更方便" in result.stdout
    assert "陳大文" in result.stdout and "2021-08-06T02:25:00+00:00" in result.stdout
    assert "運輸署提醒市民" in result.stdout


def test_missing_file_and_unreachable_page_are_clear_errors(site_server: SiteServer) -> None:
    result = runner.invoke(app, ["extract", "no/such/page.html"])
    assert result.exit_code == 2
    assert "no such file" in result.output
    result = runner.invoke(app, ["extract", site_server.url + "/people_daily/missing.html"])
    assert result.exit_code == 1
    assert "cannot fetch" in result.output and "404" in result.output


def test_the_url_decides_between_the_zaker_parser_and_the_generic_one() -> None:
    page = str(SITES / "zaker" / "article" / "6101a3c2e4b0f1d2c3a4b501" / "index.html")
    zaker = extract(page, "--url", "https://www.myzaker.com/article/6101a3c2e4b0f1d2c3a4b501")
    generic = extract(page)
    assert (zaker["parser"], generic["parser"]) == ("zaker", "generic")
    assert zaker["author"] == "新京报"
    assert zaker["body_text"].startswith("入夏以来，多地城市夜间消费明显回暖")
    assert zaker["title"] == generic["title"] == "城市夜间经济持续升温 多地推出消费新场景"


def test_saved_current_layout_people_daily_article_prints_title_kicker_subtitle(
    tmp_path: Path,
) -> None:
    """A page of the 2026 layout saved by a browser: every heading holds its text in a <p>."""
    saved = tmp_path / "content_40000011.html"
    saved.write_bytes(
        (SITES / "people_daily" / "pc" / "content" / "202605" / "01" / saved.name).read_bytes()
    )
    url = "https://paper.people.com.cn/rmrb/pc/content/202605/01/content_40000011.html"
    result = runner.invoke(app, ["extract", str(saved), "--url", url], terminal_width=200)
    assert result.exit_code == 0, result.output
    rows = {
        cells[0]: cells[1]
        for line in result.stdout.splitlines()
        if len(cells := [c.strip() for c in line.strip("│ ").split("│")]) == 2
    }
    assert rows["parser"] == "people_daily"
    assert rows["title"] == "让绿色成为高质量发展的底色"
    assert rows["kicker"] == "绿水青山就是金山银山"
    assert rows["subtitle"] == "全国生态环境质量持续改善"
