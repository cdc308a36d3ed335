"""A reply the network refuses for now is tried again when the network said, not sooner."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from inbox import outbox, scheduler
from inbox.connectors.base import RateLimited, TransientError
from inbox.pipeline import ingest
from inbox.runtime import Runtime
from models import Conversation, Reply, ReplyStatus, Workspace, utcnow
from tests import fakes
from tests.conftest import login
from tests.helpers import item, make_channel


@pytest.fixture(autouse=True)
def _fresh_network() -> None:
    fakes.NETWORK.reset()


def _queue_reply(client: FlaskClient, rt: Runtime, workspace: Workspace) -> int:
    ch = make_channel(rt, workspace.id, network="x", connector="fake")
    with rt.session() as s:
        ingest(s, ch, [item("m1", "Lyon dates?", author="marie")], defer_jobs=False)
        cid = s.scalars(select(Conversation.id)).one()
    csrf = login(client)
    client.post(f"/c/{cid}/reply", data={"text": "March 14!", "csrf_token": csrf})
    with rt.session() as s:
        return s.scalars(select(Reply.id)).one()


def _at(monkeypatch: pytest.MonkeyPatch, when: datetime) -> None:
    """The clock of the outbox and of the scheduler reads ``when``."""
    monkeypatch.setattr(outbox, "utcnow", lambda: when)
    monkeypatch.setattr(scheduler, "utcnow", lambda: when)


def test_a_rate_limited_reply_waits_for_the_networks_retry_after_then_goes(
    client: FlaskClient, rt: Runtime, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    fakes.NETWORK.fail_with = RateLimited("429 Too Many Requests", retry_after=600)
    before = utcnow()
    reply_id = _queue_reply(client, rt, workspace)
    with rt.session() as s:
        reply = s.get_one(Reply, reply_id)
        assert reply.status == ReplyStatus.QUEUED and fakes.NETWORK.sent == []
        assert "429 Too Many Requests (the network asked to wait: not before" in (reply.error or "")
        not_before = reply.updated_at
    assert before + timedelta(seconds=600) <= not_before <= utcnow() + timedelta(seconds=600)
    fakes.NETWORK.fail_with = None

    # Five minutes before that time: the clock does not queue it, and a job queued
    # anyway (a retry, a duplicate) does not send it.
    _at(monkeypatch, not_before - timedelta(minutes=5))
    assert reply_id not in scheduler.tick(rt).replies
    assert outbox.send_reply(rt, reply_id) == ReplyStatus.QUEUED
    assert fakes.NETWORK.sent == []

    # Once the time has passed, the clock queues it again and it is sent once.
    _at(monkeypatch, not_before + scheduler.REQUEUE_QUEUED_AFTER + timedelta(seconds=5))
    assert reply_id in scheduler.tick(rt).replies
    assert [text for _t, text, _k in fakes.NETWORK.sent] == ["March 14!"]
    with rt.session() as s:
        reply = s.get_one(Reply, reply_id)
        assert reply.status == ReplyStatus.SENT and reply.error is None and reply.attempts == 2


def test_a_retry_after_beyond_a_day_is_held_to_a_day() -> None:
    now = utcnow()
    assert outbox.retry_at(10 * 86400, now) == now + outbox.MAX_RETRY_AFTER
    assert outbox.retry_at(0, now) == now + timedelta(seconds=1)


def test_a_passing_failure_without_retry_after_is_left_to_the_queues_backoff(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    fakes.NETWORK.fail_with = TransientError("503 Service Unavailable")
    reply_id = _queue_reply(client, rt, workspace)
    queue = rt.queue
    failures = getattr(queue, "failures", [])
    assert [type(exc) for _job, exc in failures] == [TransientError]  # raised: the queue retries
    with rt.session() as s:
        reply = s.get_one(Reply, reply_id)
        assert reply.status == ReplyStatus.QUEUED and reply.error == "503 Service Unavailable"
        assert reply.updated_at <= utcnow()  # nothing holds it back
    fakes.NETWORK.fail_with = None
    assert outbox.send_reply(rt, reply_id) == ReplyStatus.SENT
