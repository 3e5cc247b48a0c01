"""The People's Daily parser on the fixture e-paper: both layouts, every field, navigation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from schemas.items import ArticleItem
from spiders.encoding import decode
from spiders.publishers.people_daily import (
    FromDecember2024,
    PeopleDaily,
    UntilNovember2024,
    date_from_url,
    is_editor_credit,
    matches,
    page_label,
    split_column,
)

SITE = Path(__file__).parents[2] / "newsetl" / "demo" / "sites" / "people_daily"
REAL = "http://paper.people.com.cn/rmrb/"
GBK_HEADER = "text/html; charset=GBK"


def read(path: str, content_type: str | None = None) -> str:
    return decode((SITE / path).read_bytes(), content_type)[0]


def parse(path: str, content_type: str | None = None) -> ArticleItem:
    return PeopleDaily.parse(read(path, content_type), REAL + path)


def body_paragraphs(item: ArticleItem) -> list[str]:
    assert item.body_html is not None
    lines = item.body_html.split("\n")
    return [p.removeprefix("<p>").removesuffix("</p>") for p in lines if p.startswith("<p>")]


def test_layout_is_picked_by_the_date_of_the_edition() -> None:
    assert PeopleDaily.layout_for(date(2024, 11, 30)) is UntilNovember2024
    assert PeopleDaily.layout_for(date(2024, 12, 1)) is FromDecember2024
    assert PeopleDaily.layout_for(date(2021, 8, 6)) is UntilNovember2024
    assert PeopleDaily.layout_of(REAL + "html/2024-11/30/nbs.D110000renmrb_01.htm") is (
        UntilNovember2024
    )
    assert PeopleDaily.layout_of(REAL + "pc/content/202412/01/content_1.html") is FromDecember2024
    assert UntilNovember2024.first_page_url("http://h/rmrb/", date(2024, 11, 3)) == (
        "http://h/rmrb/html/2024-11/03/nbs.D110000renmrb_01.htm"
    )
    assert FromDecember2024.first_page_url("http://h/rmrb", date(2025, 3, 5)) == (
        "http://h/rmrb/pc/layout/202503/05/node_01.html"
    )


def test_old_layout_article_with_founder_content_and_a_picture() -> None:
    item = parse("html/2024-11/29/nw.D110000renmrb_20241129_1-01.htm")
    assert item.source == "people-daily"
    assert item.url == REAL + "html/2024-11/29/nw.D110000renmrb_20241129_1-01.htm"
    assert item.kicker == "全国冬季农田水利建设全面展开"
    assert item.title == "抓住农闲时节 夯实增产基础"
    assert item.subtitle == "各地已完成投资超过一千二百亿元"
    assert item.column is None
    assert item.author == "郁静、孙超"  # 本报记者　郁　静　孙　超
    assert item.origin is None  # the paper's own story
    assert item.page == "第01版：要闻"
    assert item.published == "2024年11月29日"
    assert item.inferred == []
    paragraphs = body_paragraphs(item)
    assert len(paragraphs) == 3
    assert paragraphs[0].startswith("本报北京11月28日电　记者从水利部获悉")
    assert paragraphs[-1].endswith("为夺取明年粮食丰收打下坚实基础。")
    assert not any(p.startswith("\u3000") for p in paragraphs)
    [image] = item.images
    assert image.url == REAL + "res/2024-11/29/01/rmrb2024112901p11_b.jpg"
    assert image.caption == "图为河北馆陶县农民正在修整灌溉渠道。"
    assert image.width == 300
    assert item.head_image == image.url


def test_old_layout_gbk_article_with_a_column_in_its_title() -> None:
    item = parse("html/2024-11/30/nw.D110000renmrb_20241130_1-03.htm")
    assert item.title == "携手构建开放包容的伙伴关系"
    assert item.column == "命运与共"
    assert item.kicker == "中外专家学者热议全球发展合作"  # trailing dashes dropped
    assert item.subtitle is None
    assert item.author == "刘晨"  # 本报驻日内瓦记者　刘　晨
    assert item.page == "第03版：国际"
    assert item.published == "2024年11月30日"
    paragraphs = body_paragraphs(item)
    # section heads stay paragraphs of their own, as in the second seed
    assert paragraphs[1:3] == ["发展理念：", "以人民为中心的共同追求"]
    assert paragraphs[-1].endswith("切实改善了当地民众的生活。")
    assert item.images == []


def test_old_layout_two_pictures_one_without_caption() -> None:
    item = parse("html/2024-11/30/nw.D110000renmrb_20241130_1-01.htm")
    assert [(i.url.rsplit("/", 1)[1], i.caption) for i in item.images] == [
        ("rmrb2024113001p21_b.jpg", "旅客在北京西站有序乘车。"),
        ("rmrb2024113001p22_b.jpg", None),
    ]
    assert item.subtitle == "新增旅客列车三十二对"
    assert item.author == "齐志明"


def test_new_layout_article() -> None:
    item = parse("pc/content/202412/01/content_30060011.html")
    assert item.kicker == "坚持生态优先　推动绿色发展"
    assert item.title == "长江十年禁渔取得阶段性成效"
    assert item.subtitle == "水生生物多样性持续恢复"
    assert item.author == "寇江泽"
    assert item.page == "第01版：要闻"
    assert item.published == "2024年12月01日"
    [image] = item.images
    # ../../../pic/... resolved against the article's URL
    assert image.url == REAL + "pc/pic/202412/01/c8a1e3f0b7d24c51a8f6e2d9_1.jpg"
    assert image.caption == "江豚在长江湖北宜昌段水域嬉戏。"
    paragraphs = body_paragraphs(item)
    assert paragraphs[0].startswith("本报武汉11月30日电")
    assert paragraphs[-1].endswith("推动长江大保护不断取得新成效。")


def test_new_layout_commentary_byline_and_column() -> None:
    item = parse("pc/content/202412/01/content_30060012.html")
    assert (item.title, item.column) == ("以高质量发展推动共同富裕", "经济新方位")
    assert item.author == "本报评论员"
    assert item.kicker is None and item.subtitle is None


def test_new_layout_gbk_page_declared_only_by_the_http_header() -> None:
    item = parse("pc/content/202503/05/content_30170011.html", GBK_HEADER)
    assert item.title == "十四届全国人大三次会议在京开幕"
    assert item.author == "张璁、亓玉昆"  # 张　璁　亓玉昆
    assert item.published == "2025年03月05日"
    assert body_paragraphs(item)[0].startswith("本报北京3月4日电　第十四届全国人民代表大会")


def test_wire_story_names_its_agency_as_origin() -> None:
    item = parse("pc/content/202412/01/content_30060021.html")
    assert (item.author, item.origin) == ("黄鑫", "新华社")
    html = (
        '<div class="article"><h1>标题</h1></div>'
        '<div id="ozoom"><p>中新社北京3月4日电 正文。</p></div>'
    )
    assert PeopleDaily.parse(html, REAL + "pc/content/202503/05/content_9.html").origin == "中新社"


def test_page_without_printed_date_takes_it_from_the_url_as_inferred() -> None:
    html = '<div class="article"><h1>标题</h1></div><div id="ozoom"><p>正文。</p></div>'
    item = PeopleDaily.parse(html, REAL + "pc/content/202503/05/content_9.html")
    assert item.published == "2025-03-05"
    assert item.inferred == ["published"]
    assert item.page is None


@pytest.mark.parametrize(
    ("path", "content_type", "pages", "articles"),
    [
        (
            "html/2024-11/29/nbs.D110000renmrb_01.htm",  # #pageList / #titleList
            None,
            ["第01版：要闻", "第02版：要闻"],
            ["nw.D110000renmrb_20241129_1-01.htm", "nw.D110000renmrb_20241129_2-01.htm"],
        ),
        (
            "html/2024-11/30/nbs.D110000renmrb_03.htm",  # swiper + ul.news-list, GB2312 meta
            None,
            ["第01版：要闻", "第03版：国际", "第04版：经济"],
            ["nw.D110000renmrb_20241130_1-03.htm", "nw.D110000renmrb_20241130_2-03.htm"],
        ),
        (
            "pc/layout/202412/01/node_02.html",
            None,
            ["第01版：要闻", "第02版：要闻"],
            ["content_30060021.html"],
        ),
        (
            "pc/layout/202503/05/node_01.html",  # titles written by script and as text
            GBK_HEADER,
            ["第01版：要闻", "第05版：评论"],
            ["content_30170011.html"],
        ),
    ],
)
def test_navigation_lists_pages_and_articles_without_editor_credits(
    path: str, content_type: str | None, pages: list[str], articles: list[str]
) -> None:
    page = PeopleDaily.page(read(path, content_type), REAL + path)
    assert [link.label for link in page.pages()] == pages
    assert all(link.url.startswith(REAL) for link in page.pages())
    assert [url.rsplit("/", 1)[1] for url in page.articles()] == articles
    assert page.page() == pages[[link.url for link in page.pages()].index(REAL + path)]


def test_helpers() -> None:
    assert page_label("第01版 要闻") == "第01版：要闻"
    assert page_label("03版：国际") == "第03版：国际"
    assert page_label("第 5 版") == "第05版"
    assert page_label("要闻") is None
    assert split_column("努力共创健康安全的未来（命运与共）") == (
        "努力共创健康安全的未来",
        "命运与共",
    )
    assert split_column("乡村振兴的生动实践（上）") == ("乡村振兴的生动实践（上）", None)
    assert split_column("数说发展成就（2024）") == ("数说发展成就（2024）", None)
    assert split_column("没有栏目的标题") == ("没有栏目的标题", None)
    assert is_editor_credit("本版责编：王　晓") and is_editor_credit("责任编辑：赵明")
    assert not is_editor_credit("编者按")
    assert date_from_url(REAL + "html/2024-11/29/nw.D110000renmrb_20241129_1-01.htm") == (
        date(2024, 11, 29)
    )
    assert date_from_url(REAL + "pc/layout/202412/01/node_01.html") == date(2024, 12, 1)
    assert date_from_url("https://example.com/news/1.html") is None
    assert matches(REAL + "pc/content/202412/01/content_30060011.html")
    assert matches("http://127.0.0.1:8000/people_daily/html/2024-11/29/nbs.D110000renmrb_01.htm")
    assert not matches("https://www.myzaker.com/article/610ce1ad8e9f0904fe64126a")
    assert not matches(None)
