"""How an article is identified: its canonical URL, or its text when it has no URL.

Publisher-specific forms (one article under several hosts or URL shapes) are folded by the
publisher's own rules in ``spiders/publishers/`` when the item is parsed; this module holds
the generic normalisation every URL gets on top, the one the ETL and the migrations apply.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Query parameters that say where a reader came from, not which page: dropped.
TRACKING_PARAMS = frozenset({"from", "spm", "fbclid", "gclid", "yclid", "msclkid"})
TRACKING_PREFIXES = ("utm_",)
DEFAULT_PORTS = {"http": 80, "https": 443}
TEXT_URN = "urn:newsetl:text:{hash}"
# a URL already in its one form: lower-case http(s) scheme and host, no port, query or
# fragment, a path of unreserved characters without empty or dot segments (w3lib would
# return it as it is, adding "/" to an empty path; a test holds the two to the same result)
CANONICAL_ALREADY = re.compile(
    r"https?://[a-z0-9-]+(?:\.[a-z0-9-]+)*(?:/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*/?"
)


def canonical_url(url: str | None) -> str | None:
    """The one form of an HTTP(S) URL: w3lib's canonical form (query sorted, ``../``
    resolved, non-ASCII paths percent-encoded, host lower-cased, fragment dropped), without
    tracking parameters (``utm_*``, ``fbclid``, ``from``, ``spm``…) or the default port;
    protocol-relative URLs taken as HTTPS. Other URLs and None come back unchanged."""
    if not url:
        return url
    url = url.strip()
    if CANONICAL_ALREADY.fullmatch(url):  # most article URLs: a fifth of the time
        return url if url.count("/") > 2 else url + "/"
    if url.startswith("//"):
        url = "https:" + url
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return url
    query = urlencode(
        [
            (key, value)
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
            if key.lower() not in TRACKING_PARAMS and not key.lower().startswith(TRACKING_PREFIXES)
        ]
    )
    port = parts.port
    netloc = parts.hostname if port in (None, DEFAULT_PORTS[scheme]) else f"{parts.hostname}:{port}"
    return canonicalize_url(urlunsplit((scheme, netloc, parts.path or "/", query, "")))
