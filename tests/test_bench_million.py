"""The benchmark data set (bench/million.py): shaped as promised and searchable as the app searches."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench import million
from crm.services import conversations as conv_svc
from models import Conversation, Fan, Message, Reply
from models.db import make_engine, make_sessionmaker
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="builds its own SQLite file")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("million") / "small.db"
    million.build(f"sqlite:///{path}", messages=20_000, seed=3)
    return f"sqlite:///{path}"


def test_small_build_has_the_promised_shape_and_word_rates(built: str) -> None:
    maker = make_sessionmaker(make_engine(built))
    with maker() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 20_000
        assert s.scalar(select(func.count()).select_from(Conversation)) == 2_000
        assert s.scalar(select(func.count()).select_from(Fan)) == 4_000
        answered = s.scalar(select(func.count(func.distinct(Reply.conversation_id))))
        assert 0.2 < answered / 2_000 < 0.4
        langs = set(s.scalars(select(Message.lang).distinct()))
        assert {"en", "fr", "es", "de", "pt", "it"} <= langs
        unclassified = s.scalar(
            select(func.count()).where(Message.direction == "inbound", Message.intent.is_(None))
        )
        assert unclassified == 0
        assert s.scalar(select(func.count()).where(Conversation.priority_reasons.is_not(None)))
        common = s.scalar(
            select(func.count()).select_from(Message).where(Message.text.like("%ticket%"))
        )
        assert 0.08 < common / 20_000 < 0.12


def test_small_build_is_searchable_through_the_app_search(built: str) -> None:
    maker = make_sessionmaker(make_engine(built))
    with maker() as s:
        found = s.scalars(
            select(Conversation.id).where(
                conv_svc.search_condition(s, million.WORKSPACE_ID, million.COMMON_WORD)
            )
        ).all()
        with_word = s.scalars(
            select(Message.conversation_id).where(Message.text.like("%ticket%")).distinct()
        ).all()
        assert set(found) == set(with_word)


def test_cached_sqlite_builds_once_and_reuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UNPLUGGED_BENCH_CACHE", str(tmp_path))
    first = million.cached_sqlite(500)
    stamp = first.stat().st_mtime_ns
    assert million.cached_sqlite(500) == first
    assert first.stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [first.name]
