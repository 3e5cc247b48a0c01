"""Term counting with jieba and the idempotent ``article_term`` upsert."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from analytics_seed import Seeded
from sqlalchemy import Engine, delete, select, update

from etl.terms import (
    count_terms,
    index_pending_terms,
    index_terms,
    pending_terms,
    stop_words,
)
from schemas.db import session_scope
from schemas.models import Article, ArticleTerm
from schemas.types import utcnow

REPO = Path(__file__).resolve().parents[2]


def terms_of(engine: Engine, article_id: int) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(ArticleTerm.term, ArticleTerm.count).where(ArticleTerm.article_id == article_id)
        )
        return dict(rows.all())


def test_count_terms_drops_stop_words_single_characters_digits_and_punctuation() -> None:
    counts = count_terms("疫苗 合作\n疫苗，全球，疫苗。我们的2021年！！")
    assert counts == {"疫苗": 3, "合作": 1, "全球": 1}


def test_count_terms_normalises_width_and_case() -> None:
    assert count_terms("ＺＡＫＥＲ报道了5G网络，Zaker") == {
        "zaker": 2,
        "报道": 1,
        "5g": 1,
        "网络": 1,
    }


def test_stop_words_come_from_the_list_in_the_repo() -> None:
    words = stop_words()
    assert {"我们", "因为", "已经"} <= words
    assert not any(w.startswith("#") for w in words)
    assert count_terms("我们因为已经") == {}


def test_jieba_loads_silently() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from etl.terms import count_terms; print(count_terms('健康安全'))"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "Counter({'健康': 1, '安全': 1})"
    assert result.stderr == ""


def test_index_terms_writes_title_and_body_terms(engine: Engine, seeded: Seeded) -> None:
    assert terms_of(engine, seeded.articles["a1"]) == {"疫苗": 3, "合作": 1, "全球": 1}
    assert terms_of(engine, seeded.articles["a3"]) == {"经济": 3, "发展": 1, "合作": 1}
    with engine.connect() as connection:
        total = connection.execute(select(ArticleTerm.article_id)).all()
    assert len(total) == seeded.terms_written == 24


def test_index_terms_is_idempotent_and_follows_edits(engine: Engine, seeded: Seeded) -> None:
    a1, a6 = seeded.articles["a1"], seeded.articles["a6"]
    before = {k: terms_of(engine, v) for k, v in seeded.articles.items()}
    with session_scope(engine) as session:
        assert index_terms(session, list(seeded.articles.values())) == 0
    assert {k: terms_of(engine, v) for k, v in seeded.articles.items()} == before

    with session_scope(engine) as session:
        session.execute(update(Article).where(Article.id == a1).values(body_text="经济，全球"))
        session.execute(update(Article).where(Article.id == a6).values(title="的", body_text="。"))
        # a1: 疫苗 3 -> 1 and 经济 new; a6: its 3 terms deleted
        assert index_terms(session, [a1, a6, a1, 999_999]) == 5
    assert terms_of(engine, a1) == {"疫苗": 1, "合作": 1, "经济": 1, "全球": 1}
    assert terms_of(engine, a6) == {}


def test_terms_go_with_their_article(engine: Engine, seeded: Seeded) -> None:
    a3 = seeded.articles["a3"]
    with session_scope(engine) as session:
        session.execute(delete(Article).where(Article.id == a3))
    assert terms_of(engine, a3) == {}


def test_pending_terms_are_indexed_once_and_again_after_an_edit(
    engine: Engine, seeded: Seeded
) -> None:
    a1 = seeded.articles["a1"]
    with session_scope(engine) as session:
        session.execute(delete(ArticleTerm))
    assert pending_terms(engine) == len(seeded.articles)
    batches: list[int] = []
    assert index_pending_terms(engine, batch_size=4, progress=batches.append) == len(
        seeded.articles
    )
    assert sum(batches) == len(seeded.articles) and max(batches) <= 4
    assert terms_of(engine, a1) == {"疫苗": 3, "合作": 1, "全球": 1}
    assert pending_terms(engine) == 0
    assert index_pending_terms(engine) == 0

    with session_scope(engine) as session:
        session.execute(
            update(Article)
            .where(Article.id == a1)
            .values(body_text="经济，全球", last_updated_at=utcnow() + timedelta(seconds=1))
        )
    assert pending_terms(engine) == 1
    assert index_pending_terms(engine) == 1
    assert terms_of(engine, a1) == {"疫苗": 1, "合作": 1, "经济": 1, "全球": 1}
