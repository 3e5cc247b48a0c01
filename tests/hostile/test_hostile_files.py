"""`newsetl import` fed what an attacker or a broken disk gives it: YAML bombs, unreadable
files and folders, broken links, FIFOs, damaged bytes, markup and escape codes in names.
Every file ends with its own outcome and reason; good files always land."""

from __future__ import annotations

import os
import pickle
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from newsetl.cli import app
from newsetl.demo import SAMPLES
from newsetl.importer import FileOutcome, find_files, import_files
from schemas.models import Article, PipelineRun
from spiders.parsers.files import FileRejected, decode_article_file, load_front_matter

HEXO = SAMPLES / "000_e115c3f2d7924f0c.txt"
PLAIN = SAMPLES / "001_e972d7b76e6da9c8.txt"
NOBODY = 65534
BODY = "<p>" + "各地持续推进城市更新行动，老旧小区改造取得积极进展。" * 4 + "</p>"
ALIAS_BOMB = (
    "---\ntitle: '炸弹'\n"
    + 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n"
        for i in range(8)
    )
    + "---\n"
    + BODY
)


def post(title: str, body: str = BODY, date: str = "2024-05-01 08:00", **extra: str) -> str:
    lines = [f"title: {title}", f"date: '{date}'"] + [f"{k}: {v}" for k, v in extra.items()]
    return "---\n" + "\n".join(lines) + "\n---\n" + body + "\n"


def outcomes(files: list[FileOutcome]) -> dict[str, FileOutcome]:
    return {f.path.name: f for f in files}


def test_an_alias_bomb_is_refused_and_the_good_file_still_lands(
    engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "bomb.md").write_text(ALIAS_BOMB, encoding="utf-8")
    (tmp_path / "deep.md").write_text("---\nt: " + "[" * 5000 + "]" * 5000 + "\n---\n" + BODY)
    (tmp_path / "huge.md").write_text("---\ntitle: '" + "长" * 70_000 + "'\n---\n" + BODY)
    shutil.copy(HEXO, tmp_path / "good.md")
    files = outcomes(import_files(engine, [tmp_path]).files)
    assert files["bomb.md"].status == "rejected"
    assert "aliases (*a) are not allowed" in files["bomb.md"].reason
    assert files["deep.md"].status == "rejected" and "nested too deeply" in files["deep.md"].reason
    assert (
        files["huge.md"].status == "rejected"
        and "front matter too large" in files["huge.md"].reason
    )
    assert files["good.md"].status == "loaded"


def test_an_anchor_without_alias_is_still_plain_yaml() -> None:
    assert load_front_matter("title: &t 标题\nauthor: 某人") == {"title": "标题", "author": "某人"}
    with pytest.raises(FileRejected, match="aliases"):
        load_front_matter("title: &t 标题\nauthor: *t")


