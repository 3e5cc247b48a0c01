"""The source registry (``schemas/sources.yml``): what each source is and how it is checked."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

SOURCES_ENV = "NEWSETL_SOURCES"
DEFAULT_SOURCES = Path(__file__).with_name("sources.yml")


@dataclass(frozen=True)
class ValidationPolicy:
    """Per-source knobs of the validation suite."""

    min_body_chars: int = 50
    min_cjk_share: float = 0.2
    require_url: bool = True
    allow_inferred_dates: bool = False


@dataclass(frozen=True)
class SourceConfig:
    """One entry of the registry."""

    slug: str
    name: str
    kind: str
    home_url: str | None = None
    base_url: str | None = None
    spider: str | None = None
    schedule: str | None = None
    timezone: str = "Asia/Shanghai"
    enabled: bool = False
    validation: ValidationPolicy = field(default_factory=ValidationPolicy)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def start_url(self) -> str | None:
        """``base_url``, unless ``NEWSETL_<SLUG>_BASE_URL`` points elsewhere."""
        env = "NEWSETL_" + self.slug.upper().replace("-", "_") + "_BASE_URL"
        return os.environ.get(env) or self.base_url


KNOWN_KEYS = {"name", "kind", "home_url", "base_url", "spider", "schedule", "timezone", "enabled"}


def _parse(slug: str, entry: dict[str, Any]) -> SourceConfig:
    values = {k: v for k, v in entry.items() if k in KNOWN_KEYS}
    options = {k: v for k, v in entry.items() if k not in KNOWN_KEYS | {"validation"}}
    return SourceConfig(
        slug=slug,
        validation=ValidationPolicy(**(entry.get("validation") or {})),
        options=options,
        **values,
    )


@cache
def _load(path: Path) -> dict[str, SourceConfig]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {slug: _parse(slug, entry or {}) for slug, entry in data.get("sources", {}).items()}


def load_sources(path: str | Path | None = None) -> dict[str, SourceConfig]:
    """All sources by slug, from ``path``, ``$NEWSETL_SOURCES`` or the bundled file."""
    return _load(Path(path or os.environ.get(SOURCES_ENV) or DEFAULT_SOURCES).resolve())


def get_source(slug: str) -> SourceConfig:
    """One source; an unknown slug is a ``KeyError`` naming the known ones."""
    sources = load_sources()
    if slug not in sources:
        raise KeyError(f"unknown source {slug!r}; known: {', '.join(sorted(sources))}")
    return sources[slug]
