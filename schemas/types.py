"""Column types shared by the warehouse models."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import zstandard
from sqlalchemy import DateTime, LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    PostgreSQL keeps ``timestamptz``; SQLite has no zone, so values are stored as naive UTC
    and come back with ``tzinfo=UTC``. Naive datetimes are refused on the way in: a
    timestamp whose zone is unknown is a bug upstream, not something to guess here.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give it a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# level 3: 92-96% of level 19's ratio at 25x its speed (docs/benchmarks.md, landing zone)
ZSTD_LEVEL = 3
_contexts = threading.local()  # zstd contexts are not thread safe: one pair per thread


def _compressor() -> zstandard.ZstdCompressor:
    if (compressor := getattr(_contexts, "compressor", None)) is None:
        compressor = _contexts.compressor = zstandard.ZstdCompressor(
            level=ZSTD_LEVEL, write_content_size=True
        )
    return compressor


def _decompressor() -> zstandard.ZstdDecompressor:
    if (decompressor := getattr(_contexts, "decompressor", None)) is None:
        decompressor = _contexts.decompressor = zstandard.ZstdDecompressor()
    return decompressor


def compress(raw: bytes) -> bytes:
    """One zstd frame of ``raw`` at ``ZSTD_LEVEL``, its size in the header."""
    return _compressor().compress(raw)


def decompress(stored: bytes) -> bytes:
    """The bytes a zstd frame holds; bytes that do not start with the zstd magic number are
    not compressed (written before migration 0007) and come back as they are."""
    if not stored.startswith(ZSTD_MAGIC):
        return stored
    return _decompressor().decompress(stored)


class CompressedBytes(TypeDecorator[bytes]):
    """Bytes stored as one zstd frame, read back as the plain bytes.

    Compression is transparent to the ORM and Core alike; reading also accepts plain bytes
    (rows from before migration 0007, or a table it has not finished).
    """

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        return None if value is None else compress(bytes(value))

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        return None if value is None else decompress(bytes(value))


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)
