"""`newsetl demo`: the whole pipeline offline, on the bundled copies of the real sites.

Serves ``newsetl/demo/sites`` on 127.0.0.1, points every enabled source's spider at its local
copy (``demo_site`` and ``demo_args`` in the source registry), crawls them all, imports the
sample files, runs the ETL, and counts what happened per source.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, select

from etl.pipeline import EtlResult, run_etl
from etl.terms import index_pending_terms
from newsetl.demo import SAMPLES
from newsetl.demo.server import SiteServer
from newsetl.importer import land_files
from schemas.migrate import upgrade
from schemas.models import Article, RawDocument, RejectedRecord, Source
from schemas.sources import SourceConfig, load_sources
from spiders.runner import run_crawls

# The local copies answer at once: no throttling, short back-off after their 429/WAF pages.
DEMO_CRAWL_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "NEWSETL_BACKOFF_BASE": 0.1,
    "NEWSETL_BACKOFF_MAX": 0.5,
    "LOG_LEVEL": "WARNING",
}


@dataclass
class DemoResult:
    """What the demo did: crawl stats per spider, the ETL run, counts per source."""

    crawls: dict[str, dict[str, Any]] = field(default_factory=dict)
    etl: EtlResult | None = None
    per_source: list[dict[str, Any]] = field(default_factory=list)


def demo_sources() -> list[SourceConfig]:
    """The enabled sources that have a spider and a local demo copy."""
    return [
        s for s in load_sources().values() if s.enabled and s.spider and s.options.get("demo_site")
    ]


def base_url_env(source: SourceConfig) -> str:
    """The variable that points a source's spider elsewhere (see ``SourceConfig.start_url``)."""
    return "NEWSETL_" + source.slug.upper().replace("-", "_") + "_BASE_URL"


DEMO_PORT = 8765


def run_demo(
    engine: Engine, port: int = DEMO_PORT, step: Callable[[str], None] = lambda _: None
) -> DemoResult:
    """Run the demo against ``engine``; ``step`` is told each stage as it starts.

    The sites are served on a fixed ``port`` so that the pages a second demo run finds are
    the ones the first landed, and the incremental crawl skips them.
    """
    result = DemoResult()
    step("creating the warehouse")
    upgrade(engine)
    sources = demo_sources()
    with SiteServer(port=port) as server:
        for source in sources:
            os.environ[base_url_env(source)] = server.site_url(source.options["demo_site"])
        step(f"crawling {', '.join(s.slug for s in sources)} on {server.url}")
        settings = {**DEMO_CRAWL_SETTINGS, "NEWSETL_DATABASE_URL": _url(engine)}
        args = {s.spider: dict(s.options.get("demo_args") or {}) for s in sources}
        result.crawls = run_crawls([s.spider for s in sources], args, settings)
    step("landing the sample files")
    land_files(engine, [SAMPLES])
    step("running the ETL on everything landed")
    result.etl = run_etl(engine)
    step("indexing the terms of new articles")
    index_pending_terms(engine)
    result.per_source = counts_per_source(engine)
    return result


def serve_forever(port: int = DEMO_PORT, say: Callable[[str], None] = print) -> None:
    """Serve the demo sites until interrupted, after saying how to point spiders at them."""
    with SiteServer(port=port) as server:
        say(f"serving the demo sites on {server.url}; point the spiders at them with:")
        for source in demo_sources():
            say(f"export {base_url_env(source)}={server.site_url(source.options['demo_site'])}")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def counts_per_source(engine: Engine) -> list[dict[str, Any]]:
    """Per source: pages fetched, records rejected, articles loaded, near-duplicates among
    them, and landed pages that were exact duplicates of an article already loaded."""
    fetched = (
        select(RawDocument.source_id, func.count().label("n"))
        .group_by(RawDocument.source_id)
        .subquery()
    )
    rejected = (
        select(RejectedRecord.source_id, func.count().label("n"))
        .group_by(RejectedRecord.source_id)
        .subquery()
    )
    loaded = (
        select(
            Article.source_id,
            func.count().label("n"),
            func.count(Article.duplicate_of).label("near"),
        )
        .group_by(Article.source_id)
        .subquery()
    )
    query = (
        select(
            Source.slug,
            func.coalesce(fetched.c.n, 0),
            func.coalesce(rejected.c.n, 0),
            func.coalesce(loaded.c.n, 0),
            func.coalesce(loaded.c.near, 0),
        )
        .outerjoin(fetched, fetched.c.source_id == Source.id)
        .outerjoin(rejected, rejected.c.source_id == Source.id)
        .outerjoin(loaded, loaded.c.source_id == Source.id)
        .order_by(Source.slug)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        {
            "source": slug,
            "fetched": n_fetched,
            "rejected": n_rejected,
            "exact duplicates": max(n_fetched - n_rejected - n_loaded, 0),
            "near duplicates": n_near,
            "loaded": n_loaded,
        }
        for slug, n_fetched, n_rejected, n_loaded, n_near in rows
    ]
