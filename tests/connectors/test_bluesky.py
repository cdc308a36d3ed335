"""The Bluesky connector, end to end through atproto against a local fake PDS."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import pytest
from atproto_client.client.session import Session
from fake_bluesky import FakeBluesky, verify
from pytest_httpserver import HTTPServer
from replay_recorded import RECORDED, Replay
from sqlalchemy import select

import inbox.connectors.bluesky as bluesky_module
from inbox import sync
from inbox.connectors import build
from inbox.connectors.base import (
    AuthError,
    ChannelConfig,
    Connector,
    PermanentError,
    RateLimited,
    ReplyTarget,
    TransientError,
)
from inbox.connectors.bluesky import (
    BlueskyConnector,
    grapheme_count,
    post_rkey,
    reply_rkey,
    tid,
)
from inbox.runtime import Runtime
from models import Channel, Message, Workspace

pytestmark = pytest.mark.allow_hosts(["127.0.0.1", "::1"])


@pytest.fixture
def fake(httpserver: HTTPServer) -> FakeBluesky:
    fake = FakeBluesky(httpserver)
    fake.add_actor("fan.bsky.social", "Fan One")
    fake.add_actor("other.bsky.social", "Other Fan")
    return fake


def fan(fake: FakeBluesky, handle: str = "fan.bsky.social") -> str:
    return next(did for did, a in fake.actors.items() if a["handle"] == handle)


def make(
    fake: FakeBluesky,
    *,
    state: Mapping[str, Any] | None = None,
    password: str | None = None,
    **options: Any,
) -> BlueskyConnector:
    config = ChannelConfig(
        channel_id=9,
        network="bluesky",
        handle=fake.handle,
        external_id=fake.did,
        credentials={"handle": fake.handle, "app_password": password or fake.password},
        base_url=fake.base_url,
        state=state or {},
        options={"timeout": 1.5, "dms": False, **options},
    )
    connector = build("bluesky", config)
    assert isinstance(connector, BlueskyConnector)
    return connector


def sync_all(
    connector: BlueskyConnector, cursor: Mapping[str, Any] | None, limit: int = 100
) -> tuple[list[Any], Any]:
    items: list[Any] = []
    for _ in range(100):
        result = connector.fetch_since(cursor, limit=limit)
        items += result.items
        cursor = result.cursor
        if not result.has_more:
            return items, cursor
    raise AssertionError("the round never ended")


def test_registered_under_bluesky_and_satisfies_the_protocol(fake: FakeBluesky) -> None:
    connector = make(fake)
    assert isinstance(connector, Connector)
    assert connector.network == "bluesky"


def test_mentions_replies_and_quotes_are_normalised_and_threaded(fake: FakeBluesky) -> None:
    root = fake.post(fake.did, "New album out Friday!")
    reply = fake.post(fan(fake), "Can't wait!!", reply_to=root["uri"])
    deeper = fake.post(fan(fake, "other.bsky.social"), "same", reply_to=reply["uri"])
    mention = fake.post(fan(fake), f"@{fake.handle} play Lyon please")
    quote = fake.post(fan(fake, "other.bsky.social"), "this!", quote=root["uri"])
    fake.like(fan(fake), root["uri"])

    items, _ = sync_all(make(fake), None)

    by_uri = {i.external_id: i for i in items}
    assert set(by_uri) == {reply["uri"], mention["uri"], quote["uri"]}  # no like, no reply-to-a-fan
    assert deeper["uri"] not in by_uri
    r = by_uri[reply["uri"]]
    assert r.kind == "reply" and r.thread_id == root["uri"] and r.parent_id == root["uri"]
    assert r.author.handle == "fan.bsky.social" and r.author.name == "Fan One"
    assert r.author.external_id == fan(fake)
    assert (
        r.url == f"https://bsky.app/profile/fan.bsky.social/post/{reply['uri'].rsplit('/', 1)[1]}"
    )
    assert r.context is not None and r.context.title == "New album out Friday!"
    assert r.raw["cid"] == reply["cid"] and r.raw["record"]["reply"]["root"]["uri"] == root["uri"]
    assert r.lang == "en" and r.created_at.tzinfo is not None
    m = by_uri[mention["uri"]]
    assert m.kind == "mention" and m.thread_id == mention["uri"] and m.parent_id is None
    q = by_uri[quote["uri"]]
    assert (
        q.kind == "mention" and q.context is not None and q.context.title == "New album out Friday!"
    )
    assert [i.created_at for i in items] == sorted(i.created_at for i in items)


def test_the_walk_stops_at_the_last_item_seen(fake: FakeBluesky) -> None:
    root = fake.post(fake.did, "Tour!")
    first = []
    for n in range(9):
        fake.tick(400)  # spread out: only the newest is within the late-indexing window
        first.append(fake.post(fan(fake), f"reply {n}", reply_to=root["uri"])["uri"])
    connector = make(fake, context=False)
    items, cursor = sync_all(connector, None, limit=3)
    assert sorted(i.external_id for i in items) == sorted(first)

    later = [fake.post(fan(fake), f"later {n}", reply_to=root["uri"])["uri"] for n in range(5)]
    fake.calls.clear()
    items, cursor = sync_all(connector, cursor, limit=3)
    assert sorted(i.external_id for i in items) == sorted(later)
    # Three pages of three reach below the mark; the walk does not go on to the
    # end of the list (five pages).
    assert fake.calls.count("app.bsky.notification.listNotifications") == 3

    items, _ = sync_all(connector, cursor, limit=3)
    assert items == []


def test_a_failure_mid_walk_resumes_from_the_stored_cursor(fake: FakeBluesky) -> None:
    root = fake.post(fake.did, "Tour!")
    connector = make(fake, context=False)
    _, cursor = sync_all(connector, None)
    posted = [fake.post(fan(fake), f"r{n}", reply_to=root["uri"])["uri"] for n in range(7)]

    first = connector.fetch_since(cursor, limit=3)
    assert first.has_more
    fake.fail_next("502", "app.bsky.notification.listNotifications")
    with pytest.raises(TransientError):
        connector.fetch_since(first.cursor, limit=3)
    rest, cursor = sync_all(connector, first.cursor, limit=3)

    got = [i.external_id for i in first.items + rest]
    assert sorted(got) == sorted(posted) and len(got) == len(set(got))
    assert sync_all(connector, cursor)[0] == []


def test_a_late_indexed_notification_below_the_mark_is_still_picked_up(fake: FakeBluesky) -> None:
    root = fake.post(fake.did, "Tour!")
    connector = make(fake, context=False)
    fake.post(fan(fake), "on time", reply_to=root["uri"])
    _, cursor = sync_all(connector, None)
    late = fake.post(fan(fake), "late", reply_to=root["uri"], indexed_shift=-90)
    items, _ = sync_all(connector, cursor)
    assert [i.external_id for i in items] == [late["uri"]]


def test_first_sync_reaches_back_only_the_backfill_window(fake: FakeBluesky) -> None:
    root = fake.post(fake.did, "Tour!")
    fake.post(fan(fake), "old", reply_to=root["uri"], indexed_shift=-10 * 86400)
    recent = fake.post(fan(fake), "recent", reply_to=root["uri"])
    items, _ = sync_all(make(fake, context=False), None)
    assert [i.external_id for i in items] == [recent["uri"]]


def test_a_malformed_notification_is_reported_and_the_rest_kept(fake: FakeBluesky) -> None:
    root = fake.post(fake.did, "Tour!")
    good = fake.post(fan(fake), "fine", reply_to=root["uri"])
    bad = fake.post(fan(fake), "broken", reply_to=root["uri"])
    note = next(n for n in fake.notifications if n["uri"] == bad["uri"])
    del note["cid"]
    worse = fake.post(fan(fake), "worse", reply_to=root["uri"])
    next(n for n in fake.notifications if n["uri"] == worse["uri"])["record"] = {
        "$type": "app.bsky.feed.post"
    }

    result = make(fake, context=False).fetch_since(None)
    assert [i.external_id for i in result.items] == [good["uri"]]
    reasons = {raw["uri"]: reason for reason, raw in result.malformed}
    assert set(reasons) == {bad["uri"], worse["uri"]}
    assert "cid" in reasons[bad["uri"]] and "text" in reasons[worse["uri"]]


def test_the_own_accounts_posts_are_returned(fake: FakeBluesky) -> None:
    root = fake.post(fake.did, "Tour!")
    own = fake.post(fake.did, "adding a date", reply_to=root["uri"])
    fake.notify(own, "reply", root["uri"])  # e.g. a second account of the team replying
    items, _ = sync_all(make(fake, context=False), None)
    assert [(i.external_id, i.author.external_id) for i in items] == [(own["uri"], fake.did)]


def test_logs_in_once_and_reuses_the_session_from_state(fake: FakeBluesky) -> None:
    connector = make(fake)
    connector.fetch_since(None)
    state = connector.state
    session = Session.decode(state["session"])
    assert state["did"] == fake.did
    assert verify(session.access_jwt) is not None and verify(session.refresh_jwt) is not None

    again = make(fake, state=state)
    again.fetch_since(None)
    again.fetch_since(None)
    assert fake.calls.count("com.atproto.server.createSession") == 1


def test_a_new_app_password_outranks_the_stored_session(fake: FakeBluesky) -> None:
    connector = make(fake)
    connector.fetch_since(None)
    fake.password = "a-new-app-password"
    fake.revoke_all_sessions()  # revoking the old app password ends its sessions
    make(fake, state=connector.state, password="a-new-app-password").fetch_since(None)
    # One login per app password; the stale session was not even tried.
    assert fake.calls.count("com.atproto.server.createSession") == 2
    assert fake.calls[-2:] == [
        "com.atproto.server.createSession",
        "app.bsky.notification.listNotifications",
    ]


def test_an_access_token_near_expiry_is_refreshed_not_relogged(fake: FakeBluesky) -> None:
    fake.access_ttl = 600  # atproto refreshes 15 minutes before exp
    connector = make(fake)
    connector.fetch_since(None)
    old = connector.state["session"]
    again = make(fake, state=connector.state)
    again.fetch_since(None)
    assert fake.calls.count("com.atproto.server.refreshSession") >= 1
    assert fake.calls.count("com.atproto.server.createSession") == 1
    assert again.state["session"] != old


def test_a_revoked_session_falls_back_to_one_password_login(fake: FakeBluesky) -> None:
    connector = make(fake)
    connector.fetch_since(None)
    fake.revoke_all_sessions()
    again = make(fake, state=connector.state)
    again.fetch_since(None)
    assert fake.calls.count("com.atproto.server.createSession") == 2


def test_a_wrong_app_password_is_an_auth_error(fake: FakeBluesky) -> None:
    with pytest.raises(AuthError, match="app password"):
        make(fake, password="wrong").fetch_since(None)


def test_without_an_app_password_the_channel_needs_reconnecting(fake: FakeBluesky) -> None:
    config = ChannelConfig(9, "bluesky", fake.handle, fake.did, {}, base_url=fake.base_url)
    with pytest.raises(AuthError):
        BlueskyConnector(config).fetch_since(None)


def test_rate_limit_uses_the_pds_reset_header(fake: FakeBluesky) -> None:
    connector = make(fake)
    connector.fetch_since(None)
    fake.fail_next("429", "app.bsky.notification.listNotifications")
    with pytest.raises(RateLimited) as caught:
        connector.fetch_since(None)
    assert caught.value.retry_after is not None and 200 <= caught.value.retry_after <= 241


@pytest.mark.parametrize("kind", ["500", "502", "timeout", "truncated", "malformed"])
def test_server_and_transport_failures_are_transient(fake: FakeBluesky, kind: str) -> None:
    connector = make(fake)
    connector.fetch_since(None)
    fake.fail_next(kind, "app.bsky.notification.listNotifications")
    started = time.monotonic()
    with pytest.raises(TransientError) as caught:
        connector.fetch_since(None)
    assert not isinstance(caught.value, RateLimited)
    assert time.monotonic() - started < 3


def test_reply_carries_root_and_parent_refs_with_cids(fake: FakeBluesky) -> None:
    root = fake.post(fake.did, "New album out Friday!")
    question = fake.post(fan(fake), "vinyl?", reply_to=root["uri"])
    connector = make(fake)
    items, _ = sync_all(connector, None)
    item = items[0]
    target = ReplyTarget(
        thread_id=item.thread_id or "", parent_external_id=item.external_id, parent_raw=item.raw
    )

    sent = connector.send_reply(
        target, "Yes! Pre-orders open tomorrow.", idempotency_key="outbox-1"
    )

    posted = fake.posts[sent.external_id]["record"]
    assert posted["text"] == "Yes! Pre-orders open tomorrow."
    parent, thread_root = posted["reply"]["parent"], posted["reply"]["root"]
    assert (parent["uri"], parent["cid"]) == (question["uri"], question["cid"])
    assert (thread_root["uri"], thread_root["cid"]) == (root["uri"], root["cid"])
    assert sent.url is not None and sent.url.startswith("https://bsky.app/profile/")

    # Replying to our own reply keeps the thread's root.
    follow_up = ReplyTarget(
        thread_id=root["uri"], parent_external_id=sent.external_id, parent_raw=sent.raw
    )
    second = connector.send_reply(follow_up, "And on CD.", idempotency_key="outbox-2")
    assert fake.posts[second.external_id]["record"]["reply"]["root"]["uri"] == root["uri"]


def test_the_same_idempotency_key_never_posts_twice(fake: FakeBluesky) -> None:
    root = fake.post(fake.did, "Tour!")
    question = fake.post(fan(fake), "Paris?", reply_to=root["uri"])
    target = ReplyTarget(thread_id=root["uri"], parent_external_id=question["uri"])
    first = make(fake).send_reply(target, "Yes!", idempotency_key="outbox-7")
    second = make(fake).send_reply(target, "Yes!", idempotency_key="outbox-7")
    assert first.external_id == second.external_id
    assert sum(1 for p in fake.posts.values() if p["record"]["text"] == "Yes!") == 1


def test_a_reply_without_the_parents_raw_looks_the_parent_up(fake: FakeBluesky) -> None:
    root = fake.post(fake.did, "Tour!")
    question = fake.post(fan(fake), "Paris?", reply_to=root["uri"])
    target = ReplyTarget(thread_id=root["uri"], parent_external_id=question["uri"])
    sent = make(fake).send_reply(target, "Yes!", idempotency_key="k")
    assert fake.posts[sent.external_id]["record"]["reply"]["root"]["cid"] == root["cid"]


def test_replying_to_a_deleted_post_is_permanent(fake: FakeBluesky) -> None:
    root = fake.post(fake.did, "Tour!")
    question = fake.post(fan(fake), "Paris?", reply_to=root["uri"])
    fake.delete(question["uri"])
    target = ReplyTarget(thread_id=root["uri"], parent_external_id=question["uri"])
    with pytest.raises(PermanentError, match="gone"):
        make(fake).send_reply(target, "Yes!", idempotency_key="k")


def test_a_reply_over_300_graphemes_is_refused_before_sending(fake: FakeBluesky) -> None:
    root = fake.post(fake.did, "Tour!")
    target = ReplyTarget(thread_id=root["uri"], parent_external_id=root["uri"], parent_raw=root)
    connector = make(fake)
    with pytest.raises(PermanentError, match="300"):
        connector.send_reply(target, "a" * 301, idempotency_key="k1")
    assert "com.atproto.repo.createRecord" not in fake.calls
    # 300 decomposed accented letters are 600 code points but 300 graphemes: allowed.
    accented = "e\u0301" * 300
    assert len(accented) == 600 and grapheme_count(accented) == 300
    sent = connector.send_reply(target, accented, idempotency_key="k2")
    assert fake.posts[sent.external_id]["record"]["text"] == accented
    assert grapheme_count("👩\u200d👩\u200d👧\u200d👦" * 3) == 3


def test_reply_keys_are_valid_tids_stable_per_key() -> None:
    when = datetime(2025, 1, 1, tzinfo=UTC)
    a = reply_rkey("k1", "did:plc:x", when)
    assert a == reply_rkey("k1", "did:plc:x", when)
    assert a != reply_rkey("k2", "did:plc:x", when)
    assert len(a) == 13 and a[0] in "234567abcdefghij"
    assert tid(0, 0) == "2222222222222"


def test_fetch_profile_and_find_deleted(fake: FakeBluesky) -> None:
    connector = make(fake)
    author = connector.fetch_profile(fan(fake))
    assert author.handle == "fan.bsky.social" and author.name == "Fan One"
    root = fake.post(fake.did, "Tour!")
    kept = fake.post(fan(fake), "stays", reply_to=root["uri"])
    gone = fake.post(fan(fake), "regret", reply_to=root["uri"])
    fake.delete(gone["uri"])
    assert connector.find_deleted([kept["uri"], gone["uri"]]) == [gone["uri"]]


def test_a_deleted_post_leaves_the_inbox_at_the_next_sync_over_the_whole_window(
    rt: Runtime, workspace: Workspace, fake: FakeBluesky
) -> None:
    """The deletion check runs at every sync and covers the window (here 60 posts, three
    getPosts requests of 25), not an hourly 100."""
    root = fake.post(fake.did, "Tour dates!")
    replies = [  # own record keys: the fake's own repeat after 32 posts
        fake.post(fan(fake), f"see you there {n}", reply_to=root["uri"], rkey=tid(10**15 + n, 0))
        for n in range(60)
    ]
    with rt.session() as s:
        channel = Channel(
            workspace_id=workspace.id,
            network="bluesky",
            connector="bluesky",
            handle=fake.handle,
            external_id=fake.did,
            base_url=fake.base_url,
            credentials_encrypted=rt.box.encrypt(
                {"handle": fake.handle, "app_password": fake.password}
            ),
            options={"timeout": 2, "dms": False, "context": False, "backfill_days": 3},
        )
        s.add(channel)
        s.flush()
        channel_id = channel.id
    first = sync.sync_channel(rt, channel_id)
    assert first.error is None and first.ingest.created == 60
    gone = [replies[0]["uri"], replies[31]["uri"], replies[59]["uri"]]
    for uri in gone:
        fake.delete(uri)
    before = len(fake.calls)
    report = sync.sync_channel(rt, channel_id)

    assert report.error is None and report.deletions_checked == 60
    assert fake.calls[before:].count("app.bsky.feed.getPosts") == 3
    with rt.session() as s:
        deleted = set(
            s.scalars(
                select(Message.external_id).where(
                    Message.channel_id == channel_id, Message.deleted_at.is_not(None)
                )
            )
        )
    assert deleted == set(gone)


def test_chat_messages_are_fetched_threaded_deleted_and_answered(fake: FakeBluesky) -> None:
    convo = fake.convo(fan(fake))
    fake.message(convo, fan(fake), "hi! first message")
    connector = make(fake, dms=True)
    items, cursor = sync_all(connector, None)
    dms = [i for i in items if i.kind == "dm"]
    assert [i.text for i in dms] == ["hi! first message"]
    assert dms[0].thread_id == f"chat:{convo}" and dms[0].author.handle == "fan.bsky.social"

    second = fake.message(convo, fan(fake), "are you touring?")
    fake.delete_message(convo, second["id"])
    items, cursor = sync_all(connector, cursor)
    assert [(i.text, i.deleted) for i in items] == [("are you touring?", False), ("", True)]
    assert items[0].external_id == items[1].external_id

    target = ReplyTarget(
        thread_id=dms[0].thread_id or "", parent_external_id=dms[0].external_id, kind="dm"
    )
    sent = connector.send_reply(target, "Yes, in May!", idempotency_key="dm-1")
    assert fake.convos[convo]["messages"][-1]["text"] == "Yes, in May!"
    items, _ = sync_all(connector, cursor)
    assert [(i.external_id, i.author.external_id) for i in items] == [(sent.external_id, fake.did)]


def test_chat_first_contact_reads_every_conversation_back_to_the_window_and_resumes(
    fake: FakeBluesky,
) -> None:
    fans = [fan(fake), fan(fake, "other.bsky.social")]
    convos = [fake.convo(who) for who in fans]
    fake._clock = datetime.now(UTC) - timedelta(days=5)  # before the 3-day window
    before = [fake.message(c, who, "an old hello") for c, who in zip(convos, fans, strict=True)]
    fake._clock = datetime.now(UTC) - timedelta(hours=20)
    inside = [
        fake.message(c, who, f"message {n} in the window")["id"]
        for n in range(5)
        for c, who in zip(convos, fans, strict=True)
    ]
    connector = make(fake, dms=True, context=False)
    cursor: Mapping[str, Any] | None = None
    got: list[str] = []
    failed = False
    for _ in range(40):  # two messages a page: the walk takes many calls
        if not failed and cursor and cursor["chat"].get("walk", {}) and got:
            fake.fail_next("429", nsid="chat.bsky.convo.getMessages")
            failed = True
            with pytest.raises(RateLimited):
                connector.fetch_since(cursor, limit=2)
        result = connector.fetch_since(cursor, limit=2)
        got += [i.external_id.rsplit(":", 1)[1] for i in result.items if i.kind == "dm"]
        cursor = result.cursor
        if not result.has_more and cursor and cursor["chat"].get("log"):
            break
    assert failed  # the rate limit came mid-walk, and the walk resumed from the cursor
    assert sorted(got) == sorted(inside)  # each once, none from before the window
    assert not {m["id"] for m in before} & set(got)
    assert cursor is not None and cursor["chat"]["walk"] is None

    later = fake.message(convos[0], fans[0], "and one more")
    items, _ = sync_all(connector, cursor)
    assert [i.external_id for i in items if i.kind == "dm"] == [f"chat:{convos[0]}:{later['id']}"]


def test_an_app_password_without_dm_access_skips_chat_but_not_mentions(fake: FakeBluesky) -> None:
    fake.chat_allowed = False
    root = fake.post(fake.did, "Tour!")
    reply = fake.post(fan(fake), "yay", reply_to=root["uri"])
    connector = make(fake, dms=True)
    items, cursor = sync_all(connector, None)
    assert [i.external_id for i in items] == [reply["uri"]]
    assert "chat_forbidden_at" in connector.state
    calls = len(fake.calls)
    sync_all(connector, cursor)
    assert not any(c.startswith("chat.") for c in fake.calls[calls:])
    assert fake.calls.count("com.atproto.server.createSession") == 1


def test_an_unreadable_cursor_is_refused(fake: FakeBluesky) -> None:
    with pytest.raises(PermanentError, match="cursor"):
        make(fake).fetch_since({"cursor": "abc"})


# --------------------------------------------------------------------------- recorded backfill
# Bluesky's AppView cannot run in a test, so the backfill is checked against recorded
# exchanges shaped like the lexicon (tests/connectors/recorded/, README.md there), served
# over HTTP so that atproto itself parses every page.

RECORDED_AT = datetime(2026, 11, 20, 12, tzinfo=UTC)


class RecordedClock(datetime):
    """The connector's clock, stopped when the exchanges were recorded."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> RecordedClock:
        moment = RECORDED_AT if tz is None else RECORDED_AT.astimezone(tz)
        return cls.fromtimestamp(moment.timestamp(), tz)


