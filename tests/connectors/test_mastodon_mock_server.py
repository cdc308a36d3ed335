"""The Mastodon connector against an independent Mastodon server, through 30% faults.

The server is ``mastodon-mock`` (PyPI: FastAPI + SQLite, written apart from this
project and tested against Mastodon.py), run under uvicorn in a thread on
127.0.0.1. Fans post, reply, edit and delete through its REST API with their own
tokens, as on a real instance. Between the connector and the server sits a fault
proxy (``tests/connectors/fault_proxy.py``) that answers about 30% of the requests
with a 429 (``Retry-After``), a 500 or 503, silence (the client times out) or a
cut-off body. The real sync (``inbox.sync.sync_channel``: connector, pipeline,
classifier, store) runs again and again until it has caught up, as the scheduler
would run it.

What mastodon-mock 0.6.1 does differently from Mastodon, and how it is handled:

* statuses and notifications get the time they are posted, and the API cannot
  backdate them; the fans' three days are made by rewriting ``created_at`` in the
  mock's own database after posting (``MockInstance.backdate``), in posting order,
  so ids and times grow together as on Mastodon;
* pages hold at most 40 notifications, and ``Link: rel="next"`` is sent only after
  a full page (Mastodon sends it after any non-empty page); the link also drops the
  ``types[]`` filter, so the connector takes the link's ``max_id`` and asks again
  with its own filter rather than following the URL word for word;
* deleting a status keeps its notifications, with ``"status": null`` (Mastodon
  removes them): the connector skips those;
* no ``X-RateLimit-*`` headers unless its rate limiter is switched on (it is not
  here: the 429s come from the proxy, with ``Retry-After`` only).

It has the batch endpoint ``GET /api/v1/statuses?id[]=``, status edits
(``PUT /api/v1/statuses/:id``, ``edited_at``) and honours ``Idempotency-Key``.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import uvicorn
from mastodon_mock.app import create_app
from mastodon_mock.config import (
    DatabaseConfig,
    MastodonMockConfig,
    SeedAccount,
    SeedConfig,
    StreamingConfig,
)
from mastodon_mock.db import models as mock_models
from sqlalchemy import func, select

from inbox import sync, triage
from inbox.connectors.base import ChannelConfig, ReplyTarget, TransientError
from inbox.connectors.mastodon import MastodonConnector
from inbox.runtime import Runtime
from models import (
    Channel,
    ChannelHealth,
    Conversation,
    Direction,
    Message,
    Workspace,
    utcnow,
)
from tests.connectors.fault_proxy import KINDS, FaultProxy

pytestmark = [pytest.mark.slow, pytest.mark.allow_hosts(["127.0.0.1", "::1", "localhost"])]

FANS = 60
ARTIST_TOKEN = "artist-token"
# The connector's timeout. mastodon-mock takes 0.6-0.9 s for a page of 40 notifications,
# so it must be well above that; the proxy stalls longer on a "timeout" fault. Stalls
# are the slowest fault, so they are drawn less often than the others.
CLIENT_TIMEOUT_S = 2.5
FAULT_WEIGHTS = (3.0, 2.0, 2.0, 1.0, 2.0)  # KINDS: 429, 500, 503, timeout, truncated


class MockInstance:
    """mastodon-mock under uvicorn in a daemon thread, on a free port of 127.0.0.1."""

    def __init__(self, fans: int) -> None:
        accounts = [SeedAccount(username="artist", access_token=ARTIST_TOKEN)]
        accounts += [
            SeedAccount(username=fan_name(n), access_token=f"token-{fan_name(n)}")
            for n in range(fans)
        ]
        config = MastodonMockConfig(
            database=DatabaseConfig(path=":memory:"),  # a private temp file per instance
            seed=SeedConfig(accounts=accounts),
            streaming=StreamingConfig(enabled=False),
        )
        self.app = create_app(config)
        self._server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=0, log_level="warning")
        )
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._http = requests.Session()

    def start(self) -> MockInstance:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("mastodon-mock did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._http.close()

    @property
    def address(self) -> str:
        sockets = self._server.servers[0].sockets
        host, port = sockets[0].getsockname()[:2]
        return f"{host}:{port}"

    # -- the fans' side, through the REST API ------------------------------------------

    def _request(self, method: str, path: str, token: str, **kwargs: Any) -> Any:
        response = self._http.request(
            method,
            f"http://{self.address}{path}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            **kwargs,
        )
        assert response.ok, f"{method} {path}: {response.status_code} {response.text[:200]}"
        return response.json()

    def post(
        self, who: str, text: str, *, visibility: str = "public", in_reply_to: str | None = None
    ) -> dict[str, Any]:
        data = {"status": text, "visibility": visibility}
        if in_reply_to:
            data["in_reply_to_id"] = in_reply_to
        status: dict[str, Any] = self._request("POST", "/api/v1/statuses", token(who), data=data)
        return status

    def edit(self, who: str, status_id: str, text: str) -> None:
        self._request("PUT", f"/api/v1/statuses/{status_id}", token(who), data={"status": text})

    def delete(self, who: str, status_id: str) -> None:
        self._request("DELETE", f"/api/v1/statuses/{status_id}", token(who))

    def artist_id(self) -> str:
        account: dict[str, Any] = self._request(
            "GET", "/api/v1/accounts/verify_credentials", ARTIST_TOKEN
        )
        return str(account["id"])

    # -- the mock's own data -----------------------------------------------------------

    def backdate(self, times: dict[str, datetime]) -> None:
        """Give statuses (by id) their creation time, and their notifications the same.

        The API cannot do it (a status is created "now"), so the mock's database is
        written directly; see the module notes.
        """
        factory = self.app.state.session_factory
        with factory() as session:
            for status_id, moment in times.items():
                status = session.get(mock_models.Status, int(status_id))
                assert status is not None
                status.created_at = moment
                notifications = session.scalars(
                    select(mock_models.Notification).where(
                        mock_models.Notification.status_id == int(status_id)
                    )
                )
                for notification in notifications:
                    notification.created_at = moment
            session.commit()

    def replies_by_artist(self, parent_id: str) -> list[str]:
        """The artist's statuses answering ``parent_id``, as the server holds them."""
        factory = self.app.state.session_factory
        with factory() as session:
            artist = session.scalar(
                select(mock_models.Account).where(mock_models.Account.username == "artist")
            )
            assert artist is not None
            rows = session.scalars(
                select(mock_models.Status.id).where(
                    mock_models.Status.account_id == artist.id,
                    mock_models.Status.in_reply_to_id == int(parent_id),
                )
            )
            return [str(r) for r in rows]


