"""landing zone compressed: raw_document.raw_body kept as one zstd frame per page

The column stays binary; ``schemas.types.CompressedBytes`` compresses on the way in and
decompresses on the way out. The upgrade compresses the rows already there, 1,000 at a
time by id; the downgrade decompresses them. A body counts as compressed when it is a zstd
frame whose contents hash to the row's ``content_hash`` (the SHA-256 of the raw bytes), so
a raw page that merely starts with the zstd magic number is still compressed, and a run
that stopped half way can be run again. On SQLite the file keeps its size until ``VACUUM``.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 09:00:00
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import sqlalchemy as sa
import zstandard
from alembic import op

# the same frames the model writes: the one place that says how raw pages are compressed
from schemas.types import ZSTD_MAGIC, compress, decompress

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 1_000
RAW_DOCUMENT = sa.table(
    "raw_document",
    sa.column("id", sa.Integer()),
    sa.column("raw_body", sa.LargeBinary()),
    sa.column("content_hash", sa.String()),
)


def _plain(body: bytes, digest: str) -> bytes | None:
    """The raw bytes of a compressed body, or None where ``body`` is not one."""
    if not body.startswith(ZSTD_MAGIC):
        return None
    try:
        raw = decompress(body)
    except zstandard.ZstdError:
        return None
    return raw if hashlib.sha256(raw).hexdigest() == digest else None


def _compressed(body: bytes, digest: str) -> bytes | None:
    return compress(body) if _plain(body, digest) is None else None


def _rewrite(change: Callable[[bytes, str], bytes | None]) -> None:
    """Apply ``change`` to every body, one chunk of rows by id at a time; None keeps it."""
    bind = op.get_bind()
    table = RAW_DOCUMENT.c
    write = (
        sa.update(RAW_DOCUMENT)
        .where(table.id == sa.bindparam("row_id"))
        .values(raw_body=sa.bindparam("body"))
    )
    last_id = 0
    while True:
        rows = bind.execute(
            sa.select(table.id, table.raw_body, table.content_hash)
            .where(table.id > last_id)
            .order_by(table.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            return
        changed = [
            {"row_id": row_id, "body": body}
            for row_id, stored, digest in rows
            if (body := change(bytes(stored), digest)) is not None
        ]
        if changed:
            bind.execute(write, changed)
        last_id = rows[-1][0]


def upgrade() -> None:
    _rewrite(_compressed)


def downgrade() -> None:
    _rewrite(_plain)
