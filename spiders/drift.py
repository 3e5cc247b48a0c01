"""The layout-drift alarm: per parser version, how many article pages gave each required
field, and whether too many lacked one.

Spiders call :meth:`FieldTally.observe` for every article page a publisher's parser read
(before deciding whether to keep the item). When the crawl closes, :meth:`FieldTally.drift`
names each version and field missing on more than ``NEWSETL_DRIFT_MAX_MISSING`` of its pages
(default 5%, and on two pages at least): the run then ends ``degraded`` with that reason and
sample URLs, since a redesigned site otherwise breaks a crawler silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schemas.items import ArticleItem

REQUIRED_FIELDS = ("title", "body")
MAX_MISSING_SHARE = 0.05
# One unreadable page is bad input, counted as a parse error; drift takes at least two.
MIN_MISSING_PAGES = 2
SAMPLE_URLS = 5


def present(item: ArticleItem, name: str) -> bool:
    """Whether ``item`` has the required field ``name`` (``body``: HTML or text)."""
    if name == "body":
        return bool(item.body_html or item.body_text)
    return bool(getattr(item, name))


@dataclass
class FieldTally:
    """Counts of article pages and of pages that gave each required field, per version."""

    pages: dict[str, int] = field(default_factory=dict)
    found: dict[str, dict[str, int]] = field(default_factory=dict)
    samples: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def observe(self, version: str, url: str, item: ArticleItem) -> None:
        """Count one article page read by parser ``version``."""
        self.pages[version] = self.pages.get(version, 0) + 1
        found = self.found.setdefault(version, dict.fromkeys(REQUIRED_FIELDS, 0))
        for name in REQUIRED_FIELDS:
            if present(item, name):
                found[name] += 1
            else:
                missing = self.samples.setdefault(version, {}).setdefault(name, [])
                if len(missing) < SAMPLE_URLS:
                    missing.append(url)

    def counts(self) -> dict[str, dict[str, int]]:
        """``{version: {"pages": n, "title": k, "body": m}}`` for ``pipeline_run.counts``."""
        return {v: {"pages": n, **self.found[v]} for v, n in self.pages.items()}

    def drift(self, max_missing: float = MAX_MISSING_SHARE) -> list[dict[str, Any]]:
        """Each version and required field missing on more than ``max_missing`` of the
        version's article pages (and on :data:`MIN_MISSING_PAGES` at least), with the share
        and sample URLs."""
        alarms = []
        for version, pages in self.pages.items():
            for name in REQUIRED_FIELDS:
                missing = pages - self.found[version][name]
                if missing >= MIN_MISSING_PAGES and missing / pages > max_missing:
                    alarms.append(
                        {
                            "version": version,
                            "field": name,
                            "missing": missing,
                            "pages": pages,
                            "share": round(missing / pages, 3),
                            "samples": self.samples[version][name],
                        }
                    )
        return alarms


def drift_message(alarms: list[dict[str, Any]]) -> str:
    """One line naming every drifted version and field, with a sample URL each."""
    return "; ".join(
        f"layout drift: {a['version']} gave no {a['field']} on {a['missing']} of {a['pages']} "
        f"article pages (e.g. {a['samples'][0]})"
        for a in alarms
    )
