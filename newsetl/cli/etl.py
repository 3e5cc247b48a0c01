"""``newsetl etl``: clean, validate, deduplicate and load everything landed."""

from __future__ import annotations

import typer
from sqlalchemy import Engine, func, select

from etl.stages import DEFAULT_BATCH_SIZE
from newsetl.cli.app import DatabaseOption, app
from newsetl.cli.output import console, err_console, etl_rows, progress_bar, summary_table
from newsetl.cli.warehouse import open_warehouse
from schemas.models import Article, RejectedRecord


def warehouse_totals(engine: Engine) -> str:
    """One labelled line of what the warehouse holds after the run (all runs)."""
    with engine.connect() as connection:
        articles = connection.scalar(select(func.count()).select_from(Article))
        quarantined = connection.scalar(select(func.count()).select_from(RejectedRecord))
    return f"warehouse total: {articles} articles, {quarantined} records in quarantine (all runs)"


def run_etl_with_progress(
    engine: Engine,
    batch_size: int = DEFAULT_BATCH_SIZE,
    since: int | None = None,
    terms: bool = True,
) -> bool:
    """Run the ETL with a progress bar, print what this run did; returns whether it succeeded."""
    from etl.pipeline import count_pending, run_etl, start_workers
    from etl.terms import index_pending_terms, pending_terms
    from etl.validator import stop

    pending = count_pending(engine, since)
    start_workers(engine, pending)  # importing while the validation process imports GX
    with progress_bar() as progress:
        task = progress.add_task("etl", total=pending)
        try:
            result = run_etl(
                engine,
                batch_size=batch_size,
                since_run=since,
                progress=lambda done: progress.advance(task, done),
            )
        finally:
            stop()  # now, rather than waiting for it at exit
        if terms:
            task = progress.add_task("terms", total=pending_terms(engine))
            indexed = index_pending_terms(engine, progress=lambda n: progress.advance(task, n))
    rows = etl_rows(result.counts)
    if terms:
        rows["terms indexed"] = indexed
    console.print(summary_table(f"etl · run {result.run_id} · {result.status}", rows))
    console.print(warehouse_totals(engine), highlight=False)
    if result.status != "success":
        err_console.print(
            f"etl run {result.run_id} {result.status}: see pipeline_run.message "
            f'(newsetl query "SELECT message FROM pipeline_run WHERE id = {result.run_id}")',
            highlight=False,
            soft_wrap=True,
        )
    return result.status == "success"


@app.command("etl")
def etl_command(
    batch_size: int = typer.Option(
        DEFAULT_BATCH_SIZE, "--batch-size", min=1, help="Documents per batch."
    ),
    since: int | None = typer.Option(
        None, "--since", metavar="RUN", help="Only documents landed by this run or later."
    ),
    terms: bool = typer.Option(
        True, "--terms/--no-terms", help="Then index the terms of new and changed articles."
    ),
    database_url: str | None = DatabaseOption,
) -> None:
    """Process every landed document not processed yet; exits 1 when the run fails."""
    from etl.validator import start, stop

    start()  # Great Expectations imports there while this process opens the warehouse
    try:
        with open_warehouse(database_url) as engine:
            ok = run_etl_with_progress(engine, batch_size, since, terms)
    finally:
        stop()  # also when the warehouse cannot be opened: exit without waiting for it
    if not ok:
        raise typer.Exit(1)
