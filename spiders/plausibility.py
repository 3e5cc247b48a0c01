"""Whether decoded text can be a Chinese page as written, or is what a wrong charset makes
of one: replacement characters where bytes did not decode, or mojibake (Latin-1 letters and
C1 controls where ideographs should be: a GBK or UTF-8 page read as latin-1 decodes without
a single error). Pages with little non-ASCII text (English, markup only) are not judged.
"""

from __future__ import annotations

import re

NON_ASCII = re.compile(r"[^\x00-\x7f]")
LATIN = re.compile(r"[\x80-\u024f]")  # C1 controls, Latin-1 supplement, Latin extended
MIN_NON_ASCII = 20  # fewer non-ASCII characters than this say nothing about the charset
MAX_REPLACED_SHARE = 0.1  # of non-ASCII characters: U+FFFD
MAX_LATIN_SHARE = 0.5  # of non-ASCII characters: Latin-1 and Latin extended letters


def implausible(text: str) -> str | None:
    """Why ``text`` is not a readable Chinese page (None when it may be one)."""
    non_ascii = len(NON_ASCII.findall(text))
    if non_ascii < MIN_NON_ASCII:
        return None
    replaced = text.count("\ufffd")
    if replaced > MAX_REPLACED_SHARE * non_ascii:
        return f"{replaced} of {non_ascii} non-ASCII characters did not decode"
    latin = len(LATIN.findall(text))
    if latin > MAX_LATIN_SHARE * non_ascii:
        return f"{latin} of {non_ascii} non-ASCII characters are Latin-1 letters: mojibake"
    return None
