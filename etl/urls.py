"""Image URLs freed of their CORS proxy (article URLs: :mod:`schemas.identity`)."""

from __future__ import annotations


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
