"""Canonical URLs (generic, on w3lib) and proxy unwrapping."""

from __future__ import annotations

import random
import re

import pytest

import etl.clean
from etl.clean import PLAIN_ABSOLUTE, image_url
from etl.urls import unwrap_proxy
from schemas import identity
from schemas.identity import CANONICAL_ALREADY, canonical_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://WWW.Example.COM/a/b.html", "http://www.example.com/a/b.html"),
        (
            "https://example.com:443/a?utm_source=x&id=3&utm_medium=y#top",
            "https://example.com/a?id=3",
        ),
        ("https://example.com/a?from=timeline&spm=a.b.c&page=2", "https://example.com/a?page=2"),
        ("https://example.com/a?fbclid=IwAR0x&gclid=1&q=1", "https://example.com/a?q=1"),
        # query order, dot segments and non-ASCII paths: one form each
        ("https://example.com/s?b=2&a=1", "https://example.com/s?a=1&b=2"),
        ("https://example.com/a/b/../c/./d.html", "https://example.com/a/c/d.html"),
        (
            "https://example.com/新闻/一.html",
            "https://example.com/%E6%96%B0%E9%97%BB/%E4%B8%80.html",
        ),
        (
            "https://example.com/%E6%96%B0%E9%97%BB/%E4%B8%80.html",
            "https://example.com/%E6%96%B0%E9%97%BB/%E4%B8%80.html",
        ),
        ("https://example.com/s?q=中国", "https://example.com/s?q=%E4%B8%AD%E5%9B%BD"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com", "https://example.com/"),
        ("//example.com/a", "https://example.com/a"),
        ("file:///tmp/a.txt", "file:///tmp/a.txt"),
        ("urn:newsetl:text:abc", "urn:newsetl:text:abc"),
        (None, None),
    ],
)
def test_canonical_url(url: str | None, expected: str | None) -> None:
    assert canonical_url(url) == expected
    assert canonical_url(expected) == expected  # idempotent


def test_proxy_is_unwrapped_and_kept() -> None:
    proxied = "https://cors.zfour.workers.dev/?http://zkres2.myzaker.com/202108/a_1024.jpg"
    assert unwrap_proxy(proxied) == ("http://zkres2.myzaker.com/202108/a_1024.jpg", proxied)
    assert unwrap_proxy("http://zkres2.myzaker.com/a.jpg") == (
        "http://zkres2.myzaker.com/a.jpg",
        None,
    )
    assert unwrap_proxy("https://example.com/img?w=100") == ("https://example.com/img?w=100", None)
    assert unwrap_proxy(None) == (None, None)


FORM_ALPHABET = "aZ09-._~/%?#:@!$&'()*+,;=中 "


def test_urls_already_canonical_take_the_short_way_to_the_same_form() -> None:
    """Every URL the shortcut accepts is one w3lib leaves as it is (an empty path aside),
    and the shortcut turns away anything w3lib would change."""
    rng = random.Random(7)
    hosts = ("example.com", "www.myzaker.com", "a-b.c0.cn", "EXAMPLE.com", "example.com.", "x")
    accepted = 0
    for _ in range(20_000):
        path = "".join(rng.choices(FORM_ALPHABET, k=rng.randint(0, 12)))
        url = f"{rng.choice(('http', 'https', 'HTTP'))}://{rng.choice(hosts)}{path}"
        if CANONICAL_ALREADY.fullmatch(url):
            accepted += 1
            assert canonical_url(url) == slow_canonical_url(url), url
    assert 500 < accepted < 20_000  # both ways were taken


def slow_canonical_url(url: str) -> str:
    """The canonical form with the shortcut out of the way."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(identity, "CANONICAL_ALREADY", re.compile("(?!)"))
        return identity.canonical_url(url)


IMAGE_ALPHABET = "aZ09-._~/%?#:@;=&中 \t\n"


def test_plain_absolute_image_urls_take_the_short_way_to_the_same_result() -> None:
    """An image URL the shortcut accepts comes out as urljoin and urlsplit would make it,
    against any page URL or none."""
    rng = random.Random(11)
    hosts = ("zkres1.myzaker.com", "EXAMPLE.com:8080", "a-b.c0.cn", "[::1]", "", "x")
    bases = (None, "https://www.myzaker.com/article/1", "http://example.com/a/b.html")
    accepted = 0
    for _ in range(20_000):
        path = "".join(rng.choices(IMAGE_ALPHABET, k=rng.randint(0, 14)))
        url = f"{rng.choice(('http', 'https', 'HTTP', 'ftp'))}://{rng.choice(hosts)}{path}"
        base = rng.choice(bases)
        if PLAIN_ABSOLUTE.fullmatch(url):
            accepted += 1
            assert image_url(url, base) == slow_image_url(url, base), (url, base)
    assert 500 < accepted < 20_000  # both ways were taken


def slow_image_url(url: str, base: str | None) -> str | None:
    """The image URL with the shortcut out of the way."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(etl.clean, "PLAIN_ABSOLUTE", re.compile("(?!)"))
        return etl.clean.image_url(url, base)
