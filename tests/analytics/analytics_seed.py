"""Known rows for the analytics tests, written through the models.

Three sources; seven articles over two Beijing days (one of them published on 2021-08-06
UTC but 2021-08-07 in Beijing); two near-duplicate clusters (article 2 with 4 and 5 across
three sources, article 1 with 7 within one); a category tree; three runs with counts and
three quarantined records; terms indexed with ``etl.terms.index_terms``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from etl.terms import index_terms
from schemas.db import session_scope
from schemas.models import (
    Article,
    ArticleCategory,
    Category,
    PipelineRun,
    RejectedRecord,
    Source,
)


def utc(text: str) -> datetime:
    """An aware UTC datetime from ``YYYY-MM-DDTHH:MM:SS``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


SOURCES = {
    "zaker-feed": ("ZAKER 新媒体", "feed"),
    "people-daily": ("人民日报", "epaper"),
    "local-files": ("本地文件", "file"),
}
CATEGORY_PATHS = {
    "zaker": ["新媒体", "ZAKER", "source"],
    "paper": ["报纸", "人民日报"],
}
# key: (source, title, body, author, column, published_at, first_seen_at, duplicate_of, path)
ARTICLES = {
    "a1": ("zaker-feed", "疫苗 合作", "疫苗，全球，疫苗。我们的2021年", "ZAKER", None,
           "2021-08-05T23:30:00", "2021-08-05T23:35:00", None, "zaker"),
    "a2": ("people-daily", "健康 安全", "健康，未来，疫苗。", "王明", "命运与共",
           "2021-08-06T00:07:04", "2021-08-06T00:10:00", None, "paper"),
    "a3": ("people-daily", "经济 发展", "经济，经济，合作", "王明", "命运与共",
           "2021-08-06T16:30:00", "2021-08-06T16:40:00", None, "paper"),
    "a4": ("zaker-feed", "健康 安全", "健康，未来，疫苗。", "ZAKER", None,
           "2021-08-06T02:00:00", "2021-08-06T02:05:00", "a2", "zaker"),
    "a5": ("local-files", "健康 安全", "健康，未来，疫苗！", None, None,
           None, "2021-08-07T00:30:00", "a2", None),
    "a6": ("people-daily", "合作 未来", "合作，疫苗", "李华", "国际论坛",
           "2021-08-07T01:00:00", "2021-08-07T01:10:00", None, "paper"),
    "a7": ("zaker-feed", "疫苗 合作", "疫苗，全球，疫苗。", "ZAKER", None,
           "2021-08-06T03:00:00", "2021-08-06T03:05:00", "a1", "zaker"),
}  # fmt: skip
# (kind, name, counts as the crawl, the ETL and the importer write them)
RUNS = [
    ("crawl", "zaker", {
        "requests": 12, "responses": 10, "items": 9, "landed (new)": 7, "blocked": 1,
        "errors": 1, "detail": {"newsetl/landed_new": 7}, "problems": ["https://x.test/1"],
    }),
    ("etl", None, {
        "read": 9, "cleaned": 8, "rejected": 2, "exact_duplicates": 1, "near_duplicates": 1,
        "loaded": 5, "rejected_by_reason": {"validate: body too short": 2}, "batches": 1,
    }),
    ("import", "files", {"files": 2, "landed": 2}),
]  # fmt: skip
# (run index, stage, reason, created_at)
REJECTIONS = [
    (1, "validate", "body too short", "2021-08-06T10:00:00"),
    (0, "parse", "captcha page", "2021-08-06T10:05:00"),
    (1, "validate", "body too short", "2021-08-06T17:00:00"),
]


@dataclass
class Seeded:
    """Ids of the seeded rows, by the keys of ``ARTICLES`` and the order of ``RUNS``."""

    url: str
    articles: dict[str, int]
    runs: list[int]
    terms_written: int


def seed(engine: Engine, url: str) -> Seeded:
    """Write the known rows through the models, then index the articles' terms."""
    with session_scope(engine) as session:
        sources = {slug: Source(slug=slug, name=n, kind=k) for slug, (n, k) in SOURCES.items()}
        session.add_all(sources.values())
        paths: dict[str, list[Category]] = {}
        for key, names in CATEGORY_PATHS.items():
            parent = None
            nodes = []
            for depth, name in enumerate(names):
                node = Category(
                    name=name,
                    parent_id=parent.id if parent else None,
                    path="/".join(names[: depth + 1]),
                    depth=depth,
                )
                session.add(node)
                session.flush()
                nodes.append(parent := node)
            paths[key] = nodes
        ids: dict[str, int] = {}
        for key, row in ARTICLES.items():
            source, title, body, author, column, published, seen, dup, path = row
            article = Article(
                source_id=sources[source].id,
                url=f"https://example.test/{key}",
                canonical_url=f"https://example.test/{key}",
                title=title,
                author=author,
                column=column,
                published_at=utc(published) if published else None,
                first_seen_at=utc(seen),
                last_updated_at=utc(seen),
                body_html=f"<p>{body}</p>",
                body_text=body,
                char_count=len(body),
                content_hash=key,
                duplicate_of=ids[dup] if dup else None,
            )
            session.add(article)
            session.flush()
            ids[key] = article.id
            for position, node in enumerate(paths.get(path, [])):
                session.add(
                    ArticleCategory(article_id=article.id, position=position, category_id=node.id)
                )
        runs = []
        for kind, name, counts in RUNS:
            run = PipelineRun(
                kind=kind,
                name=name,
                counts=counts,
                status="success",
                started_at=utc("2021-08-06T09:00:00"),
                finished_at=utc("2021-08-06T09:30:00"),
            )
            session.add(run)
            session.flush()
            runs.append(run.id)
        for run_index, stage, reason, created in REJECTIONS:
            session.add(
                RejectedRecord(
                    run_id=runs[run_index],
                    stage=stage,
                    reason=reason,
                    failures=[],
                    created_at=utc(created),
                )
            )
    with session_scope(engine) as session:
        written = index_terms(session, list(ids.values()))
    return Seeded(url, ids, runs, written)
