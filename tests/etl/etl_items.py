"""Items for the ETL tests, modelled on the real sources, and landing them as raw documents."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from newsetl.demo import SAMPLES
from schemas.db import session_scope
from schemas.items import ArticleItem
from schemas.landing import land, start_run
from schemas.models import Article, Image, LshBand, RejectedRecord
from schemas.sources import load_sources
from spiders.parsers.files import parse_article_file

FETCHED = datetime(2026, 8, 3, 2, 0, tzinfo=UTC)
HEXO_SEED = SAMPLES / "000_e115c3f2d7924f0c.txt"
TEXT_SEED = SAMPLES / "001_e972d7b76e6da9c8.txt"

# Short self-written news paragraphs, enough to pass the body-length rule.
PARAGRAPHS = [
    "本报北京8月2日电　今年以来，各地持续推进城市更新行动，"
    "老旧小区改造、完整社区建设等工作取得积极进展，"
    "群众的获得感不断增强。",
    "记者在多个城市走访看到，加装电梯、改造管网、增设停车位等项目陆续完工，"
    "居民出行和生活条件明显改善，社区服务设施更加完善。",
    "有关部门负责人表示，下一步将进一步完善政策措施，加强资金保障，推动城市更新与社区治理有机结合，"
    "让城市更宜居、更韧性、更智慧。",
    "专家认为，城市更新要坚持以人民为中心，尊重城市发展规律，因地制宜、分类施策，"
    "避免大拆大建，注重保护历史文化遗产和城市特色风貌。",
]


def seed_item(path=HEXO_SEED) -> ArticleItem:
    """A sample file parsed as the file importer parses it."""
    return parse_article_file(path.read_text(encoding="utf-8"), source="files")


def news_item(n: int = 0, **fields) -> ArticleItem:
    """A valid ZAKER-style article; ``n`` varies its URL and wording."""
    paragraphs = [f"第{n}号稿件。{p}" for p in PARAGRAPHS]
    values = {
        "source": "zaker",
        "url": f"https://www.myzaker.com/article/{hashlib.md5(str(n).encode()).hexdigest()[:24]}",
        "title": f"城市更新惠民生（{n}）",
        "author": "本报记者",
        "published": "2026-08-02 09:30",
        "fetched_at": FETCHED.isoformat(),
        "body_html": "<div>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</div>",
    }
    values.update(fields)
    return ArticleItem(**values)


def land_items(engine: Engine, items: Iterable[ArticleItem], kind: str = "crawl") -> list[int]:
    """Land items as raw documents of one crawl run; returns their raw document ids."""
    ids = []
    with session_scope(engine) as session:
        run = start_run(session, kind, "test")
        for item in items:
            raw = repr(item.to_dict()).encode()
            document, _ = land(
                session,
                source=item.source if item.source in load_sources() else "files",
                url=item.url or f"file:///{hashlib.sha256(raw).hexdigest()}.txt",
                raw_body=raw,
                item=item,
                run_id=run.id,
                fetched_at=FETCHED,
            )
            ids.append(document.id)
    return ids


def warehouse_contents(engine: Engine) -> dict:
    """What a run left behind, keyed by canonical URL (ids differ between warehouses)."""
    with session_scope(engine) as session:
        urls = dict(session.execute(select(Article.id, Article.canonical_url)).all())
        rows = session.execute(
            select(
                Article.canonical_url, Article.title, Article.body_html, Article.body_text,
                Article.published_at, Article.duplicate_of, Article.content_hash,
            )
        ).all()  # fmt: skip
        buckets = session.execute(select(LshBand.__table__)).all()
        images = session.execute(select(Image.article_id, Image.position, Image.url)).all()
        rejected = session.execute(select(RejectedRecord.stage, RejectedRecord.reason)).all()
    return {
        "articles": sorted((*row[:5], urls.get(row[5]), row[6]) for row in rows),
        "buckets": sorted((urls[a], *keys) for a, *keys in buckets),
        "images": sorted((urls[a], p, u) for a, p, u in images),
        "rejected": sorted(rejected),
    }
