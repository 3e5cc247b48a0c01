"""`newsetl report`: one self-contained HTML page whose charts draw in headless Chromium."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from analytics_browser import CHROMIUM, chromium, png_pixels
from analytics_seed import Seeded, seed
from typer.testing import CliRunner

from newsetl.cli.app import app
from newsetl.report import CSP, PALETTE, Chart, render_chart, time_axis
from schemas.db import make_engine, session_scope
from schemas.migrate import upgrade
from schemas.models import Article, PipelineRun

runner = CliRunner()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium not found: install Debian's `chromium` package (.ci/run does)",
)

EXPECTED_SERIES = {
    "chart-articles-per-day": ["people-daily", "zaker-feed"],
    "chart-duplicates": ["duplicates"],
    "chart-rejections": ["parse", "validate"],
    "chart-columns": ["people-daily"],
    "chart-terms": ["occurrences"],
}
EXPECTED_BARS = {
    "chart-articles-per-day": {  # a5 (local-files) has no known date: on no day
        ("people-daily", "2021-08-06", 1),
        ("people-daily", "2021-08-07", 2),
        ("zaker-feed", "2021-08-06", 3),
    },
    "chart-duplicates": {("duplicates", "2021-08-06", 2)},
    "chart-rejections": {
        ("validate", "validate: body too short", 2),
        ("parse", "parse: captcha page", 1),
    },
    "chart-columns": {
        ("people-daily", "命运与共 (people-daily)", 2),
        ("people-daily", "国际论坛 (people-daily)", 1),
    },
    "chart-terms": {
        ("occurrences", term, n)
        for term, n in [("疫苗", 5), ("合作", 4), ("经济", 3), ("未来", 2), ("健康", 2),
                        ("全球", 1), ("发展", 1), ("安全", 1)]
    },
}  # fmt: skip
CHARTS_JS = """JSON.stringify(Array.from(document.querySelectorAll('figure.chart')).map(f => {
  const plot = f.querySelector('g.plot');
  const r = plot ? plot.getBoundingClientRect() : null;
  return {
    id: f.id,
    series: JSON.parse(f.dataset.series),
    rect: r && {x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height},
    bars: Array.from(f.querySelectorAll('rect.bar')).map(b => [
      b.dataset.series, b.dataset.category, Number(b.dataset.value), b.getAttribute('fill')]),
  };
}))"""


class ReportParser(HTMLParser):
    """Collects what a self-contained page must not have, and the charts' bars."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def parse(html: str) -> ReportParser:
    parser = ReportParser()
    parser.feed(html)
    return parser


def bars_by_chart(html: str) -> dict[str, set[tuple[str, str, int]]]:
    charts: dict[str, set[tuple[str, str, int]]] = {}
    current = ""
    for tag, attrs in parse(html).tags:
        if tag == "figure":
            current = attrs["id"] or ""
            charts[current] = set()
        elif tag == "rect" and attrs.get("class") == "bar":
            value = float(attrs["data-value"] or 0)
            charts[current].add((attrs["data-series"], attrs["data-category"], int(value)))
    return charts


def write(tmp_path: Path, *args: str) -> str:
    out = tmp_path / "out" / "report.html"
    result = runner.invoke(app, ["report", str(out), *args])
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def test_report_holds_every_chart_with_its_series(
    seeded: Seeded, use_warehouse: str, tmp_path: Path
) -> None:
    html = write(tmp_path)
    assert bars_by_chart(html) == EXPECTED_BARS
    tags = parse(html).tags
    series = {a["id"]: json.loads(a["data-series"] or "") for t, a in tags if t == "figure"}
    assert series == EXPECTED_SERIES
    latest = html.split('<table id="latest-articles">')[1].split("</table>")[0]
    assert latest.count("<tr>") - 1 == 6 and "example.test/a5" not in latest
    undated = html.split('<table id="undated-articles">')[1].split("</table>")[0]
    assert undated.count("<tr>") - 1 == 1 and "example.test/a5" in undated
    assert "Articles without a known publication date: 1." in html