def test_recorded_backfill_reaches_the_window_through_a_rate_limit_then_syncs_forward(
    rt: Runtime, workspace: Workspace, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bluesky_module, "datetime", RecordedClock)
    replay = Replay(httpserver, RECORDED / "bluesky" / "backfill", {"limit", "cursor", "reasons"})
    session = replay.exchanges[0]["response"]["body"]
    with rt.session() as s:
        channel = Channel(
            workspace_id=workspace.id,
            network="bluesky",
            connector="bluesky",
            handle=session["handle"],
            external_id=session["did"],
            base_url=httpserver.url_for("").rstrip("/"),
            credentials_encrypted=rt.box.encrypt(
                {"handle": session["handle"], "app_password": "abcd-efgh-ijkl-mnop"}
            ),
            options={"timeout": 2, "dms": False, "context": False, "backfill_days": 3},
        )
        s.add(channel)
        s.flush()
        channel_id = channel.id

    # Each sync reads at most 2 pages; the window takes 5, and a 429 comes between them.
    reports = [sync.sync_channel(rt, channel_id, max_pages=2) for _ in range(2)]
    with rt.session() as s:
        limited = s.get_one(Channel, channel_id)
        assert limited.next_sync_at and limited.last_error_at
        waited = (limited.next_sync_at - limited.last_error_at).total_seconds()
    reports += [sync.sync_channel(rt, channel_id, max_pages=2) for _ in range(2)]
    with rt.session() as s:
        backfilled = set(s.scalars(select(Message.external_id)))
        cursor = s.get_one(Channel, channel_id).cursor
    forward = sync.sync_channel(rt, channel_id, max_pages=2)

    assert replay.mismatches == []
    assert replay.left == []  # the page that crosses the window's start is the last one read
    assert [r.pages for r in reports] == [2, 0, 2, 1]
    assert reports[1].error and "rate limit (HTTP 429)" in reports[1].error
    assert 239 <= waited <= 241  # ratelimit-reset, as the PDS said: 240 s after the recording
    assert forward.error is None and forward.pages == 1

    window_start = RECORDED_AT - timedelta(days=3)
    pages = [
        e["response"]["body"]
        for e in replay.exchanges
        if e["request"]["path"].endswith("listNotifications") and e["response"]["status"] == 200
    ]
    walk, fresh_page = pages[:-1], pages[-1]
    assert all("cursor" in p for p in walk)  # the list went on: the window ended the walk
    # Short pages, and an empty one, sat mid-walk: only the cursor said whether more followed.
    assert sorted(len(p["notifications"]) for p in walk)[:2] == [0, 63]
    notes = [n for p in walk for n in p["notifications"]]
    in_window = {n["uri"] for n in notes if datetime.fromisoformat(n["indexedAt"]) > window_start}
    assert len(in_window) < len(notes)  # the recording reaches past the window...
    assert backfilled == in_window  # ...which is all stored, once, and nothing older
    assert cursor is not None and cursor["walk"] is None
    assert (
        cursor["mark"]["indexed_at"]
        == max(datetime.fromisoformat(n["indexedAt"]) for n in notes).isoformat()
    )

    with rt.session() as s:
        ids = list(s.scalars(select(Message.external_id)))
    fresh = {n["uri"] for n in fresh_page["notifications"]} - {n["uri"] for n in notes}
    assert len(fresh) == 3
    assert len(ids) == len(set(ids)) and set(ids) == backfilled | fresh


