"""Reliability on a hostile corpus: generated article files run through import and ETL.

    .venv/bin/python -m benchmarks.hostile [--variants 12] [--backends sqlite postgresql]
        [--postgres-url postgresql://postgres@127.0.0.1:5432/test]

Every case kind below is written ``--variants`` times (distinct wording each time) into one
folder, with the outcome it must have: ``loaded``, ``duplicate``, or ``rejected`` with a
reason naming what is wrong. The folder is imported into a fresh warehouse (the ETL runs as
part of the import), everything is exported as Hexo posts and the export imported again.
Counted, all of which must be 0:

- crashes: an exception out of import or export;
- silent losses: a file with no outcome, or one that should load and did not, without a
  rejection reason;
- mis-attributed rejections: a rejection whose reason does not name what is wrong with
  the file, or a rejection of a file that should load;
- unsafe values stored: line breaks or control characters in one-line fields, image URLs
  that are not http(s), scripts, event handlers or ``javascript:`` in stored HTML;
- round-trip changes: article rows that the export → import round trip changed.

Writes ``benchmarks/out/hostile.json`` (or ``--out``) and prints a table. Each case kind
is also a test (``tests/hostile/``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import tempfile
import traceback
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, select

from benchmarks.etl import Warehouse
from etl.export import export_hexo
from newsetl.importer import import_files
from schemas.db import make_engine
from schemas.migrate import upgrade
from schemas.models import Article, ArticleCategory, Category, Image

OUT = Path(__file__).with_name("out") / "hostile.json"
SENTENCES = [
    "各地持续推进城市更新行动，老旧小区改造取得积极进展。",
    "加装电梯、改造管网、增设停车位等项目陆续完工。",
    "居民出行和生活条件明显改善，社区服务设施更加完善。",
    "有关部门表示，将进一步完善政策措施，加强资金保障。",
    "专家认为，城市更新要坚持以人民为中心，因地制宜、分类施策。",
    "注重保护历史文化遗产和城市特色风貌，避免大拆大建。",
    "滨江步道全线贯通，沿线新增休息驿站和无障碍设施。",
    "社区食堂开门迎客，老人吃饭不再犯愁，年轻人也常来。",
]
ONE_LINE = ("title", "kicker", "subtitle", "column", "page", "author", "origin")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
UNSAFE_HTML = re.compile(r"<script|javascript:|vbscript:|\son\w+\s*=|src=\"data:", re.I)
HTTP = re.compile(r"^https?://[^\s/]+", re.I)


@dataclass
class Case:
    """One generated file and the outcome it must have."""

    name: str
    kind: str
    expect: str  # loaded | duplicate | rejected
    reason: str = ""  # what a rejection's reason must contain


class Corpus:
    """Writes the case kinds into a folder; every variant has wording of its own."""

    def __init__(self, folder: Path, seed: int = 20261201) -> None:
        self.folder = folder
        self.rng = random.Random(seed)
        self.cases: list[Case] = []
        self.serial = 0

    def body(self) -> list[str]:
        self.serial += 1
        picked = self.rng.sample(SENTENCES, 5)
        return [f"第{self.serial}号稿件。{s}" for s in picked]

    def html(self) -> str:
        return "".join(f"<p>{p}</p>" for p in self.body())

    def hexo(
        self, title: str, body: str | None = None, date: str = "'2024-05-01 08:00'", **extra: str
    ) -> str:
        lines = [f"title: {title}", f"date: {date}", *(f"{k}: {v}" for k, v in extra.items())]
        return "\n---\n" + "\n".join(lines) + "\n---\n\n" + (body or self.html()) + "\n"

    def write(
        self, kind: str, content: str | bytes, expect: str, reason: str = "", name: str = ""
    ) -> Path:
        name = name or f"{kind}-{len(self.cases):04d}.md"
        path = self.folder / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        self.cases.append(Case(path.name, kind, expect, reason))
        return path

    # -- the case kinds ------------------------------------------------------------------

    def good_post(self) -> None:
        self.write(
            "good_post", self.hexo(f"'城市更新惠民生 {self.serial}'", author="本报记者"), "loaded"
        )

    def good_text(self) -> None:
        body = "\u3000\u3000".join(self.body())
        self.write(
            "good_text",
            f"一年来，城市更新取得进展——城市更新第{self.serial}篇（民生）\u3000\u3000{body}",
            "loaded",
            name=f"text-{len(self.cases):04d}.txt",
        )

    def twins(self) -> None:
        """Same body, no URL: the badly dated one is rejected for its date only."""
        body = "\u3000\u3000".join(self.body())
        head = f"双胞胎稿件第{self.serial}篇"
        self.write(
            "twin_bad_date",
            self.hexo(f"'{head}'", f"<p>{body}</p>", date="'1980-01-01'"),
            "rejected",
            "is before 1990-01-01",
        )
        self.write("twin_good_date", self.hexo(f"'{head}'", f"<p>{body}</p>"), "loaded")

    def alias_bomb(self) -> None:
        levels = "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n"
            for i in range(8)
        )
        self.write(
            "alias_bomb",
            f"---\ntitle: '炸弹{self.serial}'\na: &a [lol, lol]\n{levels}---\n{self.html()}",
            "rejected",
            "aliases",
        )

    def deep_yaml(self) -> None:
        self.write(
            "deep_yaml",
            "---\nt: " + "[" * 3000 + "]" * 3000 + f"\n---\n{self.html()}",
            "rejected",
            "nested too deeply",
        )

    def huge_front_matter(self) -> None:
        self.write(
            "huge_front_matter",
            self.hexo("'" + "长" * 70_000 + "'"),
            "rejected",
            "front matter too large",
        )

    def broken_yaml(self) -> None:
        self.write(
            "broken_yaml",
            f"---\ntitle: '未闭合{self.serial}\ncategories: [\n---\n{self.html()}",
            "rejected",
            "broken YAML",
        )

    def markup_date(self) -> None:
        self.write(
            "markup_date",
            self.hexo(f"'日期是标记{self.serial}'", date="'[/]'"),
            "rejected",
            "'[/]'",
        )

    def markup_title(self) -> None:
        self.write("markup_title", self.hexo(f"'[update] 新闻 [/] [bold]{self.serial}'"), "loaded")

    def fence_title(self) -> None:
        title = f'"上{self.serial}\\n---\\n<script>alert(1)</script>\\r\\n下"'
        self.write(
            "fence_title",
            self.hexo(title, author='"张三\\n李四"', kicker='"引\\u2028题"'),
            "loaded",
        )

    def unsafe_urls(self) -> None:
        boxes = "".join(
            f'<img src="{u}">'
            for u in (
                "javascript:alert(1)",
                "data:image/png;base64,AAAA",
                "vbscript:x",
                "file:///etc/passwd",
            )
        )
        self.write(
            "unsafe_urls",
            self.hexo(
                f"'不安全的链接{self.serial}'",
                f"<div>{self.html()}{boxes}<a href='javascript:1' onclick='x()'>点</a></div>",
                headimg="'javascript:alert(3)'",
                thumbnail="'data:text/html,x'",
            ),
            "loaded",
        )

    def deep_html(self) -> None:
        depth = self.rng.choice([260, 300, 380])
        self.write(
            "deep_html",
            self.hexo(f"'嵌套很深{self.serial}'", "<div>" * depth + self.html() + "</div>" * depth),
            "loaded",
        )

    def too_deep_html(self) -> None:
        self.write(
            "too_deep_html",
            self.hexo(f"'嵌套过深{self.serial}'", "<div>" * 800 + self.html() + "</div>" * 800),
            "rejected",
            "nested",
        )

    def flipped_bytes(self) -> None:
        raw = bytearray(self.hexo(f"'字节损坏{self.serial}'").encode("utf-8"))
        start = raw.index(b"<p>") + 12
        for offset in self.rng.sample(range(0, 150), 3):
            raw[start + offset] ^= 1 << self.rng.randrange(8)
        self.write("flipped_bytes", bytes(raw), "loaded")

    def binary(self) -> None:
        self.write(
            "binary", bytes(self.rng.randrange(256) for _ in range(3000)), "rejected", "binary"
        )

    def empty(self) -> None:
        self.write("empty", b"" if self.serial % 2 else b"\n\n  \n", "rejected", "empty file")
        self.serial += 1

    def nul_in_yaml(self) -> None:
        self.write("nul_in_yaml", self.hexo(f'"空字符\\0标题{self.serial}\\ud800"'), "loaded")

    def escape_name(self) -> None:
        self.write(
            "escape_name",
            self.hexo(f"'文件名有转义{self.serial}'"),
            "loaded",
            name=f"esc\x1b[31m\x1b]0;t\x07-{len(self.cases):04d}.md",
        )

    def gbk(self) -> None:
        self.write("gbk", self.hexo(f"'国标编码{self.serial}'").encode("gbk"), "loaded")

    def bom(self) -> None:
        self.write(
            "bom", b"\xef\xbb\xbf" + self.hexo(f"'带签名{self.serial}'").encode("utf-8"), "loaded"
        )

    def no_title(self) -> None:
        self.write("no_title", self.hexo("''"), "rejected", "title: missing")

    def short_title(self) -> None:
        self.write("short_title", self.hexo("'短'"), "rejected", "title: 1 characters")

    def long_title(self) -> None:
        self.write(
            "long_title", self.hexo("'" + "长" * 300 + "'"), "rejected", "title: 300 characters"
        )

    def future_date(self) -> None:
        self.write(
            "future_date",
            self.hexo(f"'未来的文章{self.serial}'", date="'2099-01-01 08:00'"),
            "rejected",
            "after it was fetched",
        )

    def english(self) -> None:
        body = (
            "<p>" + f"This is English text number {self.serial} about city renewal. " * 6 + "</p>"
        )
        self.write("english", self.hexo(f"'English {self.serial}'", body), "rejected", "cjk_share")

    def unclosed(self) -> None:
        image = f"https://img.example.test/{self.serial}.jpg"
        box = f'<div class="img_box"><img class="lazy" data-original="{image}"></div>'
        body = f"<div><div>{box}{self.html()}<div><p>尾段没有闭合"
        self.write("unclosed", self.hexo(f"'标签未闭合{self.serial}'", body), "loaded")

    def duplicate(self) -> None:
        content = self.hexo(f"'原稿{self.serial}'")
        self.write("duplicate_original", content, "loaded", name=f"dup-{len(self.cases):04d}-a.md")
        self.write(
            "duplicate_copy",
            content.replace("原稿", "转载"),
            "duplicate",
            name=f"dup-{len(self.cases):04d}-b.md",
        )

    def broken_link(self) -> None:
        path = self.folder / f"link-{len(self.cases):04d}.md"
        path.symlink_to(self.folder / f"gone-{len(self.cases)}.md")
        self.cases.append(Case(path.name, "broken_link", "rejected", "broken symbolic link"))

    def fifo(self) -> None:
        path = self.folder / f"fifo-{len(self.cases):04d}.md"
        os.mkfifo(path)
        self.cases.append(Case(path.name, "fifo", "rejected", "a FIFO"))

    def socket_file(self) -> None:
        path = self.folder / f"sock-{len(self.cases):04d}.md"
        with socket.socket(socket.AF_UNIX) as server:
            server.bind(str(path))
        self.cases.append(Case(path.name, "socket", "rejected", "a socket"))

    def generate(self, variants: int, kinds: tuple[str, ...] = ()) -> list[Case]:
        for _ in range(variants):
            for kind in kinds or KINDS:
                getattr(self, kind)()
        return self.cases


KINDS = (
    "good_post", "good_text", "twins", "alias_bomb", "deep_yaml", "huge_front_matter",
    "broken_yaml", "markup_date", "markup_title", "fence_title", "unsafe_urls", "deep_html",
    "too_deep_html", "flipped_bytes", "binary", "empty", "nul_in_yaml", "escape_name", "gbk",
    "bom", "no_title", "short_title", "long_title", "future_date", "english", "unclosed",
    "duplicate", "broken_link", "fifo", "socket_file",
)  # fmt: skip


def unsafe_values(engine: Engine) -> list[str]:
    """What the warehouse holds that it must not: one line per offending value."""
    found = []
    with engine.connect() as connection:
        for row in connection.execute(select(Article)).mappings():
            found += [
                f"article {row['id']} {f}" for f in ONE_LINE if row[f] and CONTROL.search(row[f])
            ]
            found += [
                f"article {row['id']} {f}"
                for f in ("head_image", "thumbnail")
                if row[f] and not HTTP.match(row[f])
            ]
            if UNSAFE_HTML.search(row["body_html"]):
                found.append(f"article {row['id']} body_html")
        found += [f"image {u}" for u in connection.scalars(select(Image.url)) if not HTTP.match(u)]
        found += [
            f"category {n!r}"
            for n in connection.scalars(select(Category.name))
            if CONTROL.search(n)
        ]
    return found


def article_rows(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        columns = [c for c in Article.__table__.columns if c.name not in ("last_updated_at",)]
        rows = [tuple(r) for r in connection.execute(select(*columns).order_by(Article.id))]
        rows += [tuple(r) for r in connection.execute(select(ArticleCategory.__table__))]
    return rows


def check(cases: list[Case], outcomes: dict[str, Any]) -> dict[str, Any]:
    """Compare each file's outcome with what it must be."""
    lost, misattributed, unexpected = [], [], []
    for case in cases:
        outcome = outcomes.get(case.name)
        if outcome is None:
            lost.append(case.name)
        elif case.expect == "rejected" and outcome.status == "rejected":
            if case.reason.lower() not in outcome.reason.lower():
                misattributed.append(f"{case.kind}: {outcome.reason}")
        elif case.expect != "rejected" and outcome.status == "rejected":
            misattributed.append(f"{case.kind} (should load): {outcome.reason}")
        elif outcome.status != case.expect:
            (lost if not outcome.reason else unexpected).append(f"{case.kind}: {outcome.status}")
    return {"lost": lost, "misattributed": misattributed, "unexpected": unexpected}


