"""`newsetl import` and `newsetl export` against a real warehouse, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from newsetl.cli import app
from newsetl.demo import SAMPLES
from newsetl.importer import import_files
from schemas.models import (
    Article,
    ArticleCategory,
    Base,
    Category,
    Image,
    RawDocument,
    RejectedRecord,
)

HEXO = SAMPLES / "000_e115c3f2d7924f0c.txt"
PLAIN = SAMPLES / "001_e972d7b76e6da9c8.txt"
HEAD = "http://zkres2.myzaker.com/202108/610ce1ad8e9f0904fe64126a_1024.jpg"
PROXY = "https://cors.zfour.workers.dev/?"
ARTICLE_TABLES = (Article, ArticleCategory, Category, Image)


def snapshot(engine: Engine, models: tuple[type[Base], ...] = ARTICLE_TABLES) -> dict[str, Any]:
    """Every row of the given tables, as plain tuples, in primary-key order."""
    result: dict[str, Any] = {}
    with engine.connect() as connection:
        for model in models:
            table = model.__table__
            rows = connection.execute(select(table).order_by(*table.primary_key.columns))
            result[table.name] = [tuple(row) for row in rows]
    return result


def article(engine: Engine, **where: Any) -> Article:
    from schemas.db import session_scope

    with session_scope(engine) as session:
        row = session.scalars(select(Article).filter_by(**where)).one()
        _ = [c.category.name for c in row.categories], list(row.images)
        return row


def test_import_both_samples_with_every_field(engine: Engine) -> None:
    result = import_files(engine, [SAMPLES])
    assert [f.status for f in result.files] == ["loaded", "loaded"]

    zaker = article(engine, title="推进疫苗国际合作进程 推动构建人类命运共同体")
    assert [c.category.name for c in zaker.categories] == ["新媒体", "ZAKER", "source"]
    assert zaker.author == "ZAKER"
    assert zaker.comments is False
    assert zaker.published_at == datetime(2021, 8, 6, 0, 7, 4, tzinfo=UTC)
    assert zaker.head_image == HEAD and zaker.thumbnail == HEAD
    assert zaker.url == "https://www.myzaker.com/article/610ce1ad8e9f0904fe64126a"
    assert zaker.inferred_fields == ["url"]
    assert [(i.width, i.height) for i in zaker.images] == [(800, 515), (800, 515)]
    assert [i.url for i in zaker.images] == [
        HEAD,
        "http://zkres1.myzaker.com/202108/610ce1ad8e9f0904fe64126b_1024.jpg",
    ]
    assert all(i.proxied_url == PROXY + i.url for i in zaker.images)
    assert not re.search(r"<[a-z/]", zaker.body_text)
    assert "cors.zfour" not in zaker.body_text and "cors.zfour" not in zaker.body_html
    assert zaker.body_text.startswith("8 月 5 日，国家主席习近平向新冠疫苗合作国际论坛")
    assert zaker.body_text.endswith("为构建人类命运共同体而继续努力！")
    assert "<script" not in zaker.body_html and "onclick" not in zaker.body_html

    people = article(engine, title="努力共创健康安全的未来")
    assert people.kicker == "一年来，中国积极开展抗疫国际合作，以实际行动践行人类卫生健康共同体理念"
    assert people.column == "命运与共"
    paragraphs = people.body_text.split("\n")
    assert len(paragraphs) == 28
    assert paragraphs[2] == "逻辑内涵："
    assert people.url is None and people.published_at is None and people.author is None
    assert people.canonical_url.startswith("urn:newsetl:text:")
    assert people.duplicate_of is None and zaker.duplicate_of is None


def test_raw_documents_keep_the_exact_bytes(engine: Engine) -> None:
    import_files(engine, [HEXO, PLAIN])
    with engine.connect() as connection:
        bodies = connection.execute(select(RawDocument.raw_body).order_by(RawDocument.id))
        assert [b for (b,) in bodies] == [HEXO.read_bytes(), PLAIN.read_bytes()]


def test_reimport_changes_nothing(engine: Engine) -> None:
    import_files(engine, [SAMPLES])
    before = snapshot(engine, (*ARTICLE_TABLES, RawDocument, RejectedRecord))
    again = import_files(engine, [SAMPLES])
    assert [f.status for f in again.files] == ["unchanged", "unchanged"]
    assert snapshot(engine, (*ARTICLE_TABLES, RawDocument, RejectedRecord)) == before


def test_options_fill_in_url_and_date(engine: Engine) -> None:
    import_files(
        engine, [PLAIN], url="http://paper.example.test/a.html", published_at="2021-05-18 05:00"
    )
    people = article(engine, title="努力共创健康安全的未来")
    assert people.url == "http://paper.example.test/a.html"
    assert people.published_at == datetime(2021, 5, 17, 21, 0, tzinfo=UTC)  # Asia/Shanghai
    assert sorted(people.inferred_fields) == ["published_at", "url"]


def front_matter(text: str) -> str:
    return text.split("\n---\n", 1)[0] + "\n---"


def test_export_reproduces_the_feed_post_front_matter(engine: Engine, tmp_path: Path) -> None:
    import_files(engine, [HEXO])
    [post] = _export(engine, tmp_path / "posts")
    assert front_matter(post.read_text(encoding="utf-8")) == front_matter(HEXO.read_text("utf-8"))


def test_export_proxy_prefix_is_configurable(engine: Engine, tmp_path: Path) -> None:
    import_files(engine, [HEXO])
    [post] = _export(engine, tmp_path / "posts", "--proxy", "")
    text = post.read_text(encoding="utf-8")
    assert f"headimg: '{HEAD}'" in text
    assert "cors.zfour" not in text
    assert f'src="{HEAD}"' in text


def _export(engine: Engine, out: Path, *options: str) -> list[Path]:
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["export", str(out), "--database-url", url, *options])
    assert result.exit_code == 0, result.output
    return sorted(out.glob("*.md"))


def test_export_refuses_a_folder_with_files_and_replaces_an_export_with_clean(
    engine: Engine, tmp_path: Path
) -> None:
    import_files(engine, [SAMPLES])
    out = tmp_path / "posts"
    first = _export(engine, out)
    stale = out / "000999_stale0000000000.md"
    stale.write_text("---\ntitle: stale\n---\n", encoding="utf-8")
    url = engine.url.render_as_string(hide_password=False)
    again = CliRunner().invoke(app, ["export", str(out), "--database-url", url])
    assert again.exit_code == 2
    assert again.stderr.strip().splitlines() == [
        f"Error: {out} is not empty (3 entries): export into a new or empty folder, "
        "or add --clean to replace the posts of an earlier export"
    ]
    assert _export(engine, out, "--clean") == first  # the stale post is gone
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    refused = CliRunner().invoke(app, ["export", str(out), "--clean", "--database-url", url])
    assert refused.exit_code == 2
    assert "--clean only replaces a folder of exported posts" in refused.stderr
    assert (out / "notes.txt").exists() and sorted(out.glob("*.md")) == first


def test_round_trip_import_export_import_leaves_articles_unchanged(
    engine: Engine, tmp_path: Path
) -> None:
    import_files(engine, [SAMPLES], published_at=None)
    before = snapshot(engine)
    posts = _export(engine, tmp_path / "export")
    assert len(posts) == 2
    result = import_files(engine, [tmp_path / "export"])
    assert {f.status for f in result.files} <= {"loaded", "duplicate"}
    assert not result.rejected
    assert snapshot(engine) == before


BAD_FILES = {
    "empty.txt": (b"", "empty file"),
    "garbage.bin.txt": (bytes(range(256)) * 8, "binary"),
    "broken.md": ("---\ntitle: '未闭合\ncategories: [\n---\n<p>正文</p>\n".encode(), "YAML"),
    "untitled.md": (
        (
            "---\nauthor: 某人\ndate: Fri, 06 Aug 2021 00:07:04 GMT\n---\n<p>"
            + "正文内容。" * 30
            + "</p>"
        ).encode(),
        "title",
    ),
    "baddate.md": (
        (
            "---\ntitle: '日期无法解析的文章'\ndate: 不是日期\n---\n<p>"
            + "正文内容。" * 30
            + "</p>"
        ).encode(),
        "date",
    ),
}


def test_bad_files_are_quarantined_and_the_rest_imports(use_warehouse: str, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name, (content, _) in BAD_FILES.items():
        (folder / name).write_bytes(content)
    shutil.copy(HEXO, folder / "good.txt")
    gbk = PLAIN.read_text(encoding="utf-8").encode("gbk", errors="replace")
    (folder / "gbk.txt").write_bytes(gbk)

    result = CliRunner().invoke(app, ["import", str(folder)])
    assert result.exit_code == 1, result.output
    table = result.output.split("etl · run")[0]
    summary = re.sub(r"[\s│┃|]+", "", table)  # the import table, wrapping undone
    assert summary.count("rejected") == len(BAD_FILES)
    assert summary.count("loaded") == 2
    for name in BAD_FILES:
        assert name in summary

    from schemas.db import make_engine

    engine = make_engine(use_warehouse)
    with engine.connect() as connection:
        titles = set(connection.scalars(select(Article.title)))
        reasons = dict(
            connection.execute(
                select(RawDocument.url, RejectedRecord.reason).join(
                    RejectedRecord, RejectedRecord.raw_document_id == RawDocument.id
                )
            ).all()
        )
    assert titles == {"推进疫苗国际合作进程 推动构建人类命运共同体", "努力共创健康安全的未来"}
    assert len(reasons) == len(BAD_FILES)
    for name, (_, reason) in BAD_FILES.items():
        [found] = [r for url, r in reasons.items() if url.endswith("/" + name)]
        assert reason.lower() in found.lower(), (name, found)
    engine.dispose()


def test_unknown_source_is_a_clear_error(use_warehouse: str) -> None:
    result = CliRunner().invoke(app, ["import", str(HEXO), "--source", "nope"])
    assert result.exit_code == 2
    assert "unknown source 'nope'" in result.output


def test_import_summary_counts_articles(engine: Engine) -> None:
    result = import_files(engine, [SAMPLES])
    assert result.etl is not None and result.etl.status == "success"
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Article)) == 2
