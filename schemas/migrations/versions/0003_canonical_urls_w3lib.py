"""canonical URLs in w3lib's form; run health says why a run ended as it did

Re-keys every article whose canonical URL is not in the form :func:`schemas.identity.
canonical_url` now gives (query sorted, ``../`` resolved, non-ASCII percent-encoded,
``fbclid`` and other tracking parameters dropped). Publisher forms (ZAKER's one article URL)
were already folded by the previous rule and stay. Two articles whose URLs now meet: the one
already holding the key, else the older, keeps it; the other keeps its old key and becomes
a duplicate of it (``duplicate_of``), so nothing is lost. ``v_run_health`` gains ``message``
(a degraded crawl's reason). Downgrading keeps the new keys.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 06:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from schemas.identity import canonical_url
from schemas.views import drop_view_statements

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ARTICLE = sa.table(
    "article",
    sa.column("id", sa.Integer),
    sa.column("canonical_url", sa.String),
    sa.column("duplicate_of", sa.Integer),
)


def rekey(connection: sa.Connection) -> tuple[int, int]:
    """Re-key the articles; returns (re-keyed, kept apart as duplicates)."""
    rows = connection.execute(
        sa.select(ARTICLE.c.id, ARTICLE.c.canonical_url, ARTICLE.c.duplicate_of).order_by(
            ARTICLE.c.id
        )
    ).all()
    holder = {url: id_ for id_, url, _ in rows}
    moves: dict[int, str] = {}
    duplicates: dict[int, int] = {}
    for id_, url, duplicate_of in rows:
        new = canonical_url(url)
        if new is None or new == url:
            continue
        owner = holder.get(new)  # rows come oldest first: an owner is older or already there
        if owner is None:
            holder[new] = id_
            moves[id_] = new
        elif duplicate_of is None:
            duplicates[id_] = owner
    # two steps, so that no key is held twice between single-row updates
    for id_ in moves:
        connection.execute(
            sa.update(ARTICLE).where(ARTICLE.c.id == id_).values(canonical_url=f"rekey:{id_}")
        )
    for id_, new in moves.items():
        connection.execute(sa.update(ARTICLE).where(ARTICLE.c.id == id_).values(canonical_url=new))
    for id_, owner in duplicates.items():
        connection.execute(sa.update(ARTICLE).where(ARTICLE.c.id == id_).values(duplicate_of=owner))
    return len(moves), len(duplicates)


def _drop_views() -> None:
    """The views read tables of later revisions: the newest revision that changed them
    (0005) creates them."""
    for statement in drop_view_statements():
        op.execute(statement)


def upgrade() -> None:
    rekey(op.get_bind())
    _drop_views()


def downgrade() -> None:
    _drop_views()
