"""Long value lists as one query parameter (``etl.chunks.one_of``): the rows selected are
the rows whose value is in the list, whatever the values hold."""

from __future__ import annotations

import pytest
from etl_items import land_items, news_item
from sqlalchemy import BigInteger, Engine, func, select

from etl.chunks import one_of, pg_array
from schemas.db import make_engine, session_scope
from schemas.models import EtlDocument, Source


def test_one_of_selects_the_rows_whose_value_is_listed(engine: Engine) -> None:
    ids = land_items(engine, [news_item(n) for n in range(6)])
    wanted = [ids[0], ids[3], ids[5], max(ids) + 100, -7]  # and ids no document has
    with session_scope(engine) as session:
        (condition,) = one_of(session, EtlDocument.raw_document_id, wanted)
        found = session.scalars(select(EtlDocument.raw_document_id).where(condition)).all()
        assert sorted(found) == [ids[0], ids[3], ids[5]]
        assert one_of(session, EtlDocument.raw_document_id, []) == []


def test_one_of_text_values_with_separators_and_quotes(engine: Engine) -> None:
    names = ["a,b", 'say "hi"', "back\\slash", "{braces}", "新华网"]
    with session_scope(engine) as session:
        session.add_all(Source(slug=name, name=name, kind="site") for name in names)
        session.flush()
        (condition,) = one_of(session, Source.slug, [*names[1:], "absent"])
        assert sorted(session.scalars(select(Source.slug).where(condition))) == sorted(names[1:])


@pytest.mark.postgres
def test_integer_arrays_reach_postgresql_whole(postgres_database: str) -> None:
    values = [-(2**63), -1, 0, 7, 2**63 - 1]
    engine = make_engine(postgres_database)
    with engine.connect() as connection:
        unnested = select(func.unnest(pg_array(BigInteger(), values)))
        assert connection.scalars(unnested).all() == values
    engine.dispose()