def test_report_since_limits_the_days(seeded: Seeded, use_warehouse: str, tmp_path: Path) -> None:
    bars = bars_by_chart(write(tmp_path, "--since", "2021-08-07"))
    assert bars["chart-articles-per-day"] == {("people-daily", "2021-08-07", 2)}
    assert bars["chart-duplicates"] == set()
    assert bars["chart-terms"] == {
        ("occurrences", t, n)
        for t, n in [("合作", 3), ("经济", 3), ("发展", 1), ("未来", 1), ("疫苗", 1)]
    }


def test_report_is_self_contained(seeded: Seeded, use_warehouse: str, tmp_path: Path) -> None:
    html = write(tmp_path)
    tags = parse(html).tags
    names = {tag for tag, _ in tags}
    assert not names & {"script", "link", "img", "iframe", "object", "embed", "base"}
    assert not any(a.get("src") or a.get("srcset") for _, a in tags)
    assert "url(" not in html and "@import" not in html and "@font-face" not in html
    csp = [a for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert [a["content"] for a in csp] == [CSP]
    assert "default-src 'none'" in CSP
    for font in ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "PingFang SC"):
        assert font in html


def test_report_of_an_empty_warehouse(use_warehouse: str, tmp_path: Path) -> None:
    html = write(tmp_path)
    assert bars_by_chart(html) == {chart: set() for chart in EXPECTED_SERIES}
    assert html.count("no data for this period") == len(EXPECTED_SERIES)


def test_report_refuses_a_bad_since(use_warehouse: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path / "r.html"), "--since", "last week"])
    assert result.exit_code == 2
    assert not (tmp_path / "r.html").exists()


