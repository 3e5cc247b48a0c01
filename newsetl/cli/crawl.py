"""``newsetl crawl``: one ad-hoc crawl into the landing zone; ``newsetl run``: crawl every
enabled source, then run the ETL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from sqlalchemy import Engine, func, select

from newsetl.cli.app import DatabaseOption, app
from newsetl.cli.errors import USAGE, CliError
from newsetl.cli.markup import shown
from newsetl.cli.output import console, err_console, summary_table
from newsetl.cli.progress import crawl_progress
from newsetl.cli.warehouse import open_warehouse
from schemas.models import PipelineRun, RawDocument, Source
from schemas.sources import load_sources

LOG_DIR = Path("data/logs")
EXIT_CODES = {"success": 0, "failed": 1, "degraded": 1, "partial": 3}  # by pipeline_run status

ArgOption = typer.Option(
    None,
    "-a",
    "--arg",
    metavar="KEY=VALUE",
    help="Spider argument (repeatable), as for `scrapy crawl`.",
)
SettingOption = typer.Option(
    None,
    "-s",
    "--set",
    metavar="NAME=VALUE",
    help="Scrapy setting (repeatable), as for `scrapy crawl`.",
)
VerboseOption = typer.Option(
    False, "-v", "--verbose", help="Show Scrapy's log here instead of progress and a log file."
)
OutputOption = typer.Option(
    None,
    "-o",
    "--output",
    metavar="FILE",
    help="Also append the fetched pages to FILE (Scrapy feed export, as for `scrapy crawl`: "
    "the format from the extension or FILE:FORMAT, e.g. pages.jsonl).",
)
OverwriteOption = typer.Option(
    None, "-O", "--overwrite-output", metavar="FILE", help="As -o, overwriting FILE."
)


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    pairs = {}
    for value in values or []:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise CliError(f"{what} {value!r} is not KEY=VALUE", USAGE)
        pairs[key.strip()] = rest
    return pairs


def crawl_settings(
    settings: list[str] | None,
    database_url: str | None,
    name: str,
    verbose: bool,
    output: list[str] | None = None,
    overwrite: list[str] | None = None,
) -> dict[str, Any]:
    """Scrapy settings from ``-s`` values and ``-o``/``-O`` feeds; unless ``verbose`` (or
    ``-s LOG_FILE=…``), Scrapy logs to a new file under ``data/logs`` whose path the caller
    prints."""
    values: dict[str, Any] = dict(_pairs(settings, "setting"))
    if database_url:
        values["NEWSETL_DATABASE_URL"] = database_url
    if output or overwrite:
        from scrapy.exceptions import UsageError
        from scrapy.utils.conf import feed_process_params_from_cli

        from spiders.runner import project_settings

        try:
            values["FEEDS"] = feed_process_params_from_cli(
                project_settings(values), output or [], overwrite_output=overwrite or []
            )
        except UsageError as error:
            raise CliError(str(error), USAGE) from None
    if not verbose and "LOG_FILE" not in values:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        log = LOG_DIR / f"{name}-{stamp}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        values["LOG_FILE"] = str(log)
    return values


def say_log_file(settings: dict[str, Any]) -> None:
    """Tell where Scrapy's log goes, when it goes to a file."""
    if settings.get("LOG_FILE"):
        err_console.print(f"Scrapy log: {settings['LOG_FILE']}", highlight=False, soft_wrap=True)


