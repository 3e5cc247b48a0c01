"""Export warehouse articles as Hexo posts in the layout of the original feed posts.

The front matter has the first sample file's keys, order and quoting (``title``,
``categories``, ``headimg``, ``author``, ``comments``, ``date`` as RFC 2822 GMT,
``thumbnail``); fields that layout has no key for (kicker, column, URL, ...) follow it only
when the article has them, so importing an export gives back the same article. A YAML
emitter writes the values, so any text (quotes, line breaks, a line `---`) reads back intact.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, select
from sqlalchemy.orm import selectinload

from schemas.db import session_scope
from schemas.models import Article, ArticleCategory

STR_TAG = "tag:yaml.org,2002:str"

EXTRA_KEYS = ("url", "kicker", "subtitle", "column", "page", "origin", "tags", "inferred")
# the feed posts put a space after a list's key: ``categories: `` then `` - item`` lines
LIST_KEY = re.compile(r"^([a-z]+):\n(?= - )", re.MULTILINE)


class Quoted(str):
    """A front-matter value the feed posts single-quote (title, image URLs, extras)."""


class _FrontMatterDumper(yaml.SafeDumper):
    """PyYAML's safe emitter in the feed posts' layout: list items indented one space,
    empty values left empty. Being an emitter, it quotes and folds whatever a value holds
    (line breaks, ``---``, quotes, ``: ``) so that it reads back the same."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.best_indent = 1

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


_FrontMatterDumper.add_representer(
    Quoted, lambda dumper, value: dumper.represent_scalar(STR_TAG, value, style="'")
)
_FrontMatterDumper.add_representer(
    type(None), lambda dumper, _: dumper.represent_scalar("tag:yaml.org,2002:null", "")
)


def front_matter(values: dict[str, Any]) -> str:
    """``values`` as YAML front matter lines (without the ``---`` fences), in order."""
    text = yaml.dump(
        values, Dumper=_FrontMatterDumper, allow_unicode=True, sort_keys=False, width=sys.maxsize
    )
    return LIST_KEY.sub(r"\1: \n", text)


def article_proxy(article: Article) -> str:
    """The image proxy prefix the article's source used ('' when it used none)."""
    for image in article.images:
        if image.proxied_url and image.proxied_url.endswith(image.url):
            return image.proxied_url[: -len(image.url)]
    return ""


def _rederivable_url(article: Article) -> bool:
    """Whether importing the post would infer the same URL again: an inferred URL was
    rebuilt from the image names, which the post keeps."""
    return "url" in article.inferred_fields and bool(article.url)


def render_hexo_post(article: Article, proxy: str | None = None) -> str:
    """One article as a Hexo post; image URLs wrapped with ``proxy`` (default: the source's)."""
    prefix = article_proxy(article) if proxy is None else proxy

    def wrap(url: str | None) -> str | None:
        return prefix + url if url else url

    published = article.published_at
    values: dict[str, Any] = {
        "title": Quoted(article.title or ""),
        "categories": [c.category.name for c in article.categories],
        "headimg": Quoted(wrap(article.head_image) or ""),
        "author": article.author or None,
        "comments": article.comments,
        "date": format_datetime(published, usegmt=True) if published else None,
        "thumbnail": Quoted(wrap(article.thumbnail) or ""),
    }
    values |= _extras(article)
    body = article.body_html
    for image in article.images:
        body = body.replace(f'src="{image.url}"', f'src="{wrap(image.url)}"')
    return "\n".join(["", "---", front_matter(values).rstrip("\n"), "---", "", body, ""])


def _extras(article: Article) -> dict[str, Any]:
    """The keys the feed posts have no place for, only when the article has them."""
    rederivable = _rederivable_url(article)
    values = {
        "url": None if rederivable else article.url,
        "kicker": article.kicker,
        "subtitle": article.subtitle,
        "column": article.column,
        "page": article.page,
        "origin": article.origin,
        "tags": article.tags,
        "inferred": [f for f in article.inferred_fields if not (rederivable and f == "url")],
    }
    return {
        key: list(value) if isinstance(value, list) else Quoted(value)
        for key in EXTRA_KEYS
        if (value := values[key])
    }


def iter_articles(engine: Engine) -> Iterator[Article]:
    """Every canonical article (near-duplicates left out), oldest first, categories loaded."""
    with session_scope(engine) as session:
        query = (
            select(Article)
            .where(Article.duplicate_of.is_(None))
            .order_by(Article.id)
            .options(
                selectinload(Article.categories).selectinload(ArticleCategory.category),
                selectinload(Article.images),
            )
            .execution_options(yield_per=200)
        )
        yield from session.scalars(query)


def export_hexo(engine: Engine, out_dir: Path, proxy: str | None = None) -> list[Path]:
    """Write one post per canonical article to ``out_dir``; returns the files written.

    File names are ``<article id>_<identity hash>.md``: stable, so exporting again overwrites
    the same files.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for article in iter_articles(engine):
        path = out_dir / f"{article.id:06d}_{article.content_hash[:16]}.md"
        path.write_text(render_hexo_post(article, proxy), encoding="utf-8")
        written.append(path)
    return written
