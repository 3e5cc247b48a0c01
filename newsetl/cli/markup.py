"""Data on its way into Rich: markup escaped, control characters out.

Rich reads ``[...]`` in any string it prints as markup, so a title such as ``[update] 新闻``
would lose its first word and ``a[/b]c`` would crash the command; a file name holding
terminal escape codes would drive the terminal. Every value that comes from the data
(titles, file names, query results, reasons quoting them) passes through :func:`shown`.
"""

from __future__ import annotations

import re
from typing import Any

from rich.markup import escape

# C0 and C1 controls, DEL, and the bidirectional overrides; tabs and newlines stay
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def shown(value: Any) -> str:
    """``value`` as text Rich prints literally, with control characters shown as ``�``."""
    return escape(CONTROL.sub("\ufffd", str(value)))
