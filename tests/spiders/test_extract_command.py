"""``newsetl extract``: one page, local file or live URL on 127.0.0.1, through the parser
that matches its URL."""

from __future__ import annotations

import json
import subprocess
import sys
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


def test_the_page_own_canonical_url_picks_the_site_parser() -> None:
    page = str(SITES / "zaker" / "article" / "6101a3c2e4b0f1d2c3a4b501" / "index.html")
    given = extract(page, "--url", "https://www.myzaker.com/article/6101a3c2e4b0f1d2c3a4b501")
    from_page = extract(page)  # <link rel="canonical" href="https://www.myzaker.com/...">
    for fields in (given, from_page):  # a relative date (3小时前) counts from now
        fields.pop("published_at")
    assert given == from_page
    assert from_page["parser"] == "zaker"
    assert from_page["author"] == "新京报"
    assert from_page["body_text"].startswith("入夏以来，多地城市夜间消费明显回暖")
    other = extract(page, "--url", "https://news.example.cn/a.html")
    assert other["parser"] == "generic"
    assert other["title"] == from_page["title"] == "城市夜间经济持续升温 多地推出消费新场景"


def test_dash_reads_the_page_from_stdin() -> None:
    page = (SITES / "generic" / "gbk-portal.html").read_bytes()
    result = runner.invoke(app, ["extract", "-", "--format", "json"], input=page)
    assert result.exit_code == 0, result.output
    fields = json.loads(result.stdout)
    assert (fields["encoding"], fields["title"]) == ("gb18030", "我市启动夏季河道清淤工程")


def test_empty_page_is_a_one_line_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"  \n")
    for args, given in (([str(empty)], None), (["-"], b"")):
        result = runner.invoke(app, ["extract", *args], input=given)
        assert result.exit_code == 1
        assert "empty page" in result.output and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1


def test_the_console_script_imports_only_what_extraction_needs() -> None:
    page = SITES / "generic" / "gbk-portal.html"
    script = (
        "import sys\n"
        f"sys.argv = ['newsetl', 'extract', {str(page)!r}, '--format', 'json']\n"
        "from newsetl.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = ('scrapy', 'pandas', 'great_expectations', 'sqlalchemy', 'trafilatura')\n"
        "print([name for name in heavy if name in sys.modules], file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout)["title"] == "我市启动夏季河道清淤工程"
    assert done.stderr.strip().splitlines()[-1] == "[]"


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