def fan_name(n: int) -> str:
    return f"fan{n:02d}"


def token(who: str) -> str:
    return ARTIST_TOKEN if who == "artist" else f"token-{who}"


@pytest.fixture
def mock() -> Iterator[MockInstance]:
    instance = MockInstance(FANS).start()
    yield instance
    instance.stop()


@pytest.fixture
def proxy(mock: MockInstance) -> Iterator[FaultProxy]:
    instance = FaultProxy(
        mock.address,
        seed=2026,
        retry_after=3,
        stall_s=CLIENT_TIMEOUT_S + 0.5,
        weights=FAULT_WEIGHTS,
    )
    instance.start()
    yield instance
    instance.stop()


# --- the fans' three days ---------------------------------------------------------------


@dataclass
class World:
    """What the fans did, as the test knows it (the server is the other witness)."""

    author: dict[str, str] = field(default_factory=dict)  # status id -> fan
    expected: set[str] = field(default_factory=set)  # mentions the inbox must hold
    too_old: set[str] = field(default_factory=set)  # before the backfill window
    gone_before_sync: set[str] = field(default_factory=set)
    edited_before_sync: dict[str, str] = field(default_factory=dict)  # id -> marker in the text
    thread_roots: dict[str, list[str]] = field(default_factory=dict)  # root -> direct replies
    kinds: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str) -> None:
        self.kinds[kind] = self.kinds.get(kind, 0) + 1


