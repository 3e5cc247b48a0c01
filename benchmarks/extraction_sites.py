"""Site parsers scored on real article blocks carried by a feed file (e.g.
``../shared/realpages/rmrb_2026_q2.xml.gz``; see its README), through
``benchmarks/extraction.py --corpus PATH``.

Each ``<item>``'s ``<description>`` is a page's verbatim ``div.article``; the truth comes from
outside the block's headings: the headline and page number from ``<title>``
(``[NN版：版名] headline``), the date from ``<link>``, kicker, subtitle and author from the
CMS's ``<!--enpproperty-->`` fields where the editors filled them in, the body from the text of
``#ozoom``'s ``<p>`` elements. The parser is the one the registry picks for the item's link.

Per field: the share of items whose field matches (title, page number and date over all
article items; kicker, subtitle and author over the items whose truth has one), the mean
character F1 of the body, crashes, editor credits skipped, and article-less items flagged.
Also the cost of reading a page as a browser does (html5lib) beside lxml, same pages, same run.
"""

from __future__ import annotations

import gzip
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from lxml import html as lxml_html
from parsel import Selector
from rich.console import Console
from rich.table import Table

from spiders.parsers.base import browser_tree
from spiders.parsers.match import parser_for
from spiders.publishers.people_daily import date_from_url, is_editor_credit

PAGE = '<html><head><meta charset="utf-8"></head><body>{block}</body></html>'
LISTED = re.compile(r"\A\[(?P<no>\d{1,3})版[：:](?P<name>[^\]]*)\]\s*(?P<headline>.*)\Z", re.S)
ENP = re.compile(r"<!--\s*enpproperty(?P<fields>.*?)enpproperty\s*-->", re.S)
SPACE = re.compile(r"[\s\u3000\xa0\u200b\ufeff、，,·]+")
# A role before names: 本报记者, 新华社记者, 湖北日报记者, 人民网记者, 本报驻日内瓦记者, 通讯员.
ROLE = re.compile(r"\S{0,12}(?:记者|通讯员)")
PHOTO_CREDIT = re.compile(r"(?:摄影报道|摄影|摄)\Z")
PRINTED_DAY = re.compile(r"(\d{4})\D(\d{1,2})\D(\d{1,2})")
TIMING_ROUNDS = 5
FIELDS = ("title", "kicker", "subtitle", "author", "page number", "date", "body char-F1")


def squeeze(text: str | None) -> str:
    """Text compared without spaces (of any width) and list separators."""
    return SPACE.sub("", text or "")


def names(text: str | None) -> str:
    """A byline compared by its names: roles (本报记者…), photo credits and spaces dropped."""
    tokens = [PHOTO_CREDIT.sub("", t) for t in (text or "").split()]
    kept = [t for t in tokens if t and not ROLE.fullmatch(t)]
    return squeeze("".join(kept or tokens))


def char_f1(expected: str, found: str) -> float:
    """F1 of the characters (as multisets) of two texts, spaces ignored."""
    want, got = Counter(squeeze(expected)), Counter(squeeze(found))
    if not want and not got:
        return 1.0
    common = sum((want & got).values())
    if common == 0:
        return 0.0
    precision, recall = common / sum(got.values()), common / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def enp_fields(block: str) -> dict[str, str]:
    """The CMS's fields of a block, tags and spaces removed."""
    match = ENP.search(block)
    if match is None:
        return {}
    found = re.findall(r"<([a-z]+)>(.*?)</\1>", match["fields"], re.S)
    return {name: re.sub(r"<[^>]+>", "", value).strip() for name, value in found}


def body_truth(block: str) -> str | None:
    """The text of ``#ozoom``'s ``<p>`` elements, one per line; None without ``#ozoom``."""
    root = lxml_html.fromstring(PAGE.format(block=block))
    ozoom = root.cssselect("#ozoom")
    if not ozoom:
        return None
    texts = (p.text_content().strip(" \u3000\xa0\r\n\t") for p in ozoom[0].iter("p"))
    return "\n".join(t for t in texts if t)


def paragraphs_of(body_html: str | None) -> str:
    """The text of a parsed body's paragraphs (figures and their captions left out)."""
    if not body_html:
        return ""
    return "\n".join(p.xpath("string()").get() for p in Selector(text=body_html).css("p"))


def day_of(text: str | None) -> tuple[int, int, int] | None:
    match = PRINTED_DAY.search(text or "")
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def read_corpus(path: Path) -> list[dict[str, str]]:
    with gzip.open(path) if path.name.endswith(".gz") else path.open("rb") as handle:
        root = ElementTree.parse(handle).getroot()
    return [
        {
            "title": item.findtext("title") or "",
            "link": item.findtext("link") or "",
            "block": item.findtext("description") or "",
        }
        for item in root.iter("item")
    ]


