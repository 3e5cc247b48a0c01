"""Export warehouse articles as Hexo posts in the layout of the original feed posts.

The front matter has the first sample file's keys, order and quoting (``title``,
``categories``, ``headimg``, ``author``, ``comments``, ``date`` as RFC 2822 GMT,
``thumbnail``); fields that layout has no key for (kicker, column, URL, ...) follow it only
when the article has them, so importing an export gives back the same article.
"""

from __future__ import annotations

from collections.abc import Iterator
from email.utils import format_datetime
from pathlib import Path

import yaml
from sqlalchemy import Engine, select
from sqlalchemy.orm import selectinload

from schemas.db import session_scope
from schemas.models import Article, ArticleCategory

EXTRA_KEYS = ("url", "kicker", "subtitle", "column", "page", "origin", "tags", "inferred")


def _scalar(value: str | None, *, quote: bool = False) -> str:
    """A YAML scalar: single-quoted when asked or when plain text would not read back."""
    if value is None or value == "":
        return "''" if quote else ""
    if not quote:
        try:
            quote = yaml.safe_load(f"k: {value}") != {"k": value}
        except yaml.YAMLError:
            quote = True
    return "'" + value.replace("'", "''") + "'" if quote else value


def _list(key: str, values: list[str]) -> list[str]:
    return [f"{key}: "] + [f" - {_scalar(v)}" for v in values]


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
    lines = ["", "---", f"title: {_scalar(article.title, quote=True)}"]
    lines += _list("categories", [c.category.name for c in article.categories])
    lines += [
        f"headimg: {_scalar(wrap(article.head_image), quote=True)}",
        f"author: {_scalar(article.author)}",
        f"comments: {'' if article.comments is None else str(article.comments).lower()}",
        f"date: {format_datetime(published, usegmt=True) if published else ''}",
        f"thumbnail: {_scalar(wrap(article.thumbnail), quote=True)}",
    ]
    lines += _extras(article)
    body = article.body_html
    for image in article.images:
        body = body.replace(f'src="{image.url}"', f'src="{wrap(image.url)}"')
    lines += ["---", "", body, ""]
    return "\n".join(lines)


def _extras(article: Article) -> list[str]:
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
    lines: list[str] = []
    for key in EXTRA_KEYS:
        value = values[key]
        if isinstance(value, list):
            lines += _list(key, value) if value else []
        elif value:
            lines.append(f"{key}: {_scalar(value, quote=True)}")
    return lines


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
