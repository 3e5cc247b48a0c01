"""The generic extractor measured on the fixture pages of different Chinese news layouts
(``newsetl/demo/sites/generic``, ground truth in ``expected.json``), and its byline, date and
encoding rules on their own."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from schemas.items import ArticleItem
from spiders.encoding import declared_encoding, detect_encoding, header_encoding, normalise
from spiders.parsers.bylines import parse_byline
from spiders.parsers.dates import find_date
from spiders.parsers.generic import parse_generic
from spiders.parsers.match import page_text, parse_page, parser_for
from spiders.parsers.text import html_to_text

SITE = Path(__file__).parents[2] / "newsetl" / "demo" / "sites" / "generic"
EXPECTED: dict[str, dict[str, Any]] = json.loads((SITE / "expected.json").read_text("utf-8"))[
    "pages"
]
FIELDS = ("title", "author", "origin", "published")
REQUIRED_SHARE = {"title": 1.0, "author": 0.9, "origin": 0.9, "published": 0.9, "body": 0.9}


def squeeze(text: str) -> str:
    """Whitespace (ideographic spaces included) as single spaces, for body comparisons."""
    return re.sub(r"[\s\u3000]+", " ", text).strip()


@pytest.fixture(scope="module")
def extracted() -> dict[str, tuple[ArticleItem, str | None]]:
    results = {}
    for name in EXPECTED:
        body = (SITE / name).read_bytes()
        _, encoding = page_text(body)
        results[name] = (parse_page(body, f"https://news.example.cn/2021/0806/{name}"), encoding)
    return results


def body_ok(item: ArticleItem, truth: dict[str, Any]) -> bool:
    text = squeeze(html_to_text(item.body_html) or "")
    return (
        text.startswith(squeeze(truth["body_start"]))
        and text.endswith(squeeze(truth["body_end"]))
        and not any(squeeze(bad) in text for bad in truth["not_in_body"])
    )


def test_there_are_enough_pages_of_different_layouts() -> None:
    assert len(EXPECTED) >= 20
    assert {truth["encoding"] for truth in EXPECTED.values()} == {
        "utf-8", "utf-8-sig", "gb18030", "big5hkscs"
    }  # fmt: skip


def test_field_accuracy_against_the_ground_truth(
    extracted: dict[str, tuple[ArticleItem, str | None]],
) -> None:
    misses: dict[str, list[str]] = {field: [] for field in (*FIELDS, "body")}
    for name, truth in EXPECTED.items():
        item, _ = extracted[name]
        for field in FIELDS:
            if getattr(item, field) != truth[field]:
                misses[field].append(f"{name}: {getattr(item, field)!r} != {truth[field]!r}")
        if not body_ok(item, truth):
            misses["body"].append(name)
    for field, share in REQUIRED_SHARE.items():
        accuracy = 1 - len(misses[field]) / len(EXPECTED)
        assert accuracy >= share, f"{field} accuracy {accuracy:.0%}: {misses[field]}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_page_is_decoded_and_extracted_by_the_generic_parser(
    name: str, extracted: dict[str, tuple[ArticleItem, str | None]]
) -> None:
    item, encoding = extracted[name]
    truth = EXPECTED[name]
    assert encoding == truth["encoding"]
    assert parser_for(item.url).name == "generic"
    assert item.source == "web"
    assert item.title == truth["title"]
    assert "\ufffd" not in (item.title or "") + (item.body_html or "")
    if "images" in truth:
        assert len(item.images) == truth["images"]
        assert all(image.url.startswith("https://") for image in item.images)
    if "head_image" in truth:
        assert item.head_image == truth["head_image"]


def test_image_caption_comes_from_its_paragraph_not_the_body(
    extracted: dict[str, tuple[ArticleItem, str | None]],
) -> None:
    item, _ = extracted["local-slash-byline.html"]
    [image] = item.images
    assert image.url == "https://news.example.cn/uploads/2021/08/elevator.jpg"
    assert image.caption == "新装的电梯投入使用。 朱一鸣 摄"


def test_comments_are_left_out(extracted: dict[str, tuple[ArticleItem, str | None]]) -> None:
    for name in ("portal-comments.html", "sports-blog.html"):
        text = html_to_text(extracted[name][0].body_html) or ""
        assert "评论" not in text and "网友" not in text


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ("本报记者　郁　静　孙　超", "郁静、孙超"),
        ("本报驻日内瓦记者　刘　晨", "刘晨"),
        ("新华社记者　黄　鑫", "黄鑫"),
        ("作者：张三 李四", "张三、李四"),
        ("文/滨海晚报记者 吕思远 图/朱一鸣", "吕思远"),
        ("澎湃新闻记者 吴燕 实习生 马骁", "吴燕、马骁"),
        ("（本报记者　高　平　本报通讯员　李瑞祥）", "高平、李瑞祥"),
        ("記者 陳大文／香港報導", "陳大文"),
        ("体育记者 钱进 · 阅读 3210", "钱进"),
        ("财新记者 孙薇　编辑｜周可", "孙薇"),
        ("记者 阿卜杜勒·艾尼", "阿卜杜勒·艾尼"),
        ("本报评论员", "本报评论员"),
        ("责任编辑：刘军", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_byline(byline: str | None, names: str | None) -> None:
    assert parse_byline(byline) == names


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("2021年08月06日 08:07　来源：中国新闻网", "2021-08-06 08:07"),
        ("2021年8月6日", "2021-08-06"),
        ("发布时间：2021/08/06 08:07", "2021-08-06 08:07"),
        ("2021 08/06 08:07:32", "2021-08-06 08:07:32"),
        ("2021年8月6日 星期五 下午3:25", "2021-08-06 15:25"),
        ("2021.08.06", "2021-08-06"),
        ("2021-13-45 是个错误，2021-02-03 才对", "2021-02-03"),
        ("电话 010-12345678", None),
        ("没有日期", None),
    ],
)
def test_find_date(text: str, found: str | None) -> None:
    assert find_date(text) == found


def test_parse_generic_on_text_without_an_article_gives_an_item_without_body() -> None:
    item = parse_generic("<html><head><title>空页面</title></head><body></body></html>")
    assert item.title == "空页面"
    assert item.body_html is None and item.author is None and item.published is None


def test_encoding_detection_as_a_browser_would() -> None:
    text = "人民日报 短页"  # too short for byte statistics alone
    gbk = text.encode("gbk")
    assert detect_encoding(gbk) == "gb18030"
    assert detect_encoding(b"<meta charset=gb2312>" + gbk) == "gb18030"
    assert detect_encoding(gbk, "text/html; charset=GBK") == "gb18030"
    assert detect_encoding(b"\xef\xbb\xbf" + text.encode(), "text/html; charset=gbk") == "utf-8-sig"
    assert detect_encoding(text.encode()) == "utf-8"
    # a declaration the bytes contradict gives way to what they are
    assert detect_encoding(b'<meta charset="utf-8">' + gbk * 3) == "gb18030"
    assert detect_encoding("中華民國新聞報導".encode("big5")) == "big5hkscs"
    assert header_encoding(b"text/html;charset=UTF-8") == "utf-8"
    assert header_encoding("text/html") is None
    assert declared_encoding(b'<meta http-equiv="Content-Type" content="text/html; charset=gbk">')
    assert normalise("x-unknown") is None
    with pytest.raises(ValueError, match="unknown encoding"):
        page_text(b"abc", "x-unknown")


# --- The labelled set: self-written pages in the shapes real Chinese sites have ----------------

LABELLED = Path(__file__).parents[1] / "fixtures" / "generic"
LABELS: dict[str, dict[str, Any]] = {
    path.stem: json.loads(path.read_text("utf-8")) for path in sorted(LABELLED.glob("*.json"))
}
NAME_SEPARATORS = re.compile(r"[\s\u3000、，,]+")


def no_space(text: str | None) -> str:
    return re.sub(r"[\s\u3000]+", "", text or "")


def test_the_labelled_set_covers_the_shapes_and_encodings() -> None:
    assert len(LABELS) >= 60
    assert {label["encoding"] for label in LABELS.values()} == {"gbk", "big5", "utf-8"}
    shapes = {label["shape"] for label in LABELS.values()}
    assert shapes == {"portal", "government", "forum", "blog", "magazine"}
    assert all((LABELLED / f"{name}.html").is_file() for name in LABELS)


@pytest.mark.parametrize("name", sorted(LABELS))
def test_labelled_page_gives_its_body_date_and_author(name: str) -> None:
    label = LABELS[name]
    item = parse_page((LABELLED / f"{name}.html").read_bytes(), label.get("url"))
    assert no_space(html_to_text(item.body_html)) == no_space(label["body"])
    assert (find_date(item.published or "") or "")[:16] == (label["date"] or "")[:16]
    found = set(NAME_SEPARATORS.split(item.author or "")) - {""}
    assert found == set(NAME_SEPARATORS.split(label["author"] or "")) - {""}


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ("某某网某某频道 记者 王建国 李晓梅", "王建国、李晓梅"),
        ("□ 本报记者 赵志强", "赵志强"),
        ("本报记者王海燕李明发自北京", "王海燕、李明"),
        ("江城商报记者刘德华/文", "刘德华"),
        ("本报实习生 陈思远 周婷", "陈思远、周婷"),
        ("记者 欧阳春晓 【大 中 小】", "欧阳春晓"),
        ("新浪体育 记者 钱进", "钱进"),
    ],
)
def test_byline_shapes(byline: str, names: str) -> None:
    assert parse_byline(byline) == names


def page(body: str, head: str = "", title: str = "标题") -> str:
    return f"<html><head><title>{title}</title>{head}</head><body>{body}</body></html>"


ARTICLE = (
    "<p>为进一步方便市民出行，市交通运输局日前宣布，自下月起新增三条公交线路，覆盖城东新区。</p>"
    "<p>据介绍，新开通的线路将采用新能源公交车辆，早晚高峰发车间隔不超过八分钟。</p>"
)


def test_bracketed_place_byline_forum_posters_and_never_an_id_or_url() -> None:
    item = parse_generic(page(f"<h1>新增公交线路</h1>{ARTICLE[:-4]}（张敏 上海报道）</p>"))
    assert item.author == "张敏"
    forum = page(
        "<table><tr><td><b>江南烟雨</b><br>建立于：2003年5月2日</td><td>"
        "<div>1# 楼主 发表于：2008-6-12 09:30</div><h2>新增公交线路</h2>"
        f"<div>{ARTICLE}</div></td></tr></table>",
        title="新增公交线路 - 江城论坛",
    )
    forum_item = parse_generic(forum)
    assert (forum_item.author, forum_item.published) == ("江南烟雨", "2008-06-12 09:30")
    for meta in ("L_123456", "http://blog.example.com/u/1234", "江城在线"):
        head = f'<meta name="author" content="{meta}">'
        assert parse_generic(page(f"<h1>新增公交线路</h1>{ARTICLE}", head)).author is None


@pytest.mark.parametrize(
    ("lines", "published"),
    [
        # labelled dates win over the first date of the text
        (["今天是：2009年1月15日", "标题", "截止2010年3月1日，全省收购小麦",
          "发表于 2008-6-12 09:30:00"], "2008-06-12 09:30:00"),
        (["标题", "建立于：2003年5月2日", "本贴由 老张 于 2008-6-12 9:30:00 发表"],
         "2008-06-12 09:30:00"),
        (["标题", "某网2008年11月03日报道", "发布时间：2008-11-04"], "2008-11-04"),
        (["标题", "时间：3/21/2006 7:05:09 PM"], "2006-03-21 19:05:09"),
        (["标题", "2007年06月02日 10:15 来源：新华网"], "2007-06-02 10:15"),
        (["《城市文摘》2001年5月号", "标题", "文/吴晓东"], None),  # a month is no date
    ],
)  # fmt: skip
def test_publication_date_is_the_labelled_one_near_the_title(
    lines: list[str], published: str | None
) -> None:
    from spiders.parsers.dates import publication_date

    assert publication_date(lines, lines.index("标题")) == published


def test_body_kept_in_table_cells_and_boilerplate_left_out() -> None:
    related = "".join(
        f'<li>·<a href="/n{i}.html">相关标题{i}</a>（2007-06-02 10:15）</li>' for i in range(4)
    )
    html = "<script>if(top!=self){top.location=self.location}</script>\n" + page(
        '<table><tr><td><a href="/">首页</a> | <a href="/n">新闻</a></td></tr>'
        '<tr><td align="center"><b>新增公交线路</b></td></tr>'
        "<tr><td>发布时间：2009-03-05 来源：交通局</td></tr>"
        f"<tr><td>{ARTICLE.replace('<p>', '').replace('</p>', '<br>')}"
        "<table><tr><td>线路</td><td>起点</td></tr><tr><td>101路</td><td>城东站</td></tr>"
        "</table></td></tr>"
        "<tr><td>新增公交线路</td></tr>"  # the title again, after the body
        f"<tr><td>相关新闻<ul>{related}</ul></td></tr>"
        "<tr><td>推荐<br><a href='/a'>热门新闻一</a><br><a href='/b'>热门新闻二</a></td></tr>"
        "<tr><td>反侵权公告：本网刊登的新闻作品，未经书面授权不得转载、摘编，违者必究。</td></tr>"
        "</table>",
        title="新增公交线路",
    )
    item = parse_generic(html)
    text = html_to_text(item.body_html) or ""
    assert text.startswith("为进一步方便市民出行")
    assert "101路" in text and "城东站" in text  # cells of the notice's own table
    for boilerplate in ("相关标题", "热门新闻", "反侵权", "首页", "新增公交线路"):
        assert boilerplate not in text
    assert item.published == "2009-03-05"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n",
        "\x00\x01\x02",
        "<!-- only a comment -->",
        '<?xml version="1.0" encoding="gbk"?><html><body><p>正文</p></body></html>',
        "<font>" * 5000 + "深层嵌套的正文，一段足够长的文字，用来检验不会崩溃。" + "</font>" * 5000,
        "<html><body><p>" + "长" * 100000 + "</p></body></html>",
        "<table>" * 300 + "<td>表格</td>",
        "not html at all, just text 2021-13-45 3/45/2006 99:99",
    ],
)
def test_no_input_crashes_the_extractor(text: str) -> None:
    item = parse_generic(text)
    assert item.source == "web"


def test_truncated_gbk_character_and_late_meta_charset() -> None:
    body = "市区新增三条公交线路，方便市民出行".encode("gbk")
    truncated = b"<html><head><meta charset=gbk><title>t</title></head><body>" + body[:-1]
    for page_bytes in (truncated, truncated.replace(b"<meta charset=gbk>", b"")):
        text, encoding = page_text(page_bytes + b"</body></html>")
        assert encoding == "gb18030"
        assert "市区新增三条公交线路，方便市民出" in text
    late = b"<html><head><style>" + b".a{color:red}" * 400 + b"</style><meta charset=big5>"
    assert declared_encoding(late + b"</head><body></body></html>") == "big5hkscs"
    assert declared_encoding(late.replace(b"</style>", b"</style></head><body>")) is None


def test_commenters_and_other_articles_dates_are_not_the_page_s() -> None:
    comments = "".join(
        f'<div class="comment"><span class="author">网友{i}号</span>'
        f"<div>网友{i}号 发表于 2019-05-1{i} 10:00</div><p>说得好，支持一下。</p></div>"
        for i in range(3)
    )
    related = "".join(f"<li>·相关报道标题第{i}条（2007-06-0{i + 1} 10:15）</li>" for i in range(3))
    html = page(
        "<div>2008年06月12日 09:30 江城在线</div><h1>新增公交线路</h1>"
        f"<div class='text'>{ARTICLE}</div><ul>{related}</ul>"
        + "<p>广告</p>" * 30
        + f"<h3>网友评论</h3>{comments}",
        title="新增公交线路_江城在线",
    )
    item = parse_generic(html)
    assert item.author is None
    assert item.published == "2008-06-12 09:30"
    assert (html_to_text(item.body_html) or "").startswith("为进一步方便市民出行")
