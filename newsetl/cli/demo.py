"""``newsetl demo``: the whole pipeline offline into the default SQLite warehouse."""

from __future__ import annotations

import typer
from rich.table import Table

from newsetl.cli.app import DatabaseOption, app
from newsetl.cli.crawl import VerboseOption, crawl_settings, say_log_file
from newsetl.cli.errors import USAGE, CliError
from newsetl.cli.etl import warehouse_totals
from newsetl.cli.markup import shown
from newsetl.cli.output import (
    console,
    crawl_columns,
    err_console,
    etl_rows,
    summary_table,
)
from newsetl.cli.progress import crawl_progress
from newsetl.cli.warehouse import open_warehouse, shown_url

NEXT_STEPS = """next:
  newsetl query "SELECT title, author, published_at FROM article"
  newsetl report report.html
  newsetl export --format hexo out/"""


def per_source_table(rows: list[dict]) -> Table:
    """What this run did per source, then the source's articles over all runs."""
    table = Table(title="demo · this run, per source", title_justify="left")
    shaped = [
        {"source": row["source"], **crawl_columns(row)}
        | {k: row[k] for k in ("rejected", "new articles", "articles (all runs)")}
        for row in rows
    ]
    for column in shaped[0] if shaped else []:
        table.add_column(column, justify="left" if column == "source" else "right", no_wrap=True)
    for row in shaped:
        table.add_row(*(shown(value) for value in row.values()))
    return table


@app.command("demo")
def demo_command(
    port: int = typer.Option(8765, help="Port of the demo sites on 127.0.0.1 (0: any free one)."),
    serve: bool = typer.Option(
        False, "--serve", help="Only serve the demo sites (for crawls, DAG runs) until Ctrl-C."
    ),
    verbose: bool = VerboseOption,
    database_url: str | None = DatabaseOption,
) -> None:
    """Run the whole pipeline offline on the bundled demo sites and sample files.

    Serves the demo sites on 127.0.0.1, crawls them (with progress), lands the sample files,
    runs the ETL and prints what this run did per source, with the warehouse's totals.
    Needs no network; safe to run again (a second run finds nothing new).
    """
    from newsetl.demo.run import DELIBERATE_FAULTS, run_demo, serve_forever

    if serve:
        serve_forever(port, lambda line: console.print(line, highlight=False, soft_wrap=True))
        return
    with open_warehouse(database_url, migrated=False) as engine:
        err_console.print(f"demo into the warehouse {shown_url(engine.url)}", highlight=False)
        err_console.print(f"note: {DELIBERATE_FAULTS}", highlight=False)
        settings = crawl_settings(None, None, "demo", verbose)
        say_log_file(settings)
        with crawl_progress(not verbose) as progress:
            try:
                result = run_demo(
                    engine,
                    port,
                    step=lambda text: err_console.print(f"· {text}", highlight=False),
                    settings=settings,
                    started=progress.watch,
                )
            except OSError as error:
                raise CliError(
                    f"cannot serve the demo sites on port {port}: {error}", USAGE
                ) from None
        console.print(per_source_table(result.per_source))
        if result.etl is not None:
            etl = result.etl
            console.print(
                summary_table(f"etl · run {etl.run_id} · {etl.status}", etl_rows(etl.counts))
            )
        console.print(warehouse_totals(engine), highlight=False)
    console.print(NEXT_STEPS, highlight=False)
    if result.etl is not None and result.etl.status != "success":
        raise typer.Exit(1)
