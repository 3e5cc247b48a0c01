"""``newsetl crawl``: one ad-hoc crawl into the landing zone; ``newsetl run``: crawl every
enabled source, then run the ETL."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table
from sqlalchemy import select

from newsetl.cli.app import DatabaseOption, app
from newsetl.cli.markup import shown
from newsetl.cli.output import console, err_console, summary_table
from schemas.db import make_engine
from schemas.models import PipelineRun
from schemas.sources import load_sources

EXIT_CODES = {"success": 0, "failed": 1, "degraded": 1, "partial": 3}
ArgOption = typer.Option(
    None, "-a", "--arg", help="Spider argument KEY=VALUE (repeatable), as for `scrapy crawl`."
)
SettingOption = typer.Option(
    None, "-s", "--set", help="Scrapy setting NAME=VALUE (repeatable), as for `scrapy crawl`."
)


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    pairs = {}
    for value in values or []:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{what} {value!r} is not KEY=VALUE")
        pairs[key.strip()] = rest
    return pairs


def _crawl_settings(settings: list[str] | None, database_url: str | None) -> dict[str, Any]:
    values: dict[str, Any] = dict(_pairs(settings, "setting"))
    if database_url:
        values["NEWSETL_DATABASE_URL"] = database_url
    return values


def _report(name: str, stats: dict[str, Any], database_url: str | None) -> str:
    """Print one crawl's summary and problems; returns its status."""
    from spiders.pipelines import crawl_counts, crawl_status

    status = crawl_status(stats)
    run_id = stats.get("newsetl/run_id")
    console.print(summary_table(f"crawl {name} (run {run_id or '-'})", crawl_counts(stats)))
    if run_id is not None:
        engine = make_engine(database_url)
        with engine.connect() as connection:
            counts = connection.scalar(select(PipelineRun.counts).where(PipelineRun.id == run_id))
        engine.dispose()
        problems = (counts or {}).get("problems") or []
        if problems:
            table = Table(title=f"problems of crawl {name}", title_justify="left")
            table.add_column("kind")
            table.add_column("url", overflow="fold")
            table.add_column("reason", overflow="fold")
            for problem in problems:
                table.add_row(*(shown(problem[k]) for k in ("kind", "url", "reason")))
            console.print(table)
    if status == "failed":
        reason = stats.get("finish_reason") or stats.get("newsetl/start_error") or "did not start"
        err_console.print(f"[red]crawl {name} failed[/]: {shown(reason)}")
    elif status == "degraded":
        err_console.print(f"[red]crawl {name} degraded[/]: {shown(stats['newsetl/drift'])}")
    elif status == "partial":
        lost = crawl_counts(stats)["failed article pages"]
        err_console.print(f"[yellow]crawl {name} partial[/]: {lost} article pages failed")
    return status


@app.command("crawl")
def crawl_command(
    spider: str = typer.Argument(..., help="Spider name: zaker, feeds, people_daily."),
    arg: list[str] | None = ArgOption,
    setting: list[str] | None = SettingOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Crawl one spider into the landing zone (raw_document + a JSONL batch file).

    Prints the crawl's counts and problems, then one machine-readable last line on stdout:
    `run_id=<pipeline_run id> status=<success|partial|degraded|failed> batch=<JSONL batch
    file>`. Exit code 0 on success, 1 when the crawl failed (did not start, did not finish, or
    no page answered) or ended degraded (too many article pages without title or body: the
    site's layout drifted), 2 for an unknown spider or a malformed -a/-s value, 3 when it was
    partial (article pages failed for good: listed among the problems).
    """
    from spiders.runner import run_crawls

    settings = _crawl_settings(setting, database_url)
    try:
        stats = run_crawls([spider], {spider: _pairs(arg, "argument")}, settings)[spider]
    except KeyError as error:
        raise typer.BadParameter(str(error.args[0]), param_hint="SPIDER") from None
    status = _report(spider, stats, settings.get("NEWSETL_DATABASE_URL"))
    run_id = stats.get("newsetl/run_id", "")
    typer.echo(f"run_id={run_id} status={status} batch={stats.get('newsetl/batch_file', '')}")
    raise typer.Exit(EXIT_CODES[status])


@app.command("run")
def run_command(
    setting: list[str] | None = SettingOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Crawl every enabled source, then run the ETL on everything landed.

    The crawls run together in one process; exit code 1 when a crawl or the ETL failed, 3
    when a crawl was partial (as for `newsetl crawl`).
    """
    from newsetl.cli.etl import etl_command
    from spiders.runner import run_crawls

    names = sorted({s.spider for s in load_sources().values() if s.enabled and s.spider})
    settings = _crawl_settings(setting, database_url)
    all_stats = run_crawls(names, None, settings)
    database_url = settings.get("NEWSETL_DATABASE_URL", database_url)
    statuses = {_report(name, stats, database_url) for name, stats in all_stats.items()}
    etl_command(batch_size=2000, since=None, terms=True, database_url=database_url)
    worst = next(s for s in ("failed", "degraded", "partial", "success") if s in statuses)
    raise typer.Exit(EXIT_CODES[worst] if statuses else 0)
