"""Sidebar counts are reused for a few seconds, and dropped by the writer's own writes at once."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text, update

from crm.services.count_cache import CountCache, writes_watched_table
from inbox.runtime import Runtime
from models import Conversation, ConversationStatus
from tests.ui.conftest import HX

Login = Callable[[str], tuple[FlaskClient, str]]


def sidebar(client: FlaskClient) -> dict[str, str]:
    html = client.get("/").get_data(as_text=True)
    return dict(re.findall(r'<span class="count" id="count-([\w-]+)">(\d+)</span>', html))


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_counts_are_reused_until_they_are_ttl_seconds_old() -> None:
    clock, calls = Clock(), []
    cache = CountCache(ttl=5, clock=clock)

    def compute() -> dict[str, int]:
        calls.append(clock.now)
        return {"inbox": len(calls)}

    assert cache.get("k", compute) == {"inbox": 1}
    clock.now += 4.9
    assert cache.get("k", compute) == {"inbox": 1}
    assert cache.get("other", compute) == {"inbox": 2}  # each person has their own
    clock.now += 0.2
    assert cache.get("k", compute) == {"inbox": 3}


def test_counts_computed_across_a_write_are_not_kept() -> None:
    cache = CountCache(ttl=5, clock=Clock())

    def compute_while_someone_writes() -> dict[str, int]:
        cache.clear()
        return {"inbox": 1}

    cache.get("k", compute_while_someone_writes)
    assert cache.get("k", lambda: {"inbox": 2}) == {"inbox": 2}


def test_only_writes_to_the_tables_counts_read_are_watched() -> None:
    assert writes_watched_table("UPDATE conversations SET status=? WHERE id=?")
    assert writes_watched_table("insert into conversation_labels (a, b) values (?, ?)")
    assert writes_watched_table("DELETE FROM saved_views WHERE id = %(id)s")
    assert writes_watched_table("UPDATE fans SET segment=?")
    assert not writes_watched_table("SELECT count(*) FROM conversations")
    assert not writes_watched_table("INSERT INTO notes (text) VALUES (?)")
    assert not writes_watched_table("UPDATE users SET name=? WHERE id=?")


def test_a_committed_write_through_the_engine_drops_the_counts(rt: Runtime) -> None:
    calls = []
    key = ("w", 1)
    counts = CountCache()
    counts.watch(rt.engine)
    counts.get(key, lambda: calls.append(1) or {"inbox": 1})
    with rt.engine.begin() as conn:
        conn.execute(text("SELECT 1"))
    counts.get(key, lambda: calls.append(1) or {"inbox": 1})
    assert len(calls) == 1  # a read kept them
    with rt.engine.connect() as conn:
        conn.execute(update(Conversation).where(Conversation.id == -1).values(priority_score=1))
        conn.rollback()
    counts.get(key, lambda: calls.append(1) or {"inbox": 1})
    assert len(calls) == 1  # a write rolled back kept them
    with rt.engine.begin() as conn:
        conn.execute(update(Conversation).where(Conversation.id == -1).values(priority_score=1))
    counts.get(key, lambda: calls.append(1) or {"inbox": 1})
    assert len(calls) == 2


def test_ones_own_triage_shows_in_the_next_counts(ids: dict[str, int], as_user: Login) -> None:
    client, csrf = as_user("owner")
    before = sidebar(client)
    resp = client.post(
        "/bulk/done", data={"ids": [str(ids["ticket"])], "csrf_token": csrf}, headers=HX
    )
    assert resp.status_code == 200
    after = sidebar(client)
    assert int(after["inbox"]) == int(before["inbox"]) - 1
    assert int(after["support"]) == int(before["support"]) - 1


def test_a_write_from_another_process_shows_within_the_ttl(
    ids: dict[str, int], as_user: Login, rt: Runtime, app: Flask
) -> None:
    client, _ = as_user("owner")
    before = sidebar(client)
    other_process = create_engine(rt.settings.database_url)
    try:
        with other_process.begin() as conn:
            conn.execute(
                update(Conversation)
                .where(Conversation.id == ids["ticket"])
                .values(status=ConversationStatus.DONE)
            )
    finally:
        other_process.dispose()
    assert sidebar(client) == before  # this process saw no write: the counts are reused
    app.extensions["unplugged.counts"].ttl = 0.0  # ... until they are ttl seconds old
    assert int(sidebar(client)["inbox"]) == int(before["inbox"]) - 1


def test_a_teammates_triage_shows_within_the_ttl_and_their_own_at_once(
    ids: dict[str, int], as_user: Login, app: Flask
) -> None:
    """A write drops the writer's own counts only: with fifty people triaging, dropping
    everyone's at each write meant recounting on almost every page."""
    owner, _ = as_user("owner")
    agent, csrf = as_user("agent")
    before = sidebar(owner)
    sidebar(agent)
    resp = agent.post(
        "/bulk/done", data={"ids": [str(ids["ticket"])], "csrf_token": csrf}, headers=HX
    )
    assert resp.status_code == 200
    assert int(sidebar(agent)["inbox"]) == int(before["inbox"]) - 1  # the writer's own, at once
    assert sidebar(owner) == before  # a teammate's: reused ...
    app.extensions["unplugged.counts"].ttl = 0.0  # ... until they are ttl seconds old
    assert int(sidebar(owner)["inbox"]) == int(before["inbox"]) - 1


def test_a_write_with_no_writer_named_drops_every_count(rt: Runtime) -> None:
    from crm.services.count_cache import writing_as

    calls = []
    counts = CountCache()
    counts.watch(rt.engine)
    for key in [(1, 1, "UTC"), (1, 2, "UTC")]:
        counts.get(key, lambda: calls.append(1) or {"inbox": 1})
    writing_as(1, 1)
    try:
        with rt.engine.begin() as conn:
            conn.execute(update(Conversation).where(Conversation.id == -1).values(priority_score=1))
    finally:
        writing_as()
    for key in [(1, 1, "UTC"), (1, 2, "UTC")]:
        counts.get(key, lambda: calls.append(1) or {"inbox": 1})
    assert len(calls) == 3  # only the writer's counts were dropped
    with rt.engine.begin() as conn:  # a job or the command line: nobody named
        conn.execute(update(Conversation).where(Conversation.id == -1).values(priority_score=1))
    for key in [(1, 1, "UTC"), (1, 2, "UTC")]:
        counts.get(key, lambda: calls.append(1) or {"inbox": 1})
    assert len(calls) == 5
