"""Parser framework in the style of fundus: one class per publisher, one nested class per
page layout, each field a small method marked with :func:`attribute`.

A :class:`LayoutParser` turns one page into an :class:`~schemas.items.ArticleItem`; a
:class:`PublisherParser` picks the layout that was in use on the page's date.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cached_property
from typing import Any, ClassVar, TypeVar

from parsel import Selector

from schemas.items import ArticleItem

F = TypeVar("F", bound=Callable[..., Any])
ATTRIBUTE_MARK = "__newsetl_attribute__"


def attribute(method: F) -> F:
    """Mark a parser method as the extractor of the item field of the same name."""
    setattr(method, ATTRIBUTE_MARK, True)
    return method


class LayoutParser:
    """Parses one page layout. Subclasses define ``@attribute`` methods named after
    :class:`ArticleItem` fields; ``VALID_FROM``/``VALID_UNTIL`` bound the layout's dates."""

    VALID_FROM: ClassVar[date | None] = None
    VALID_UNTIL: ClassVar[date | None] = None

    def __init__(self, text: str, url: str | None, source: str) -> None:
        self.text = text
        self.url = url
        self.source = source

    @cached_property
    def selector(self) -> Selector:
        """The page as a parsel selector (built on first use)."""
        return Selector(text=self.text)

    @classmethod
    def attributes(cls) -> list[str]:
        """Names of the fields this layout extracts, in definition order."""
        names: list[str] = []
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if getattr(value, ATTRIBUTE_MARK, False) and name not in names:
                    names.append(name)
        return names

    @classmethod
    def covers(cls, day: date) -> bool:
        """Whether the layout was in use on ``day``."""
        return (cls.VALID_FROM is None or day >= cls.VALID_FROM) and (
            cls.VALID_UNTIL is None or day <= cls.VALID_UNTIL
        )

    def parse(self) -> ArticleItem:
        """Run every attribute and build the item; empty values stay unset."""
        values = {name: getattr(self, name)() for name in self.attributes()}
        values = {k: v for k, v in values.items() if v not in (None, "", [])}
        return ArticleItem(source=self.source, url=self.url, **values)


class PublisherParser:
    """A publisher's layouts; :meth:`layout_for` picks one by the page's date."""

    source: ClassVar[str]
    layouts: ClassVar[tuple[type[LayoutParser], ...]]

    @classmethod
    def layout_for(cls, day: date | None = None) -> type[LayoutParser]:
        """The layout in use on ``day``; the newest one when the day is unknown."""
        if day is None:
            return cls.layouts[-1]
        for layout in cls.layouts:
            if layout.covers(day):
                return layout
        raise ValueError(f"{cls.__name__} has no layout for {day.isoformat()}")

    @classmethod
    def parse(cls, text: str, url: str | None = None, day: date | None = None) -> ArticleItem:
        """Parse one page with the layout of its day."""
        return cls.layout_for(day)(text, url, cls.source).parse()