# --------------------------------------------------------------------------- posting


def test_publish_posts_once_per_key_under_a_record_key_the_client_chose(
    fake: FakeBluesky,
) -> None:
    connector = make(fake)
    at = datetime(2026, 11, 20, 11, 59, tzinfo=UTC)
    first = connector.publish("Tour dates are out! https://example.org/tour", "key-1", at)
    rkey = post_rkey("key-1", fake.did, at)
    assert first.external_id == f"at://{fake.did}/app.bsky.feed.post/{rkey}"
    assert first.url == f"https://bsky.app/profile/{fake.handle}/post/{rkey}"
    record = fake.posts[first.external_id]["record"]
    assert record["text"] == "Tour dates are out! https://example.org/tour"
    assert "reply" not in record
    assert record["facets"][0]["features"][0]["uri"] == "https://example.org/tour"
    # A retry (the answer was lost) finds the post and writes nothing.
    creates = fake.calls.count("com.atproto.repo.createRecord")
    again = make(fake, state=connector.state).publish(
        "Tour dates are out! https://example.org/tour", "key-1", at
    )
    assert again.external_id == first.external_id
    assert fake.calls.count("com.atproto.repo.createRecord") == creates
    mine = [p for p in fake.posts.values() if p["author"]["did"] == fake.did]
    assert len(mine) == 1
    # Another key is another post, even in the same second.
    other = connector.publish("Doors at 8", "key-2", at)
    assert other.external_id != first.external_id
    assert post_rkey("key-1", fake.did, at) == rkey  # stable
    assert len(rkey) == 13 and rkey == tid_of(rkey)


