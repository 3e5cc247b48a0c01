"""The generic extractor on labelled pages, beside trafilatura and readability-lxml.

A corpus is a folder of pages, each ``NAME.html`` (the bytes as served) beside ``NAME.json``:
``{"shape": "forum", "body": "…", "date": "2008-06-12 09:30" | null,
"author": "王某、李某" | null, "url": "…" (optional)}`` (subfolders are read too). Every page
is decoded once, as ``newsetl extract`` decodes it, and the same text goes to the three
extractors in this process, so the figures compare extraction, not decoding. Figures:

- body: character F1 of the extracted body against the labelled one (multisets of the
  non-space characters), averaged over pages; an extractor that fails scores 0;
- date: share of pages whose extracted date has the labelled day (a page labelled with no
  date counts when nothing is extracted); readability-lxml extracts no date or author;
- author: share of pages whose set of names equals the labelled one (same rule for none);
- empty: pages where trafilatura finds a body and newsetl none; crashes: per extractor.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from statistics import mean
from typing import Any

from lxml import html as lxml_html
from rich.console import Console
from rich.table import Table

from spiders.parsers.dates import find_date
from spiders.parsers.match import page_text, page_url, parser_for
from spiders.parsers.text import html_to_text

EXTRACTORS = ("newsetl", "trafilatura", "readability")
NAME_SEPARATORS = re.compile(r"[\s\u3000、，,;；/／|｜]+")


@dataclass(frozen=True)
class Extracted:
    """What one extractor found on one page (None: not found or not extracted)."""

    body: str | None
    date: str | None
    author: str | None


def newsetl_extract(text: str, url: str | None) -> Extracted:
    """The fields ``newsetl extract`` prints, through the parser the page's URL picks."""
    url = url or page_url(text)
    item = parser_for(url).parse(text, url)
    return Extracted(html_to_text(item.body_html) or item.body_text, item.published, item.author)


def trafilatura_extract(text: str, url: str | None) -> Extracted:
    import trafilatura

    document = trafilatura.bare_extraction(
        text, url=url, include_comments=False, with_metadata=True
    )
    if document is None:
        return Extracted(None, None, None)
    return Extracted(document.text, document.date, document.author)


def readability_extract(text: str, url: str | None) -> Extracted:
    from readability import Document

    summary = Document(text, url=url).summary(html_partial=True)
    body = lxml_html.fragment_fromstring(summary, create_parent="div").text_content()
    return Extracted(body, None, None)


RUNNERS: dict[str, Callable[[str, str | None], Extracted]] = {
    "newsetl": newsetl_extract,
    "trafilatura": trafilatura_extract,
    "readability": readability_extract,
}


def char_f1(found: str | None, truth: str) -> float:
    """F1 of the non-space characters of ``found`` against ``truth`` (as multisets)."""
    got = Counter(re.sub(r"\s+", "", found or ""))
    want = Counter(re.sub(r"\s+", "", truth))
    if not got or not want:
        return float(not got and not want)
    common = sum((got & want).values())
    if not common:
        return 0.0
    precision, recall = common / sum(got.values()), common / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def same_day(found: str | None, truth: str | None) -> bool:
    day = find_date(found or "") if found else None
    return (day or "")[:10] == (truth or "")[:10]


def same_names(found: str | None, truth: str | None) -> bool:
    def names(text: str | None) -> set[str]:
        return {name for name in NAME_SEPARATORS.split(text or "") if name}

    return names(found) == names(truth)


def labelled_pages(folder: Path) -> list[tuple[Path, dict[str, Any]]]:
    """The corpus: each ``.html`` page with its ``.json`` labels, sorted by path."""
    pages = []
    for labels in sorted(folder.rglob("*.json")):
        page = labels.with_suffix(".html")
        if page.is_file():
            pages.append((page, json.loads(labels.read_text(encoding="utf-8"))))
    return pages


def score_page(page: Path, truth: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each extractor's scores on one page."""
    text, _ = page_text(page.read_bytes())
    scores = {}
    for name, run in RUNNERS.items():
        try:
            found, crashed = run(text, truth.get("url")), False
        except Exception:  # a crash is a result here: it scores 0 and is counted
            found, crashed = Extracted(None, None, None), True
        scores[name] = {
            "body": char_f1(found.body, truth["body"]),
            "date": same_day(found.date, truth.get("date")),
            "author": same_names(found.author, truth.get("author")),
            "empty": not (found.body or "").strip(),
            "crashed": crashed,
        }
    return scores


def _summary(rows: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, float]]:
    return {
        name: {
            "body_f1": 100 * mean(row[name]["body"] for row in rows),
            "date": 100 * mean(row[name]["date"] for row in rows),
            "author": 100 * mean(row[name]["author"] for row in rows),
            "crashes": sum(row[name]["crashed"] for row in rows),
        }
        for name in EXTRACTORS
    }


def evaluate(path: Path, console: Console) -> dict[str, Any]:
    """Score the three extractors on the labelled pages under ``path``; print a table."""
    pages = labelled_pages(path)
    by_shape: dict[str, list[dict[str, dict[str, Any]]]] = defaultdict(list)
    empty_where_trafilatura_finds = []
    for page, truth in pages:
        scores = score_page(page, truth)
        by_shape[truth.get("shape", "other")].append(scores)
        if scores["newsetl"]["empty"] and not scores["trafilatura"]["empty"]:
            empty_where_trafilatura_finds.append(page.name)
    every = [row for rows in by_shape.values() for row in rows]
    shapes = {shape: _summary(rows) for shape, rows in sorted(by_shape.items())}
    result = {
        "pages": len(pages),
        "all": _summary(every) if every else {},
        "shapes": shapes,
        "empty_where_trafilatura_finds_a_body": empty_where_trafilatura_finds,
    }
    table = Table(title=f"generic extraction on {path} ({len(pages)} pages)")
    for column in ("shape", "pages", "body F1 n / t / r", "date % n / t", "author % n / t"):
        table.add_column(column)
    for shape, summary in [*shapes.items(), ("all", result["all"])]:
        count = len(by_shape[shape]) if shape in by_shape else len(pages)
        n, t, r = summary["newsetl"], summary["trafilatura"], summary["readability"]
        table.add_row(
            shape,
            str(count),
            f"{n['body_f1']:.1f} / {t['body_f1']:.1f} / {r['body_f1']:.1f}",
            f"{n['date']:.0f} / {t['date']:.0f}",
            f"{n['author']:.0f} / {t['author']:.0f}",
        )
    console.print(table)
    crashes = {name: result["all"][name]["crashes"] for name in EXTRACTORS} if every else {}
    console.print(
        f"crashes: {crashes}; newsetl empty where trafilatura finds a body: "
        f"{empty_where_trafilatura_finds or 'none'}"
    )
    return result
