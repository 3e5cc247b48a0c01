"""The file parsers read every field the sample files carry, and nothing they do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsetl.demo import SAMPLES
from spiders.parsers.files import FileRejected, decode_article_file, parse_article_file

HEXO = SAMPLES / "000_e115c3f2d7924f0c.txt"
PLAIN = SAMPLES / "001_e972d7b76e6da9c8.txt"
PROXY = "https://cors.zfour.workers.dev/?"
HEAD = "http://zkres2.myzaker.com/202108/610ce1ad8e9f0904fe64126a_1024.jpg"


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_hexo_post_front_matter_and_body() -> None:
    item = parse_article_file(read(HEXO), source="files")
    assert item.title == "推进疫苗国际合作进程 推动构建人类命运共同体"
    assert item.categories == ["新媒体", "ZAKER", "source"]
    assert item.head_image == PROXY + HEAD
    assert item.thumbnail == PROXY + HEAD
    assert item.author == "ZAKER"
    assert item.comments is False
    assert item.published == "Fri, 06 Aug 2021 00:07:04 GMT"
    assert item.body_html.startswith("<div>")
    assert item.body_html.count('class="img_box"') == 2
    assert item.body_html.rstrip().endswith("</div>")


def test_hexo_url_is_rebuilt_from_the_zaker_id_and_marked_inferred() -> None:
    item = parse_article_file(read(HEXO), source="files")
    assert item.url == "https://www.myzaker.com/article/610ce1ad8e9f0904fe64126a"
    assert item.inferred == ["url"]


def test_plain_text_headline_and_paragraphs() -> None:
    item = parse_article_file(read(PLAIN), source="files")
    assert item.kicker == "一年来，中国积极开展抗疫国际合作，以实际行动践行人类卫生健康共同体理念"
    assert item.title == "努力共创健康安全的未来"
    assert item.column == "命运与共"
    paragraphs = item.body_text.split("\n")
    assert len(paragraphs) == 28
    assert paragraphs[0].startswith("2020年5月18日，习近平主席在第七十三届世界卫生大会")
    assert paragraphs[2:4] == ["逻辑内涵：", "与人类命运共同体一脉相承"]
    assert paragraphs[-1].endswith("必将开创健康安全的未来。")
    assert item.url is None and item.published is None and item.author is None
    assert item.inferred == []


def test_options_fill_what_the_file_lacks_and_are_recorded_as_inferred() -> None:
    item = parse_article_file(
        read(PLAIN), source="files", url="http://example.test/a.html", published="2021-05-18"
    )
    assert item.url == "http://example.test/a.html"
    assert item.published == "2021-05-18"
    assert item.inferred == ["url", "published_at"]


def test_published_option_does_not_override_the_file() -> None:
    item = parse_article_file(read(HEXO), source="files", published="2000-01-01")
    assert item.published == "Fri, 06 Aug 2021 00:07:04 GMT"
    assert "published_at" not in item.inferred


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty file"),
        ("  \n\u3000\n", "empty file"),
        ("---\ntitle: [unclosed\n---\n<p>x</p>", "broken YAML front matter"),
        ("---\n- a\n- b\n---\n<p>x</p>", "front matter is not a mapping"),
        ("---\ntitle: x\n", "no front matter"),
    ],
)
def test_unreadable_files_are_rejected_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(FileRejected, match=reason):
        parse_article_file(text, source="files")


def test_post_without_title_parses_and_leaves_title_empty() -> None:
    item = parse_article_file("---\nauthor: 某人\n---\n<p>正文</p>", source="files")
    assert item.title is None and item.author == "某人"


def test_yaml_dates_come_back_as_iso_text() -> None:
    item = parse_article_file("---\ntitle: t\ndate: 2021-08-06 08:07:04\n---\n<p>x</p>", source="f")
    assert item.published == "2021-08-06T08:07:04"


def test_gbk_and_bom_files_decode() -> None:
    text = read(PLAIN)
    for raw in (text.encode("gbk", errors="replace"), b"\xef\xbb\xbf" + text.encode("utf-8")):
        decoded, _ = decode_article_file(raw)
        assert parse_article_file(decoded, source="files").title == "努力共创健康安全的未来"


def test_binary_files_are_rejected() -> None:
    for raw in (bytes(range(256)) * 8, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20):
        with pytest.raises(FileRejected, match="binary file"):
            decode_article_file(raw)