def seed_three_days(mock: MockInstance, rng: random.Random, mentions: int = 800) -> World:
    """~800 mentions from 60 fans over the last three days, plus 30 from three weeks ago.

    Public, unlisted and direct; threads where several fans answer one another; answers
    to the artist's own posts; some edited and a few deleted before the first sync.
    """
    world = World()
    fans = [fan_name(n) for n in range(FANS)]
    order: list[str] = []  # every status in posting order, for the clock

    def mention(who: str, text: str, **kwargs: Any) -> str:
        status = mock.post(who, f"@artist {text}", **kwargs)
        world.author[status["id"]] = who
        order.append(status["id"])
        return str(status["id"])

    for n in range(30):
        world.too_old.add(mention(rng.choice(fans), f"three weeks ago, message {n}"))
    artist_posts = []
    for n in range(4):
        status = mock.post("artist", f"Tour dates, part {n}: Lyon, Lisbon, Leeds")
        order.append(status["id"])
        artist_posts.append(str(status["id"]))
    while sum(world.kinds.values()) < mentions:
        roll = rng.random()
        who = rng.choice(fans)
        n = sum(world.kinds.values())
        if roll < 0.05:  # a new thread, that other fans will join
            root = mention(who, f"who else is going to Lyon? ({n})")
            world.thread_roots[root] = []
            world.count("thread root")
        elif roll < 0.30 and world.thread_roots:  # a fan joins a thread
            root = rng.choice(sorted(world.thread_roots))
            others = [f for f in fans if f != world.author[root]]
            who = rng.choice(others)
            answers = world.thread_roots[root]
            parent = rng.choice(answers) if answers and rng.random() < 0.4 else root
            reply = mention(
                who,
                f"@{world.author[parent]} me too! ({n})",
                visibility=rng.choice(["public", "unlisted"]),
                in_reply_to=parent,
            )
            if parent == root:
                answers.append(reply)
            world.count("thread reply")
        elif roll < 0.45:  # an answer to the artist's post
            mention(who, f"come to Porto too ({n})", in_reply_to=rng.choice(artist_posts))
            world.count("reply to the artist")
        elif roll < 0.62:
            mention(who, f"my ticket never arrived, order {n}", visibility="direct")
            world.count("direct")
        elif roll < 0.75:
            mention(who, f"listening on repeat ({n})", visibility="unlisted")
            world.count("unlisted")
        else:
            mention(who, f"best gig of my life ({n})")
            world.count("public")
    recent = [i for i in order if i not in world.too_old]
    world.expected = {i for i in recent if i in world.author}

    # The clock: three weeks ago for the first 30, then the last three days in order.
    now = datetime.now(UTC)
    times = {i: now - timedelta(days=21) + timedelta(minutes=k) for k, i in enumerate(order[:30])}
    step = timedelta(hours=70) / len(recent)
    times |= {i: now - timedelta(hours=71) + step * k for k, i in enumerate(recent)}
    mock.backdate(times)

    for status_id in rng.sample(sorted(world.expected), 10):
        marker = f"edited before any sync {status_id}"
        mock.edit(world.author[status_id], status_id, f"@artist {marker}")
        world.edited_before_sync[status_id] = marker
    for status_id in rng.sample(sorted(world.expected - set(world.edited_before_sync)), 6):
        mock.delete(world.author[status_id], status_id)
        world.gone_before_sync.add(status_id)
    world.expected -= world.gone_before_sync
    return world


def make_mastodon_channel(
    rt: Runtime, workspace: Workspace, proxy: FaultProxy, artist_id: str
) -> int:
    with rt.session() as s:
        channel = Channel(
            workspace_id=workspace.id,
            network="mastodon",
            connector="mastodon",
            handle="artist@mock.local",
            external_id=artist_id,
            base_url=proxy.url,
            credentials_encrypted=rt.box.encrypt({"access_token": ARTIST_TOKEN}),
            options={"timeout": CLIENT_TIMEOUT_S, "backfill_days": 14},
        )
        s.add(channel)
        s.flush()
        return channel.id