def run(url: str, variants: int, workdir: Path, kinds: tuple[str, ...] = ()) -> dict[str, Any]:
    engine = make_engine(url)
    upgrade(engine)
    folder = workdir / "corpus"
    folder.mkdir()
    cases = Corpus(folder).generate(variants, kinds)
    crashes: list[str] = []
    try:
        result = import_files(engine, [folder])
    except Exception:  # counted, not hidden: a crash is what this run looks for
        crashes.append(traceback.format_exc(limit=3))
        return {"files": len(cases), "crashes": crashes}
    found = check(cases, {o.path.name: o for o in result.files})
    before = article_rows(engine)
    changed = -1
    try:
        export_hexo(engine, workdir / "export", proxy=None)
        again = import_files(engine, [workdir / "export"])
        rejected_again = [o.reason for o in again.rejected]
        changed = sum(a != b for a, b in zip(before, article_rows(engine), strict=False))
        changed += abs(len(before) - len(article_rows(engine)))
    except Exception:
        crashes.append(traceback.format_exc(limit=3))
        rejected_again = []
    statuses = Counter(o.status for o in result.files)
    engine.dispose()
    return {
        "files": len(cases),
        "kinds": len(kinds or KINDS),
        "outcomes": dict(statuses),
        "crashes": crashes,
        "silent_losses": found["lost"],
        "misattributed_rejections": found["misattributed"],
        "unexpected_outcomes": found["unexpected"],
        "unsafe_values_stored": unsafe_values(make_engine(url)),
        "round_trip_rejections": rejected_again,
        "round_trip_changed_rows": changed,
        "etl_status": result.etl.status if result.etl else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", type=int, default=12)
    parser.add_argument("--out", type=Path, default=OUT, help="JSON file of the results")
    parser.add_argument(
        "--skip", nargs="*", default=[], choices=KINDS, help="case kinds left out (baselines)"
    )
    parser.add_argument(
        "--backends", nargs="+", default=["sqlite"], choices=["sqlite", "postgresql"]
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "NEWSETL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args()
    results = {}
    for backend in args.backends:
        with tempfile.TemporaryDirectory(prefix="newsetl-hostile-") as scratch:
            warehouse = Warehouse(backend, args.postgres_url, Path(scratch))
            try:
                kinds = tuple(k for k in KINDS if k not in args.skip)
                results[backend] = run(warehouse.new(), args.variants, Path(scratch), kinds)
            finally:
                warehouse.drop()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    table = Table(title="hostile corpus: import → ETL → export → import", title_justify="left")
    table.add_column("count")
    for backend in results:
        table.add_column(backend, justify="right")
    rows = (
        "files",
        "kinds",
        "crashes",
        "silent_losses",
        "misattributed_rejections",
        "unexpected_outcomes",
        "unsafe_values_stored",
        "round_trip_rejections",
        "round_trip_changed_rows",
    )
    for row in rows:
        cells = [r.get(row) for r in results.values()]
        table.add_row(
            row.replace("_", " "), *(str(len(c) if isinstance(c, list) else c) for c in cells)
        )
    Console().print(table)
    for backend, result in results.items():
        for key in (
            "crashes",
            "silent_losses",
            "misattributed_rejections",
            "unexpected_outcomes",
            "unsafe_values_stored",
            "round_trip_rejections",
        ):
            for line in result.get(key) or []:
                Console(markup=False, highlight=False).print(f"{backend} {key}: {line}")


if __name__ == "__main__":
    main()
