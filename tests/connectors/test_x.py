"""The X connector, end to end through tweepy against a local fake X API."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import pytest
from fake_x import FakeX, minutes_ago
from pytest_httpserver import HTTPServer
from replay_recorded import RECORDED, Replay
from sqlalchemy import select

import inbox.connectors.x as x_module
from inbox import sync
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
from inbox.runtime import Runtime
from models import Channel, Message, Workspace

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
        options={"timeout": 1.5},
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
    fake.timeout_sleep = 1.8
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


def test_a_reply_to_one_fan_leaves_out_the_others_the_tweet_mentions(fake: FakeX) -> None:
    """X would fill "Replying to" with everyone the answered tweet mentions; a reply
    answers one fan, so the others go in ``exclude_reply_user_ids`` (the artist and the
    tweet's author are never in it)."""
    root = fake.post(fake.me_id, "Tour dates!", mention=False)
    karl = fake.post(OTHER, "@artist Berlin please", reply_to=root["id"])
    marie = fake.post(FAN, "@artist @fan_two Lyon first!", reply_to=karl["id"])
    fake.tweets[marie["id"]]["entities"]["mentions"].append(
        {"start": 9, "end": 17, "username": "fan_two", "id": OTHER}
    )
    connector = make(fake)
    items, _ = sync_all(connector, None)
    by_id = {i.external_id: i for i in items}

    def target(tweet_id: str) -> ReplyTarget:
        item = by_id[tweet_id]
        return ReplyTarget(
            thread_id=item.thread_id or "",
            parent_external_id=item.external_id,
            parent_author=item.author,
            parent_raw=item.raw,
        )

    connector.send_reply(target(marie["id"]), "Lyon in April, Marie!", idempotency_key="m")
    connector.send_reply(target(karl["id"]), "Berlin in May, Karl!", idempotency_key="k")

    to_marie, to_karl = fake.created
    assert to_marie["reply"] == {
        "in_reply_to_tweet_id": marie["id"],
        "exclude_reply_user_ids": [OTHER],
    }
    assert to_karl["reply"] == {"in_reply_to_tweet_id": karl["id"]}  # only the artist mentioned


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
    # The fake is a base_url a person could type: its own words are not repeated.
    with pytest.raises(PermanentError, match=r"^X API 403$"):
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


def test_a_deleted_mention_leaves_the_inbox_at_the_next_sync_and_dms_are_never_looked_up(
    rt: Runtime, workspace: Workspace, fake: FakeX
) -> None:
    """The deletion check runs at every sync over the whole window (here 230 tweets, three
    lookup requests), not an hourly 100; DM events are not tweets and stay out of it."""
    tweets = [
        fake.post(FAN, f"@artist wave {n}", at=minutes_ago(300 - n))["id"] for n in range(230)
    ]
    dm = fake.dm(OTHER, f"{OTHER}-{fake.me_id}", "a private word")["id"]
    with rt.session() as s:
        channel = Channel(
            workspace_id=workspace.id,
            network="x",
            connector="x",
            handle="artist",
            external_id=fake.me_id,
            base_url=fake.base_url,
            credentials_encrypted=rt.box.encrypt({"access_token": "good-token"}),
            options={"timeout": 2, "backfill_days": 3},
        )
        s.add(channel)
        s.flush()
        channel_id = channel.id
    first = sync.sync_channel(rt, channel_id)
    assert first.error is None and first.ingest.created == 231
    gone = [tweets[0], tweets[150], tweets[229]]  # the oldest, the middle, the newest
    for tweet_id in gone:
        fake.delete(tweet_id)
    before = len(fake.seen)
    report = sync.sync_channel(rt, channel_id)

    assert report.error is None and report.deletions_checked == 230
    lookups = [args for _, path, args in fake.seen[before:] if path == "/2/tweets"]
    assert len(lookups) == 3 and dm not in ",".join(a["ids"] for a in lookups)
    with rt.session() as s:
        deleted = set(
            s.scalars(
                select(Message.external_id).where(
                    Message.channel_id == channel_id, Message.deleted_at.is_not(None)
                )
            )
        )
        assert s.scalar(select(Message.id).where(Message.external_id == dm)) is not None
    assert deleted == set(gone)


def test_an_unreadable_cursor_is_refused(fake: FakeX) -> None:
    with pytest.raises(PermanentError, match="cursor"):
        make(fake).fetch_since({"since": "whatever"})


def test_a_stale_mentions_token_goes_on_below_the_oldest_mention_read(fake: FakeX) -> None:
    connector = make(fake)
    _, cursor = sync_all(connector, None)
    posted = [fake.post(FAN, f"@artist wave {n}")["id"] for n in range(12)]
    first = connector.fetch_since(cursor, limit=5)
    assert first.has_more and first.cursor is not None
    stale = {**first.cursor, "mentions": {**first.cursor["mentions"], "pagination_token": "x"}}
    rest, _ = sync_all(connector, stale, limit=5)
    walked = [i.external_id for i in first.items + rest]
    assert sorted(walked, key=int) == posted  # nothing skipped, nothing read twice
    asked = [args for _, path, args in fake.seen if path.endswith("/mentions")]
    rejected = next(i for i, args in enumerate(asked) if args.get("pagination_token") == "x")
    assert asked[rejected + 1].get("until_id") == min((i.external_id for i in first.items), key=int)
    assert "pagination_token" not in asked[rejected + 1]


# --------------------------------------------------------------------------- recorded backfill
# X has no server a test can run, so the backfill is checked against recorded exchanges
# shaped like X's documented examples (tests/connectors/recorded/, README.md there),
# served over HTTP so that tweepy itself parses every page.

X_PAGE_KEYS = {
    "max_results",
    "start_time",
    "end_time",
    "since_id",
    "until_id",
    "pagination_token",
    "event_types",
}
RECORDED_AT = datetime(2026, 11, 20, 12, tzinfo=UTC)
MENTION_CAP = 800  # X: "up to the most recent 800 Tweets can be retrieved"


class RecordedClock(datetime):
    """The connector's clock, stopped when the exchanges were recorded."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> RecordedClock:
        moment = RECORDED_AT if tz is None else RECORDED_AT.astimezone(tz)
        return cls.fromtimestamp(moment.timestamp(), tz)


def served(exchanges: list[dict[str, Any]], path_end: str) -> list[dict[str, Any]]:
    """Every successful response body of one endpoint, in the order served."""
    return [
        e["response"]["body"]
        for e in exchanges
        if e["request"]["path"].endswith(path_end) and e["response"]["status"] == 200
    ]


def test_recorded_backfill_reaches_the_window_through_crashes_then_syncs_forward(
    rt: Runtime, workspace: Workspace, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(x_module, "datetime", RecordedClock)
    replay = Replay(httpserver, RECORDED / "x" / "backfill", X_PAGE_KEYS)
    me = replay.exchanges[0]["request"]["path"].split("/")[3]
    with rt.session() as s:
        channel = Channel(
            workspace_id=workspace.id,
            network="x",
            connector="x",
            handle="XDevelopers",
            external_id=me,
            base_url=httpserver.url_for("").rstrip("/"),
            credentials_encrypted=rt.box.encrypt({"access_token": "recorded-token"}),
            options={"timeout": 2, "backfill_days": 7},
        )
        s.add(channel)
        s.flush()
        channel_id = channel.id

    # Each sync reads at most 4 pages; the window takes 14 requests, a 429 and a 503.
    reports = [sync.sync_channel(rt, channel_id, max_pages=4) for _ in range(5)]
    with rt.session() as s:
        backfilled = set(s.scalars(select(Message.external_id)))
        cursor = s.get_one(Channel, channel_id).cursor
    forward = sync.sync_channel(rt, channel_id, max_pages=4)

    assert replay.mismatches == []
    assert replay.left == []  # every recorded page asked for, none beyond them
    assert [r.pages for r in reports] == [3, 4, 4, 0, 1]
    assert reports[0].error and "429" in reports[0].error  # rate limited mid-walk
    assert reports[3].error and "503" in reports[3].error  # X down mid-walk
    assert forward.error is None and forward.pages == 2

    window_start = RECORDED_AT - timedelta(days=7)
    mention_pages = served(replay.exchanges, "/mentions")
    walk, new_mentions = mention_pages[:-1], mention_pages[-1]
    # Page sizes are the server's: short and empty pages sat mid-walk and did not end it.
    assert sorted(len(p.get("data", [])) for p in walk if "next_token" in p["meta"])[:2] == [0, 97]
    window_mentions = {t["id"] for p in walk for t in p.get("data", [])}
    assert len(window_mentions) == MENTION_CAP  # the cap, as X applies it: the walk ends there
    assert all(
        datetime.fromisoformat(t["created_at"]) >= window_start
        for p in walk
        for t in p.get("data", [])
    )
    dm_pages = served(replay.exchanges, "/dm_events")
    dm_walk, dm_forward = dm_pages[:-1], dm_pages[-1]
    dm_events = [e for p in dm_walk for e in p["data"]]
    window_dms = {
        e["id"] for e in dm_events if datetime.fromisoformat(e["created_at"]) >= window_start
    }
    older_dms = {e["id"] for e in dm_events} - window_dms
    assert older_dms  # the recording holds DMs from before the window...
    assert backfilled == window_mentions | window_dms  # ...which stay out; the rest, once each
    assert cursor is not None
    assert cursor["mentions"]["since_id"] == max(window_mentions, key=int)
    assert cursor["mentions"]["pagination_token"] is None
    assert cursor["dms"]["last_id"] == max(window_dms, key=int)

    with rt.session() as s:
        ids = list(s.scalars(select(Message.external_id)))
    fresh_dms = {e["id"] for e in dm_forward["data"]} - window_dms - older_dms
    assert len(ids) == len(set(ids))
    assert set(ids) == backfilled | {t["id"] for t in new_mentions["data"]} | fresh_dms
    assert len(fresh_dms) == 3


def test_recorded_backfill_resumes_at_the_page_a_killed_worker_was_storing(
    rt: Runtime, workspace: Workspace, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same recorded window, but the worker dies while storing the walk's second page:
    the next sync asks for that page again (its pagination token was never stored) and the
    walk goes on through the 429 and the 503 to the window's start, each post once."""
    monkeypatch.setattr(x_module, "datetime", RecordedClock)
    replay = Replay(httpserver, RECORDED / "x" / "backfill", X_PAGE_KEYS)
    replay.exchanges.insert(2, replay.exchanges[1])  # X answers the repeated page again
    me = replay.exchanges[0]["request"]["path"].split("/")[3]
    with rt.session() as s:
        channel = Channel(
            workspace_id=workspace.id,
            network="x",
            connector="x",
            handle="XDevelopers",
            external_id=me,
            base_url=httpserver.url_for("").rstrip("/"),
            credentials_encrypted=rt.box.encrypt({"access_token": "recorded-token"}),
            options={"timeout": 2, "backfill_days": 7},
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
        sync.sync_channel(rt, channel_id, max_pages=4)
    monkeypatch.setattr(sync, "ingest", real_ingest)
    first_page = replay.exchanges[0]["response"]["body"]["data"]
    assert sorted(stored()) == sorted(t["id"] for t in first_page)  # page 1 only

    reports = [sync.sync_channel(rt, channel_id, max_pages=4) for _ in range(5)]
    forward = sync.sync_channel(rt, channel_id, max_pages=4)

    assert replay.mismatches == []
    assert replay.left == []  # the repeated page, then every recorded page, none beyond
    assert reports[0].pages == 2 and reports[0].error and "429" in reports[0].error
    assert any(r.error and "503" in r.error for r in reports[1:])
    assert reports[-1].error is None and forward.error is None

    window_start = RECORDED_AT - timedelta(days=7)
    mention_pages = served(replay.exchanges, "/mentions")
    walk, new_mentions = mention_pages[:-1], mention_pages[-1]
    window_mentions = {t["id"] for p in walk for t in p.get("data", [])}
    dm_pages = served(replay.exchanges, "/dm_events")
    dm_events = [e for p in dm_pages for e in p["data"]]
    window_dms = {
        e["id"] for e in dm_events if datetime.fromisoformat(e["created_at"]) >= window_start
    }
    ids = stored()
    assert len(ids) == len(set(ids))  # nothing stored twice, the repeated page included
    assert set(ids) == window_mentions | window_dms | {t["id"] for t in new_mentions["data"]}
    assert len(window_mentions) == MENTION_CAP
