"""The source registry (``schemas/sources.yml``): what each source is and how it is checked.

The file is validated as a whole by the pydantic models below: a misspelt key, a value of the
wrong type (``enabled: "false"``, ``min_body_chars: fifty``) or an unknown ``kind`` is a
:class:`SourceRegistryError` naming the file and the key, never a silent default.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

SOURCES_ENV = "NEWSETL_SOURCES"
DEFAULT_SOURCES = Path(__file__).with_name("sources.yml")


class SourceRegistryError(ValueError):
    """The registry file is missing, not YAML, or does not match the schema."""


class _Strict(BaseModel):
    """No unknown keys, no coercion of strings into booleans or numbers, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ValidationPolicy(_Strict):
    """Per-source knobs of the validation suite."""

    min_body_chars: int = Field(50, ge=0)
    min_cjk_share: float = Field(0.2, ge=0, le=1)
    require_url: bool = True
    allow_inferred_dates: bool = False


class FeedEntry(_Strict):
    """One feed of a ``feed`` source: URL (absolute or relative to ``base_url``), category."""

    url: str
    category: str | None = None
    enabled: bool = True


class SourceConfig(_Strict):
    """One entry of the registry (its slug is the entry's key)."""

    slug: str = ""
    name: str
    kind: Literal["feed", "site", "epaper", "file"]
    home_url: str | None = None
    base_url: str | None = None
    spider: str | None = None
    schedule: str | None = None
    timezone: str = "Asia/Shanghai"
    enabled: bool = False
    validation: ValidationPolicy = ValidationPolicy()
    feeds: list[FeedEntry] | None = None
    demo_site: str | None = None
    demo_args: dict[str, str] | None = None

    @property
    def options(self) -> dict[str, Any]:
        """The spider-specific settings that are set (``feeds``, ``demo_site``, ``demo_args``)."""
        return self.model_dump(include={"feeds", "demo_site", "demo_args"}, exclude_none=True)

    @property
    def start_url(self) -> str | None:
        """``base_url``, unless ``NEWSETL_<SLUG>_BASE_URL`` points elsewhere."""
        env = "NEWSETL_" + self.slug.upper().replace("-", "_") + "_BASE_URL"
        return os.environ.get(env) or self.base_url


class _Registry(_Strict):
    sources: dict[str, SourceConfig]


def _problem(error: dict[str, Any]) -> str:
    where = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown key"
    return f"{where}: {error['msg'][0].lower()}{error['msg'][1:]} (got {error['input']!r})"


@cache
def _load(path: Path) -> dict[str, SourceConfig]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise SourceRegistryError(f"no source registry at {path} (see {SOURCES_ENV})") from None
    except yaml.YAMLError as error:
        reason = " ".join(str(error).split())
        raise SourceRegistryError(f"{path} is not valid YAML: {reason}") from None
    try:
        registry = _Registry.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(_problem(e) for e in error.errors(include_url=False))
        raise SourceRegistryError(f"{path}: {problems}") from None
    return {
        slug: entry.model_copy(update={"slug": slug}) for slug, entry in registry.sources.items()
    }


def load_sources(path: str | Path | None = None) -> dict[str, SourceConfig]:
    """All sources by slug, from ``path``, ``$NEWSETL_SOURCES`` or the bundled file."""
    return _load(Path(path or os.environ.get(SOURCES_ENV) or DEFAULT_SOURCES).resolve())


def get_source(slug: str) -> SourceConfig:
    """One source; an unknown slug is a ``KeyError`` naming the known ones."""
    sources = load_sources()
    if slug not in sources:
        raise KeyError(f"unknown source {slug!r}; known: {', '.join(sorted(sources))}")
    return sources[slug]


def source_zones() -> dict[str, ZoneInfo]:
    """Each registered source's time zone (dates without one are read in it)."""
    return {slug: ZoneInfo(config.timezone) for slug, config in load_sources().items()}
