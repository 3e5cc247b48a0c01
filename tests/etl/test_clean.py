"""Clean: sanitised HTML, paragraph text, original image URLs, identity of text-only items."""

from __future__ import annotations

import hashlib
import html
import random
from datetime import UTC, datetime

import pytest
from etl_items import FETCHED, TEXT_SEED, news_item, seed_item

from etl.clean import (
    PLAIN_PART,
    SANITISER,
    CleanError,
    clean_html,
    clean_item,
    clean_plain_text,
    sanitised,
    unsanitised_parts,
)
from etl.text import (
    BOILERPLATE,
    BOILERPLATE_START,
    BYLINE,
    ORIGIN_LINE,
    normalise_line,
    normalise_lines,
    strip_boilerplate,
)

PROXY = "https://cors.zfour.workers.dev/?"
HEAD = "http://zkres2.myzaker.com/202108/610ce1ad8e9f0904fe64126a_1024.jpg"
SECOND = "http://zkres1.myzaker.com/202108/610ce1ad8e9f0904fe64126b_1024.jpg"


def test_hexo_seed_cleans_to_warehouse_values() -> None:
    record = clean_item(seed_item(), fetched_at=FETCHED)
    assert record["published_at"] == datetime(2021, 8, 6, 0, 7, 4, tzinfo=UTC)
    assert record["head_image"] == HEAD and record["thumbnail"] == HEAD
    assert record["canonical_url"] == "https://www.myzaker.com/article/610ce1ad8e9f0904fe64126a"
    assert [(i["url"], i["proxied_url"], i["width"], i["height"]) for i in record["images"]] == [
        (HEAD, PROXY + HEAD, 800, 515),
        (SECOND, PROXY + SECOND, 800, 515),
    ]
    html = record["body_html"]
    assert f'<figure><img src="{HEAD}" width="800" height="515"></figure>' in html
    assert "cors.zfour" not in html and "img_box" not in html and "<p></p>" not in html
    assert "data-original" not in html and "onclick" not in html
    text = record["body_text"]
    assert "<" not in text and "http" not in text
    paragraphs = text.split("\n")
    assert len(paragraphs) == 7
    # text that sits after an image box, outside any <p>, is a paragraph of its own
    assert paragraphs[2].startswith("今年 5 月，习近平主席在全球健康峰会上")
    assert paragraphs[1].endswith("贡献了中国力量。")
    assert record["char_count"] == len(text)
    assert record["language"] == "zh"
    assert record["inferred_fields"] == ["url"]
    assert record["categories"] == ["新媒体", "ZAKER", "source"]


def test_text_seed_keeps_its_paragraphs_and_gets_a_text_identity() -> None:
    item = seed_item(TEXT_SEED)
    record = clean_item(item, fetched_at=FETCHED)
    paragraphs = record["body_text"].split("\n")
    assert len(paragraphs) == 28
    assert record["body_html"].count("<p>") == 28
    assert record["body_html"].startswith("<p>2020年5月18日")
    assert record["url"] is None and record["published_at"] is None
    digest = hashlib.sha256("".join(record["body_text"].split()).encode()).hexdigest()
    assert record["canonical_url"] == f"urn:newsetl:text:{digest}"
    assert record["content_hash"] == digest
    assert record["kicker"].startswith("一年来") and record["column"] == "命运与共"
    assert "\xa0" not in record["body_text"]


def test_cleaning_cleaned_html_changes_nothing() -> None:
    """What export writes back (cleaned HTML, images re-proxied) cleans to the same body."""
    first = clean_item(seed_item(), fetched_at=FETCHED)
    reproxied = first["body_html"].replace(f'src="{HEAD}"', f'src="{PROXY}{HEAD}"')
    again = clean_html(reproxied)
    assert again.html == first["body_html"]
    assert again.text == first["body_text"]
    assert [(i["url"], i["proxied_url"], i["width"]) for i in again.images] == [
        (HEAD, PROXY + HEAD, 800),
        (SECOND, None, 800),
    ]
    text = clean_item(seed_item(TEXT_SEED), fetched_at=FETCHED)
    assert clean_html(text["body_html"]).text == text["body_text"]


def test_sanitiser_removes_scripts_handlers_and_javascript_links() -> None:
    body = clean_html(
        '<div><p onclick="steal()">正文第一段<script>alert(1)</script></p>'
        '<p><a href="javascript:alert(2)">链接</a><a href="https://example.com/x">好链接</a></p>'
        "<style>p{}</style><p>  </p><p></p><iframe src='https://evil.test'></iframe>"
        '<img src="x.jpg" onerror="alert(3)"></div>',
        "https://example.com/news/1.html",
    )
    assert "script" not in body.html and "alert" not in body.html
    assert "onclick" not in body.html and "onerror" not in body.html
    assert "javascript:" not in body.html and "iframe" not in body.html
    assert 'href="https://example.com/x"' in body.html
    assert "<p></p>" not in body.html
    assert body.text == "正文第一段\n链接好链接"
    assert body.images[0]["url"] == "https://example.com/news/x.jpg"


