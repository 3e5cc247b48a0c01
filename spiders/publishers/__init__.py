"""The publishers newsetl knows, one module each (as fundus's ``publishers/``): a module
holds the publisher's parser versions per layout, its list-page navigation, its URL identity
rules and its ``PUBLISHER`` registry entry. Adding a publisher is its module, its fixtures
under ``tests/spiders/publisher_cases/`` and its name in :data:`NAMES`.

The URL identity rules are applied here, in ``spiders/``: an item leaves a spider or the
file importer with its ``canonical_url`` already computed, so the ETL (which never imports
``spiders/``) only normalises it generically (:func:`schemas.identity.canonical_url`).
"""

from __future__ import annotations

from importlib import import_module

from spiders.parsers.base import Publisher

NAMES = ("zaker", "people_daily")
PUBLISHERS: tuple[Publisher, ...] = tuple(
    import_module(f"{__name__}.{name}").PUBLISHER for name in NAMES
)


def publisher_for(url: str | None) -> Publisher | None:
    """The publisher whose article URLs ``url`` is one of, if any."""
    return next((p for p in PUBLISHERS if url and p.matches(url)), None)


def canonical_url(url: str | None) -> str | None:
    """``url`` in its publisher's own form (ZAKER's mirrors folded into one), else as is."""
    if not url:
        return url
    folded = (p.canonical_url(url) for p in PUBLISHERS)
    return next((u for u in folded if u), url)


def url_from_images(*texts: str | None) -> str | None:
    """An article URL rebuilt from the image names in ``texts`` by any publisher's rule."""
    for text in texts:
        for publisher in PUBLISHERS if text else ():
            if found := publisher.url_from_images(text or ""):
                return found
    return None
