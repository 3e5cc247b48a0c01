"""``newsetl etl``: clean, validate, deduplicate and load everything landed."""

from __future__ import annotations

import typer

from etl.stages import DEFAULT_BATCH_SIZE
from newsetl.cli.app import DatabaseOption, app
from newsetl.cli.output import console, err_console, progress_bar, summary_table
from schemas.db import make_engine

SUMMARY_KEYS = (
    "read", "cleaned", "rejected", "superseded", "exact_duplicates", "near_duplicates", "loaded",
)  # fmt: skip


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
    """Process every landed document not processed yet; exits non-zero when the run fails."""
    from etl.pipeline import count_pending, run_etl
    from etl.terms import index_pending_terms, pending_terms

    engine = make_engine(database_url)
    total = count_pending(engine, since)
    with progress_bar() as progress:
        task = progress.add_task("etl", total=total)
        result = run_etl(
            engine,
            batch_size=batch_size,
            since_run=since,
            progress=lambda done: progress.advance(task, done),
        )
        if terms:
            task = progress.add_task("terms", total=pending_terms(engine))
            indexed = index_pending_terms(engine, progress=lambda n: progress.advance(task, n))
    counts = result.counts
    rows = {key.replace("_", " "): counts[key] for key in SUMMARY_KEYS}
    rows |= {f"  {reason}": n for reason, n in counts["rejected_by_reason"].items()}
    rows["updated"] = counts["updated"]
    rows["unchanged"] = counts["unchanged"]
    rows["unsafe image URLs dropped"] = counts["unsafe_urls_dropped"]
    if terms:
        rows["terms indexed"] = indexed
    console.print(summary_table(f"ETL run {result.run_id}: {result.status}", rows))
    if result.status != "success":
        err_console.print(f"[red]ETL run {result.run_id} failed[/]: see pipeline_run.message")
        raise typer.Exit(1)