def test_whitespace_is_normalised_without_touching_chinese_punctuation() -> None:
    body = clean_plain_text(
        "\u3000\u3000第一段，有\xa0不换行空格\u200b和零宽字符。\n\n  第二段：  “引号”  （括号）！  "
    )
    assert body.text == "第一段，有 不换行空格和零宽字符。\n第二段： “引号” （括号）！"
    assert body.html == "<p>第一段，有 不换行空格和零宽字符。</p><p>第二段： “引号” （括号）！</p>"


@pytest.mark.parametrize(
    "lines",
    [
        [],
        [""],
        ["\u3000\u3000一段\xa0\u200b两段  ", "", " \t\u2003三\u200d段 "],
        ["a\x00b", "  c  "],  # a NUL inside a line: each line on its own
        ["\ufeff", "x\u00ad y", "\u3000"],
        [" a \n b ", "c\u2028 d", "\x1c"],  # whitespace that str.split() splits on too
        [chr(c) * 2 + "字 字" for c in range(0x2000, 0x2030)],
    ],
)
def test_lines_are_normalised_together_as_each_on_its_own(lines: list[str]) -> None:
    assert normalise_lines(lines) == [normalise_line(line) for line in lines]


def test_boilerplate_lines_go_and_byline_and_source_become_fields() -> None:
    item = news_item(
        1,
        author=None,
        body_html="<div><p>原标题：旧的标题</p><p>作者：李明</p>"
        + "".join(f"<p>{p}</p>" for p in ("正文一段内容。", "正文二段内容。"))
        + "<p>（来源：人民网）</p><p>责任编辑：王红</p><p>点击进入专题：城市更新</p></div>",
    )
    record = clean_item(item, fetched_at=FETCHED)
    assert record["body_text"] == "正文一段内容。\n正文二段内容。"
    assert "责任编辑" not in record["body_html"] and "原标题" not in record["body_html"]
    assert record["author"] == "李明"
    assert record["origin"] == "人民网"


def test_relative_dates_are_marked_inferred() -> None:
    record = clean_item(news_item(2, published="3小时前"), fetched_at=FETCHED)
    assert record["published_at"] == datetime(2026, 8, 2, 23, 0, tzinfo=UTC)
    assert "published_at" in record["inferred_fields"]


def test_unparsable_date_is_a_clean_error_naming_the_value() -> None:
    with pytest.raises(CleanError, match="不详") as error:
        clean_item(news_item(3, published="日期不详"), fetched_at=FETCHED)
    assert error.value.failures[0]["value"] == "日期不详"


def test_oversized_page_is_a_clean_error() -> None:
    huge = "<div>" + "<p>很长的段落。</p>" * 500_000 + "</div>"
    with pytest.raises(CleanError, match="too large"):
        clean_item(news_item(4, body_html=huge), fetched_at=FETCHED)


def test_html_only_and_empty_bodies_clean_to_empty_text() -> None:
    assert clean_html('<div><img src="https://example.com/a.jpg"><p> </p></div>').text == ""
    assert clean_html("").text == "" and clean_plain_text("").html == ""


def test_values_longer_than_their_columns_are_a_clean_error() -> None:
    item = news_item(5, author="某" * 201, categories=["新闻", "长" * 300])
    with pytest.raises(
        CleanError, match="author over 200 characters, categories over 200 characters"
    ) as error:
        clean_item(item, fetched_at=FETCHED)
    assert {f["column"] for f in error.value.failures} == {"author", "categories"}


def test_markup_left_open_in_one_paragraph_never_spills_into_the_next() -> None:
    body = clean_html(
        '<div><p>一<strong></strong></p><p>二</p><p><a href="https://example.com/"></a>三</p>'
        "<p>四<i><li>五</li></i></p><p>六</p></div>"
    )
    assert body.html == (
        "<p>一<strong></strong></p><p>二</p>"
        '<p><a href="https://example.com/" rel="noopener noreferrer"></a>三</p>'
        "<p>四<i></i></p><li><i>五</i></li><p></p><p>六</p>"
    )


# characters the HTML parser drops (NUL), rewrites (CR, the no-break space as &nbsp;) or
# that nh3 refuses (a lone surrogate), beside ordinary text and the ones escaping is for
AWKWARD = ["新闻", "a b", "&", "<", ">", '"', "'", "\t", "\n", "\xa0", "\r", "\x00", "\x0c", "\x01",
           "\u3000", "&amp;", "&nbsp;", "\ud800"]  # fmt: skip
