"""Parser framework in the style of fundus: one class per publisher, one nested class per
page layout, each field a small method marked with :func:`attribute`.

A :class:`LayoutParser` turns one page into an :class:`~schemas.items.ArticleItem`; a
:class:`PublisherParser` picks the layout that was in use on the page's date; a
:class:`Publisher` is one registry entry (see :mod:`spiders.publishers`): the parser, the
URLs it knows and the publisher's URL identity rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any, ClassVar, TypeVar

from parsel import Selector

from schemas.items import ArticleItem

F = TypeVar("F", bound=Callable[..., Any])
ATTRIBUTE_MARK = "__newsetl_attribute__"


def browser_tree(text: str) -> Selector:
    """The page as a browser builds it (HTML5 tree construction, html5lib): ``<p>`` stays
    inside ``<h1>``, which lxml's HTML parser closes early. About 25 times lxml's cost
    (docs/benchmarks.md), so only article pages whose markup needs it use it; imported here
    so that commands which never build one (``newsetl extract`` of a generic page) start
    faster."""
    import html5lib

    tree = html5lib.parse(text, treebuilder="lxml", namespaceHTMLElements=False)
    return Selector(root=tree.getroot(), type="html")


def attribute(method: F) -> F:
    """Mark a parser method as the extractor of the item field of the same name."""
    setattr(method, ATTRIBUTE_MARK, True)
    return method


class LayoutParser:
    """Parses one page layout. Subclasses define ``@attribute`` methods named after
    :class:`ArticleItem` fields; ``VALID_FROM``/``VALID_UNTIL`` bound the layout's dates;
    ``BROWSER_TREE`` reads the page as a browser does (:func:`browser_tree`)."""

    VALID_FROM: ClassVar[date | None] = None
    VALID_UNTIL: ClassVar[date | None] = None
    BROWSER_TREE: ClassVar[bool] = False

    def __init__(self, text: str, url: str | None, source: str) -> None:
        self.text = text
        self.url = url
        self.source = source

    @cached_property
    def selector(self) -> Selector:
        """The page as a parsel selector (built on first use)."""
        return browser_tree(self.text) if self.BROWSER_TREE else Selector(text=self.text)

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
    def version(cls, layout: type[LayoutParser]) -> str:
        """The name a layout's figures are kept under: ``people-daily/FromDecember2024``."""
        return f"{cls.source}/{layout.__name__}"

    @classmethod
    def parse(cls, text: str, url: str | None = None, day: date | None = None) -> ArticleItem:
        """Parse one page with the layout of its day."""
        return cls.layout_for(day)(text, url, cls.source).parse()


def no_rule(_: str) -> str | None:
    """A URL identity rule a publisher does not have."""
    return None


@dataclass(frozen=True)
class Publisher:
    """One registry entry: a publisher's parser, the article URLs it parses, and its URL
    identity rules: ``canonical_url`` (its own article URL form, None for URLs it does not
    fold) and ``url_from_images`` (the article URL rebuilt from image names in a text)."""

    name: str
    parser: type[PublisherParser]
    matches: Callable[[str], bool]
    canonical_url: Callable[[str], str | None] = no_rule
    url_from_images: Callable[[str], str | None] = no_rule

    @property
    def source(self) -> str:
        """The source slug of the publisher's items."""
        return self.parser.source