@pytest.fixture
def odd_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder of things that are not readable article files, and one that is.

    Tests run as root, who reads any file whatever its mode bits: these fail for root too.
    """
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(HEXO, folder / "good.md")
    (folder / "broken.md").symlink_to(folder / "gone.md")
    os.mkfifo(folder / "fifo.md")  # opening it would block: it must not be opened
    (folder / "mem.md").symlink_to("/proc/self/mem")  # reading it fails with EIO
    (folder / "folder.md").symlink_to(folder / "sub")
    (folder / "notes.log").write_text("not an article suffix: ignored")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / "sock.md"))
    yield folder
    server.close()


EXPECTED_REASONS = {
    "broken.md": "broken symbolic link (to ",
    "fifo.md": "a FIFO, not a file",
    "sock.md": "a socket, not a file",
    "mem.md": "cannot read: Input/output error",
    "folder.md": "symbolic link to a folder: not followed",
}


def test_every_unreadable_path_gets_its_reason(engine: Engine, odd_folder: Path) -> None:
    files = outcomes(import_files(engine, [odd_folder]).files)
    assert set(files) == {"good.md", *EXPECTED_REASONS}
    assert files["good.md"].status == "loaded"
    for name, reason in EXPECTED_REASONS.items():
        assert files[name].status == "rejected", name
        assert files[name].reason.startswith(reason), (name, files[name].reason)
    with engine.connect() as connection:
        counts = connection.scalars(
            select(PipelineRun.counts).where(PipelineRun.kind == "import")
        ).one()
        titles = list(connection.scalars(select(Article.title)))
    assert titles == ["推进疫苗国际合作进程 推动构建人类命运共同体"]
    assert counts["unreadable"] == len(EXPECTED_REASONS)
    assert {p["file"].rsplit("/", 1)[1] for p in counts["problems"]} == set(EXPECTED_REASONS)


def test_the_import_command_lists_them_and_exits_1(use_warehouse: str, odd_folder: Path) -> None:
    result = CliRunner().invoke(app, ["import", str(odd_folder)], env={"COLUMNS": "300"})
    assert result.exit_code == 1, result.output
    for name in EXPECTED_REASONS:
        assert name in result.output
    assert "Traceback" not in result.output


def unprivileged(function: Callable[[], Any]) -> Any:
    """``function()`` run where mode bits count: in a forked child that drops root for
    ``nobody`` (root would read anything), or in this process when it is not root."""
    if os.geteuid() != 0:
        return function()
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            os.write(writer, pickle.dumps(function()))
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return pickle.loads(data)


def test_unreadable_folders_and_files_are_named_not_skipped() -> None:
    root = Path(tempfile.mkdtemp(prefix="newsetl-perm-"))
    try:
        root.chmod(0o755)
        shutil.copy(HEXO, root / "good.md")
        (root / "good.md").chmod(0o644)
        (root / "locked").mkdir(mode=0o000)
        shutil.copy(HEXO, root / "secret.md")
        (root / "secret.md").chmod(0o000)

        def scan() -> dict[str, str | None]:
            found = {}
            for item in find_files([root]):
                reason = item.problem
                if reason is None:
                    try:
                        item.path.read_bytes()
                    except OSError as error:
                        reason = f"cannot read: {error.strerror}"
                found[item.path.name] = reason
            return found

        assert unprivileged(scan) == {
            "good.md": None,
            "locked": "cannot read folder: Permission denied",
            "secret.md": "cannot read: Permission denied",
        }
    finally:
        (root / "locked").chmod(0o755)
        shutil.rmtree(root)


def test_a_file_the_database_refuses_does_not_roll_back_the_others(
    engine: Engine, tmp_path: Path
) -> None:
    """PostgreSQL refuses a raw document URL over 2,000 characters (SQLite stores it)."""
    deep = tmp_path.joinpath(*["d" * 200] * 11)
    deep.mkdir(parents=True)
    (deep / "far.md").write_text(post("'远方的文章'", BODY.replace("各地", "远方")), "utf-8")
    for name in ("a.md", "z.md"):
        (tmp_path / name).write_text(post(f"'文章{name}'", BODY.replace("各地", name)), "utf-8")
    files = outcomes(import_files(engine, [tmp_path]).files)
    assert files["a.md"].status == files["z.md"].status == "loaded"
    if engine.dialect.name == "postgresql":
        assert files["far.md"].status == "rejected"
        assert files["far.md"].reason.startswith("could not be stored: value too long")
    else:
        assert files["far.md"].status == "loaded"


def test_a_utf8_post_with_flipped_bytes_is_text_not_binary(engine: Engine, tmp_path: Path) -> None:
    raw = bytearray(post("'城市更新惠民生'").encode("utf-8"))
    start = raw.index(b"<p>") + 10
    for offset in (0, 31, 62):
        raw[start + offset] ^= 0x40
    raw[start + 90] = 0  # a NUL byte among them
    (tmp_path / "damaged.md").write_bytes(bytes(raw))
    text, encoding = decode_article_file(bytes(raw))
    assert encoding == "utf-8" and "城市更新惠民生" in text and "\x00" not in text
    [outcome] = import_files(engine, [tmp_path]).files
    assert outcome.status == "loaded", outcome.reason


def test_a_duplicate_names_the_article_it_repeats(engine: Engine, tmp_path: Path) -> None:
    first = import_files(engine, [PLAIN])
    [loaded] = first.files
    (tmp_path / "copy.txt").write_bytes(PLAIN.read_bytes() + "\u3000\u3000".encode())
    [outcome] = import_files(engine, [tmp_path / "copy.txt"]).files
    assert outcome.status == "duplicate"
    assert outcome.reason == f"same article as article {loaded.article_id}: 努力共创健康安全的未来"


def test_markup_and_escape_codes_from_the_data_are_shown_not_obeyed(
    use_warehouse: str, tmp_path: Path
) -> None:
    evil = tmp_path / "evil\x1b[31mred\x1b]0;title\x07.md"
    evil.write_text(post("'[update] 新闻'", date="[/]"), encoding="utf-8")
    (tmp_path / "[red]x.md").write_text(post("'[update] 新闻 二'"), encoding="utf-8")
    result = CliRunner().invoke(app, ["import", str(tmp_path)], env={"COLUMNS": "300"})
    assert result.exit_code == 1, result.output  # the '[/]' date is rejected, not a crash
    assert "Traceback" not in result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "[/]" in result.output and "[red]x.md" in result.output
    # the test's PostgreSQL login is a superuser: allowed here, refused by default
    query = ["query", "SELECT title FROM article", "--allow-superuser"]
    result = CliRunner().invoke(app, query, env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert "[update] 新闻 二" in result.output
