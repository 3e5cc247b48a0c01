"""Decide the character encoding of a fetched page or a local file as a browser would.

Order (WHATWG): a byte-order mark, then the charset of the HTTP ``Content-Type`` header, then
a ``<meta charset>`` / ``<meta http-equiv="Content-Type">`` (or an XML declaration) in the first
bytes, and only then byte statistics (charset-normalizer). Byte sniffing alone misreads short
Chinese pages, so a declaration wins unless the bytes cannot be read with it. The GB family
(``gb2312``, ``gbk``, ``x-gbk``, ``gb18030``) decodes as ``gb18030``, the superset browsers use
for all of those labels.
"""

from __future__ import annotations

import codecs
import re

from spiders.plausibility import implausible

PRESCAN_BYTES = 4096
HEAD_END = re.compile(rb"</head\s*>|<body[\s>]", re.IGNORECASE)
MAX_HEAD_BYTES = 64 * 1024
BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*(?P<charset>[a-z0-9_.:-]+)""", re.IGNORECASE
)
XML_DECLARATION = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["'](?P<charset>[a-z0-9_.:-]+)""", re.I)
HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?(?P<charset>[a-z0-9_.:-]+)""", re.IGNORECASE)
CHINESE = {"gb18030", "big5hkscs"}
# The commonest Han characters of each Chinese encoding: GB2312 level 1 (lead bytes B0-D7)
# and Big5's frequent characters (lead bytes A4-C6). Text read with the wrong one of the two
# decodes (both accept most byte pairs) lands mostly outside these rows.
COMMON_ROWS = {"gb18030": ("gb2312", 0xB0, 0xD7), "big5hkscs": ("big5", 0xA4, 0xC6)}
MIN_COMMON_SHARE = 0.75
MAX_BAD_CHARACTERS = 3  # a CMS that cut a character in half, a stray byte
SNIFF_BYTES = 64 * 1024
GB_FAMILY = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn", "csgb2312", "chinese"}


def normalise(label: str | None) -> str | None:
    """A Python codec name for an encoding label, or None when Python does not know it."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    if name in GB_FAMILY or name.replace("_", "-") in GB_FAMILY:
        return "gb18030"
    try:
        codec = codecs.lookup(name)
    except LookupError:
        return None
    if codec.name in ("gbk", "gb2312", "gb18030"):
        return "gb18030"
    if codec.name == "big5":
        return "big5hkscs"
    return "utf-8" if codec.name == "utf-8" else codec.name


def bom_encoding(body: bytes) -> str | None:
    """The encoding a byte-order mark names, if the body starts with one."""
    for bom, name in BOMS:
        if body.startswith(bom):
            return name
    return None


def header_encoding(content_type: str | bytes | None) -> str | None:
    """The charset named by a ``Content-Type`` header value."""
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    match = HEADER_CHARSET.search(content_type or "")
    return normalise(match["charset"]) if match else None


def declared_encoding(body: bytes) -> str | None:
    """The charset a page declares in its head (``<meta>`` or XML declaration): in its first
    4 KB, or further up to ``</head>`` when long inline styles or scripts push it down."""
    head_end = HEAD_END.search(body, 0, MAX_HEAD_BYTES)
    head = body[: max(PRESCAN_BYTES, head_end.start() if head_end else 0)]
    for pattern in (META_CHARSET, XML_DECLARATION):
        if (match := pattern.search(head)) and (name := normalise(match["charset"].decode())):
            # A page that says UTF-16 in ASCII bytes is not UTF-16 (browsers agree).
            return "utf-8" if name.startswith("utf-16") else name
    return None


def _reads(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _common_share(text: str, encoding: str) -> float:
    """Share of the Han characters of ``text`` among the commonest of ``encoding``."""
    codec, first, last = COMMON_ROWS[encoding]
    han = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    common = 0
    for character in han:
        try:
            common += first <= character.encode(codec)[0] <= last
        except UnicodeEncodeError:
            continue
    return common / len(han) if han else 0.0


def chinese_encoding(body: bytes) -> str | None:
    """GB18030 or Big5 when one of them reads ``body`` as common Chinese text, with at most
    a few undecodable bytes (replaced when decoding): a page with one truncated character
    is still Chinese, not the Cyrillic a byte-statistics guess makes of it."""
    sample = body[:SNIFF_BYTES]
    for encoding in ("gb18030", "big5hkscs"):
        text = sample.decode(encoding, errors="replace")
        bad = text.count("\ufffd")
        if bad <= MAX_BAD_CHARACTERS and _common_share(text, encoding) >= MIN_COMMON_SHARE:
            return encoding
    return None


def sniffed_encoding(body: bytes) -> str:
    """The encoding byte statistics suggest; UTF-8 when nothing fits better.

    Short CJK texts read equally well as GBK, Big5 or Korean: a Chinese encoding that reads
    them as common characters wins, then among the candidates that read the bytes with the
    least chaos, a Chinese encoding wins.
    """
    if _reads(body, "utf-8"):
        return "utf-8"
    if chinese := chinese_encoding(body):
        return chinese
    from charset_normalizer import from_bytes  # byte statistics: the last resort, slow to import

    candidates = [
        (round(match.chaos, 2), name not in CHINESE, name)
        for match in from_bytes(body[:SNIFF_BYTES])
        if (name := normalise(match.encoding))
    ]
    return min(candidates)[2] if candidates else "utf-8"


def detect_encoding(body: bytes, content_type: str | bytes | None = None) -> str:
    """The encoding to decode ``body`` with: BOM, header, declaration, then sniffing.

    A declaration the bytes contradict (a GBK page labelled UTF-8), or that makes mojibake
    of them (a UTF-8 page labelled latin-1, see :mod:`spiders.plausibility`), gives way to
    sniffing when the sniffed encoding reads the bytes cleanly.
    """
    if bom := bom_encoding(body):
        return bom
    declared = header_encoding(content_type) or declared_encoding(body)
    if declared and _reads(body, declared) and not implausible(body.decode(declared)):
        return declared
    sniffed = sniffed_encoding(body)
    return sniffed if declared is None or _reads(body, sniffed) else declared


def decode(body: bytes, content_type: str | bytes | None = None) -> tuple[str, str]:
    """``body`` as text and the encoding used; bytes the encoding cannot read are replaced."""
    encoding = detect_encoding(body, content_type)
    text = body.decode(encoding, errors="replace")
    return text.removeprefix("\ufeff"), encoding
