"""``newsetl extract``: run the matching parser on one page and show what it finds — the way
to check a new source by hand and to measure extraction quality."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from etl.dates import SHANGHAI, UnparsableDate, parse_published
from newsetl.cli.app import app
from newsetl.cli.markup import shown
from newsetl.cli.output import console, err_console
from schemas.sources import load_sources
from spiders.parsers.generic import html_to_text
from spiders.parsers.match import page_text, parser_for

FETCH_TIMEOUT = 30
USER_AGENT = "newsetl-extract/0.1"


class ExtractFormat(StrEnum):
    """How the extracted fields are printed."""

    json = "json"
    text = "text"


def fetch(url: str) -> tuple[bytes, str | None]:
    """A live page's bytes and its ``Content-Type`` header."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:
        return response.read(), response.headers.get("Content-Type")


def published_utc(published: str | None, source: str) -> str | None:
    """The page's date text in UTC (ISO 8601), read in the source's zone; None if unreadable."""
    if not published:
        return None
    config = load_sources().get(source)
    zone = ZoneInfo(config.timezone) if config else SHANGHAI
    try:
        return parse_published(published, datetime.now(UTC), zone).value.isoformat()
    except UnparsableDate as error:
        err_console.print(f"[yellow]published date not understood[/]: {shown(error)}")
        return None


def extract_fields(
    body: bytes, url: str | None, encoding: str | None = None, content_type: str | None = None
) -> dict[str, Any]:
    """The fields ``newsetl extract`` prints for one page (``content_type``: the HTTP header
    of a live page, whose charset counts as a browser would count it)."""
    text, used = page_text(body, encoding, content_type)
    parser = parser_for(url)
    item = parser.parse(text, url)
    return {
        "parser": parser.name,
        "url": item.url,
        "encoding": used,
        "title": item.title,
        "kicker": item.kicker,
        "subtitle": item.subtitle,
        "column": item.column,
        "page": item.page,
        "author": item.author,
        "source": item.origin,
        "published": item.published,
        "published_at": published_utc(item.published, item.source),
        "images": [{"url": image.url, "caption": image.caption} for image in item.images],
        "body_text": html_to_text(item.body_html) or item.body_text,
    }


def _print_text(fields: dict[str, Any]) -> None:
    table = Table(show_header=False, title="extracted", title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for name, value in fields.items():
        if name == "images":
            value = "\n".join(f"{i['url']}  {i['caption'] or ''}".rstrip() for i in value)
        if name != "body_text":
            table.add_row(name, "" if value is None else shown(value))
    console.print(table)
    console.print(shown(fields["body_text"]) if fields["body_text"] else "[red](no body found)[/]")


@app.command("extract")
def extract_command(
    page: str = typer.Argument(..., help="A saved page (file) or a live http(s) URL."),
    url: str | None = typer.Option(
        None, "--url", help="The page's URL, for a saved file: picks the parser, resolves links."
    ),
    encoding: str | None = typer.Option(
        None, help="Decode with this encoding instead of detecting it (e.g. gbk)."
    ),
    fmt: ExtractFormat = typer.Option(ExtractFormat.text, "--format", help="Output format."),
) -> None:
    """Extract one page (file or URL) with the parser its URL matches and print the fields.

    Site-specific parsers for ZAKER and People's Daily, the generic one otherwise; prints
    title, kicker, author, source, published_at (UTC), images and body text.
    """
    content_type = None
    if page.startswith(("http://", "https://")):
        try:
            body, content_type = fetch(page)
        except (urllib.error.URLError, TimeoutError, ValueError) as error:
            err_console.print(f"[red]cannot fetch {shown(page)}[/]: {shown(error)}")
            raise typer.Exit(1) from None
        url = url or page
    else:
        path = Path(page)
        if not path.is_file():
            raise typer.BadParameter(f"no such file: {page}", param_hint="PAGE")
        body = path.read_bytes()
    try:
        fields = extract_fields(body, url, encoding, content_type)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    if fmt is ExtractFormat.json:
        typer.echo(json.dumps(fields, ensure_ascii=False, indent=2))
    else:
        _print_text(fields)
