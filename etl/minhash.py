"""MinHash signatures and LSH band keys of a text: what the near-duplicate index is made of.

Chinese has no spaces, so shingles are 5-character windows over the letters, digits and
ideographs of the text (punctuation and spaces left out, so a re-punctuated copy still
matches). Signatures have 64 values by one-permutation hashing (one 64-bit hash per
shingle, the minimum of each of 64 bins), computed with numpy; 16 bands of 4 values give
the band keys. Pure CPU work with no database in sight: the ETL's worker processes import
only this.
"""

from __future__ import annotations

import numpy as np
import xxhash

from etl.text import word_codes
from schemas.lsh import LSH_BANDS

BANDS = LSH_BANDS
ROWS = 4
NUM_PERM = BANDS * ROWS
SHINGLE_CHARS = 5
_HIGH = np.uint64(32)  # (hash >> 32) * NUM_PERM >> 32 picks a bin, in hash order
_VALUE_MASK = np.uint64((1 << 57) - 1)
_POWERS = np.array([pow(1_000_003, k, 2**64) for k in range(SHINGLE_CHARS)], dtype=np.uint64)
_MAX_KEY = 2**63 - 1


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads shingle hashes evenly over 64 bits."""
    with np.errstate(over="ignore"):
        values = values ^ (values >> np.uint64(30))
        values = values * np.uint64(0xBF58476D1CE4E5B9)
        values = values ^ (values >> np.uint64(27))
        values = values * np.uint64(0x94D049BB133111EB)
        return values ^ (values >> np.uint64(31))


def shingle_hashes(text: str) -> np.ndarray:
    """Sorted, distinct 64-bit hashes of the 5-character shingles of ``text``'s word
    characters (the whole text when it is shorter than one shingle)."""
    codes = word_codes(text).astype(np.uint64)
    if len(codes) < SHINGLE_CHARS:
        hashes = np.array([int((codes * _POWERS[: len(codes)]).sum())], dtype=np.uint64)
    else:
        count = len(codes) - SHINGLE_CHARS + 1
        hashes = np.zeros(count, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for offset, power in enumerate(_POWERS):
                hashes += codes[offset : offset + count] * power
    hashes = np.sort(_mix(hashes))
    return hashes[np.concatenate(([True], hashes[1:] != hashes[:-1]))]


def signature(text: str, values: int = NUM_PERM) -> np.ndarray:
    """The MinHash signature of ``text`` by one-permutation hashing: the smallest shingle
    hash in each of ``values`` bins (read off the sorted hashes), empty bins filled from
    the next non-empty one (rotation densification). Equal bins estimate Jaccard similarity
    like ``values`` separate hash functions, at the cost of one hash per shingle. Other
    lengths than ``NUM_PERM`` are for measuring other band counts."""
    hashes = shingle_hashes(text)
    bins = (((hashes >> _HIGH) * np.uint64(values)) >> _HIGH).astype(np.int64)
    first = np.searchsorted(bins, np.arange(values))
    present = np.zeros(values, dtype=bool)
    present[bins] = True
    mins = np.where(present, hashes[np.minimum(first, len(hashes) - 1)] & _VALUE_MASK, 0)
    if not present.all():
        filled = np.flatnonzero(present)
        following = filled[np.searchsorted(filled, np.arange(values)) % len(filled)]
        distance = (following - np.arange(values)) % values
        mins = np.where(present, mins, mins[following] + distance.astype(np.uint64))
    return mins.astype(np.uint64)


def band_keys(sig: np.ndarray) -> list[int]:
    """One 63-bit key per band of ``ROWS`` values (``BANDS`` of a default signature): the
    band number hashed with the band's rows."""
    return [
        xxhash.xxh64_intdigest(sig[b * ROWS : (b + 1) * ROWS].tobytes(), seed=b) & _MAX_KEY
        for b in range(len(sig) // ROWS)
    ]