@pytest.fixture
def report_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The report of the seeded rows in a SQLite warehouse (rendering needs one backend)."""
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    engine = make_engine(url)
    upgrade(engine)
    seed(engine, url)
    engine.dispose()
    monkeypatch.setenv("NEWSETL_DATABASE_URL", url)
    write(tmp_path)
    return tmp_path / "out" / "report.html"


@needs_chromium
def test_every_chart_draws_in_chromium_without_network(report_file: Path) -> None:
    url = report_file.as_uri()
    with chromium() as browser:
        page = browser.new_page(960, 1200)
        page.open(url)
        charts = json.loads(page.evaluate(CHARTS_JS))
        assert {c["id"]: c["series"] for c in charts} == EXPECTED_SERIES
        for chart in charts:
            bars = {(s, c, int(v)) for s, c, v, _ in chart["bars"]}
            assert bars == EXPECTED_BARS[chart["id"]]
            rect = chart["rect"]
            # drawn and visible: a chart of one bar on the continuous day axis is ≈ 48 px wide
            assert rect["width"] > 20 and rect["height"] > 10, chart["id"]
            pixels = png_pixels(
                page.screenshot(rect["x"], rect["y"], rect["width"], rect["height"])
            )
            total = sum(pixels.values())
            colours = {fill for _, _, _, fill in chart["bars"]}
            assert colours <= set(PALETTE)
            for fill in colours:
                rgb = tuple(int(fill[i : i + 2], 16) for i in (1, 3, 5))
                assert pixels[rgb] >= 100, (chart["id"], fill, pixels.most_common(5))
            assert pixels[(255, 255, 255)] < 0.9 * total, chart["id"]
        assert page.evaluate("document.querySelectorAll('#latest-articles tbody tr').length") == 6
        assert page.requests == [url]


class CountingServer(ThreadingHTTPServer):
    """Serves a fixed page and a pixel on 127.0.0.1, counting every request path."""

    def __init__(self, page: bytes) -> None:
        self.page = page
        self.paths: list[str] = []
        super().__init__(("127.0.0.1", 0), CountingHandler)


class CountingHandler(BaseHTTPRequestHandler):
    server: CountingServer

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        body = self.server.page if self.path == "/page.html" else b"GIF89a"
        self.send_response(200)
        self.send_header("Content-Type", "text/html" if self.path == "/page.html" else "image/gif")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


@contextmanager
def serve(page: bytes) -> Iterator[CountingServer]:
    server = CountingServer(page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@needs_chromium
@pytest.mark.parametrize("csp", [False, True])
def test_the_harness_sees_requests_and_the_policy_blocks_them(csp: bool) -> None:
    """Control: a page that loads an image is caught making the request, unless the report's
    Content-Security-Policy is in it, which stops the request before it leaves."""
    policy = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' if csp else ""
    page_html = f'<!DOCTYPE html><html><head>{policy}</head><body><img src="/pixel.gif">'
    with serve(page_html.encode()) as server, chromium() as browser:
        base = f"http://127.0.0.1:{server.server_port}"
        page = browser.new_page(400, 300)
        page.open(f"{base}/page.html")
        requested = [p for p in server.paths if p != "/favicon.ico"]
        if csp:
            assert requested == ["/page.html"]
        else:
            assert requested == ["/page.html", "/pixel.gif"]
            assert f"{base}/pixel.gif" in page.requests


def test_default_window_covers_all_the_data_on_a_continuous_axis_with_years(
    seeded: Seeded, engine, use_warehouse: str, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        a1 = session.get(Article, seeded.articles["a1"])
        session.add(
            Article(
                source_id=a1.source_id, url="https://example.test/later",
                canonical_url="https://example.test/later", title="五年之后",
                published_at=datetime(2026, 8, 5, 4, tzinfo=UTC),
                first_seen_at=datetime(2026, 8, 5, 5, tzinfo=UTC),
                last_updated_at=datetime(2026, 8, 5, 5, tzinfo=UTC),
                body_html="<p>疫苗</p>", body_text="疫苗", char_count=2, content_hash="later",
            )
        )  # fmt: skip
    html = write(tmp_path)
    bars = bars_by_chart(html)["chart-articles-per-day"]
    # every dated article, none left out of the window (the undated a5 is counted apart)
    assert sum(n for _, _, n in bars) == 7
    assert {month for _, month, _ in bars} == {"2021-08", "2026-08"}
    figure = html.split('id="chart-articles-per-day"')[1].split("</figure>")[0]
    labels = re.findall(r'rotate\(-45[^)]*\)">([^<]+)</text>', figure)
    months, _, unit = time_axis(date(2021, 8, 6), date(2026, 8, 5))
    assert unit == "month" and len(months) == 61 and months[12] == "2022-08"
    assert labels == months[:: len(months) // 16 + 1]  # labels carry the year, evenly spaced
    assert "Period (Beijing days): 2021-08-06 – 2026-08-05" in html


def test_a_short_period_is_drawn_day_by_day_with_every_day() -> None:
    days, bucket, unit = time_axis(date(2024, 12, 30), date(2025, 1, 2))
    assert unit == "day" and bucket("2025-01-01") == "2025-01-01"
    assert days == ["2024-12-30", "2024-12-31", "2025-01-01", "2025-01-02"]


def test_long_labels_are_wrapped_whole_not_cut() -> None:
    label = "validate: expect_column_value_lengths_to_be_between (body_text)"
    chart = Chart("c", "t", "n", [label], ["validate"], {(label, "validate"): 3}, horizontal=True)
    svg = render_chart(chart)
    spans = re.findall(r"<tspan[^>]*>([^<]*)</tspan>", svg)
    assert len(spans) == 2 and "".join(spans) == label
    assert f"<title>{label}</title>" in svg


def test_the_command_summary_names_the_charts(
    seeded: Seeded, use_warehouse: str, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["report", str(tmp_path / "r.html")])
    rows = {
        cells[1].strip(): cells[2].strip()
        for line in result.output.splitlines()
        if len(cells := line.split("│")) == 4
    }
    assert rows["每日文章 · Articles per day and source"] == "3"  # a5 has no day
    assert rows["最新文章 · Latest articles"] == "6"
    assert rows["日期不详 · Articles of unknown date"] == "1"
    assert "chart-" not in result.output and "┃ chart" in result.output


def test_report_lists_crawls_that_ended_degraded(
    seeded: Seeded, use_warehouse: str, tmp_path: Path
) -> None:
    assert '<table id="degraded-runs">' not in write(tmp_path / "before")
    engine = make_engine(use_warehouse)
    reason = "layout drift: people-daily/FromDecember2024 gave no title on 2 of 2 article pages"
    with session_scope(engine) as session:
        session.add(
            PipelineRun(kind="crawl", name="people_daily", status="degraded", message=reason)
        )
    engine.dispose()
    html = write(tmp_path)
    table = html.split('<table id="degraded-runs">')[1].split("</table>")[0]
    assert table.count("<tr>") == 2  # the heading and the one degraded run
    assert "people_daily" in table and reason in table
