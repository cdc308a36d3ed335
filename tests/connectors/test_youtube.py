"""The YouTube connector: unit tests on the library's HttpMockSequence, and end to end
through google-api-python-client against a local fake API (``api_endpoint``)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from googleapiclient.http import HttpMockSequence
from pytest_httpserver import HTTPServer

from inbox.connectors import build
from inbox.connectors import youtube as youtube_module
from inbox.connectors.base import (
    AuthError,
    Author,
    ChannelConfig,
    Connector,
    IncomingItem,
    PermanentError,
    RateLimited,
    ReplyTarget,
    TransientError,
)
from inbox.connectors.youtube import (
    QuotaBudget,
    YouTubeConnector,
    pacific_day,
    seconds_until_pacific_midnight,
)
from tests.connectors.fake_youtube import QUOTA_MESSAGE, FakeThread, FakeYouTube, google_error

pytestmark = pytest.mark.allow_hosts(["127.0.0.1", "::1", "localhost"])

CHANNEL = "UCartist00000000000000000"


# --- unit tests on the library's own HttpMockSequence ---------------------------------


def mocked(responses: list[tuple[dict[str, str], str]], **options: Any) -> YouTubeConnector:
    """A connector whose HTTP is an HttpMockSequence answering ``responses`` in order."""
    state = options.pop("state", {})
    http = HttpMockSequence(responses)

    class Mocked(YouTubeConnector):
        def _transport(self) -> Any:
            return http

    conn = Mocked(
        ChannelConfig(
            channel_id=7,
            network="youtube",
            handle="@artist",
            external_id=CHANNEL,
            credentials={
                "client_id": "c",
                "client_secret": "s",
                "refresh_token": "r",
                "access_token": "valid-token",
            },
            state=state,
            options=options,
        )
    )
    conn.http_mock = http  # type: ignore[attr-defined]
    return conn


def ok(payload: Any) -> tuple[dict[str, str], str]:
    return {"status": "200", "content-type": "application/json"}, json.dumps(payload)


def error(
    code: int, reason: str, message: str = "nope", **headers: str
) -> tuple[dict[str, str], str]:
    return {"status": str(code), **headers}, json.dumps(google_error(code, reason, message))


EMPTY_PAGE = {"kind": "youtube#commentThreadListResponse", "items": []}


def test_quota_exceeded_closes_the_budget_until_pacific_midnight() -> None:
    conn = mocked([error(403, "quotaExceeded", QUOTA_MESSAGE)])

    with pytest.raises(RateLimited) as caught:
        conn.fetch_since(None)

    expected = seconds_until_pacific_midnight(datetime.now(UTC))
    assert caught.value.retry_after == pytest.approx(expected, abs=5)
    assert conn.state["quota"]["used"] >= 10_000
    # The next call is refused before any request (the mock has no answer left).
    with pytest.raises(RateLimited):
        conn.fetch_since(None)
    assert len(conn.http_mock.request_sequence) == 1  # type: ignore[attr-defined]


def test_polling_leaves_the_reply_reserve_for_replies() -> None:
    today = pacific_day(datetime.now(UTC))
    reply = {
        "kind": "youtube#comment",
        "id": "Ugz1.9r1",
        "snippet": {
            "textOriginal": "thanks",
            "authorDisplayName": "@artist",
            "authorChannelId": {"value": CHANNEL},
            "parentId": "Ugz1",
            "videoId": "vid1",
            "publishedAt": "2024-05-01T10:00:00Z",
            "updatedAt": "2024-05-01T10:00:00Z",
        },
    }
    conn = mocked(
        [ok(reply)],
        daily_quota=70,
        reply_reserve=50,
        state={"quota": {"day": today, "used": 20}},
    )

    with pytest.raises(RateLimited):
        conn.fetch_since(None)  # 20 + 1 > 70 - 50
    sent = conn.send_reply(ReplyTarget(thread_id="Ugz1", parent_external_id="Ugz1"), "thanks", "k")

    assert sent.external_id == "Ugz1.9r1"
    assert sent.url == "https://www.youtube.com/watch?v=vid1&lc=Ugz1.9r1"
    assert conn.state["quota"]["used"] == 70
    ((uri, method, body, _),) = conn.http_mock.request_sequence  # type: ignore[attr-defined]
    assert method == "POST" and "/youtube/v3/comments?part=snippet" in uri
    assert json.loads(body) == {"snippet": {"parentId": "Ugz1", "textOriginal": "thanks"}}


def test_the_budget_starts_over_on_a_new_pacific_day(monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime(2025, 6, 2, 7, 30, tzinfo=UTC)  # 00:30 in California
    monkeypatch.setattr(youtube_module, "utcnow", lambda: now)
    budget = QuotaBudget(
        {"day": "2025-06-01", "used": 10_000}, limit=10_000, reserve=0, clock=lambda: now
    )
    budget.spend(1)
    assert budget.as_state() == {"day": "2025-06-02", "used": 1, "limit": 10_000}
    late = QuotaBudget(
        {"day": "2025-06-02", "used": 9_999}, limit=10_000, reserve=0, clock=lambda: now
    )
    with pytest.raises(RateLimited) as caught:
        late.spend(50, for_reply=True)
    assert caught.value.retry_after == pytest.approx(23.5 * 3600)


@pytest.mark.parametrize(
    ("now", "seconds"),
    [
        (datetime(2025, 1, 15, 7, 59, tzinfo=UTC), 60.0),  # 23:59 PST
        (datetime(2025, 3, 8, 20, 0, tzinfo=UTC), 12 * 3600.0),  # noon PST, DST starts at 2am
        (datetime(2025, 11, 1, 6, 30, tzinfo=UTC), 1800.0),  # 23:30 PDT
        (datetime(2025, 11, 2, 7, 0, tzinfo=UTC), 25 * 3600.0),  # midnight PDT, a 25-hour day
    ],
)
def test_seconds_until_pacific_midnight(now: datetime, seconds: float) -> None:
    assert seconds_until_pacific_midnight(now) == seconds


def test_rate_limit_429_retries_after_the_header() -> None:
    conn = mocked([error(429, "rateLimitExceeded", **{"retry-after": "30"})])
    with pytest.raises(RateLimited) as caught:
        conn.fetch_since(None)
    assert caught.value.retry_after == 30


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (error(403, "rateLimitExceeded"), RateLimited),
        (error(403, "commentsDisabled"), PermanentError),
        (error(403, "insufficientPermissions"), AuthError),
        (error(400, "invalidParameter"), PermanentError),
        (error(500, "backendError"), TransientError),
        (({"status": "200"}, '{"kind": "youtube#commentThreadListRe'), TransientError),
        (({"status": "200"}, '"a string, not an object"'), TransientError),
    ],
)
def test_google_errors_map_to_connector_errors(
    response: tuple[dict[str, str], str], expected: type[Exception]
) -> None:
    with pytest.raises(expected):
        mocked([response]).fetch_since(None)


def test_a_page_of_threads_from_the_mock_becomes_items() -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    stamp = (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    thread = {
        "kind": "youtube#commentThread",
        "id": "UgzTHREAD",
        "snippet": {
            "channelId": CHANNEL,
            "videoId": "vid1",
            "totalReplyCount": 0,
            "canReply": True,
            "isPublic": True,
            "topLevelComment": {
                "kind": "youtube#comment",
                "id": "UgzTHREAD",
                "snippet": {
                    "videoId": "vid1",
                    "textOriginal": "first!",
                    "authorDisplayName": "@fan",
                    "authorChannelId": {"value": "UCfan"},
                    "publishedAt": stamp,
                    "updatedAt": stamp,
                },
            },
        },
    }
    videos = {"items": [{"id": "vid1", "snippet": {"title": "Live at the Roundhouse"}}]}
    conn = mocked([ok({"items": [thread]}), ok(videos)])

    (item,) = conn.fetch_since(None).items

    assert (item.external_id, item.thread_id, item.kind) == ("UgzTHREAD", "UgzTHREAD", "comment")
    assert item.context is not None and item.context.title == "Live at the Roundhouse"
    assert conn.state["videos"] == {"vid1": "Live at the Roundhouse"}
    assert conn.state["quota"]["used"] == 2


# --- end to end against the local fake API --------------------------------------------


@pytest.fixture
def fake(httpserver: HTTPServer) -> Iterator[FakeYouTube]:
    api = FakeYouTube(httpserver)
    yield api
    httpserver.clear()


def oauth_config(
    fake: FakeYouTube,
    *,
    state: dict[str, Any] | None = None,
    external_id: str | None = CHANNEL,
    access_token: str = "access-0",
    **options: Any,
) -> ChannelConfig:
    return ChannelConfig(
        channel_id=3,
        network="youtube",
        handle="@artist",
        external_id=external_id,
        credentials={
            "client_id": fake.client_id,
            "client_secret": fake.client_secret,
            "refresh_token": fake.refresh_token,
            "access_token": access_token,
            "token_uri": fake.token_uri,
        },
        base_url=fake.url,
        state=state or {},
        options={"timeout": 1.5, **options},
    )


def connect(fake: FakeYouTube, **kwargs: Any) -> YouTubeConnector:
    return YouTubeConnector(oauth_config(fake, **kwargs))


def poll(
    conn: YouTubeConnector, cursor: dict[str, Any] | None, limit: int = 100
) -> tuple[list[IncomingItem], dict[str, Any] | None]:
    """One sync as the pipeline runs it: pages until has_more is False."""
    items: list[IncomingItem] = []
    for _ in range(100):
        result = conn.fetch_since(cursor, limit=limit)
        items.extend(result.items)
        cursor = result.cursor
        if not result.has_more:
            return items, cursor
    raise AssertionError("the connector never finished paging")


def test_first_sync_returns_recent_threads_with_replies_context_and_edits(
    fake: FakeYouTube,
) -> None:
    video = fake.add_video("Midnight Train (Official Video)")
    fake.comment("ancient", "from last year", video_id=video, at=fake.clock - timedelta(days=300))
    thread = fake.comment("fan", "love this", video_id=video)
    answer = fake.reply(thread, "otherfan", "same!")
    fake.edit(answer, "same!! (edited)")
    channel_post = fake.comment("fan2", "hi channel", video_id=None)

    items, cursor = poll(connect(fake), None)

    assert [i.external_id for i in items] == [thread.id, answer["id"], channel_post.id]
    top, reply, post = items
    assert top.kind == "comment" and top.thread_id == thread.id and top.parent_id is None
    assert reply.kind == "reply" and reply.thread_id == thread.id and reply.parent_id == thread.id
    assert reply.text == "same!! (edited)"
    assert reply.edited_at is not None and reply.edited_at > reply.created_at
    assert top.edited_at is None
    assert top.context is not None
    assert top.context.title == "Midnight Train (Official Video)"
    assert top.context.url == f"https://www.youtube.com/watch?v={video}"
    assert top.url == f"https://www.youtube.com/watch?v={video}&lc={thread.id}"
    assert top.author.handle == "@fan" and top.author.name == "fan"
    assert top.author.external_id == thread.top["snippet"]["authorChannelId"]["value"]
    assert top.raw == thread.top
    assert post.context is None and post.url == f"https://www.youtube.com/channel/{CHANNEL}"
    assert cursor is not None and "scan" not in cursor


def test_a_poll_stops_paging_at_comments_already_seen(fake: FakeYouTube) -> None:
    video = fake.add_video("Song")
    for hours in range(30, 0, -1):
        fake.comment(f"fan{hours}", "older", video_id=video, at=fake.clock - timedelta(hours=hours))
    conn = connect(fake)
    first, cursor = poll(conn, None, limit=10)
    assert len(first) == 30
    new = fake.comment("newfan", "brand new", video_id=video)
    lists_before = fake.calls.get("GET /youtube/v3/commentThreads", 0)

    items, cursor = poll(conn, cursor, limit=10)

    assert [i.external_id for i in items] == [new.id]
    # One recheck of the watched threads, then a single page of the scan.
    assert fake.calls["GET /youtube/v3/commentThreads"] - lists_before == 2
    again, _ = poll(conn, cursor, limit=10)
    assert again == []


def test_a_scan_interrupted_by_errors_resumes_without_skipping(fake: FakeYouTube) -> None:
    video = fake.add_video("Song")
    fake.comment("early", "before", video_id=video)
    conn = connect(fake)
    _, cursor = poll(conn, None)
    posted = [fake.comment(f"fan{n}", f"c{n}", video_id=video).id for n in range(8)]

    seen: list[str] = []
    faults = iter(["500", None, "cut", None, None, "timeout", None, None, None, None, None])
    for fault in faults:
        if fault:
            fake.faults.append(fault)
        try:
            result = conn.fetch_since(cursor, limit=3)
        except TransientError:
            continue  # the stored cursor stays as it was
        seen.extend(i.external_id for i in result.items)
        cursor = result.cursor
        if not result.has_more:
            break

    assert sorted(seen) == sorted(posted)
    assert len(seen) == len(set(seen))


def test_a_new_reply_on_an_old_thread_is_found_by_the_recheck(fake: FakeYouTube) -> None:
    video = fake.add_video("Song")
    old = fake.comment("fan", "old thread", video_id=video, at=fake.clock - timedelta(days=2))
    for n in range(4):
        at = fake.clock - timedelta(days=1, hours=n)
        fake.comment(f"fan{n}", "newer threads", video_id=video, at=at)
    fake.comment("today", "the newest thread", video_id=video)
    conn = connect(fake)
    _, cursor = poll(conn, None, limit=2)
    late = fake.reply(old, "latecomer", "still listening to this")

    items, _ = poll(conn, cursor, limit=2)

    assert [(i.external_id, i.thread_id, i.kind) for i in items] == [(late["id"], old.id, "reply")]


def test_threads_with_more_replies_than_shown_are_read_in_full(fake: FakeYouTube) -> None:
    video = fake.add_video("Song")
    thread = fake.comment("fan", "question", video_id=video)
    replies = [fake.reply(thread, f"r{n}", f"answer {n}")["id"] for n in range(7)]

    items, _ = poll(connect(fake), None)

    assert [i.external_id for i in items] == [thread.id, *replies]
    assert fake.calls["GET /youtube/v3/comments"] == 1


def test_a_deleted_thread_is_reported_deleted(fake: FakeYouTube) -> None:
    video = fake.add_video("Song")
    keep = fake.comment("fan", "keep", video_id=video)
    gone = fake.comment("troll", "delete me", video_id=video)
    conn = connect(fake)
    _, cursor = poll(conn, None)
    fake.delete_thread(gone)

    items, cursor = poll(conn, cursor)

    assert [(i.external_id, i.deleted) for i in items] == [(gone.id, True)]
    assert cursor is not None and keep.id in cursor["threads"] and gone.id not in cursor["threads"]


def test_deletions_are_checked_over_the_whole_window_fifty_threads_a_call(
    fake: FakeYouTube,
) -> None:
    video = fake.add_video("Song")
    # 120 threads active in the last two days: more than one recheck call holds.
    threads = [
        fake.comment(f"fan{n}", f"c{n}", video_id=video, at=fake.clock - timedelta(minutes=20 * n))
        for n in range(120)
    ]
    fake.comment("old", "quiet for a week", video_id=video, at=fake.clock - timedelta(days=5))
    conn = connect(fake, backfill_days=7)
    _, cursor = poll(conn, None)
    assert cursor is not None and len(cursor["threads"]) == 120  # the week-old one is not
    gone = threads[110]  # among the least recently active of the window
    fake.delete_thread(gone)
    asked: list[int] = []
    serve = fake._comment_threads

    def counting(request: Any) -> Any:
        if request.args.get("id"):
            asked.append(len(request.args["id"].split(",")))
        return serve(request)

    fake._comment_threads = counting  # type: ignore[method-assign]

    found: list[str] = []
    for _ in range(3):  # one recheck call of 50 ids per scan: three scans cover 120
        items, cursor = poll(conn, cursor)
        found += [i.external_id for i in items if i.deleted]

    assert found == [gone.id]
    assert asked == [50, 50, 20]  # the window's 120 threads, in three one-unit calls


def test_an_expired_page_token_restarts_the_scan(fake: FakeYouTube) -> None:
    video = fake.add_video("Song")
    fake.comment("a", "x", video_id=video)
    conn = connect(fake)
    _, cursor = poll(conn, None)
    assert cursor is not None
    posted = [fake.comment(f"f{n}", "y", video_id=video).id for n in range(3)]
    broken = {**cursor, "recheck_next": False, "scan": {"page_token": "bm9wZQ==", "pages": 1}}

    result = conn.fetch_since(broken)
    assert result.items == [] and result.has_more is True and "scan" not in (result.cursor or {})
    items, _ = poll(conn, result.cursor)

    assert sorted(i.external_id for i in items) == sorted(posted)


def test_a_malformed_thread_is_reported_and_the_rest_of_the_page_returned(
    fake: FakeYouTube,
) -> None:
    video = fake.add_video("Song")
    good = fake.comment("fan", "fine", video_id=video)
    broken = fake.comment("ghost", "no author", video_id=video)
    del broken.top["snippet"]["authorChannelId"]
    bad_time = fake.comment("clock", "bad time", video_id=video)
    bad_time.top["snippet"]["publishedAt"] = "last tuesday"
    bad_time.top["snippet"]["updatedAt"] = "last tuesday"

    result = connect(fake).fetch_since(None)

    assert [i.external_id for i in result.items] == [good.id]
    reasons = sorted(reason for reason, _ in result.malformed)
    assert len(reasons) == 2
    assert any("authorChannelId" in r for r in reasons)
    assert any("publishedAt" in r for r in reasons)


# --- replying -------------------------------------------------------------------------


def test_a_reply_goes_under_the_thread_and_costs_50_units(fake: FakeYouTube) -> None:
    video = fake.add_video("Song")
    thread = fake.comment("fan", "when is the tour?", video_id=video)
    conn = connect(fake)
    before = conn.state["quota"]["used"]

    sent = conn.send_reply(
        ReplyTarget(thread_id=thread.id, parent_external_id=thread.id, parent_raw=thread.top),
        "  Dates drop on Friday!  ",
        "reply-1",
    )

    assert fake.insert_bodies == [
        {"snippet": {"parentId": thread.id, "textOriginal": "Dates drop on Friday!"}}
    ]
    assert thread.replies[-1]["id"] == sent.external_id
    assert sent.url == f"https://www.youtube.com/watch?v={video}&lc={sent.external_id}"
    assert conn.state["quota"]["used"] - before == 50
    # The artist's own reply comes back from the next sync, to be stored as outbound.
    items, _ = poll(conn, None)
    own = next(i for i in items if i.external_id == sent.external_id)
    assert own.author.external_id == CHANNEL


def test_answering_a_reply_names_its_author(fake: FakeYouTube) -> None:
    thread = fake.comment("fan", "q", video_id=None)
    other = fake.reply(thread, "otherfan", "me too")
    connect(fake).send_reply(
        ReplyTarget(
            thread_id=thread.id,
            parent_external_id=other["id"],
            parent_author=Author(external_id="UCother", handle="@otherfan"),
        ),
        "thank you",
        "k",
    )
    assert fake.insert_bodies[0]["snippet"]["textOriginal"] == "@otherfan thank you"
    connect(fake).send_reply(
        ReplyTarget(thread_id=thread.id, parent_external_id=other["id"], parent_raw=other),
        "and @OtherFan, welcome",
        "k2",
    )
    assert fake.insert_bodies[1]["snippet"]["textOriginal"] == "and @OtherFan, welcome"


def test_the_same_key_twice_posts_once(fake: FakeYouTube) -> None:
    thread = fake.comment("fan", "q", video_id=None)
    target = ReplyTarget(thread_id=thread.id, parent_external_id=thread.id)
    conn = connect(fake)
    first = conn.send_reply(target, "hello", "same")
    second = YouTubeConnector(oauth_config(fake, state=dict(conn.state))).send_reply(
        target, "hello", "same"
    )
    assert first.external_id == second.external_id
    assert len(fake.insert_bodies) == 1


def test_a_reply_whose_answer_was_lost_is_not_posted_twice(fake: FakeYouTube) -> None:
    thread = fake.comment("fan", "q", video_id=None)
    target = ReplyTarget(thread_id=thread.id, parent_external_id=thread.id)
    conn = connect(fake)
    fake.fail_path("POST /youtube/v3/comments", "after-insert-500")

    with pytest.raises(TransientError):
        conn.send_reply(target, "hello there", "lost-answer")
    retry = YouTubeConnector(oauth_config(fake, state=dict(conn.state)))
    sent = retry.send_reply(target, "hello there", "lost-answer")

    assert len(fake.insert_bodies) == 1
    assert sent.external_id == thread.replies[-1]["id"]
    assert "lost-answer" not in retry.state["reply_attempts"]


def test_a_refused_reply_is_permanent_and_forgets_the_attempt(fake: FakeYouTube) -> None:
    thread = fake.comment("fan", "q", video_id=None)
    conn = connect(fake)
    fake.fail_path("POST /youtube/v3/comments", "disabled")
    with pytest.raises(PermanentError, match="commentsDisabled"):
        conn.send_reply(ReplyTarget(thread_id=thread.id, parent_external_id=thread.id), "x", "k")
    assert conn.state["reply_attempts"] == {}
    fake.delete_thread(thread)
    with pytest.raises(PermanentError, match="deleted"):
        conn.send_reply(ReplyTarget(thread_id=thread.id, parent_external_id=thread.id), "x", "k2")
    with pytest.raises(PermanentError, match="10000"):
        conn.send_reply(
            ReplyTarget(thread_id=thread.id, parent_external_id=thread.id), "x" * 10_001, "k3"
        )


# --- credentials ----------------------------------------------------------------------


def test_an_expired_access_token_is_refreshed_and_kept_in_state(fake: FakeYouTube) -> None:
    fake.comment("fan", "hi", video_id=None)
    conn = connect(fake, access_token="expired-token")

    items, _ = poll(conn, None)

    assert len(items) == 1
    assert fake.calls["POST /token"] == 1
    oauth = conn.state["oauth"]
    assert oauth["access_token"] == "access-1"
    assert datetime.fromisoformat(oauth["expiry"]) > datetime.now(UTC) + timedelta(minutes=50)
    # The next run starts from the refreshed token: no second refresh.
    poll(
        YouTubeConnector(oauth_config(fake, access_token="expired-token", state=dict(conn.state))),
        None,
    )
    assert fake.calls["POST /token"] == 1


def test_a_revoked_refresh_token_is_an_auth_error(fake: FakeYouTube) -> None:
    fake.refresh_revoked = True
    with pytest.raises(AuthError, match="refresh"):
        connect(fake, access_token="expired-token").fetch_since(None)


def test_an_api_key_channel_reads_but_cannot_reply(fake: FakeYouTube) -> None:
    thread = fake.comment("fan", "hi", video_id=None)
    conn = YouTubeConnector(
        ChannelConfig(
            channel_id=4,
            network="youtube",
            handle="@artist",
            external_id=CHANNEL,
            credentials={"api_key": fake.api_key},
            base_url=fake.url,
            options={"timeout": 1.5},
        )
    )
    items, _ = poll(conn, None)
    assert [i.external_id for i in items] == [thread.id]
    with pytest.raises(PermanentError, match="OAuth"):
        conn.send_reply(ReplyTarget(thread_id=thread.id, parent_external_id=thread.id), "x", "k")


def test_missing_credentials_are_an_auth_error() -> None:
    with pytest.raises(AuthError):
        YouTubeConnector(
            ChannelConfig(
                channel_id=4, network="youtube", handle="@a", external_id=CHANNEL, credentials={}
            )
        )


def test_the_channel_id_is_looked_up_once_when_not_configured(fake: FakeYouTube) -> None:
    thread = fake.comment("fan", "hi", video_id=None)
    conn = connect(fake, external_id=None)
    items, _ = poll(conn, None)
    assert [i.external_id for i in items] == [thread.id]
    assert conn.state["channel_id"] == CHANNEL
    poll(YouTubeConnector(oauth_config(fake, external_id=None, state=dict(conn.state))), None)
    assert fake.calls["GET /youtube/v3/channels"] == 1


def test_fetch_profile_returns_the_channel(fake: FakeYouTube) -> None:
    author = connect(fake).fetch_profile("UCfan000000000000000000")
    assert author.handle == "@fan"
    assert author.name == "A Fan"
    assert author.profile is not None and author.profile["subscriber_count"] == 1234
    with pytest.raises(PermanentError):
        connect(fake).fetch_profile("UCmissing")


# --- errors end to end ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("500", TransientError),
        ("503", TransientError),
        ("timeout", TransientError),
        ("cut", TransientError),
        ("malformed", TransientError),
        ("quota", RateLimited),
        ("rate", RateLimited),
        ("429", RateLimited),
        ("scope", AuthError),
    ],
)
def test_faults_from_the_api_map_to_connector_errors(
    fake: FakeYouTube, fault: str, expected: type[Exception]
) -> None:
    fake.faults.append(fault)
    with pytest.raises(expected):
        connect(fake).fetch_since(None)


def test_a_token_rejected_after_refresh_is_an_auth_error(fake: FakeYouTube) -> None:
    conn = connect(fake)
    fake.refresh_revoked = True
    fake.faults.append("401")  # the access token stops working, and refreshing fails
    with pytest.raises(AuthError):
        conn.fetch_since(None)


def test_the_registry_builds_a_connector_that_fits_the_interface(fake: FakeYouTube) -> None:
    conn = build("youtube", oauth_config(fake))
    assert isinstance(conn, YouTubeConnector)
    assert isinstance(conn, Connector)


def test_every_comment_arrives_once_through_a_flaky_api(fake: FakeYouTube) -> None:
    """30% of requests fail (429, 5xx, cut-off and malformed bodies) while comments arrive."""
    rng = random.Random(7)
    video = fake.add_video("Song")
    conn = connect(fake, daily_quota=1_000_000)
    cursor: dict[str, Any] | None = None
    stored: list[str] = []
    threads: list[FakeThread] = []
    failures = 0
    for _round in range(25):
        for _ in range(rng.randint(0, 6)):
            if threads and rng.random() < 0.4:
                fake.reply(rng.choice(threads), "replier", "a reply")
            else:
                threads.append(fake.comment("fan", "a comment", video_id=video))
        for _ in range(8):
            if rng.random() < 0.3:
                fake.faults.append(rng.choice(["429", "500", "503", "cut", "malformed"]))
            try:
                result = conn.fetch_since(cursor, limit=4)
            except TransientError:
                failures += 1
                continue
            stored.extend(i.external_id for i in result.items if not i.deleted)
            cursor = result.cursor
            if not result.has_more:
                break
    fake.faults.clear()
    items, _ = poll(conn, cursor, limit=4)
    stored.extend(i.external_id for i in items)

    assert failures >= 5
    assert len(stored) == len(set(stored))
    assert set(stored) == fake.all_comment_ids()


def test_without_a_base_url_the_client_targets_googles_endpoint() -> None:
    conn = YouTubeConnector(
        ChannelConfig(
            channel_id=5,
            network="youtube",
            handle="@artist",
            external_id=CHANNEL,
            credentials={"api_key": "k"},
        )
    )
    assert conn._service._baseUrl == "https://youtube.googleapis.com/"


# --- the backfill against recorded responses, through the real sync ---------------------


class Clock:
    """The connector's "now", moved by the test (the recording has fixed dates)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _recorded_comments(recording: dict[str, Any]) -> dict[str, str]:
    """Every comment in the recorded thread and reply pages: id -> publishedAt."""
    found: dict[str, str] = {}
    for exchange in recording["exchanges"]:
        for response in exchange["responses"]:
            for item in (response.get("body") or {}).get("items", []):
                if item.get("kind") == "youtube#commentThread":
                    comments = [item["snippet"]["topLevelComment"]]
                    comments += item.get("replies", {}).get("comments", [])
                elif item.get("kind") == "youtube#comment":
                    comments = [item]
                else:
                    continue
                for comment in comments:
                    found[comment["id"]] = comment["snippet"]["publishedAt"]
    return found


