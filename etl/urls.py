"""URLs: one canonical form per article, and image URLs freed of their CORS proxy."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from schemas.identity import ZAKER_ARTICLE_URL

TRACKING_PARAMS = frozenset({"from", "spm"})
TRACKING_PREFIXES = ("utm_",)
DEFAULT_PORTS = {"http": 80, "https": 443}
ZAKER_ARTICLE = re.compile(r"^(?:www\.|m\.|app\.|iphone\.|wap\.)?myzaker\.com$", re.IGNORECASE)
ZAKER_ID_IN_PATH = re.compile(r"/article/(?P<id>[0-9a-f]{24})/?$")
ZAKER_ID_IN_QUERY = re.compile(r"(?:^|&)pk=(?P<id>[0-9a-f]{24})(?:&|$)")


def unwrap_proxy(url: str | None) -> tuple[str | None, str | None]:
    """``(original, proxied)``: a URL wrapped by a CORS proxy (``https://proxy/?http://x``)
    gives back everything after ``?``; an unwrapped URL comes back with ``proxied`` None."""
    if not url:
        return None, None
    url = url.strip()
    head, sep, rest = url.partition("?")
    if (
        sep
        and head.startswith(("http://", "https://"))
        and rest.startswith(("http://", "https://", "//"))
    ):
        return ("https:" + rest if rest.startswith("//") else rest), url
    return url, None


def _zaker_id(host: str, path: str, query: str) -> str | None:
    if not ZAKER_ARTICLE.match(host):
        return None
    match = ZAKER_ID_IN_PATH.search(path) or ZAKER_ID_IN_QUERY.search(query)
    return match["id"] if match else None


def canonical_url(url: str | None) -> str | None:
    """The one form of an article URL: scheme and host lower-cased, default port, fragment
    and tracking parameters (``utm_*``, ``from``, ``spm``) dropped; ZAKER's web, mobile and
    app mirrors (with or without the trailing slash) folded into
    ``https://www.myzaker.com/article/<id>``. Non-HTTP URLs and None come back unchanged."""
    if not url:
        return url
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return url
    host = parts.hostname.lower()
    if (zaker := _zaker_id(host, parts.path, parts.query)) is not None:
        return ZAKER_ARTICLE_URL.format(id=zaker)
    port = parts.port
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = urlencode(
        [
            (key, value)
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
            if key.lower() not in TRACKING_PARAMS and not key.lower().startswith(TRACKING_PREFIXES)
        ]
    )
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))