def stored(rt: Runtime, channel_id: int) -> list[Message]:
    with rt.session() as s:
        return list(
            s.scalars(
                select(Message).where(
                    Message.channel_id == channel_id, Message.direction == Direction.INBOUND
                )
            )
        )


# --- the test -----------------------------------------------------------------------------


def test_three_days_of_fans_arrive_exactly_once_through_30_percent_faults(
    rt: Runtime, workspace: Workspace, mock: MockInstance, proxy: FaultProxy
) -> None:
    started = time.monotonic()
    rng = random.Random(13)
    world = seed_three_days(mock, rng)
    seeded_s = time.monotonic() - started
    channel_id = make_mastodon_channel(rt, workspace, proxy, mock.artist_id())
    proxy.rate = 0.3

    rate_limited_waits: list[float] = []

    def run_sync() -> sync.SyncReport:
        """One sync, as the scheduler runs it (here without waiting for next_sync_at)."""
        report = sync.sync_channel(rt, channel_id, classify=triage.classify_items)
        if report.error and "rate limit" in report.error.lower():
            with rt.session() as s:
                next_sync_at = s.get_one(Channel, channel_id).next_sync_at
            assert next_sync_at is not None
            rate_limited_waits.append((next_sync_at - utcnow()).total_seconds())
        return report

    # 1. The first sync and its backfill, with fans still writing, until caught up.
    reports: list[sync.SyncReport] = []
    live: list[str] = []
    for round_ in range(120):
        if round_ < 10:
            for _ in range(3):
                who = rng.choice([fan_name(n) for n in range(FANS)])
                status = mock.post(who, f"@artist live from the queue ({round_})")
                world.author[status["id"]] = who
                live.append(status["id"])
        reports.append(run_sync())
        with rt.session() as s:
            cursor = s.get_one(Channel, channel_id).cursor or {}
        have = {m.external_id for m in stored(rt, channel_id)}
        if round_ >= 10 and "min_id" in cursor and have >= world.expected | set(live):
            break
    world.expected |= set(live)
    syncs_to_catch_up = len(reports)

    # 2. Fans edit and delete messages the inbox already holds; the syncs go on.
    synced = sorted(world.expected - set(world.edited_before_sync))
    edited = {i: f"edited after the sync {i}" for i in rng.sample(synced, 20)}
    for status_id, marker in edited.items():
        mock.edit(world.author[status_id], status_id, f"@artist {marker}")
    deleted = set(rng.sample(sorted(set(synced) - set(edited)), 25))
    for status_id in deleted:
        mock.delete(world.author[status_id], status_id)
    syncs_to_see_changes = 0
    for _ in range(60):
        reports.append(run_sync())
        syncs_to_see_changes += 1
        held = {m.external_id: m for m in stored(rt, channel_id)}
        marked = {i for i, m in held.items() if m.deleted_at is not None}
        updated = {i for i in edited if edited[i] in held[i].text}
        if marked >= deleted and updated == set(edited):
            break

    # 3. The network calms down; a fan deletes one more message: the next sync sees it.
    requests_while_faulty, faulted = proxy.requests, proxy.faulted
    proxy.rate = 0.0
    run_sync()  # finish whatever a fault interrupted
    last = sorted(set(synced) - set(edited) - deleted)[0]
    mock.delete(world.author[last], last)
    calm = run_sync()
    deleted.add(last)
    elapsed_s = time.monotonic() - started

    messages = stored(rt, channel_id)
    ids = [m.external_id for m in messages]
    by_id = {m.external_id: m for m in messages}
    missing = world.expected - set(ids)
    extra = set(ids) - world.expected
    doubled = len(ids) - len(set(ids))
    errors = [r.error for r in reports if r.error]
    print(  # the figures the report quotes (pytest -s shows them)
        f"\nmastodon-mock: {len(world.expected)} mentions expected, {len(set(ids))} stored, "
        f"{len(missing)} missing, {doubled} doubled, {len(extra)} extra; "
        f"{requests_while_faulty} requests while faulty, {faulted} faulted {dict(proxy.faults)}; "
        f"{syncs_to_catch_up} syncs to catch up, {syncs_to_see_changes} to see "
        f"{len(edited)} edits and {len(deleted) - 1} deletions; {len(errors)} failed syncs; "
        f"seeding {seeded_s:.0f}s, total {elapsed_s:.0f}s; kinds {world.kinds}"
    )

    # Every mention of the window exactly once; nothing older, nothing deleted before.
    assert not missing
    assert not extra
    assert doubled == 0
    assert not (set(ids) & (world.too_old | world.gone_before_sync))
    # The faults were real: about 30% of the requests made while they were on, every kind.
    assert 0.2 <= faulted / requests_while_faulty <= 0.4
    assert set(proxy.faults) == set(KINDS)
    # A 429 puts the next sync off by its Retry-After (3 s), no more, no less.
    assert rate_limited_waits and all(1 <= w <= 3 for w in rate_limited_waits)
    # Edits before and after the first sync, deletions after it.
    for status_id, marker in {**world.edited_before_sync, **edited}.items():
        assert marker in by_id[status_id].text
        assert by_id[status_id].edited_at is not None
    assert {i for i, m in by_id.items() if m.deleted_at is not None} == deleted
    assert calm.error is None and by_id[last].deleted_at is not None  # within one sync
    # Fans answering a thread's first message land in its conversation.
    with rt.session() as s:
        conversation_of = dict(
            s.execute(
                select(Message.external_id, Message.conversation_id).where(
                    Message.channel_id == channel_id
                )
            ).all()
        )
        conversations = s.scalar(select(func.count()).select_from(Conversation))
        health = s.get_one(Channel, channel_id).health
    for root, answers in world.thread_roots.items():
        if root in conversation_of:
            assert {conversation_of[a] for a in answers if a in conversation_of} <= {
                conversation_of[root]
            }
    assert conversations and conversations < len(ids)
    assert health == ChannelHealth.OK


