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
