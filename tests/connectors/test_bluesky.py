"""The Bluesky connector, end to end through atproto against a local fake PDS."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from atproto_client.client.session import Session
from fake_bluesky import FakeBluesky, verify
from pytest_httpserver import HTTPServer

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
from inbox.connectors.bluesky import BlueskyConnector, grapheme_count, reply_rkey, tid

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
        options={"timeout": 0.3, "dms": False, **options},
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
