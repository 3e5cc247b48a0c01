"""The near-duplicate index's layout: how many bands, and the column each band is kept in.

Light on purpose (no SQLAlchemy): the ETL's worker processes compute band keys with it.
"""

from __future__ import annotations

LSH_BANDS = 16
"""Bands of the near-duplicate index, one indexed column each: a measured choice of
precision, recall and index size (docs/benchmarks.md, "Near-duplicate index")."""


def band_column(band: int) -> str:
    """The ``lsh_band`` column holding band ``band``'s key."""
    return f"band_{band}"
