"""The analytics report: one self-contained HTML page of SVG charts and a table.

Everything the page shows comes from the named queries (``schemas/queries``), run on a
read-only connection. The page has no script and loads nothing: charts are inline SVG drawn
here, styles are inline, and a Content-Security-Policy forbids every fetch. Each chart is a
``figure.chart`` with a stable id, its series in ``data-series``, and one ``rect.bar`` per
value carrying ``data-series``, ``data-category``, ``data-value`` and a ``<title>``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from schemas.queries import get_query, read_only_connection, run_query
from schemas.views import BEIJING_OFFSET_HOURS

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
FONT_STACK = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "PingFang SC", '
    '"Microsoft YaHei", sans-serif'
)
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1",
    "#76b7b2", "#edc948", "#9c755f", "#ff9da7", "#bab0ac",
)  # fmt: skip
DEFAULT_DAYS = 30
TOP_N = 15
LATEST_N = 25
RECENT_RUNS = 50
WIDTH = 880
STYLE = f"""
body {{ font-family: {FONT_STACK}; margin: 24px auto; max-width: {WIDTH + 40}px;
       color: #222; background: #fff; }}
h1 {{ font-size: 22px; }} h2 {{ font-size: 17px; margin: 0 0 4px; }}
figure.chart {{ margin: 0 0 28px; }} figcaption {{ color: #555; font-size: 13px; }}
svg text {{ font-family: {FONT_STACK}; font-size: 11px; fill: #333; }}
svg .grid line {{ stroke: #e3e3e3; }}
ul.legend {{ list-style: none; padding: 0; margin: 4px 0; font-size: 12px; }}
ul.legend li {{ display: inline-block; margin-right: 14px; }}
ul.legend span {{ display: inline-block; width: 10px; height: 10px; margin-right: 4px; }}
table {{ border-collapse: collapse; font-size: 13px; width: 100%; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 4px 6px; text-align: left; }}
p.empty {{ color: #888; font-style: italic; }}
"""


@dataclass
class Chart:
    """A bar chart: one bar per category, stacked by series."""

    id: str
    title: str
    note: str
    categories: list[str]
    series: list[str]
    values: dict[tuple[str, str], float] = field(default_factory=dict)
    horizontal: bool = False
    labels: dict[str, str] = field(default_factory=dict)  # short axis label per category


def _nice_step(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k at or above ``value`` (at least 1: counts)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= value)


def _number(value: float) -> str:
    return f"{value:g}"


def _clip(label: str, size: int) -> str:
    return label if len(label) <= size else label[: size - 1] + "…"


def _svg(chart: Chart) -> str:
    """The chart's SVG: grid, bars (in ``g.plot``) and axis labels."""
    count = len(chart.categories)
    totals = [sum(chart.values.get((c, s), 0) for s in chart.series) for c in chart.categories]
    top = 4 * _nice_step(max(totals) / 4)
    if chart.horizontal:
        row = 24
        x0, y0, plot_w, plot_h = 230, 6, WIDTH - 230 - 60, count * row
        height = plot_h + 28
    else:
        x0, y0, plot_w, plot_h = 48, 10, WIDTH - 60, 220
        height = plot_h + 70
    band = (plot_h if chart.horizontal else plot_w) / count
    thickness = min(band * 0.7, 48)
    grid, bars, labels = [], [], []
    for step in range(5):
        value = top * step / 4
        if chart.horizontal:
            x = x0 + plot_w * step / 4
            grid.append(f'<line x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y0 + plot_h}"/>')
            grid.append(
                f'<text x="{x:.1f}" y="{y0 + plot_h + 16}" text-anchor="middle">'
                f"{_number(value)}</text>"
            )
        else:
            y = y0 + plot_h - plot_h * step / 4
            grid.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + plot_w}" y2="{y:.1f}"/>')
            grid.append(
                f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end">{_number(value)}</text>'
            )
    every = max(1, math.ceil(count / 16))
    for index, (category, total) in enumerate(zip(chart.categories, totals, strict=True)):
        offset = 0.0
        start = index * band + (band - thickness) / 2
        for series_index, series in enumerate(chart.series):
            value = chart.values.get((category, series), 0)
            if not value:
                continue
            length = value / top * (plot_w if chart.horizontal else plot_h)
            if chart.horizontal:
                x, y, w, h = x0 + offset, y0 + start, length, thickness
            else:
                x, y, w, h = x0 + start, y0 + plot_h - offset - length, thickness, length
            offset += length
            bars.append(
                f'<rect class="bar" x="{x:.2f}" y="{y:.2f}" width="{w:.2f}" height="{h:.2f}" '
                f'fill="{PALETTE[series_index % len(PALETTE)]}" shape-rendering="crispEdges" '
                f'data-series="{escape(series)}" data-category="{escape(category)}" '
                f'data-value="{_number(value)}"><title>{escape(series)} · {escape(category)}: '
                f"{_number(value)}</title></rect>"
            )
        label = escape(chart.labels.get(category, category))
        if chart.horizontal:
            middle = y0 + start + thickness / 2 + 4
            labels.append(
                f'<text x="{x0 - 8}" y="{middle:.1f}" text-anchor="end">'
                f"<title>{escape(category)}</title>{escape(_clip(category, 18))}</text>"
            )
            labels.append(
                f'<text x="{x0 + offset + 4:.1f}" y="{middle:.1f}">{_number(total)}</text>'
            )
        elif index % every == 0:
            x, y = x0 + start + thickness / 2, y0 + plot_h + 14
            labels.append(
                f'<text x="{x:.1f}" y="{y}" text-anchor="end" '
                f'transform="rotate(-45 {x:.1f} {y})">{label}</text>'
            )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(chart.title)}">'
        f'<g class="grid">{"".join(grid)}</g><g class="plot">{"".join(bars)}</g>'
        f'<g class="labels">{"".join(labels)}</g></svg>'
    )


def render_chart(chart: Chart) -> str:
    """A ``figure.chart`` with its title, legend and SVG (or a note when it has no data)."""
    legend = "".join(
        f'<li><span style="background:{PALETTE[i % len(PALETTE)]}"></span>{escape(s)}</li>'
        for i, s in enumerate(chart.series)
    )
    body = (
        f'<ul class="legend">{legend}</ul>{_svg(chart)}'
        if chart.categories and chart.values
        else '<p class="empty">no data for this period</p>'
    )
    series = escape(json.dumps(chart.series if chart.values else [], ensure_ascii=False))
    return (
        f'<figure class="chart" id="{chart.id}" data-series="{series}">'
        f"<h2>{escape(chart.title)}</h2><figcaption>{escape(chart.note)}</figcaption>"
        f"{body}</figure>"
    )


def _day(value: Any) -> str:
    """A day from a view (SQLite gives text, PostgreSQL a ``date``) as ISO text."""
    return value.isoformat() if isinstance(value, date) else str(value)


def _beijing(iso: str | None) -> str:
    """An ISO UTC timestamp from a view, shown in Beijing time."""
    if not iso:
        return ""
    moment = datetime.fromisoformat(iso).astimezone(UTC)
    return (moment + timedelta(hours=BEIJING_OFFSET_HOURS)).strftime("%Y-%m-%d %H:%M")


def _rows(connection: Connection, name: str, **params: Any) -> list[dict[str, Any]]:
    columns, rows = run_query(connection, get_query(name), {k: str(v) for k, v in params.items()})
    return [dict(zip(columns, row, strict=True)) for row in rows]


@dataclass
class Report:
    """What the report shows: its period, charts, latest articles and degraded crawls."""

    since: date | None
    until: date | None
    charts: list[Chart]
    latest: list[dict[str, Any]]
    # the newest seen articles of unknown publication date, and how many there are (all
    # counted apart from the per-day charts)
    undated: list[dict[str, Any]] = field(default_factory=list)
    undated_total: int = 0
    degraded: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Rows behind each chart and the tables, for the command's summary."""
        counts = {chart.id: len(chart.values) for chart in self.charts}
        counts["latest-articles"] = len(self.latest)
        counts["undated-articles"] = len(self.undated)
        return counts


def collect(connection: Connection, since: date | None = None) -> Report:
    """Run the named queries behind the report; by default the last 30 days with articles."""
    days = _rows(connection, "duplicates_per_day")
    until = date.fromisoformat(_day(days[-1]["day"])) if days else None
    if since is None and until is not None:
        since = until - timedelta(days=DEFAULT_DAYS - 1)
    period = {"since": since} if since else {}
    days = [d for d in days if since is None or _day(d["day"]) >= since.isoformat()]

    per_source = _rows(connection, "articles_per_day", **period)
    sources = sorted({r["source"] for r in per_source})
    day_labels = [_day(d["day"]) for d in days]
    articles = Chart(
        "chart-articles-per-day",
        "每日文章 · Articles per day and source",
        "Beijing days (UTC+8), stacked by source.",
        day_labels,
        sources,
        {(_day(r["day"]), r["source"]): r["articles"] for r in per_source},
        labels={d: d[5:] for d in day_labels},
    )
    duplicates = Chart(
        "chart-duplicates",
        "重复文章 · Duplicates over time",
        "Articles whose story an earlier article already told, per Beijing day.",
        day_labels,
        ["duplicates"],
        {(_day(d["day"]), "duplicates"): d["duplicates"] for d in days if d["duplicates"]},
        labels={d: d[5:] for d in day_labels},
    )
    reasons = _rows(connection, "rejection_reasons", **period)
    rejections = Chart(
        "chart-rejections",
        "拒收原因 · Rejection reasons",
        "Quarantined records by stage and reason.",
        [f"{r['stage']}: {r['reason']}" for r in reasons[:TOP_N]],
        sorted({r["stage"] for r in reasons[:TOP_N]}),
        {(f"{r['stage']}: {r['reason']}", r["stage"]): r["records"] for r in reasons[:TOP_N]},
        horizontal=True,
    )
    column_rows = _rows(connection, "top_columns", limit=TOP_N)
    columns = Chart(
        "chart-columns",
        "热门栏目 · Top columns",
        "Columns (栏目) with the most articles, all time, by source.",
        [f"{r['column_name']} ({r['source']})" for r in column_rows],
        sorted({r["source"] for r in column_rows}),
        {(f"{r['column_name']} ({r['source']})", r["source"]): r["articles"] for r in column_rows},
        horizontal=True,
    )
    term_rows = _rows(connection, "top_terms", limit=TOP_N, **period)
    terms = Chart(
        "chart-terms",
        "热门词语 · Top terms",
        "Most frequent words of canonical articles (jieba, stop words dropped).",
        [r["term"] for r in term_rows],
        ["occurrences"],
        {(r["term"], "occurrences"): r["occurrences"] for r in term_rows},
        horizontal=True,
    )
    latest = _rows(connection, "latest_articles", limit=LATEST_N)
    undated = _rows(connection, "undated_articles", limit=LATEST_N)
    undated_total = sum(r["articles"] for r in _rows(connection, "undated_per_source"))
    runs = _rows(connection, "run_health", kind="crawl", limit=RECENT_RUNS)
    degraded = [run for run in runs if run["status"] == "degraded"]
    charts = [articles, duplicates, rejections, columns, terms]
    return Report(since, until, charts, latest, undated, undated_total, degraded)


def render_undated(report: Report) -> str:
    """The articles of unknown publication date, apart: how many, and the newest seen."""
    if not report.undated_total:
        return ""
    rows = "".join(
        f"<tr><td>{escape(_beijing(a['first_seen_at']))}</td><td>{escape(a['source'])}</td>"
        f'<td><a href="{escape(a["url"] or "")}">{escape(a["title"])}</a></td></tr>'
        for a in report.undated
    )
    return f"""<h2>日期不详 · Articles of unknown date</h2>
<p>Articles without a known publication date: {report.undated_total}. No chart above counts
them; the newest seen:</p>
<table id="undated-articles">
<thead><tr><th>First seen (UTC+8)</th><th>Source</th><th>Title</th></tr></thead>
<tbody>{rows}</tbody>
</table>
"""


def render(report: Report, generated_at: datetime | None = None) -> str:
    """The report as one HTML document."""
    generated = _beijing((generated_at or datetime.now(UTC)).isoformat())
    period = (
        f"{report.since.isoformat()} – {report.until.isoformat()}"
        if report.since and report.until
        else "no articles yet"
    )
    rows = "".join(
        "<tr>"
        f"<td>{escape(_beijing(a['published_at']))}</td><td>{escape(a['source'])}</td>"
        f'<td><a href="{escape(a["url"] or "")}">{escape(a["title"])}</a></td>'
        f"<td>{escape(a['author'] or '')}</td><td>{escape(a['column_name'] or '')}</td>"
        "</tr>"
        for a in report.latest
    )
    drift = "".join(
        f"<tr><td>{run['run_id']}</td><td>{escape(run['name'] or '')}</td>"
        f"<td>{escape(_beijing(run['finished_at']))}</td>"
        f"<td>{escape(run['message'] or '')}</td></tr>"
        for run in report.degraded
    )
    degraded = (
        '<h2>布局漂移 · Degraded crawls</h2><table id="degraded-runs"><thead><tr><th>Run</th>'
        "<th>Spider</th><th>Finished (UTC+8)</th><th>Why</th></tr></thead>"
        f"<tbody>{drift}</tbody></table>"
        if drift
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>newsetl report {escape(period)}</title>
<style>{STYLE}</style>
</head>
<body>
<h1>newsetl 新闻仓库报告</h1>
<p>Period (Beijing days): {escape(period)} · generated {escape(generated)} (UTC+8)</p>
{degraded}
{"".join(render_chart(chart) for chart in report.charts)}
<h2>最新文章 · Latest articles</h2>
<table id="latest-articles">
<thead><tr><th>Published (UTC+8)</th><th>Source</th><th>Title</th><th>Author</th>
<th>Column</th></tr></thead>
<tbody>{rows}</tbody>
</table>
{render_undated(report)}</body>
</html>
"""


def write_report(path: Path, url: str | None = None, since: date | None = None) -> Report:
    """Query the warehouse read-only and write the report to ``path``."""
    # only the project's own named queries run here, never SQL a user typed
    with read_only_connection(url, allow_superuser=True) as connection:
        report = collect(connection, since)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(report), encoding="utf-8")
    return report
