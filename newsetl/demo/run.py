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

from scrapy.crawler import Crawler
from sqlalchemy import Engine, func, select

from etl.pipeline import EtlResult, run_etl
from etl.terms import index_pending_terms
from newsetl.demo import SAMPLES
from newsetl.demo.server import SiteServer
from newsetl.importer import land_files
from schemas.migrate import upgrade
from schemas.models import Article, PipelineRun, RejectedRecord, Source
from schemas.sources import SourceConfig, load_sources
from spiders.pipelines import crawl_counts
from spiders.runner import run_crawls

# The local copies answer at once: no throttling, short back-off after their 429/WAF pages.
DEMO_CRAWL_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "NEWSETL_BACKOFF_BASE": 0.1,
    "NEWSETL_BACKOFF_MAX": 0.5,
}
# What the demo sites do wrong on purpose (see their _routes.yml), said before the crawl.
DELIBERATE_FAULTS = (
    "the demo sites misbehave on purpose, as real ones do: an HTTP 500 page (retried, then "
    "given up), a 404, a 429 and a WAF challenge (backed off, counted as blocked), a redirect "
    "loop, an oversized page, broken list JSON, a mislabelled charset, an empty article and a "
    "broken feed. The errors and blocks counted below are expected."
)


@dataclass
class DemoResult:
    """What one demo run did: crawl stats per spider, the files, the ETL run, per source."""

    crawls: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[Any, tuple[int, bool]] = field(default_factory=dict)
    unlanded: dict[Any, str] = field(default_factory=dict)  # sample files that could not land
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
    engine: Engine,
    port: int = DEMO_PORT,
    step: Callable[[str], None] = lambda _: None,
    settings: dict[str, Any] | None = None,
    started: Callable[[dict[str, Crawler]], None] | None = None,
) -> DemoResult:
    """Run the demo against ``engine``; ``step`` is told each stage as it starts.

    ``settings`` go to Scrapy on top of :data:`DEMO_CRAWL_SETTINGS`; ``started`` is given
    the crawlers to watch (see :func:`spiders.runner.run_crawls`).

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
        crawl_settings = {
            **DEMO_CRAWL_SETTINGS,
            **(settings or {}),
            "NEWSETL_DATABASE_URL": _url(engine),
        }
        args = {s.spider: dict(s.options.get("demo_args") or {}) for s in sources}
        result.crawls = run_crawls([s.spider for s in sources], args, crawl_settings, started)
    step("landing the sample files")
    result.files, result.unlanded = land_files(engine, [SAMPLES])
    step("running the ETL on everything landed")
    result.etl = run_etl(engine)
    step("indexing the terms of new articles")
    index_pending_terms(engine)
    result.per_source = this_run_per_source(engine, result, sources)
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


def this_run_per_source(
    engine: Engine, result: DemoResult, sources: list[SourceConfig]
) -> list[dict[str, Any]]:
    """Per source, what this demo run did (crawl counts; the ETL's rejections and new
    articles), and the articles the warehouse holds from it over all runs."""
    crawled = {s.slug: crawl_counts(result.crawls.get(s.spider, {})) for s in sources}
    files_new = sum(new for _, new in result.files.values())
    crawled["files"] = {
        "fetched": len(result.files) + len(result.unlanded),
        "landed (new)": files_new,
        "skipped (already landed)": len(result.files) - files_new,
        "errors": len(result.unlanded),
    }
    run_id = result.etl.run_id if result.etl is not None else None
    with engine.connect() as connection:
        started = connection.scalar(select(PipelineRun.started_at).where(PipelineRun.id == run_id))
        rejected = dict(
            connection.execute(
                select(Source.slug, func.count(RejectedRecord.id))
                .join(RejectedRecord, RejectedRecord.source_id == Source.id)
                .where(RejectedRecord.run_id == run_id)
                .group_by(Source.slug)
            ).all()
        )
        articles = connection.execute(
            select(
                Source.slug,
                func.count(Article.id),
                func.count(Article.id).filter(Article.first_seen_at >= started),
            )
            .join(Article, Article.source_id == Source.id)
            .group_by(Source.slug)
        ).all()
    totals = {slug: (total, new) for slug, total, new in articles}
    return [
        {
            "source": slug,
            **crawled[slug],
            "rejected": rejected.get(slug, 0),
            "new articles": totals.get(slug, (0, 0))[1],
            "articles (all runs)": totals.get(slug, (0, 0))[0],
        }
        for slug in sorted(crawled)
    ]
