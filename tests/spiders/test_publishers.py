"""Every publisher's fixtures against their expected items (as fundus tests its publishers):
``tests/spiders/publisher_cases/<publisher>.json`` lists pages of the demo sites, each with the URL
it is parsed under and the item the publisher's parser must make of it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from schemas.identity import canonical_url as normalised
from spiders.parsers.match import parse_page, parser_for
from spiders.publishers import NAMES, PUBLISHERS, canonical_url, url_from_images

SITES = Path(__file__).parents[2] / "newsetl" / "demo" / "sites"
EXPECTED = Path(__file__).parent / "publisher_cases"
ZAKER = "https://www.myzaker.com/article/610ce1ad8e9f0904fe64126a"


def cases() -> list[Any]:
    return [
        pytest.param(name, case, id=f"{name}:{case['page'].rsplit('/', 2)[-2]}")
        for name in NAMES
        for case in json.loads((EXPECTED / f"{name}.json").read_text(encoding="utf-8"))
    ]


def test_every_publisher_has_fixtures() -> None:
    assert {p.name for p in PUBLISHERS} == set(NAMES)
    assert {path.stem for path in EXPECTED.glob("*.json")} == set(NAMES)


@pytest.mark.parametrize(("name", "case"), cases())
def test_publisher_fixture(name: str, case: dict[str, Any]) -> None:
    assert parser_for(case["url"]).name == name
    item = parse_page((SITES / case["page"]).read_bytes(), case["url"], encoding=case["encoding"])
    assert item.to_dict() == case["item"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (ZAKER, ZAKER),
        (ZAKER + "/", ZAKER),
        ("//www.myzaker.com/article/610ce1ad8e9f0904fe64126a/", ZAKER),
        ("http://www.myzaker.com/article/610ce1ad8e9f0904fe64126a?from=app", ZAKER),
        ("https://app.myzaker.com/news/article.php?pk=610ce1ad8e9f0904fe64126a", ZAKER),
        ("https://app.myzaker.com/news/article.php?f=zaker&pk=610ce1ad8e9f0904fe64126a", ZAKER),
        ("https://m.myzaker.com/article/610ce1ad8e9f0904fe64126a", ZAKER),
        ("https://www.myzaker.com/channel/660", "https://www.myzaker.com/channel/660"),
        ("https://example.com/s?b=2&a=1&utm_source=x", "https://example.com/s?a=1&b=2"),
        (None, None),
    ],
)
def test_url_identity_rules_then_generic_form(url: str | None, expected: str | None) -> None:
    """What an article is keyed on: its publisher's form, normalised generically."""
    assert normalised(canonical_url(url)) == expected


def test_article_url_from_image_names() -> None:
    body = '<img src="http://zkres2.myzaker.com/202108/610ce1ad8e9f0904fe64126a_1024.jpg">'
    assert url_from_images(None, body) == ZAKER
    assert url_from_images("<p>no image</p>") is None