def tid_of(rkey: str) -> str:
    """The TID syntax check atproto's PDS applies to app.bsky.feed.post keys."""
    import re

    assert re.fullmatch(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}", rkey)
    return rkey


def test_publish_refuses_empty_too_long_or_timeless_posts(fake: FakeBluesky) -> None:
    connector = make(fake)
    at = datetime(2026, 11, 20, 11, 59, tzinfo=UTC)
    with pytest.raises(PermanentError, match="needs text"):
        connector.publish("   ", "k", at)
    with pytest.raises(PermanentError, match="300"):
        connector.publish("é" * 301, "k", at)
    with pytest.raises(PermanentError, match="scheduled time"):
        connector.publish("hello", "k")
    assert "com.atproto.repo.createRecord" not in fake.calls


def test_publish_against_recorded_exchanges_posts_once_when_an_answer_is_lost(
    httpserver: HTTPServer,
) -> None:
    """createRecord and getRecord as the lexicon writes them (recorded/bluesky/publish): the
    second post's createRecord is taken by the PDS but answered 502 by its gateway; the retry
    asks getRecord for the same record key and gets the post, so it is written once."""
    import json

    replay = Replay(httpserver, RECORDED / "bluesky" / "publish", {"repo", "collection", "rkey"})
    session = replay.exchanges[0]["response"]["body"]
    config = ChannelConfig(
        channel_id=1,
        network="bluesky",
        handle=session["handle"],
        external_id=session["did"],
        credentials={"handle": session["handle"], "app_password": "abcd-efgh-ijkl-mnop"},
        base_url=httpserver.url_for("").rstrip("/"),
        state={},
        options={"timeout": 2, "dms": False},
    )
    connector = build("bluesky", config)
    assert isinstance(connector, BlueskyConnector)
    tour_at = datetime(2026, 11, 20, 11, 59, 0, tzinfo=UTC)
    single_at = datetime(2026, 11, 20, 11, 59, 30, tzinfo=UTC)
    tour = connector.publish("Tour dates are out!", "post-key-tour", tour_at)
    assert tour.external_id.endswith("/" + post_rkey("post-key-tour", session["did"], tour_at))
    with pytest.raises(TransientError):
        connector.publish("New single on Friday.", "post-key-single", single_at)
    retried = connector.publish("New single on Friday.", "post-key-single", single_at)
    assert retried.external_id.endswith(
        "/" + post_rkey("post-key-single", session["did"], single_at)
    )
    assert retried.raw["record"]["text"] == "New single on Friday."
    assert replay.mismatches == [] and replay.left == []
    writes = [json.loads(b) for p, b in replay.bodies if p.endswith("createRecord")]
    assert len(writes) == 2  # the retry wrote nothing
    for body, (key, at) in zip(
        writes, [("post-key-tour", tour_at), ("post-key-single", single_at)], strict=True
    ):
        assert body["repo"] == session["did"] and body["collection"] == "app.bsky.feed.post"
        assert body["rkey"] == post_rkey(key, session["did"], at)
        assert body["record"]["$type"] == "app.bsky.feed.post" and "reply" not in body["record"]


