"""Canonical URLs and proxy unwrapping."""

from __future__ import annotations

import pytest

from etl.urls import canonical_url, unwrap_proxy

ZAKER = "https://www.myzaker.com/article/610ce1ad8e9f0904fe64126a"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://WWW.Example.COM/a/b.html", "http://www.example.com/a/b.html"),
        (
            "https://example.com:443/a?utm_source=x&id=3&utm_medium=y#top",
            "https://example.com/a?id=3",
        ),
        ("https://example.com/a?from=timeline&spm=a.b.c&page=2", "https://example.com/a?page=2"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com", "https://example.com/"),
        (ZAKER, ZAKER),
        (ZAKER + "/", ZAKER),
        ("//www.myzaker.com/article/610ce1ad8e9f0904fe64126a/", ZAKER),
        ("http://www.myzaker.com/article/610ce1ad8e9f0904fe64126a?from=app", ZAKER),
        ("https://app.myzaker.com/news/article.php?pk=610ce1ad8e9f0904fe64126a", ZAKER),
        ("https://m.myzaker.com/article/610ce1ad8e9f0904fe64126a", ZAKER),
        ("https://www.myzaker.com/channel/660", "https://www.myzaker.com/channel/660"),
        ("file:///tmp/a.txt", "file:///tmp/a.txt"),
        (None, None),
    ],
)
def test_canonical_url(url: str | None, expected: str | None) -> None:
    assert canonical_url(url) == expected


def test_proxy_is_unwrapped_and_kept() -> None:
    proxied = "https://cors.zfour.workers.dev/?http://zkres2.myzaker.com/202108/a_1024.jpg"
    assert unwrap_proxy(proxied) == ("http://zkres2.myzaker.com/202108/a_1024.jpg", proxied)
    assert unwrap_proxy("http://zkres2.myzaker.com/a.jpg") == (
        "http://zkres2.myzaker.com/a.jpg",
        None,
    )
    assert unwrap_proxy("https://example.com/img?w=100") == ("https://example.com/img?w=100", None)
    assert unwrap_proxy(None) == (None, None)
