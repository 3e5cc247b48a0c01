"""``newsetl extract``: run the matching parser on one page and show what it finds — the way
to check a new source by hand and to measure extraction quality.

One page must print in a fraction of a second, process start included: this module imports
what extraction needs, and rich, urllib and the rest only where a call uses them.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import typer

from etl.dates import SHANGHAI, UnparsableDate, parse_published
from newsetl.cli.app import app
from schemas.sources import load_sources
from spiders.parsers.match import page_text, page_url, parser_for
from spiders.parsers.text import html_to_text

FETCH_TIMEOUT = 30
USER_AGENT = "newsetl-extract/0.1"


class ExtractFormat(StrEnum):
    """How the extracted fields are printed."""

    json = "json"
    text = "text"


def _warn(label: str, *data: object) -> None:
    """``label`` (Rich markup) then ``data`` (values from the page or the user, shown
    literally), on stderr."""
    from newsetl.cli.markup import shown
    from newsetl.cli.output import err_console

    err_console.print(f"{label}: {' '.join(shown(d) for d in data)}", soft_wrap=True)


def fetch(url: str) -> tuple[bytes, str | None]:
    """A live page's bytes and its ``Content-Type`` header."""
    import urllib.request

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
        _warn("[yellow]published date not understood[/]", error)
        return None


def extract_fields(
    body: bytes, url: str | None, encoding: str | None = None, content_type: str | None = None
) -> dict[str, Any]:
    """The fields ``newsetl extract`` prints for one page (``content_type``: the HTTP header
    of a live page, whose charset counts as a browser would count it). Without ``url``, the
    URL the page names for itself (canonical link, ``og:url``) picks the parser."""
    text, used = page_text(body, encoding, content_type)
    url = url or page_url(text)
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
    from rich.table import Table

    from newsetl.cli.markup import shown
    from newsetl.cli.output import console

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
    page: str = typer.Argument(
        ..., help="A saved page (file), a live http(s) URL, or - to read the page from stdin."
    ),
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
        import urllib.error

        try:
            body, content_type = fetch(page)
        except (urllib.error.URLError, TimeoutError, ValueError) as error:
            _warn("[red]cannot fetch[/]", page, error)
            raise typer.Exit(1) from None
        url = url or page
    elif page == "-":
        body = sys.stdin.buffer.read()
    else:
        path = Path(page)
        if not path.is_file():
            raise typer.BadParameter(f"no such file: {page}", param_hint="PAGE")
        body = path.read_bytes()
    if not body.strip():
        _warn("[red]empty page[/]", "stdin" if page == "-" else page, "holds no HTML")
        raise typer.Exit(1)
    try:
        fields = extract_fields(body, url, encoding, content_type)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    if fmt is ExtractFormat.json:
        typer.echo(json.dumps(fields, ensure_ascii=False, indent=2))
    else:
        _print_text(fields)