def test_replies_whose_answer_is_lost_are_posted_once(
    mock: MockInstance, proxy: FaultProxy
) -> None:
    """The server posts, the answer never comes back, the reply is sent again with the
    same key: mastodon-mock honours ``Idempotency-Key``, so each reply exists once."""
    fans = [fan_name(n) for n in range(20)]
    parents = [mock.post(f, f"@artist question {n}?") for n, f in enumerate(fans)]
    conn = MastodonConnector(
        ChannelConfig(
            channel_id=1,
            network="mastodon",
            handle="artist@mock.local",
            external_id=mock.artist_id(),
            credentials={"access_token": ARTIST_TOKEN},
            base_url=proxy.url,
            options={"timeout": CLIENT_TIMEOUT_S},
        )
    )
    posts_seen = 0

    def drop_first_answer_of_each_post(method: str, path: str) -> bool:
        nonlocal posts_seen
        if method == "POST" and path == "/api/v1/statuses":
            posts_seen += 1
            return posts_seen % 2 == 1  # the first try of each reply: answer lost
        return False

    proxy.drop_answer = drop_first_answer_of_each_post
    sent: dict[str, str] = {}
    lost = 0
    for n, parent in enumerate(parents):
        target = ReplyTarget(
            thread_id=parent["id"], parent_external_id=parent["id"], parent_raw=parent
        )
        key = f"reply-{n}-0c5e"
        for _attempt in range(3):  # what the outbox does: try again, same key
            try:
                sent[parent["id"]] = conn.send_reply(
                    target, f"Thanks for asking ({n})", key
                ).external_id
                break
            except TransientError:
                lost += 1

    assert lost == len(parents)  # every first answer was lost
    assert proxy.faults["drop"] == len(parents)
    for parent in parents:
        on_server = mock.replies_by_artist(parent["id"])
        assert on_server == [sent[parent["id"]]]  # posted exactly once, and we know its id


