"""The typed record a cleaned article is between the ETL's stages.

The clean stage makes one :class:`Record` per document; validate drops failing ones,
dedupe fills in its decision (``action``, ``cluster``, ...), load writes it. Between
processes (Airflow tasks) records travel as JSON through the ``etl_batch`` table:
:meth:`Record.to_json` and :meth:`Record.from_json` are the one place that converts.
The steps read fields by name, as attributes or (for the steps shared with plain
dictionaries in their tests) by subscript.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

DATETIME_FIELDS = ("published_at", "fetched_at")


@dataclass(slots=True)
class Record:
    """One cleaned article of a batch, and what dedupe decided about it."""

    raw_document_id: int
    source_id: int
    source: str
    url: str | None
    canonical_url: str
    title: str | None
    kicker: str | None
    subtitle: str | None
    column: str | None
    page: str | None
    author: str | None
    origin: str | None
    published_at: datetime | None
    fetched_at: datetime
    head_image: str | None
    thumbnail: str | None
    comments: bool | None
    tags: list[str]
    categories: list[str]
    body_html: str
    body_text: str
    char_count: int
    content_hash: str
    language: str | None
    cjk_share: float
    images: list[dict[str, Any]]
    inferred_fields: list[str]
    dropped_urls: list[str]  # image URLs of unsafe schemes the clean stage dropped
    band_keys: list[int]
    # set by dedupe: insert | update | duplicate, and the near-duplicate cluster it joins
    action: str | None = None
    cluster: list[Any] | None = None
    duplicate_reason: str | None = None
    article_id: int | None = None

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)

    def __setitem__(self, name: str, value: Any) -> None:
        setattr(self, name, value)

    def __contains__(self, name: str) -> bool:
        return name in FIELD_NAMES

    def get(self, name: str, default: Any = None) -> Any:
        return getattr(self, name, default)

    def update(self, **values: Any) -> None:
        for name, value in values.items():
            setattr(self, name, value)

    def to_json(self) -> dict[str, Any]:
        """The record as JSON values (datetimes as ISO 8601)."""
        values = {name: getattr(self, name) for name in FIELD_NAMES}
        for name in DATETIME_FIELDS:
            if values[name] is not None:
                values[name] = values[name].isoformat()
        return values

    @classmethod
    def from_json(cls, values: dict[str, Any]) -> Record:
        """The record :meth:`to_json` wrote."""
        dates = {
            name: datetime.fromisoformat(values[name])
            for name in DATETIME_FIELDS
            if values.get(name) is not None
        }
        return cls(**(values | dates))


FIELD_NAMES = tuple(f.name for f in fields(Record))
