"""The X connector, end to end through tweepy against a local fake X API."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fake_x import FakeX, minutes_ago
from pytest_httpserver import HTTPServer

from inbox.connectors import build
from inbox.connectors.base import (
    AuthError,
    ChannelConfig,
    Connector,
    FetchResult,
    PermanentError,
    RateLimited,
    ReplyTarget,
    TransientError,
)
from inbox.connectors.x import XConnector, retry_after_from

pytestmark = pytest.mark.allow_hosts(["127.0.0.1", "::1"])

FAN = "2001"
OTHER = "2002"


@pytest.fixture
def fake(httpserver: HTTPServer) -> FakeX:
    fake = FakeX(httpserver)
    fake.add_user(FAN, "fan_one", "Fan One")
    fake.add_user(OTHER, "fan_two", "Fan Two")
    return fake


def make(fake: FakeX, *, state: Mapping[str, Any] | None = None, **creds: Any) -> XConnector:
    credentials = creds or {"access_token": "good-token"}
    config = ChannelConfig(
        channel_id=7,
        network="x",
        handle="artist",
        external_id=fake.me_id,
        credentials=credentials,
        base_url=fake.base_url,
        state=state or {},
        options={"timeout": 0.3},
    )
    connector = build("x", config)
    assert isinstance(connector, XConnector)
    return connector


def sync_all(
    connector: XConnector, cursor: Mapping[str, Any] | None, limit: int = 100
) -> tuple[list[Any], Any]:
    """Call fetch_since until the round is over, as the sync engine does."""
    items: list[Any] = []
    for _ in range(100):
        result = connector.fetch_since(cursor, limit=limit)
        items += result.items
        cursor = result.cursor
        if not result.has_more:
            return items, cursor
    raise AssertionError("the round never ended")


def test_registered_under_x_and_satisfies_the_protocol(fake: FakeX) -> None:
    connector = make(fake)
    assert isinstance(connector, Connector)
    assert connector.network == "x"


def test_first_sync_normalises_mentions_with_their_includes(fake: FakeX) -> None:
    root = fake.post(fake.me_id, "New single out now!", mention=False, at=minutes_ago(30))
    mention = fake.post(FAN, "@artist you were great last night", at=minutes_ago(20), lang="en")
    reply = fake.post(
        OTHER, "@artist this song is everything", reply_to=root["id"], at=minutes_ago(10), lang="fr"
    )

    items, cursor = sync_all(make(fake), None)

    assert [i.external_id for i in items] == [mention["id"], reply["id"]]  # oldest first
    first, second = items
    assert first.kind == "mention" and first.thread_id == mention["id"] and first.parent_id is None
    assert first.author.handle == "fan_one" and first.author.name == "Fan One"
    assert first.author.external_id == FAN
    assert first.url == f"https://x.com/fan_one/status/{mention['id']}"
    assert first.created_at.tzinfo is not None
    assert dict(first.raw)["id"] == mention["id"] and "includes" not in first.raw

    assert second.kind == "reply"
    assert second.thread_id == root["id"]  # conversation_id: the artist's post
    assert second.parent_id == root["id"]
    assert second.lang == "fr"
    assert second.context is not None and second.context.title == "New single out now!"
    assert second.context.url == f"https://x.com/artist/status/{root['id']}"
    assert cursor["mentions"]["since_id"] == reply["id"]


def test_first_sync_only_reaches_back_the_backfill_window(fake: FakeX) -> None:
    fake.post(FAN, "@artist ancient", at=datetime.now(UTC) - timedelta(days=30))
    recent = fake.post(FAN, "@artist recent", at=minutes_ago(5))
    items, _ = sync_all(make(fake), None)
    assert [i.external_id for i in items] == [recent["id"]]


def test_later_syncs_fetch_only_new_mentions(fake: FakeX) -> None:
    fake.post(FAN, "@artist one")
    connector = make(fake)
    _, cursor = sync_all(connector, None)
    new = fake.post(OTHER, "@artist two")
    items, _ = sync_all(connector, cursor)
    assert [i.external_id for i in items] == [new["id"]]
    since_args = [args for _, path, args in fake.seen if path.endswith("/mentions")][-1]
    assert "since_id" in since_args


def test_catch_up_walks_every_page_before_moving_the_mark(fake: FakeX) -> None:
    connector = make(fake)
    _, cursor = sync_all(connector, None)
    posted = [fake.post(FAN, f"@artist message {n}")["id"] for n in range(23)]

    pages: list[FetchResult] = []
    while True:
        result = connector.fetch_since(cursor, limit=5)
        pages.append(result)
        assert result.cursor is not None
        cursor = result.cursor
        if not result.has_more:
            break
        if cursor["phase"] == "mentions":
            # While walking down, the high-water mark has not moved.
            assert cursor["mentions"]["since_id"] != posted[-1]
    got = [i.external_id for p in pages for i in p.items]
    assert sorted(got, key=int) == posted
    assert len(got) == len(set(got))
    assert cursor["mentions"]["since_id"] == posted[-1]


def test_a_failure_mid_walk_resumes_without_skipping(fake: FakeX) -> None:
    connector = make(fake)
    _, cursor = sync_all(connector, None)
    posted = [fake.post(FAN, f"@artist msg {n}")["id"] for n in range(12)]

    first = connector.fetch_since(cursor, limit=5)
    assert first.has_more
    fake.fail_next("503", path="/mentions")
    with pytest.raises(TransientError):
        connector.fetch_since(first.cursor, limit=5)
    # Mentions arriving during the outage are picked up too.
    late = fake.post(OTHER, "@artist late")["id"]
    rest, cursor = sync_all(
        connector, first.cursor, limit=5
    )  # resumes the walk from the stored cursor
    next_round, _ = sync_all(connector, cursor, limit=5)

    walked = [i.external_id for i in first.items + rest]
    assert sorted(walked, key=int) == posted
    assert [i.external_id for i in next_round] == [late]


def test_an_edited_tweet_keeps_its_original_id_and_carries_edited_at(fake: FakeX) -> None:
    original = fake.post(FAN, "@artist see you in Berlin")
    connector = make(fake)
    items, cursor = sync_all(connector, None)
    assert items[0].edited_at is None

    edited = fake.edit(original["id"], "@artist see you in Hamburg")
    items, _ = sync_all(connector, cursor)
    assert len(items) == 1
    item = items[0]
    assert item.external_id == original["id"]
    assert item.text == "@artist see you in Hamburg"
    assert item.edited_at is not None
    assert item.url is not None and item.url.endswith(edited["id"])


def test_a_malformed_tweet_is_reported_and_the_rest_of_the_page_kept(fake: FakeX) -> None:
    good = fake.post(FAN, "@artist fine")
    bad = fake.post(OTHER, "@artist broken")
    bad["created_at"] = "yesterday-ish"
    worse = fake.post(OTHER, "@artist no author")
    del worse["author_id"]

    result = make(fake).fetch_since(None)
    assert [i.external_id for i in result.items] == [good["id"]]
    reasons = {raw["id"]: reason for reason, raw in result.malformed}
    assert set(reasons) == {bad["id"], worse["id"]}
    assert "created_at" in reasons[bad["id"]]
    assert "author_id" in reasons[worse["id"]]


def test_the_own_accounts_tweets_are_returned(fake: FakeX) -> None:
    own = fake.post(fake.me_id, "@artist note to self")
    items, _ = sync_all(make(fake), None)
    assert [(i.external_id, i.author.external_id) for i in items] == [(own["id"], fake.me_id)]


def test_rate_limit_carries_the_reset_from_x_headers(fake: FakeX) -> None:
    fake.fail_next("429", reset_in=600)
    with pytest.raises(RateLimited) as caught:
        make(fake).fetch_since(None)
    assert caught.value.retry_after is not None
    assert 590 <= caught.value.retry_after <= 601


def test_an_exhausted_daily_cap_outranks_the_15_minute_window(fake: FakeX) -> None:
    fake.fail_next("429-day", reset_in=300)
    with pytest.raises(RateLimited) as caught:
        make(fake).fetch_since(None)
    assert caught.value.retry_after is not None and caught.value.retry_after > 19 * 3600


def test_retry_after_falls_back_to_retry_after_header_then_a_minute() -> None:
    assert retry_after_from({"retry-after": "42"}) == 42
    assert retry_after_from({}) == 60
    assert retry_after_from({"x-rate-limit-reset": "1000"}, now=900) == 100


@pytest.mark.parametrize(
    "kind", ["500", "503", "truncated", "malformed", "data-not-list", "timeout"]
)
def test_server_and_transport_failures_are_transient(fake: FakeX, kind: str) -> None:
    fake.post(FAN, "@artist hi")
    fake.timeout_sleep = 0.6
    fake.fail_next(kind)
    started = time.monotonic()
    with pytest.raises(TransientError) as caught:
        make(fake).fetch_since(None)
    assert not isinstance(caught.value, RateLimited)
    assert time.monotonic() - started < 3


def test_a_revoked_token_is_an_auth_error(fake: FakeX) -> None:
    with pytest.raises(AuthError):
        make(fake, access_token="revoked").fetch_since(None)


def test_an_app_without_api_access_needs_reconnecting(fake: FakeX) -> None:
    fake.fail_next("403-client-forbidden", path="/mentions")
    with pytest.raises(AuthError, match="attached to a Project"):
        make(fake).fetch_since(None)


def test_oauth1_keys_sign_requests(fake: FakeX) -> None:
    fake.bearer_tokens.add("1000-user-token")
    fake.post(FAN, "@artist signed")
    connector = make(
        fake,
        consumer_key="ck",
        consumer_secret="cs",
        access_token="1000-user-token",
        access_token_secret="ats",
    )
    items, _ = sync_all(connector, None)
    assert len(items) == 1


def test_incomplete_oauth1_keys_are_an_auth_error(fake: FakeX) -> None:
    with pytest.raises(AuthError, match="access_token_secret"):
        make(fake, consumer_key="ck", consumer_secret="cs", access_token="t")


def test_an_expired_oauth2_token_is_refreshed_and_the_new_pair_kept_in_state(fake: FakeX) -> None:
    fake.refresh_tokens["refresh-0"] = fake.client_id
    fake.post(FAN, "@artist after refresh")
    connector = make(
        fake, access_token="expired", refresh_token="refresh-0", client_id=fake.client_id
    )

    items, _ = sync_all(connector, None)

    assert len(items) == 1
    tokens = connector.state["oauth2"]
    assert tokens["access_token"] in fake.bearer_tokens
    assert tokens["refresh_token"] in fake.refresh_tokens and tokens["refresh_token"] != "refresh-0"
    assert tokens["expires_at"] > time.time() + 3600
    # A connector built from the persisted state uses the new pair, not the spent one.
    again = make(
        fake,
        state=connector.state,
        access_token="expired",
        refresh_token="refresh-0",
        client_id=fake.client_id,
    )
    again.fetch_since(None)
    assert [p for _, p, _ in fake.seen].count("/2/oauth2/token") == 1


def test_a_reconnect_outranks_tokens_refreshed_from_the_old_grant(fake: FakeX) -> None:
    stale = {"oauth2": {"grant": "old-grant", "access_token": "revoked", "refresh_token": "x"}}
    fake.post(FAN, "@artist hi")
    connector = make(fake, state=stale, access_token="good-token")
    assert len(sync_all(connector, None)[0]) == 1


def test_a_token_about_to_expire_is_refreshed_before_the_call(fake: FakeX) -> None:
    fake.refresh_tokens["refresh-0"] = fake.client_id
    connector = make(
        fake,
        access_token="good-token",
        refresh_token="refresh-0",
        client_id=fake.client_id,
        expires_at=int(time.time()) + 10,
    )
    connector.fetch_since(None)
    assert fake.seen[0][1] == "/2/oauth2/token"


def test_a_revoked_refresh_token_is_an_auth_error(fake: FakeX) -> None:
    connector = make(
        fake, access_token="expired", refresh_token="revoked", client_id=fake.client_id
    )
    with pytest.raises(AuthError, match="refresh"):
        connector.fetch_since(None)


def test_the_account_id_is_looked_up_once_when_the_channel_lacks_it(fake: FakeX) -> None:
    config = ChannelConfig(
        7, "x", "artist", None, {"access_token": "good-token"}, base_url=fake.base_url
    )
    connector = XConnector(config)
    connector.fetch_since(None)
    connector.fetch_since(None)
    assert connector.state["user_id"] == fake.me_id
    assert [p for _, p, _ in fake.seen].count("/2/users/me") == 1


def test_reply_posts_into_the_thread(fake: FakeX) -> None:
    root = fake.post(fake.me_id, "Tour dates!", mention=False)
    question = fake.post(FAN, "@artist coming to Lyon?", reply_to=root["id"])
    connector = make(fake)
    items, _ = sync_all(connector, None)
    item = items[0]
    target = ReplyTarget(
        thread_id=item.thread_id or "",
        parent_external_id=item.external_id,
        parent_author=item.author,
        parent_raw=item.raw,
    )

    sent = connector.send_reply(target, "Yes! 12 May.", idempotency_key="k1")

    posted = fake.tweets[sent.external_id]
    assert posted["text"] == "Yes! 12 May."
    assert posted["referenced_tweets"] == [{"type": "replied_to", "id": question["id"]}]
    assert posted["conversation_id"] == root["id"] == item.thread_id
    assert sent.url == f"https://x.com/artist/status/{sent.external_id}"


def test_a_retried_reply_that_x_calls_a_duplicate_returns_the_first_one(fake: FakeX) -> None:
    question = fake.post(FAN, "@artist hello?")
    connector = make(fake)
    target = ReplyTarget(thread_id=question["id"], parent_external_id=question["id"])
    first = connector.send_reply(target, "Hello!", idempotency_key="k2")
    second = connector.send_reply(target, "Hello!", idempotency_key="k2")
    assert second.external_id == first.external_id
    assert len([t for t in fake.tweets.values() if t["text"] == "Hello!"]) == 1


def test_find_sent_reply_finds_nothing_before_the_reply_exists(fake: FakeX) -> None:
    question = fake.post(FAN, "@artist hello?")
    target = ReplyTarget(thread_id=question["id"], parent_external_id=question["id"])
    assert make(fake).find_sent_reply(target, "Not posted yet") is None


def test_replying_to_a_deleted_tweet_is_permanent(fake: FakeX) -> None:
    question = fake.post(FAN, "@artist gone soon")
    fake.delete(question["id"])
    target = ReplyTarget(thread_id=question["id"], parent_external_id=question["id"])
    with pytest.raises(PermanentError, match="deleted"):
        make(fake).send_reply(target, "too late", idempotency_key="k3")


def test_dms_are_fetched_threaded_by_conversation_and_stop_at_the_last_seen(fake: FakeX) -> None:
    conv = f"{FAN}-{fake.me_id}"
    old = [fake.dm(FAN, conv, f"dm {n}")["id"] for n in range(7)]
    fake.dm(FAN, conv, "", event_type="ParticipantsJoin")
    connector = make(fake)

    items, cursor = sync_all(connector, None, limit=5)
    dms = [i for i in items if i.kind == "dm"]
    # Each page is oldest first; pages of a catch-up come newest first.
    assert sorted(i.external_id for i in dms) == old
    assert {i.thread_id for i in dms} == {conv}
    assert dms[0].author.handle == "fan_one"
    assert dms[0].url == f"https://x.com/messages/{conv}"

    new = fake.dm(FAN, conv, "one more")["id"]
    items, _ = sync_all(connector, cursor, limit=5)
    assert [i.external_id for i in items if i.kind == "dm"] == [new]


def test_dm_reply_goes_to_the_conversation(fake: FakeX) -> None:
    conv = f"{FAN}-{fake.me_id}"
    fake.dm(FAN, conv, "can I get a signed copy?")
    connector = make(fake)
    items, _ = sync_all(connector, None)
    item = next(i for i in items if i.kind == "dm")
    target = ReplyTarget(
        thread_id=item.thread_id or "", parent_external_id=item.external_id, kind="dm"
    )
    sent = connector.send_reply(target, "Sure, DM your address", idempotency_key="k4")
    event = next(e for e in fake.dm_events if e["id"] == sent.external_id)
    assert event["dm_conversation_id"] == conv and event["sender_id"] == fake.me_id
    assert connector.find_sent_reply(target, "Sure, DM your address") is not None


def test_without_dm_access_mentions_still_flow(fake: FakeX) -> None:
    fake.dm_forbidden = True
    mention = fake.post(FAN, "@artist hi")
    connector = make(fake)
    items, cursor = sync_all(connector, None)
    assert [i.external_id for i in items] == [mention["id"]]
    assert "dm_forbidden_at" in connector.state
    # The next round does not knock on the DM door again for a while.
    calls = len(fake.seen)
    sync_all(connector, cursor)
    assert all("dm_events" not in p for _, p, _ in fake.seen[calls:])


def test_a_stale_dm_pagination_token_restarts_the_walk(fake: FakeX) -> None:
    conv = f"{FAN}-{fake.me_id}"
    ids = [fake.dm(FAN, conv, f"dm {n}")["id"] for n in range(3)]
    cursor = {
        "v": 1,
        "phase": "dms",
        "mentions": {"since_id": None, "start_time": None, "until_id": None, "newest_id": None},
        "dms": {
            "last_id": None,
            "not_before": None,
            "pagination_token": "garbage!",
            "newest_id": None,
        },
    }
    items, _ = sync_all(make(fake), cursor)
    assert sorted(i.external_id for i in items if i.kind == "dm") == ids


def test_fetch_profile_reads_the_users_current_view(fake: FakeX) -> None:
    author = make(fake).fetch_profile(FAN)
    assert author.handle == "fan_one"
    assert author.avatar_url and author.profile_url == "https://x.com/fan_one"
    with pytest.raises(PermanentError):
        make(fake).fetch_profile("999999")


def test_find_deleted_names_the_tweets_x_no_longer_serves(fake: FakeX) -> None:
    kept = fake.post(FAN, "@artist stays")
    gone = fake.post(FAN, "@artist regrets")
    fake.delete(gone["id"])
    assert make(fake).find_deleted([kept["id"], gone["id"]]) == [gone["id"]]


def test_an_unreadable_cursor_is_refused(fake: FakeX) -> None:
    with pytest.raises(PermanentError, match="cursor"):
        make(fake).fetch_since({"since": "whatever"})
