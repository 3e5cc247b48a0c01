"""Plain-text rules: whitespace normalisation, boilerplate lines, CJK share, text identity."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

SPACES = re.compile(r"[ \t\r\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
INVISIBLE = re.compile(f"[{INVISIBLE_CHARS}]")
# whitespace str.split() splits on that SPACES leaves alone (line breaks and separators)
OTHER_WHITESPACE = "\n\x1c\x1d\x1e\x1f\x85\u2028\u2029"
CJK_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FFFF))
PUNCTUATION_RANGES = (
    (0xD7, 0xD7), (0xF7, 0xF7), (0x2000, 0x2BFF), (0x3000, 0x303F), (0xFE30, 0xFE4F),
    (0xFF00, 0xFF0F), (0xFF1A, 0xFF20), (0xFF3B, 0xFF40), (0xFF5B, 0xFF65),
)  # fmt: skip

BOILERPLATE = re.compile(
    r"^[（(]?\s*(?:责任编辑|责编|编辑)\s*[：:].*$"
    r"|^原标题\s*[：:].*$"
    r"|^点击(?:进入|查看)专题.*$"
)
ORIGIN_LINE = re.compile(r"^[（(]?\s*(?:来源|來源)\s*[：:]\s*(?P<value>[^）)]{1,60}?)\s*[）)]?$")
BYLINE = re.compile(r"^[（(]?\s*(?:作者|文|记者)\s*[：:|｜]\s*(?P<value>[^）)]{1,40}?)\s*[）)]?$")
# how every line the three patterns above match starts: one test for most paragraphs
BOILERPLATE_START = re.compile(
    r"[（(]?\s*(?:责任编辑|责编|编辑|原标题|点击|来源|來源|作者|文|记者)"
)


def normalise_line(text: str) -> str:
    """One line of text: zero-width characters out, every run of spaces (ideographic,
    no-break, ...) one ASCII space, ends stripped. Punctuation is left as written."""
    return SPACES.sub(" ", INVISIBLE.sub("", text)).strip()


def normalise_lines(lines: list[str]) -> list[str]:
    """:func:`normalise_line` of each line, at a third of the cost: lines are joined by a
    NUL (no space run crosses one; lines holding a NUL go one by one), scanned once for
    invisible characters, and split by ``str.split``, which splits on the very characters
    of :data:`SPACES`, unless the lines hold whitespace it also splits on
    (:data:`OTHER_WHITESPACE`)."""
    joined = "\0".join(lines)
    if not lines or joined.count("\0") != len(lines) - 1:
        return [normalise_line(line) for line in lines]
    if any(char in joined for char in INVISIBLE_CHARS):
        joined = INVISIBLE.sub("", joined)
    if any(char in joined for char in OTHER_WHITESPACE):
        return [SPACES.sub(" ", line).strip() for line in joined.split("\0")]
    return [" ".join(line.split()) for line in joined.split("\0")]


@dataclass
class Paragraphs:
    """Body paragraphs with boilerplate lines taken out, and what those lines named."""

    kept: list[str]
    author: str | None = None
    origin: str | None = None


def strip_boilerplate(paragraphs: list[str]) -> Paragraphs:
    """Drop editor credits, ``原标题``, ``点击进入专题`` and source/byline lines; the byline
    and the source they name are returned as fields."""
    result = Paragraphs(kept=[])
    for paragraph in paragraphs:
        if not BOILERPLATE_START.match(paragraph):
            result.kept.append(paragraph)
            continue
        if BOILERPLATE.match(paragraph):
            continue
        if match := ORIGIN_LINE.match(paragraph):
            result.origin = result.origin or match["value"]
            continue
        if match := BYLINE.match(paragraph):
            result.author = result.author or match["value"]
            continue
        result.kept.append(paragraph)
    return result


OTHER, WORD, LATIN, CJK = 0, 1, 2, 3


def _class_table() -> np.ndarray:
    """Character class of every BMP code point: not a word character, word, Latin, CJK."""
    table = np.zeros(0x10000, dtype=np.uint8)
    table[0xC0:] = WORD
    for low, high in PUNCTUATION_RANGES:
        table[low : high + 1] = OTHER
    table[ord("0") : ord("9") + 1] = WORD
    table[ord("A") : ord("Z") + 1] = LATIN
    table[ord("a") : ord("z") + 1] = LATIN
    for low, high in CJK_RANGES:
        table[low : min(high, 0xFFFF) + 1] = CJK
    return table


_CLASSES = _class_table()


@lru_cache(maxsize=1)  # the clean step asks for a body's script, then for its shingles
def _classes(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Code points of ``text`` and their classes (astral planes: CJK extensions, or word);
    read-only arrays."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    classes = _CLASSES[np.minimum(codes, 0xFFFF)]
    astral = codes > 0xFFFF
    if astral.any():
        classes = classes.copy()
        classes[astral] = np.where(
            (codes[astral] >= 0x20000) & (codes[astral] <= 0x2FFFF), CJK, WORD
        )
    classes.flags.writeable = False  # cached: shared by the callers
    return codes, classes


def word_codes(text: str) -> np.ndarray:
    """The code points of ``text`` without whitespace, punctuation and symbols: what
    near-duplicate shingles are made of, so re-punctuated copies still match."""
    codes, classes = _classes(text)
    return codes[classes != OTHER]


@dataclass(frozen=True)
class Script:
    """How much of a text is CJK, and the language that suggests."""

    cjk_share: float  # CJK ideographs among letters, digits and ideographs
    language: str | None  # zh when most are CJK, en when most are Latin letters


def script_of(text: str) -> Script:
    """The CJK share and language of ``text``."""
    counts = np.bincount(_classes(text)[1], minlength=4)
    words = int(counts[WORD] + counts[LATIN] + counts[CJK])
    if not words:
        return Script(0.0, None)
    share = int(counts[CJK]) / words
    language = "zh" if share >= 0.5 else "en" if counts[LATIN] / words >= 0.5 else None
    return Script(share, language)


def text_hash(text: str) -> str:
    """SHA-256 of the text with all whitespace removed: equal for equal wording however
    paragraphs and spaces were laid out."""
    return hashlib.sha256("".join(text.split()).encode("utf-8")).hexdigest()
