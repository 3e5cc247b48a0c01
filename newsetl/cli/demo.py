"""``newsetl demo``: the whole pipeline offline into the default SQLite warehouse."""

from __future__ import annotations

import typer
from rich.table import Table

from newsetl.cli.app import DatabaseOption, app
from newsetl.cli.markup import shown
from newsetl.cli.output import console, err_console, summary_table
from schemas.db import make_engine


@app.command("demo")
def demo_command(
    port: int = typer.Option(8765, help="Port of the demo sites on 127.0.0.1 (0: any free one)."),
    serve: bool = typer.Option(
        False, "--serve", help="Only serve the demo sites (for crawls, DAG runs) until Ctrl-C."
    ),
    database_url: str | None = DatabaseOption,
) -> None:
    """Run the whole pipeline offline on the bundled demo sites and sample files.

    Serves the demo sites on 127.0.0.1, crawls them, lands the sample files, runs the ETL and
    prints what happened per source. Needs no network; safe to run again.
    """
    from newsetl.demo.run import run_demo, serve_forever

    if serve:
        serve_forever(port, lambda line: console.print(line, highlight=False, soft_wrap=True))
        return
    engine = make_engine(database_url)
    with err_console.status("demo") as status:
        try:
            result = run_demo(engine, port, step=lambda text: status.update(text))
        except OSError as error:
            raise typer.BadParameter(
                f"cannot serve the demo sites on port {port}: {error}"
            ) from None
    table = Table(title=f"demo: {engine.url!r}", title_justify="left")
    columns = list(result.per_source[0]) if result.per_source else []
    for column in columns:
        table.add_column(column, justify="left" if column == "source" else "right")
    for row in result.per_source:
        table.add_row(*(shown(row[c]) for c in columns))
    console.print(table)
    if result.etl is not None:
        console.print(summary_table(f"etl run {result.etl.run_id}", result.etl.counts))
    console.print('next: newsetl query "SELECT title, author, published_at FROM article"')
    if result.etl is not None and result.etl.status != "success":
        raise typer.Exit(1)