def _median_ms(parse: Callable[[str], Any], pages: list[str]) -> float:
    rounds = []
    for _ in range(TIMING_ROUNDS):
        start = time.perf_counter()
        for page in pages:
            parse(page)
        rounds.append((time.perf_counter() - start) / len(pages) * 1000)
    return statistics.median(rounds)


def parse_cost(pages: list[str]) -> dict[str, float]:
    """Milliseconds per page to build the tree (median of rounds): lxml, html5lib."""

    def lxml_tree(page: str) -> Any:
        return Selector(text=page).root

    lxml_ms = _median_ms(lxml_tree, pages)
    html5_ms = _median_ms(browser_tree, pages)
    return {"lxml_ms": lxml_ms, "html5lib_ms": html5_ms, "ratio": html5_ms / lxml_ms}


def score(records: list[dict[str, str]]) -> dict[str, Any]:
    """Per-field hits and totals, per-item failures, and the counts of the odd items."""
    hits: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    f1s: list[float] = []
    counts: Counter[str] = Counter()
    misses: dict[str, list[str]] = {field: [] for field in FIELDS}
    parsers: Counter[str] = Counter()

    def mark(field: str, ok: bool, link: str) -> None:
        totals[field] += 1
        hits[field] += ok
        if not ok and len(misses[field]) < 5:
            misses[field].append(link)

    for record in records:
        link, block = record["link"], record["block"]
        listed = LISTED.match(record["title"].strip())
        counts["items"] += 1
        parser = parser_for(link)
        parsers[parser.name] += 1
        try:
            item = parser.parse(PAGE.format(block=block), link)
        except Exception:  # a crash is what the benchmark counts, whatever it is
            counts["crashes"] += 1
            continue
        truth_body = body_truth(block)
        if listed is None or truth_body is None:
            counts["no article block"] += 1
            counts["flagged (no title or body)"] += not (item.title and item.body_html)
            continue
        if is_editor_credit(listed["headline"]):
            counts["editor credits"] += 1
            counts["editor credits skipped"] += bool(item.title and is_editor_credit(item.title))
            continue
        truth = enp_fields(block)
        headline = (item.title or "") + (f"（{item.column}）" if item.column else "")
        mark("title", bool(item.title) and squeeze(headline) == squeeze(listed["headline"]), link)
        for field, name in (("kicker", "introtitle"), ("subtitle", "subtitle")):
            if truth.get(name):
                want = squeeze(truth[name]).rstrip("—－-―")
                mark(field, squeeze(getattr(item, field)) == want, link)
        if truth.get("author"):
            mark("author", names(item.author) == names(truth["author"]), link)
        page_no = re.search(r"\d+", item.page or "")
        mark("page number", bool(page_no) and int(page_no[0]) == int(listed["no"]), link)
        day = date_from_url(link)
        mark("date", day is not None and day_of(item.published) == day.timetuple()[:3], link)
        f1s.append(char_f1(truth_body, paragraphs_of(item.body_html)))
        totals["body char-F1"] += 1
        if f1s[-1] < 0.99 and len(misses["body char-F1"]) < 5:
            misses["body char-F1"].append(link)
    accuracy = {
        field: (100 * statistics.fmean(f1s) if f1s else 0.0)
        if field == "body char-F1"
        else (100 * hits[field] / totals[field] if totals[field] else 0.0)
        for field in FIELDS
    }
    return {
        "accuracy": accuracy,
        "scored": dict(totals),
        "counts": dict(counts),
        "parsers": dict(parsers),
        "misses": misses,
    }


def evaluate(path: Path, console: Console) -> dict[str, Any]:
    """Score the site parsers on the feed file at ``path``; print and return the figures."""
    records = read_corpus(path)
    result = score(records)
    result["parse_cost"] = parse_cost([PAGE.format(block=r["block"]) for r in records])
    table = Table(title=f"site parsers on {path.name} ({len(records)} items)")
    for column in ("field", "score", "scored items"):
        table.add_column(column)
    for field in FIELDS:
        table.add_row(
            field, f"{result['accuracy'][field]:.1f}", str(result["scored"].get(field, 0))
        )
    console.print(table)
    console.print("counts:", result["counts"], "parsers:", result["parsers"])
    cost = result["parse_cost"]
    console.print(
        f"tree per page: lxml {cost['lxml_ms']:.3f} ms, html5lib {cost['html5lib_ms']:.3f} ms "
        f"({cost['ratio']:.0f}x), median of {TIMING_ROUNDS} rounds"
    )
    for field, links in result["misses"].items():
        if links:
            console.print(f"[yellow]{field} misses[/]:", *links)
    return result
