"""How articles are identified when a page does not say its own URL."""

from __future__ import annotations

import re

ZAKER_ID_IN_IMAGE = re.compile(r"myzaker\.com/\d{6}/(?P<id>[0-9a-f]{24})_")
ZAKER_ARTICLE_URL = "https://www.myzaker.com/article/{id}"


def zaker_url_from_images(*texts: str | None) -> str | None:
    """The ZAKER article URL rebuilt from the 24-hex article id in its image file names
    (``zkres2.myzaker.com/202108/610ce1ad8e9f0904fe64126a_1024.jpg``), or None."""
    for text in texts:
        if text and (match := ZAKER_ID_IN_IMAGE.search(text)):
            return ZAKER_ARTICLE_URL.format(id=match["id"])
    return None
