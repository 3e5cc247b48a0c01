"""Hostile values on their way through clean, the warehouse and export: line breaks in
one-line fields, unsafe URL schemes, bodies nested past lxml's default depth, and front
matter values that a hand-written YAML writer would get wrong."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from etl.clean import MAX_NESTING, CleanError, clean_html, clean_item
from etl.export import Quoted, front_matter
from newsetl.cli import app
from newsetl.importer import import_files
from schemas.items import ArticleItem
from schemas.models import Article, Image
from spiders.parsers.files import load_front_matter

FETCHED = datetime(2026, 8, 3, 2, 0, tzinfo=UTC)
PARAGRAPH = "<p>" + "各地持续推进城市更新行动，老旧小区改造取得积极进展。" * 4 + "</p>"
UNSAFE = [
    "javascript:alert(1)",
    "data:image/png;base64,iVBORw0KGgo=",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    " JaVaScRiPt:alert(2)",
]


def item(**fields: object) -> ArticleItem:
    values = {
        "source": "files",
        "url": "https://news.example.test/a/1.html",
        "title": "标题",
        "published": "2026-08-02 09:30",
        "body_html": PARAGRAPH,
    }
    return ArticleItem(**(values | fields))


def test_one_line_fields_lose_their_line_breaks_and_controls() -> None:
    record = clean_item(
        item(
            title="第一行\n---\n<script>alert(1)</script>",
            author="张三\r\n李四",
            kicker="引题\u2028续",
            column="栏目\x1b[31m红\x00",
            tags=["标签\n二"],
            categories=["新闻\n---"],
        ),
        fetched_at=FETCHED,
    )
    assert record["title"] == "第一行 --- <script>alert(1)</script>"
    assert record["author"] == "张三 李四"
    assert record["kicker"] == "引题 续"
    assert record["column"] == "栏目 [31m红"
    assert record["tags"] == ["标签 二"] and record["categories"] == ["新闻 ---"]


def test_only_http_image_urls_are_kept_and_the_others_counted() -> None:
    boxes = "".join(f'<img src="{url}">' for url in UNSAFE)
    good = "https://img.example.test/ok.jpg"
    record = clean_item(
        item(
            body_html=PARAGRAPH + boxes + f'<img data-original="{good}" src="{UNSAFE[0]}">',
            head_image="javascript:alert(3)",
            thumbnail="data:text/html,<script>x</script>",
        ),
        fetched_at=FETCHED,
    )
    assert [image["url"] for image in record["images"]] == [good]
    assert record["head_image"] is None and record["thumbnail"] is None
    assert len(record["dropped_urls"]) == len(UNSAFE) + 2
    assert "javascript" not in record["body_html"].lower()
    assert "data:" not in record["body_html"]


def test_unsafe_urls_never_reach_the_warehouse(engine: Engine, tmp_path: Path) -> None:
    boxes = "".join(f'<img src="{url}">' for url in UNSAFE)
    (tmp_path / "post.md").write_text(
        "---\ntitle: '不安全的图片'\ndate: '2024-05-01 08:00'\n"
        "headimg: 'javascript:alert(1)'\nthumbnail: 'data:image/png;base64,AAAA'\n---\n"
        f"<div>{PARAGRAPH}{boxes}<img src='https://img.example.test/ok.jpg'></div>\n",
        encoding="utf-8",
    )
    result = import_files(engine, [tmp_path])
    assert result.etl is not None
    assert result.etl.counts["unsafe_urls_dropped"] == len(UNSAFE) + 2
    with engine.connect() as connection:
        article = connection.execute(select(Article.head_image, Article.thumbnail)).one()
        images = list(connection.scalars(select(Image.url)))
    assert tuple(article) == (None, None)
    assert images == ["https://img.example.test/ok.jpg"]


def nested(depth: int) -> str:
    return "<div>" * depth + PARAGRAPH + "</div>" * depth


def test_bodies_nested_past_255_levels_keep_their_text() -> None:
    assert "城市更新" in clean_html(nested(300)).text


def test_bodies_nested_too_deep_are_refused_with_the_depth() -> None:
    with pytest.raises(CleanError, match=rf"nested [\d,]+ elements deep \(limit {MAX_NESTING}\)"):
        clean_html(nested(MAX_NESTING + 10))


HOSTILE_VALUES = [
    "第一行\n---\n<script>alert(1)</script>",
    'it\'s "quoted" and: colon # hash',
    "---",
    "- list-looking",
    "[not, a, list]",
    "{not: a map}",
    "*alias &anchor !tag",
    "true",
    "2024-05-01",
    "  spaces around  ",
    "tab\there",
    "trailing newline\n",
    "",
    "ümlaut — 中文 \u3000 全角",
    "'",
    "%percent @at `backtick` |pipe >fold",
]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_any_front_matter_value_reads_back_intact(value: str) -> None:
    values = {"title": Quoted(value), "categories": [value, "b"], "author": value or None}
    text = front_matter(values)
    assert load_front_matter(text) == {
        "title": value,
        "categories": [value, "b"],
        "author": value or None,
    }


def test_a_title_that_looked_like_a_fence_round_trips_through_export(
    engine: Engine, tmp_path: Path
) -> None:
    """The title line ``---`` used to close the front matter early (the rest, a script
    included, became the body) and re-importing failed."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "fence.md").write_text(
        '---\ntitle: "上\\n---\\n<script>alert(1)</script>"\nauthor: "it\'s: me"\n'
        "kicker: '#引题'\ndate: '2024-05-01 08:00'\n---\n" + PARAGRAPH + "\n",
        encoding="utf-8",
    )
    import_files(engine, [tmp_path / "in"])
    with engine.connect() as connection:
        before = connection.execute(select(Article.title, Article.author, Article.kicker)).one()
    assert before.title == "上 --- <script>alert(1)</script>"
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["export", str(tmp_path / "out"), "--database-url", url])
    assert result.exit_code == 0, result.output
    [exported] = (tmp_path / "out").glob("*.md")
    _, fence, body = exported.read_text(encoding="utf-8").partition("\n---\n\n")
    assert fence and "<script>" not in body
    again = import_files(engine, [tmp_path / "out"])
    assert [f.status for f in again.files] == ["duplicate"], again.files
    with engine.connect() as connection:
        after = connection.execute(select(Article.title, Article.author, Article.kicker)).one()
    assert tuple(after) == tuple(before)