def report_crawl(engine: Engine, name: str, stats: dict[str, Any]) -> str:
    """Print one crawl's summary from its ``pipeline_run`` row; returns its status."""
    run_id = stats.get("newsetl/run_id")
    run = None
    if run_id is not None:
        with engine.connect() as connection:
            run = connection.execute(
                select(PipelineRun.status, PipelineRun.counts, PipelineRun.message).where(
                    PipelineRun.id == run_id
                )
            ).one_or_none()
    if run is None:
        reason = stats.get("newsetl/start_error") or stats.get("finish_reason") or "did not start"
        err_console.print(f"crawl {name} failed: {shown(reason)}", highlight=False, soft_wrap=True)
        return "failed"
    counts = {k: v for k, v in (run.counts or {}).items() if isinstance(v, int)}
    console.print(summary_table(f"crawl {name} · run {run_id} · {run.status}", counts))
    slug = next((s.slug for s in load_sources().values() if s.spider == name), name)
    total = landed_totals(engine).get(slug, 0)
    console.print(f"warehouse total: {total} pages of {slug} landed (all runs)", highlight=False)
    problems = (run.counts or {}).get("problems") or []
    if problems:
        table = Table(title=f"problems of crawl {name} (run {run_id})", title_justify="left")
        table.add_column("kind", no_wrap=True)
        table.add_column("url", overflow="fold")
        table.add_column("reason", overflow="fold")
        for problem in problems:
            table.add_row(*(shown(problem[k]) for k in ("kind", "url", "reason")))
        console.print(table)
    if run.status != "success":
        err_console.print(
            f"crawl {name} (run {run_id}) {run.status}: "
            f"{shown(run.message or 'see its problems above')}",
            highlight=False,
            soft_wrap=True,
        )
    return run.status


def landed_totals(engine: Engine) -> dict[str, int]:
    """Pages in the landing zone per source slug (warehouse totals, all runs)."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(Source.slug, func.count(RawDocument.id))
            .join(RawDocument, RawDocument.source_id == Source.id)
            .group_by(Source.slug)
        ).all()
    return dict(rows)


@app.command("crawl")
def crawl_command(
    spider: str = typer.Argument(
        ..., metavar="SPIDER", help="Spider name: zaker, feeds, people_daily."
    ),
    arg: list[str] | None = ArgOption,
    setting: list[str] | None = SettingOption,
    verbose: bool = VerboseOption,
    output: list[str] | None = OutputOption,
    overwrite_output: list[str] | None = OverwriteOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Crawl one spider into the landing zone (raw_document).

    Shows progress, then the crawl's counts and problems from its `pipeline_run`. With
    NEWSETL_REDIS_URL set, every `newsetl crawl SPIDER` of the same spider, on any machine,
    shares one frontier in Redis (docs/scaling.md). Exit code 0 on success, 1 when the crawl
    failed (did not start, did not finish, or no page answered) or ended degraded (too many
    article pages without title or body: the site's layout drifted), 2 for an unknown spider
    or a malformed -a/-s/-o value, 3 when it was partial (article pages failed for good:
    listed among the problems).
    """
    from spiders.runner import check_arguments, run_crawls

    args = _pairs(arg, "argument")
    try:
        check_arguments(spider, args)
    except KeyError as error:
        raise CliError(str(error.args[0]), USAGE) from None
    except (TypeError, ValueError) as error:
        raise CliError(f"crawl {spider}: {error}", USAGE) from None
    with open_warehouse(database_url) as engine:
        settings = crawl_settings(setting, database_url, spider, verbose, output, overwrite_output)
        say_log_file(settings)
        with crawl_progress(not verbose) as progress:
            stats = run_crawls([spider], {spider: args}, settings, progress.watch)[spider]
        status = report_crawl(engine, spider, stats)
    raise typer.Exit(EXIT_CODES.get(status, 1))


@app.command("run")
def run_command(
    setting: list[str] | None = SettingOption,
    verbose: bool = VerboseOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Crawl every enabled source, then run the ETL on everything landed.

    The crawls run together in one process; exit code 1 when a crawl or the ETL failed, 3
    when a crawl was partial (as for `newsetl crawl`).
    """
    from newsetl.cli.etl import run_etl_with_progress
    from spiders.runner import run_crawls

    names = sorted({s.spider for s in load_sources().values() if s.enabled and s.spider})
    with open_warehouse(database_url) as engine:
        settings = crawl_settings(setting, database_url, "run", verbose)
        say_log_file(settings)
        with crawl_progress(not verbose) as progress:
            all_stats = run_crawls(names, None, settings, progress.watch)
        statuses = [report_crawl(engine, name, stats) for name, stats in all_stats.items()]
        etl_ok = run_etl_with_progress(engine)
    worst = max((EXIT_CODES.get(status, 1) for status in statuses), default=0, key=_severity)
    if not etl_ok:
        worst = 1
    raise typer.Exit(worst)


def _severity(code: int) -> int:
    """Exit codes ordered by how bad they are: failure (1) over partial (3) over success."""
    return {0: 0, 3: 1, 1: 2}[code]