def test_replies_from_the_outbox_answer_the_chosen_fan_once_through_faults(
    rt: Runtime, workspace: Workspace, mock: MockInstance, proxy: FaultProxy
) -> None:
    """20 replies queued as the composer queues them (``outbox.queue_reply`` with the fan
    message a person chose) in threads where two fans talk, sent by ``outbox.send_reply``
    through 30% faults, the first answer of each lost: each reply exists once on the
    server, under the chosen status, mentioning that fan only, and is recorded sent."""
    from inbox import outbox
    from models import Reply, ReplyStatus, User

    fans = [fan_name(n) for n in range(FANS)]
    threads = []  # (first fan's status, second fan's status), the second answering the first
    for k in range(20):
        first, second = fans[(2 * k) % FANS], fans[(2 * k + 1) % FANS]
        root = mock.post(first, f"@artist will you play Lyon? ({k})")
        answer = mock.post(second, f"@artist @{first} me too! ({k})", in_reply_to=root["id"])
        threads.append((root, answer))
    channel_id = make_mastodon_channel(rt, workspace, proxy, mock.artist_id())
    for _ in range(10):
        assert sync.sync_channel(rt, channel_id).error is None
        if len(stored(rt, channel_id)) == 40:
            break
    by_ext = {m.external_id: m for m in stored(rt, channel_id)}
    assert len(by_ext) == 40

    # Half the replies answer the first fan (not the newest message of the thread), half
    # the second, whose status also mentions the first: neither other fan is named.
    chosen = [root if k % 2 == 0 else answer for k, (root, answer) in enumerate(threads)]
    proxy.rate, proxy.retry_after = 0.3, 1
    lost: set[int] = set()
    current = {"reply": -1}  # the index of the reply being sent

    def lose_each_replys_first_answer(method: str, path: str) -> bool:
        if method == "POST" and path == "/api/v1/statuses" and current["reply"] not in lost:
            lost.add(current["reply"])
            return True
        return False

    proxy.drop_answer = lose_each_replys_first_answer
    with rt.session() as s:
        agent = s.scalars(select(User).where(User.email == "agent@example.org")).one().id
    reply_ids: list[int] = []
    for k, status in enumerate(chosen):
        parent = by_ext[status["id"]]
        current["reply"] = k
        with rt.session() as s:
            reply_ids.append(
                outbox.queue_reply(
                    s,
                    s.get_one(Conversation, parent.conversation_id),
                    agent,
                    f"See you in Lyon ({k})",
                    in_reply_to_id=parent.id,
                    confirm_identical=True,
                ).reply_id
            )
        # (the inline queue ran the first attempt after the commit: its answer was lost)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                state = outbox.send_reply(rt, reply_ids[-1])
            except TransientError:
                state = ReplyStatus.QUEUED  # queued again, as the queue would retry it
            if state == ReplyStatus.SENT:
                break
            assert state == ReplyStatus.QUEUED, state
            time.sleep(0.3)  # a Retry-After puts the row off a second
    proxy.rate = 0.0
    print(  # the figures the report quotes (pytest -s shows them)
        f"\nmastodon-mock replies: {len(reply_ids)} queued, {proxy.requests} requests, "
        f"{proxy.faulted} faulted {dict(proxy.faults)}"
    )

    assert proxy.faults["drop"] == 20 and proxy.faulted > 20
    with rt.session() as s:
        replies = [s.get_one(Reply, i) for i in reply_ids]
        assert [r.status for r in replies] == [ReplyStatus.SENT] * 20
        sent_ids = [s.get_one(Message, r.message_id).external_id for r in replies]  # type: ignore[arg-type]
        outbound = s.scalar(
            select(func.count()).select_from(Message).where(Message.direction == Direction.OUTBOUND)
        )
    assert outbound == 20 and len(set(sent_ids)) == 20
    for k, ((root, answer), status) in enumerate(zip(threads, chosen, strict=True)):
        other = answer if status is root else root
        assert mock.replies_by_artist(status["id"]) == [sent_ids[k]]  # once, under it
        assert mock.replies_by_artist(other["id"]) == []
        posted = mock._request("GET", f"/api/v1/statuses/{sent_ids[k]}", ARTIST_TOKEN)
        assert [m["acct"] for m in posted["mentions"]] == [status["account"]["acct"]]