def test_recorded_backfill_resumes_at_the_page_a_killed_worker_was_storing(
    rt: Runtime, workspace: Workspace, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same recorded window, but the worker dies while storing the walk's second page:
    the next sync asks for that page again (its cursor was never stored) and the walk goes
    on to the window's start, each notification stored once."""
    monkeypatch.setattr(bluesky_module, "datetime", RecordedClock)
    replay = Replay(httpserver, RECORDED / "bluesky" / "backfill", {"limit", "cursor", "reasons"})
    # The page whose storing is cut off is asked for a second time: the network answers
    # it again as recorded.
    replay.exchanges.insert(3, replay.exchanges[2])
    session = replay.exchanges[0]["response"]["body"]
    with rt.session() as s:
        channel = Channel(
            workspace_id=workspace.id,
            network="bluesky",
            connector="bluesky",
            handle=session["handle"],
            external_id=session["did"],
            base_url=httpserver.url_for("").rstrip("/"),
            credentials_encrypted=rt.box.encrypt(
                {"handle": session["handle"], "app_password": "abcd-efgh-ijkl-mnop"}
            ),
            options={"timeout": 2, "dms": False, "context": False, "backfill_days": 3},
        )
        s.add(channel)
        s.flush()
        channel_id = channel.id

    def stored() -> list[str]:
        with rt.session() as s:
            return list(
                s.scalars(select(Message.external_id).where(Message.channel_id == channel_id))
            )

    real_ingest = sync.ingest
    calls = {"n": 0}

    def dies_storing_the_second_page(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed while storing a page")
        return real_ingest(*args, **kwargs)

    monkeypatch.setattr(sync, "ingest", dies_storing_the_second_page)
    with pytest.raises(RuntimeError):
        sync.sync_channel(rt, channel_id, max_pages=2)
    monkeypatch.setattr(sync, "ingest", real_ingest)
    first_page = replay.exchanges[1]["response"]["body"]["notifications"]
    assert sorted(stored()) == sorted(n["uri"] for n in first_page)  # page 1 only
    with rt.session() as s:
        cursor = s.get_one(Channel, channel_id).cursor
    assert cursor is not None and cursor["walk"] is not None  # the walk is not over

    reports = [sync.sync_channel(rt, channel_id, max_pages=2) for _ in range(3)]
    forward = sync.sync_channel(rt, channel_id, max_pages=2)

    assert replay.mismatches == []
    assert replay.left == []  # the repeated page, then every recorded page, none beyond
    assert [r.pages for r in reports] == [1, 2, 1]  # the repeat, then the 429 ends that sync
    assert reports[0].error and "rate limit (HTTP 429)" in reports[0].error
    assert forward.error is None and forward.pages == 1
    window_start = RECORDED_AT - timedelta(days=3)
    pages = [
        e["response"]["body"]
        for e in replay.exchanges
        if e["request"]["path"].endswith("listNotifications") and e["response"]["status"] == 200
    ]
    notes = {n["uri"]: n for p in pages for n in p["notifications"]}
    in_window = {
        u for u, n in notes.items() if datetime.fromisoformat(n["indexedAt"]) > window_start
    }
    ids = stored()
    assert len(ids) == len(set(ids))  # nothing stored twice, the repeated page included
    assert set(ids) == in_window


def test_a_posts_record_key_reads_a_naive_time_as_utc() -> None:
    aware = datetime(2026, 11, 20, 11, 59, tzinfo=UTC)
    assert post_rkey("k", "did:plc:x", aware.replace(tzinfo=None)) == post_rkey(
        "k", "did:plc:x", aware
    )