def test_the_backfill_walks_recorded_pages_to_the_window_start_through_quota_and_a_crash(
    rt: Any, workspace: Any, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import select

    from inbox import sync
    from models import Channel, ChannelHealth, Message
    from tests.connectors.replay import Replay

    replay = Replay.load(httpserver, "youtube/backfill_window.json")
    recording = replay.recording
    clock = Clock(replay.recorded_at)
    monkeypatch.setattr(youtube_module, "utcnow", clock)
    window_start = replay.recorded_at - timedelta(days=recording["window_days"])
    with rt.session() as s:
        channel = Channel(
            workspace_id=workspace.id,
            network="youtube",
            connector="youtube",
            handle="@leslumieresbasses",
            external_id=recording["channel_id"],
            base_url=httpserver.url_for("/"),
            credentials_encrypted=rt.box.encrypt({"api_key": "recorded-key"}),
            options={"backfill_days": recording["window_days"], "timeout": 5},
        )
        s.add(channel)
        s.flush()
        channel_id = channel.id

    def stored() -> list[str]:
        with rt.session() as s:
            return list(
                s.scalars(select(Message.external_id).where(Message.channel_id == channel_id))
            )

    def cursor() -> dict[str, Any]:
        with rt.session() as s:
            return dict(s.get_one(Channel, channel_id).cursor or {})

    # 1. One sync reads two pages; the window holds five: the walk is not done.
    first = sync.sync_channel(rt, channel_id, max_pages=2)
    assert first.error is None and first.pages == 2
    assert cursor()["backfill"] is True and cursor()["scan"]["pages"] == 2
    # 2. Google says the day's quota is gone (403 quotaExceeded, as documented).
    second = sync.sync_channel(rt, channel_id)
    assert second.error is not None and "quota" in second.error
    with rt.session() as s:
        ch = s.get_one(Channel, channel_id)
        assert ch.health == ChannelHealth.DEGRADED
        assert ch.next_sync_at is not None
        wait = (ch.next_sync_at.replace(tzinfo=UTC) - datetime.now(UTC)).total_seconds()
        assert wait == pytest.approx(seconds_until_pacific_midnight(clock.now), abs=60)
        assert rt.box.decrypt(ch.state_encrypted)["quota"]["used"] >= 10_000
    assert cursor()["backfill"] is True  # not claimed complete
    # 3. The same day, nothing is asked of Google.
    asked = len(replay.log)
    third = sync.sync_channel(rt, channel_id)
    assert third.error is not None and "budget" in third.error
    assert len(replay.log) == asked
    # 4. The next Pacific day the walk resumes at page 3; the worker dies storing page 4.
    clock.now = datetime(2025, 6, 11, 8, 0, tzinfo=UTC)  # 01:00 in California
    real_ingest = sync.ingest
    calls = {"n": 0}

    def dies_on_the_second_page(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed while storing a page")
        return real_ingest(*args, **kwargs)

    monkeypatch.setattr(sync, "ingest", dies_on_the_second_page)
    with pytest.raises(RuntimeError):
        sync.sync_channel(rt, channel_id)
    monkeypatch.setattr(sync, "ingest", real_ingest)
    assert (
        cursor()["scan"]["page_token"] == recording["exchanges"][3]["request"]["query"]["pageToken"]
    )
    # 5. The next sync resumes from the stored cursor and reaches the window start.
    last = sync.sync_channel(rt, channel_id)
    assert last.error is None

    ids = stored()
    recorded = _recorded_comments(recording)
    in_window = {cid for cid, at in recorded.items() if datetime.fromisoformat(at) >= window_start}
    assert len(ids) == len(set(ids))  # each stored once
    assert set(ids) == in_window  # every comment of the window, none before it
    assert len(in_window) == 21 and len(recorded) - len(in_window) == 2
    assert replay.unmatched == []
    assert replay.served("threads page 3") == 2  # the quota error, then the page
    assert replay.served("threads page 4") == 2  # read again after the crash
    assert replay.served("threads page 6") == 0  # past the window: never asked for
    assert replay.served("replies of UgzP0 page 2") == 1
    asked_sizes = {q.get("maxResults") for _, path, q in replay.log if "commentThreads" in path}
    assert asked_sizes == {"100"}
    done = cursor()
    assert "backfill" not in done and "scan" not in done
    newest = max(datetime.fromisoformat(at) for at in recorded.values())
    assert datetime.fromisoformat(done["watermark"]) == newest  # syncing forward starts here
