"""A send cut off at any step ends with the reply on the network exactly once.

The crash is injected in process (a ``SimulatedCrash`` that no ``except``
clause of the outbox catches, raised where a SIGKILL would stop the worker):
before the request, after the network accepted the reply but before the
database knew, and after the database recorded it. The "restarted worker" is
the outbox's job called again once the dead attempt is stale, as the clock's
reaper does. Twenty times per step and per kind of network: Mastodon (the
network dedupes by our Idempotency-Key) and X (no key: the outbox looks for the
earlier attempt among the account's tweets before any resend), each against
its local fake server through the real connector.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import select

from inbox import outbox, sync
from inbox.connectors import build
from inbox.connectors.base import ChannelConfig, SentReply
from inbox.pipeline import ChannelRef, ingest
from inbox.runtime import Runtime
from models import Conversation, Reply, ReplyStatus, SendDecision, User, Workspace, utcnow
from tests.connectors.fake_mastodon import FakeMastodon
from tests.connectors.fake_x import FakeX
from tests.helpers import item, make_channel

REPEAT = 20
STEPS = ("before_request", "network_took_it", "after_record")


class SimulatedCrash(BaseException):
    """Where the worker dies: not an Exception, so no error handling runs."""


class Network:
    """One fake network, its real connector, and how to count what it holds."""

    def __init__(self, kind: str, server: HTTPServer) -> None:
        self.kind = kind
        if kind == "x":
            self.x = FakeX(server)
            self.x.add_user("2000", "fan_one", "Fan One")
        else:
            self.m = FakeMastodon(server)
            self.fan = self.m.add_account("fan_one")

    def fan_message(self, n: int) -> str:
        if self.kind == "x":
            return str(self.x.post("2000", f"@artist question {n}?")["id"])
        return str(self.m.mention(self.fan, f"question {n}?")["id"])

    def config(self, channel_id: int) -> ChannelConfig:
        if self.kind == "x":
            return ChannelConfig(
                channel_id=channel_id,
                network="x",
                handle="artist",
                external_id=self.x.me_id,
                credentials={"access_token": "good-token"},
                base_url=self.x.base_url,
                options={"timeout": 1.5},
            )
        return ChannelConfig(
            channel_id=channel_id,
            network="mastodon",
            handle=f"artist@{self.m.domain}",
            external_id=self.m.artist["id"],
            credentials={"access_token": self.m.token},
            base_url=self.m.url,
            options={"timeout": 1.5},
        )

    def copies(self, parent: str, text: str) -> int:
        """How many replies with ``text`` under ``parent`` the network holds."""
        if self.kind == "x":
            return sum(
                1
                for t in self.x.tweets.values()
                if t.get("author_id") == self.x.me_id
                and t["text"] == text
                and any(r.get("id") == parent for r in t.get("referenced_tweets", []))
            )
        return sum(
            1
            for s in self.m.statuses.values()
            if s.get("in_reply_to_id") == parent and text in str(s.get("content", ""))
        )


@pytest.fixture(params=["mastodon", "x"])
def network(request: pytest.FixtureRequest, httpserver: HTTPServer) -> Iterator[Network]:
    yield Network(str(request.param), httpserver)
    httpserver.clear()


def _queue(rt: Runtime, ch: ChannelRef, net: Network, n: int) -> tuple[int, str, str]:
    parent = net.fan_message(n)
    with rt.session() as s:
        ingest(s, ch, [item(parent, f"question {n}?", author="fan_one")], defer_jobs=False)
    with rt.session() as s:
        conv = s.scalars(
            select(Conversation).where(Conversation.external_thread_id == parent)
        ).one()
        author = s.scalars(select(User.id).order_by(User.id)).first()
        assert author is not None
        text = f"Thank you for question {n}, see you in Lyon"
        queued = outbox.queue_reply(s, conv, author, text)
    return queued.reply_id, parent, text


def _crash_at(step: str, monkeypatch: pytest.MonkeyPatch, net: Network) -> Callable[[], None]:
    """Arrange for the next send to die at ``step``; returns the undo."""
    real_build = sync.build_connector
    real_record = outbox._record_sent

    def build_crashing(rt: Runtime, channel: Any) -> Any:
        connector = build(channel.connector, net.config(channel.id))
        send = connector.send_reply

        def send_then_maybe_die(target: Any, text: str, key: str) -> SentReply:
            if step == "before_request":
                raise SimulatedCrash
            sent = send(target, text, key)
            if step == "network_took_it":
                raise SimulatedCrash
            return sent

        connector.send_reply = send_then_maybe_die  # type: ignore[method-assign,assignment]
        return connector

    def record_then_die(rt: Runtime, reply_id: int, sent: SentReply) -> None:
        real_record(rt, reply_id, sent)
        raise SimulatedCrash

    monkeypatch.setattr(sync, "build_connector", build_crashing)
    if step == "after_record":
        monkeypatch.setattr(outbox, "_record_sent", record_then_die)

    def restore() -> None:
        monkeypatch.setattr(outbox, "_record_sent", real_record)
        monkeypatch.setattr(
            sync,
            "build_connector",
            lambda rt, channel: build(channel.connector, net.config(channel.id)),
        )

    _ = real_build
    return restore


@pytest.mark.parametrize("step", STEPS)
def test_a_send_killed_at_any_step_posts_exactly_once_after_restart(
    rt: Runtime,
    workspace: Workspace,
    network: Network,
    step: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # This test is the worker: the queue gets nothing, the test calls the job.
    monkeypatch.setattr(outbox, "defer", lambda *a, **k: None)
    ch = make_channel(rt, workspace.id, network=network.kind, connector=network.kind)
    decisions: list[SendDecision | None] = []
    for n in range(REPEAT):
        reply_id, parent, text = _queue(rt, ch, network, n)
        restore = _crash_at(step, monkeypatch, network)
        with pytest.raises(SimulatedCrash):
            outbox.send_reply(rt, reply_id)
        restore()
        with rt.session() as s:
            status = s.get_one(Reply, reply_id).status
        assert status == (ReplyStatus.SENT if step == "after_record" else ReplyStatus.SENDING)
        # The worker is gone; once the attempt is stale the reaper's job runs again.
        later = utcnow() + outbox.SENDING_STALE_AFTER + timedelta(seconds=5)
        monkeypatch.setattr(outbox, "utcnow", lambda later=later: later)
        assert outbox.send_reply(rt, reply_id) == ReplyStatus.SENT
        monkeypatch.setattr(outbox, "utcnow", utcnow)
        with rt.session() as s:
            reply = s.get_one(Reply, reply_id)
            assert reply.status == ReplyStatus.SENT and reply.message_id is not None
            decisions.append(reply.decision)
        assert network.copies(parent, text) == 1, (step, n)
    expected: SendDecision | None
    if step == "after_record":
        expected = None  # recorded before the crash: nothing to settle
    elif network.kind == "mastodon":
        expected = SendDecision.KEYED
    else:
        expected = SendDecision.ABSENT if step == "before_request" else SendDecision.FOUND
    assert decisions == [expected] * REPEAT


def test_a_cut_off_reply_whose_fate_x_cannot_tell_is_shown_unknown_not_resent(
    rt: Runtime, workspace: Workspace, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """X rewrites links to t.co, so a reply with a link is not recognisable: unknown."""
    monkeypatch.setattr(outbox, "defer", lambda *a, **k: None)
    net = Network("x", httpserver)
    ch = make_channel(rt, workspace.id, network="x", connector="x")
    parent = net.fan_message(1)
    with rt.session() as s:
        ingest(s, ch, [item(parent, "tickets?", author="fan_one")], defer_jobs=False)
    with rt.session() as s:
        conv = s.scalars(select(Conversation)).one()
        author = s.scalars(select(User.id)).first()
        assert author is not None
        reply_id = outbox.queue_reply(s, conv, author, "Here: https://example.org/t").reply_id
    restore = _crash_at("before_request", monkeypatch, net)
    with pytest.raises(SimulatedCrash):
        outbox.send_reply(rt, reply_id)
    restore()
    later = utcnow() + outbox.SENDING_STALE_AFTER + timedelta(seconds=5)
    monkeypatch.setattr(outbox, "utcnow", lambda: later)
    assert outbox.send_reply(rt, reply_id) == ReplyStatus.UNKNOWN
    assert outbox.send_reply(rt, reply_id) == ReplyStatus.UNKNOWN  # a duplicate job: still nothing
    assert net.copies(parent, "Here: https://example.org/t") == 0
    with rt.session() as s:
        reply = s.get_one(Reply, reply_id)
        assert reply.decision == SendDecision.UNKNOWN and "t.co" in (reply.error or "")
        # A person looked on X and decides to send it: once, without asking again.
        outbox.resolve_unknown(s, reply, author, resend=True)
    monkeypatch.setattr(outbox, "utcnow", utcnow)
    assert outbox.send_reply(rt, reply_id) == ReplyStatus.SENT
    assert net.copies(parent, "Here: https://example.org/t") == 1


def test_a_reply_naming_more_than_three_accounts_is_refused(
    rt: Runtime, workspace: Workspace
) -> None:
    ch = make_channel(rt, workspace.id, network="mastodon", connector="fake")
    with rt.session() as s:
        ingest(s, ch, [item("m1", "hi", author="fan_one")], defer_jobs=False)
    with rt.session() as s:
        conv = s.scalars(select(Conversation)).one()
        author = s.scalars(select(User.id)).first()
        assert author is not None
        with pytest.raises(outbox.ReplyRejected, match="4 accounts"):
            outbox.queue_reply(s, conv, author, "@a @b @c @d@example.social come!")
        ok = outbox.queue_reply(s, conv, author, "@a @b @c thanks, me@example.org")
        assert ok.reply_id
    assert outbox.count_mentions("@a @A @b.") == 2


def test_an_x_post_retried_after_a_lost_answer_is_tweeted_once(httpserver: HTTPServer) -> None:
    net = Network("x", httpserver)
    connector = build("x", net.config(7))
    first = connector.publish("Doors at 8 tonight!", "key-1")  # type: ignore[attr-defined]
    again = connector.publish("Doors at 8 tonight!", "key-1")  # type: ignore[attr-defined]
    assert again.external_id == first.external_id
    own = [t for t in net.x.tweets.values() if t["text"] == "Doors at 8 tonight!"]
    assert len(own) == 1
