"""The services under the app fail while it works: Redis restarts, PostgreSQL restarts.

Real ``unplugged worker`` processes (rq, as the Procfile runs them) sync a slow
Mastodon and send replies while the test restarts a Redis or a PostgreSQL of its
own (:mod:`tests.own_services`; the suite's shared services are left alone). After
each: every mention stored once, every reply posted once, the work resumed by
itself, and the Channels page says what happened.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select

from crm.app import create_app
from inbox import outbox
from inbox.queue import defer
from inbox.runtime import Runtime, build_runtime, set_runtime
from models import (
    Channel,
    Conversation,
    Direction,
    Incident,
    IncidentKind,
    Message,
    Reply,
    ReplyStatus,
)
from tests.conftest import PG_URL, _reset_schema, login, make_settings
from tests.own_services import OwnPostgres, OwnRedis, start_worker
from tests.test_worker_crash import SlowMastodon

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not PG_URL, reason="the PostgreSQL pass of .ci/run runs these (production's services)"
    ),
]
ROOT = Path(__file__).resolve().parent.parent
BUDGET_S = 240
MENTIONS = 800


@pytest.fixture
def redis() -> Iterator[OwnRedis]:
    own = OwnRedis().start()
    yield own
    own.kill()


@pytest.fixture
def slow(httpserver: HTTPServer) -> Iterator[SlowMastodon]:
    instance = SlowMastodon(httpserver)
    instance.page_delay = 1.0
    yield instance
    httpserver.clear()


def _runtime(tmp_path: Path, database_url: str, redis_url: str) -> Runtime:
    settings = replace(
        make_settings(tmp_path), database_url=database_url, jobs_mode="rq", redis_url=redis_url
    )
    rt = build_runtime(settings)
    _reset_schema(rt)
    set_runtime(rt)
    return rt


def _stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)


def _setup(rt: Runtime, slow: SlowMastodon) -> tuple[int, int, list[str]]:
    """A band, its owner, a Mastodon channel with MENTIONS waiting, and a sync queued."""
    from crm.services import accounts
    from inbox import jobs
    from models import Role
    from tests.conftest import PASSWORD

    fans = [slow.add_account(f"fan{n}") for n in range(30)]
    posted = [slow.mention(fans[i % 30], f"mention {i}")["id"] for i in range(MENTIONS)]
    with rt.session() as s:
        ws = accounts.create_workspace(s, "Band")
        owner = accounts.create_user(s, "owner@example.org", "Olive Owner", PASSWORD)
        accounts.add_member(s, ws, owner, Role.OWNER)
        channel = Channel(
            workspace_id=ws.id,
            network="mastodon",
            connector="mastodon",
            handle=f"artist@{slow.domain}",
            external_id=slow.artist["id"],
            base_url=slow.url,
            credentials_encrypted=rt.box.encrypt({"access_token": slow.token}),
            options={"timeout": 10, "context_lookups": 0},
            cursor={"min_id": "1"},
            sync_interval_s=3600,
        )
        s.add(channel)
        s.flush()
        defer(s, jobs.sync_channel, channel.id, queue="sync", job_id=f"sync-channel-{channel.id}")
        return channel.id, owner.id, posted


def _count(rt: Runtime, what: type) -> int:
    with rt.session() as s:
        return int(s.scalar(select(func.count()).select_from(what)) or 0)


def _wait(condition: Callable[[], bool], budget: float, what: str) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > budget:
            raise AssertionError(f"{what}: not after {budget:.0f} s")
        time.sleep(0.5)
    return time.monotonic() - started


def _queue_reply(rt: Runtime, owner_id: int, nth: int) -> int:
    """A reply to the nth stored fan message (its own conversation's message)."""
    with rt.session() as s:
        message = s.scalars(
            select(Message)
            .where(Message.direction == Direction.INBOUND)
            .order_by(Message.id)
            .offset(nth)
            .limit(1)
        ).one()
        conversation = s.get_one(Conversation, message.conversation_id)
        queued = outbox.queue_reply(
            s,
            conversation,
            owner_id,
            f"Thank you, see you at the show ({nth})!",
            in_reply_to_id=message.id,
        )
        return queued.reply_id


def _posts_answering(slow: SlowMastodon, rt: Runtime, reply_id: int) -> int:
    with rt.session() as s:
        reply = s.get_one(Reply, reply_id)
        parent = s.get_one(Message, reply.in_reply_to_id)
        parent_id = parent.external_id
    return sum(
        1
        for st in slow.statuses.values()
        if st["account"]["id"] == slow.artist["id"] and st.get("in_reply_to_id") == parent_id
    )


def _all_sent(rt: Runtime, ids: list[int]) -> bool:
    with rt.session() as s:
        return all(s.get_one(Reply, i).status == ReplyStatus.SENT for i in ids)


def _assert_exactly_once(
    rt: Runtime, slow: SlowMastodon, posted: list[str], replies: list[int]
) -> None:
    with rt.session() as s:
        ids = s.scalars(
            select(Message.external_id).where(Message.direction == Direction.INBOUND)
        ).all()
    assert len(ids) == len(set(ids)), "a mention was stored twice"
    assert set(ids) == set(posted), f"{len(set(posted) - set(ids))} mentions lost"
    for rid in replies:
        assert _posts_answering(slow, rt, rid) == 1, f"reply {rid} posted other than once"


def _channels_page(rt: Runtime) -> str:
    app = create_app(runtime=rt)
    app.config["TESTING"] = True
    client = app.test_client()
    login(client)
    return client.get("/settings/channels").get_data(as_text=True)


def test_a_redis_restart_during_a_sync_and_a_send_loses_and_doubles_nothing(
    tmp_path: Path, redis: OwnRedis, slow: SlowMastodon
) -> None:
    assert PG_URL
    rt = _runtime(tmp_path, PG_URL, redis.url)
    _, owner_id, posted = _setup(rt, slow)
    worker = start_worker(rt, tmp_path / "worker.log")
    try:
        _wait(lambda: _count(rt, Message) >= 100, 120, "the worker never got going")
        before = _queue_reply(rt, owner_id, 0)  # its job is in Redis when Redis goes
        redis.kill()
        # While Redis is down a person still replies: stored, no error, queued later.
        during = _queue_reply(rt, owner_id, 1)
        time.sleep(3)
        redis.start()
        assert _count(rt, Message) < MENTIONS, "the sync finished before the restart"
        recovered = _wait(
            lambda: _count(rt, Message) >= MENTIONS and _all_sent(rt, [before, during]),
            BUDGET_S,
            "work did not resume after the Redis restart",
        )
        assert worker.poll() is None, "the worker died with Redis"
    finally:
        _stop(worker)
    _assert_exactly_once(rt, slow, posted, [before, during])
    with rt.session() as s:
        outage = s.scalars(
            select(Incident).where(Incident.kind == IncidentKind.QUEUE_UNREACHABLE)
        ).all()
    assert outage and all(i.ended_at is not None for i in outage)
    assert "The job queue (Redis) did not answer" in _channels_page(rt)
    print(f"resumed {recovered:.0f}s after Redis came back")
    set_runtime(None)
    rt.close()


@pytest.mark.skipif(not OwnPostgres.available(), reason="PostgreSQL's server binaries")
def test_a_postgresql_restart_during_a_sync_and_a_send_loses_and_doubles_nothing(
    tmp_path: Path, redis: OwnRedis, slow: SlowMastodon
) -> None:
    pg = OwnPostgres().init().start()
    try:
        rt = _runtime(tmp_path, pg.url, redis.url)
        channel_id, owner_id, posted = _setup(rt, slow)
        worker = start_worker(rt, tmp_path / "worker.log")
        try:
            _wait(lambda: _count(rt, Message) >= 100, 120, "the worker never got going")
            replies = [_queue_reply(rt, owner_id, n) for n in range(3)]
            pg.restart(down_for=3)
            assert _count(rt, Message) < MENTIONS, "the sync finished before the restart"
            recovered = _wait(
                lambda: _count(rt, Message) >= MENTIONS and _all_sent(rt, replies),
                BUDGET_S,
                "work did not resume after the PostgreSQL restart",
            )
            assert worker.poll() is None, "the worker died with the database"
        finally:
            _stop(worker)
        _assert_exactly_once(rt, slow, posted, replies)
        with rt.session() as s:
            outage = s.scalars(
                select(Incident).where(Incident.kind == IncidentKind.DATABASE_UNREACHABLE)
            ).all()
            channel = s.get_one(Channel, channel_id)
            assert channel.sync_lease_owner is None or channel.sync_lease_until is not None
        assert outage and all(i.ended_at is not None for i in outage)
        assert "The database did not answer" in _channels_page(rt)
        print(f"resumed {recovered:.0f}s after PostgreSQL came back")
        set_runtime(None)
        rt.close()
    finally:
        pg.destroy()