IMAGE_URLS = [
    "http://zkres1.myzaker.com/202608/a_1024.jpg", "https://x.cn/a.png?w=1&h=2", "http://x.cn/'a'.jpg",
    'http://x.cn/"a".jpg', "http://x.cn/<a>.jpg", "http://x.cn/\xa0.jpg", "javascript:alert(1)",
    "a.jpg", "HTTP://X.CN/A.JPG", "http://新闻.cn/图.jpg",
]  # fmt: skip


def _parts(draw: random.Random) -> list[str]:
    """Paragraphs and figures as the clean stage writes them, from awkward text and URLs,
    and paragraphs holding markup."""
    parts = []
    for _ in range(draw.randint(1, 6)):
        text = "".join(draw.choices(AWKWARD, k=draw.randint(0, 12)))
        tag = draw.choice(["p", "h2", "h6", "li", "blockquote", "pre", "td", "th"])
        kind = draw.randrange(3)
        if kind == 0:
            parts.append(f"<{tag}>{html.escape(text, quote=False)}</{tag}>")
        elif kind == 1:
            url = html.escape(draw.choice(IMAGE_URLS))
            size = draw.choice(["", ' width="800"', ' width="800" height="515"'])
            caption = draw.choice(
                ["", f"<figcaption>{html.escape(text, quote=False)}</figcaption>"]
            )
            parts.append(f'<figure><img src="{url}"{size}>{caption}</figure>')
        else:
            parts.append(f'<{tag}>{html.escape(text, quote=False)}<b title="x">{text[:3]}</{tag}>')
    return parts


def test_paragraphs_skip_the_sanitiser_only_where_it_would_change_nothing() -> None:
    """A part taken as plain is what nh3 would make of it; ordinary text paragraphs and
    figures are taken as plain (the shortcut is used)."""
    draw = random.Random(20261202)
    plain = 0
    for _ in range(3000):
        parts = _parts(draw)
        for part in parts:
            if PLAIN_PART.fullmatch(part):
                plain += 1
                assert SANITISER.clean(part) == part.replace("\xa0", "&nbsp;"), part
        try:
            expected = "".join(SANITISER.clean(part) for part in parts)
        except UnicodeEncodeError:
            with pytest.raises(UnicodeEncodeError):
                sanitised(parts)
        else:
            assert sanitised(parts) == expected
    assert plain > 1000
    assert PLAIN_PART.fullmatch("<p>正文，“引号” &amp; 1 &lt; 2\xa0</p>")
    assert PLAIN_PART.fullmatch(
        '<figure><img src="http://zkres1.myzaker.com/a.jpg?x=1&amp;y=2" width="800" height="515">'
        "<figcaption>图注</figcaption></figure>"
    )


BOILERPLATE_PIECES = [
    "（", "(", "）", ")", " ", "\t", "：", ":", "|", "｜", "责任编辑", "责编", "编辑", "原标题",
    "点击", "进入", "查看", "专题", "来源", "來源", "作者", "文", "记者", "人民网", "正文", "。",
]  # fmt: skip


def test_boilerplate_shortcut_keeps_only_lines_no_pattern_matches() -> None:
    """A paragraph kept without trying the three patterns (it does not start as any
    boilerplate line starts) is one none of them matches; boilerplate lines of every
    kind still go."""
    draw = random.Random(20261203)
    patterns = (BOILERPLATE, ORIGIN_LINE, BYLINE)
    matched = 0
    for _ in range(20_000):
        line = "".join(draw.choices(BOILERPLATE_PIECES, k=draw.randint(1, 6)))
        if any(pattern.match(line) for pattern in patterns):
            matched += 1
            assert BOILERPLATE_START.match(line), line
            assert strip_boilerplate([line]).kept == [], line
    assert matched > 300
    assert not BOILERPLATE_START.match("正文一段内容：引语。")


def test_unsanitised_parts_are_what_clean_html_sanitises() -> None:
    """The parts the ETL benchmark's ceiling sanitises are those of the clean stage."""
    bodies = [
        (seed_item().body_html, seed_item().url),
        ("<p>一<strong></strong></p><p>二</p><div>散<b>字</b><img src='a.jpg'></div>", None),
        ("<p>原标题：旧</p><p>正文&amp;<br>续</p><script>x</script>", "https://example.cn/a"),
    ]
    for body, url in bodies:
        parts = unsanitised_parts(body, url)
        assert parts and sanitised(parts) == clean_html(body, url).html
