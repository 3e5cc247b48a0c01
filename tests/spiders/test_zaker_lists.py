"""ZAKER list pages in every shape: ``next_url`` as a string or ``{"value": …}``, at the top
level or inside ``data``; JSON next pages; bad bodies as clear :class:`ListPageError`s."""

from __future__ import annotations

import json

import pytest

from spiders.publishers.zaker import ListPageError, read_list

ARTICLE = {"url": "//app.myzaker.com/news/article.php?pk=610ce1ad8e9f0904fe64126a", "title": "题"}
NEXT = "//www.myzaker.com/news/home_index_next.php?nt=2"


@pytest.mark.parametrize(
    "data",
    [
        {"data": {"article": [ARTICLE], "next_url": NEXT}},
        {"data": {"article": [ARTICLE], "next_url": {"value": NEXT}}},
        {"next_url": {"value": NEXT}, "data": {"article": [ARTICLE]}},
        {"next_url": NEXT, "article": [ARTICLE]},
    ],
)
def test_next_url_shapes_in_html_and_json_pages(data: dict) -> None:
    html = f"<html><body><script>window.WinPageData = {json.dumps(data)};</script></body></html>"
    for body in (html, json.dumps(data)):
        page = read_list(body)
        assert page.next_url == NEXT
        assert [entry.url for entry in page.entries] == [ARTICLE["url"]]


def test_last_page_has_no_next_url() -> None:
    page = read_list(json.dumps({"data": {"article": [ARTICLE], "next_url": {"value": ""}}}))
    assert page.next_url is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("", "empty list page"),
        ("  \n", "empty list page"),
        ("[1, 2]", "a JSON list page that is not an object"),
        ('{"stat": 0, "msg": "error"}', "the list data has no article list"),
        ('{"data": {"article": "none"}}', "the list data's article list is not a list"),
        ('{"data": ', "a JSON list page that is not valid JSON"),
    ],
)
def test_bad_list_bodies_say_why(body: str, reason: str) -> None:
    with pytest.raises(ListPageError, match=reason):
        read_list(body)


def test_html_without_a_list_gives_no_entries() -> None:
    assert read_list("<html><body><p>维护中</p></body></html>").entries == []
