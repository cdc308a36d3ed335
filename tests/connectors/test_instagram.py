"""The Instagram connector, end to end through ``requests`` against a local fake Graph API."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fake_graph import FakeGraph, usage_header
from pytest_httpserver import HTTPServer
from pytest_socket import socket_allow_hosts

from inbox.connectors import build
from inbox.connectors.base import (
    AuthError,
    ChannelConfig,
    Connector,
    ConnectorError,
    IncomingItem,
    PermanentError,
    RateLimited,
    ReplyTarget,
    TransientError,
)
from inbox.connectors.instagram import (
    InstagramConnector,
    MentionRef,
    _MediaSource,
    items_from_webhook,
    parse_webhook,
)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@pytest.fixture
def graph(httpserver: HTTPServer) -> FakeGraph:
    socket_allow_hosts(["127.0.0.1", "localhost", "::1"], allow_unix_socket=True)
    return FakeGraph(httpserver)


@pytest.fixture
def account(graph: FakeGraph) -> dict[str, Any]:
    return graph.ig_account("the_band")


def connect(
    graph: FakeGraph,
    account: Mapping[str, Any],
    clock: Callable[[], datetime] | None = None,
    **options: Any,
) -> InstagramConnector:
    config = ChannelConfig(
        channel_id=7,
        network="instagram",
        handle=account["username"],
        external_id=account["id"],
        credentials={"access_token": graph.token},
        base_url=graph.base_url,
        options={"timeout_s": 2.0, **options},
    )
    if clock is not None:
        return InstagramConnector(config, clock=clock)
    connector = build("instagram", config)
    assert isinstance(connector, InstagramConnector)
    return connector


def drain(
    connector: InstagramConnector, cursor: Mapping[str, Any] | None, limit: int = 100
) -> tuple[list[IncomingItem], dict[str, Any] | None, list[Any], int]:
    items: list[IncomingItem] = []
    malformed: list[Any] = []
    calls = 0
    while True:
        result = connector.fetch_since(cursor, limit=limit)
        calls += 1
        items += result.items
        malformed += result.malformed
        cursor = result.cursor
        json.dumps(cursor)  # cursors must be JSON-able
        if not result.has_more:
            return items, cursor, malformed, calls
        assert calls < 50, "pagination does not end"


def test_registers_and_satisfies_the_connector_protocol(graph: FakeGraph, account: dict) -> None:
    assert isinstance(connect(graph, account), Connector)


def test_first_sync_threads_comments_and_replies_under_the_top_level_comment(
    graph: FakeGraph, account: dict
) -> None:
    post = graph.ig_media(account, age=2 * DAY, caption="New single out now!\nLink in bio")
    top = graph.ig_comment(post, "Love this song", username="fan_one", age=3 * HOUR)
    reply = graph.ig_comment(post, "@fan_one same!", username="fan_two", age=2 * HOUR, parent=top)
    own = graph.ig_comment(
        post, "thank you!!", username="the_band", user_id=account["id"], age=HOUR, parent=top
    )

    items, cursor, malformed, _ = drain(connect(graph, account), None)

    assert malformed == []
    assert [i.external_id for i in items] == [top["id"], reply["id"], own["id"]]  # oldest first
    first, second, third = items
    assert (first.kind, first.thread_id, first.parent_id) == ("comment", top["id"], None)
    assert (second.kind, second.thread_id, second.parent_id) == ("reply", top["id"], top["id"])
    assert first.author.handle == "fan_one" and first.author.external_id == top["from"]["id"]
    assert first.author.profile_url == "https://www.instagram.com/fan_one/"
    assert third.author.external_id == account["id"]  # the artist's own reply is still returned
    assert first.context is not None
    assert first.context.title == "New single out now! Link in bio"
    assert first.url == first.context.url == post["permalink"]
    assert "replies" not in first.raw and first.raw["text"] == "Love this song"
    assert first.created_at.tzinfo is not None
    assert cursor is not None and cursor["round"] is None


def test_first_sync_is_bounded_to_recent_posts_and_comments(
    graph: FakeGraph, account: dict
) -> None:
    old_post = graph.ig_media(account, age=90 * DAY)
    graph.ig_comment(old_post, "on an old post", age=HOUR)
    recent = graph.ig_media(account, age=3 * DAY)
    graph.ig_comment(recent, "too old for the first sync", age=10 * DAY)
    fresh = graph.ig_comment(recent, "fresh", age=HOUR)

    items, _, _, _ = drain(connect(graph, account), None)

    assert [i.external_id for i in items] == [fresh["id"]]


def test_a_first_sync_reads_every_post_of_the_window_not_only_max_posts(
    graph: FakeGraph, account: dict
) -> None:
    posts = [graph.ig_media(account, age=DAY + n * timedelta(minutes=30)) for n in range(60)]
    expected = {graph.ig_comment(post, "hi", age=HOUR)["id"] for post in posts}

    items, cursor, _, calls = drain(connect(graph, account, max_posts=50), None)

    assert {i.external_id for i in items} == expected  # the 51st to 60th posts too
    assert calls > 1 and cursor is not None and len(cursor["counts"]) == 60


def test_the_channels_backfill_days_is_the_first_sync_window(
    graph: FakeGraph, account: dict
) -> None:
    post = graph.ig_media(account, age=40 * DAY)
    inside = graph.ig_comment(post, "twenty days ago", age=20 * DAY)
    graph.ig_comment(post, "forty days ago", age=39 * DAY)

    items, _, _, _ = drain(connect(graph, account, backfill_days=30), None)

    assert [i.external_id for i in items] == [inside["id"]]


def test_a_long_walk_is_handed_to_the_sync_in_steps(graph: FakeGraph, account: dict) -> None:
    from inbox.connectors.graph_sweep import MAX_REQUESTS_PER_FETCH

    post = graph.ig_media(account, age=2 * DAY)
    old = [graph.ig_comment(post, f"old {n}", age=30 * DAY) for n in range(30)]
    fresh = graph.ig_comment(post, "fresh", age=HOUR)
    connector = connect(graph, account, page_size=2)

    first = connector.fetch_since(None)

    # Fifteen pages, most of them older than the window: the first call stops after its
    # share of requests and says where it stands, so a crash loses only one call's work.
    assert first.has_more and len(graph.requests) == MAX_REQUESTS_PER_FETCH
    assert first.cursor is not None and first.cursor["round"]["params"] is not None
    rest, _, _, _ = drain(connector, first.cursor)
    assert [i.external_id for i in first.items + rest] == [fresh["id"]]
    assert len(old) == 30


def test_hidden_comments_come_back_deleted_with_their_text(graph: FakeGraph, account: dict) -> None:
    post = graph.ig_media(account, age=DAY)
    graph.ig_comment(post, "spam spam", age=HOUR, hidden=True)

    items, _, _, _ = drain(connect(graph, account), None)

    assert len(items) == 1 and items[0].deleted and items[0].text == "spam spam"


def test_a_malformed_comment_is_reported_and_the_rest_of_the_page_kept(
    graph: FakeGraph, account: dict
) -> None:
    post = graph.ig_media(account, age=DAY)
    good = graph.ig_comment(post, "fine", age=HOUR)
    bad = graph.ig_comment(post, "no time", age=HOUR)
    bad["timestamp"] = "yesterday-ish"

    items, _, malformed, _ = drain(connect(graph, account), None)

    assert [i.external_id for i in items] == [good["id"]]
    assert len(malformed) == 1
    reason, raw = malformed[0]
    assert "timestamp" in reason and raw["id"] == bad["id"]


def test_paging_by_limit_returns_every_comment_once(graph: FakeGraph, account: dict) -> None:
    posts = [graph.ig_media(account, age=(n + 1) * DAY) for n in range(3)]
    expected = set()
    for n, post in enumerate(posts):
        for k in range(5):
            top = graph.ig_comment(post, f"c{n}{k}", age=timedelta(minutes=30 + k))
            expected.add(top["id"])
            if k == 0:
                for r in range(4):  # more replies than one nested page holds
                    reply = graph.ig_comment(post, f"r{r}", age=timedelta(minutes=20), parent=top)
                    expected.add(reply["id"])
    connector = connect(graph, account, page_size=2)

    items, _, _, calls = drain(connector, None, limit=3)

    ids = [i.external_id for i in items]
    assert len(ids) == len(set(ids)) == len(expected)
    assert set(ids) == expected
    assert calls > 3
    assert any("/replies" in path for _, path, _, _ in graph.requests)


def test_next_sync_reads_only_posts_whose_comment_count_changed(
    graph: FakeGraph, account: dict
) -> None:
    quiet = graph.ig_media(account, age=2 * DAY)
    busy = graph.ig_media(account, age=DAY)
    graph.ig_comment(quiet, "old news", age=5 * HOUR)
    graph.ig_comment(busy, "old news too", age=5 * HOUR)
    connector = connect(graph, account)
    _, cursor, _, _ = drain(connector, None)
    graph.requests.clear()

    new = graph.ig_comment(busy, "just now")
    items, cursor, _, _ = drain(connector, cursor)

    assert [i.external_id for i in items] == [new["id"]]
    read = [path for _, path, _, _ in graph.requests]
    assert f"{busy['id']}/comments" in read and f"{quiet['id']}/comments" not in read

    graph.requests.clear()
    items, _, _, _ = drain(connector, cursor)
    assert items == [] or all(i.external_id == new["id"] for i in items)  # overlap only
    assert [path for _, path, _, _ in graph.requests] == [f"{account['id']}/media"]


def test_full_sweep_finds_a_comment_hidden_behind_an_unchanged_count(
    graph: FakeGraph, account: dict
) -> None:
    post = graph.ig_media(account, age=DAY)
    doomed = graph.ig_comment(post, "will be deleted", age=5 * HOUR)
    connector = connect(graph, account)
    _, cursor, _, _ = drain(connector, None)

    graph.delete(doomed)
    added = graph.ig_comment(post, "arrived as the other left", age=timedelta(minutes=1))
    items, cursor, _, _ = drain(connector, cursor)
    assert items == []  # same count: a normal round does not look

    sweeping = connect(graph, account, full_sweep_hours=0)
    items, _, _, _ = drain(sweeping, cursor)
    assert [i.external_id for i in items] == [added["id"]]


def test_watermark_uses_the_servers_clock_not_ours(graph: FakeGraph, account: dict) -> None:
    post = graph.ig_media(account, age=DAY)
    graph.ig_comment(post, "first", age=HOUR)
    ahead = datetime.now(UTC) + timedelta(minutes=45)  # our clock runs ahead of Meta's
    connector = connect(graph, account, clock=lambda: ahead)
    _, cursor, _, _ = drain(connector, None)

    later = graph.ig_comment(post, "written after the first sync")
    items, _, _, _ = drain(connector, cursor)

    assert [i.external_id for i in items] == [later["id"]]


def test_expired_token_raises_auth_error(graph: FakeGraph, account: dict) -> None:
    graph.ig_media(account, age=DAY)
    graph.fail("auth", status=400, subcode=463)

    with pytest.raises(AuthError, match="190"):
        connect(graph, account).fetch_since(None)


def test_wrong_token_raises_auth_error(graph: FakeGraph, account: dict) -> None:
    config = ChannelConfig(
        channel_id=1,
        network="instagram",
        handle="the_band",
        external_id=account["id"],
        credentials={"access_token": "revoked"},
        base_url=graph.base_url,
    )
    with pytest.raises(AuthError):
        InstagramConnector(config).fetch_since(None)


def test_throttling_waits_for_metas_estimated_time_to_regain_access(
    graph: FakeGraph, account: dict
) -> None:
    graph.fail(
        "rate_limit",
        status=400,
        code=80002,
        headers={"X-Business-Use-Case-Usage": usage_header(minutes=17)},
    )

    with pytest.raises(RateLimited) as caught:
        connect(graph, account).fetch_since(None)

    assert caught.value.retry_after == 17 * 60


@pytest.mark.parametrize(
    ("fault", "opts"),
    [
        ("server_error", {"status": 502}),
        ("graph_error", {"status": 500, "code": 2}),
        ("truncated", {}),
        ("cut", {}),
        ("timeout", {"delay": 0.6}),
    ],
)
def test_network_failures_are_transient(
    graph: FakeGraph, account: dict, fault: str, opts: dict
) -> None:
    graph.ig_media(account, age=DAY)
    graph.fail(fault, **opts)

    with pytest.raises(TransientError) as caught:
        connect(graph, account, timeout_s=0.25).fetch_since(None)

    assert not isinstance(caught.value, RateLimited)


def test_a_failure_on_the_first_request_raises_and_the_old_cursor_still_works(
    graph: FakeGraph, account: dict
) -> None:
    post = graph.ig_media(account, age=DAY)
    comment = graph.ig_comment(post, "hello", age=HOUR)
    connector = connect(graph, account)
    graph.fail("server_error", status=503, path_contains="/media")

    with pytest.raises(TransientError):
        connector.fetch_since(None)

    items, _, _, _ = drain(connector, None)
    assert [i.external_id for i in items] == [comment["id"]]


def test_a_failure_after_the_listing_keeps_the_listing_and_repeats_only_the_failed_request(
    graph: FakeGraph, account: dict
) -> None:
    post = graph.ig_media(account, age=DAY)
    comment = graph.ig_comment(post, "hello", age=HOUR)
    connector = connect(graph, account)
    graph.fail("server_error", status=503, path_contains="/comments")

    partial = connector.fetch_since(None)

    assert partial.items == [] and partial.has_more
    assert partial.cursor is not None
    assert [c["id"] for c in partial.cursor["round"]["queue"]] == [post["id"]]
    items, _, _, _ = drain(connector, partial.cursor)
    assert [i.external_id for i in items] == [comment["id"]]
    listings = [p for _, p, _, _ in graph.requests if p.endswith("/media")]
    assert len(listings) == 1  # the listing was not asked for again


def test_a_failure_after_some_items_returns_them_with_a_cursor_at_the_failed_page(
    graph: FakeGraph, account: dict
) -> None:
    post = graph.ig_media(account, age=DAY)
    expected = {
        graph.ig_comment(post, f"c{n}", age=timedelta(minutes=n + 1))["id"] for n in range(6)
    }
    connector = connect(graph, account, page_size=2)
    graph.fail("cut", path_contains="/comments", skip=1)  # page 2 is cut off

    partial = connector.fetch_since(None, limit=100)

    assert partial.has_more and len(partial.items) == 2
    rest, _, _, _ = drain(connector, partial.cursor)
    ids = [i.external_id for i in partial.items + rest]
    assert sorted(ids) == sorted(expected)


def sync_until_done(
    connector: InstagramConnector, cursor: Mapping[str, Any] | None, seen: set[str]
) -> Mapping[str, Any] | None:
    """What the scheduler does: retry a failed call with the stored cursor."""
    for _ in range(300):
        try:
            result = connector.fetch_since(cursor, limit=5)
        except ConnectorError:
            continue
        seen.update(i.external_id for i in result.items)
        cursor = result.cursor
        if not result.has_more:
            return cursor
    raise AssertionError("sync never finished")


def test_under_random_failures_every_comment_arrives(graph: FakeGraph, account: dict) -> None:
    posts = [graph.ig_media(account, age=(n + 1) * 5 * HOUR) for n in range(4)]
    connector = connect(graph, account, page_size=3, overlap_minutes=0)
    rng = random.Random(7)
    created: set[str] = set()
    seen: set[str] = set()
    cursor: Mapping[str, Any] | None = None
    graph.chaos(0.3, seed=11)
    for round_no in range(15):
        for _ in range(rng.randint(0, 8)):
            post = rng.choice(posts)
            tops = [
                o
                for o in graph.objects.values()
                if o["_type"] == "IGComment" and o["_media"] == post["id"] and "_parent" not in o
            ]
            parent = rng.choice(tops) if tops and rng.random() < 0.4 else None
            comment = graph.ig_comment(
                post, f"round {round_no}", username=f"fan{rng.randint(1, 9)}", parent=parent
            )
            created.add(comment["id"])
        cursor = sync_until_done(connector, cursor, seen)
    graph.chaos(0)
    sync_until_done(connector, cursor, seen)

    assert len(created) > 40
    assert created <= seen


def test_a_deleted_post_is_skipped_and_the_other_posts_still_read(
    graph: FakeGraph, account: dict
) -> None:
    gone = graph.ig_media(account, age=2 * DAY)
    graph.ig_comment(gone, "x", age=HOUR)
    kept = graph.ig_media(account, age=DAY)
    comment = graph.ig_comment(kept, "still here", age=HOUR)
    graph.fail("graph_error", status=400, code=100, subcode=33, path_contains=f"{gone['id']}/")

    result = connect(graph, account).fetch_since(None)

    assert [i.external_id for i in result.items] == [comment["id"]]
    assert any(gone["id"] in reason for reason, _ in result.malformed)


def test_broken_nested_replies_are_reported_with_their_comment(
    graph: FakeGraph, account: dict
) -> None:
    source = _MediaSource(connect(graph, account))
    malformed: list[Any] = []

    replies = source._replies({"id": "1789", "replies": {"paging": {}}}, malformed)

    assert replies == [] and "1789" in malformed[0][0]


def test_reply_goes_under_the_top_level_comment_and_is_not_posted_twice(
    graph: FakeGraph, account: dict
) -> None:
    post = graph.ig_media(account, age=DAY)
    top = graph.ig_comment(post, "When is the tour?", age=2 * HOUR)
    nested = graph.ig_comment(post, "+1", username="fan_two", age=HOUR, parent=top)
    connector = connect(graph, account)
    target = ReplyTarget(thread_id=top["id"], parent_external_id=nested["id"], kind="reply")

    sent = connector.send_reply(target, "  Dates drop on Friday!  ", idempotency_key="k1")
    again = connector.send_reply(target, "Dates drop on Friday!", idempotency_key="k1")

    posts = graph.posts()
    assert posts == [(f"{top['id']}/replies", {"message": "Dates drop on Friday!"})]
    assert again.external_id == sent.external_id
    items, _, _, _ = drain(connector, None)
    mine = next(i for i in items if i.external_id == sent.external_id)
    assert mine.author.external_id == account["id"] and mine.thread_id == top["id"]


def test_answering_a_reply_in_a_thread_names_that_fan_first_as_instagram_does(
    graph: FakeGraph, account: dict
) -> None:
    """Threads are one level deep: the answer goes under the top-level comment and starts
    with the chosen fan's @username (Instagram's own reply box does so), never another's."""
    post = graph.ig_media(account, age=DAY)
    top = graph.ig_comment(post, "When is the tour?", username="fan_one", age=3 * HOUR)
    nested = graph.ig_comment(post, "Lisbon please", username="fan_two", age=2 * HOUR, parent=top)
    connector = connect(graph, account)
    items, _, _, _ = drain(connector, None)
    by_id = {i.external_id: i for i in items}

    def target(comment_id: str) -> ReplyTarget:
        item = by_id[comment_id]
        return ReplyTarget(
            thread_id=item.thread_id or "",
            parent_external_id=item.external_id,
            parent_author=item.author,
            parent_raw=item.raw,
            kind=item.kind,
        )

    connector.send_reply(target(nested["id"]), "Lisbon in June!", idempotency_key="k2")
    connector.send_reply(target(top["id"]), "Dates on Friday", idempotency_key="k1")
    connector.send_reply(target(nested["id"]), "@FAN_TWO and Porto", idempotency_key="k3")
    # A retry finds the first answer by the text it posted, the name included.
    again = connector.find_sent_reply(target(nested["id"]), "Lisbon in June!", "k2")

    assert graph.posts() == [
        (f"{top['id']}/replies", {"message": "@fan_two Lisbon in June!"}),
        (f"{top['id']}/replies", {"message": "Dates on Friday"}),
        (f"{top['id']}/replies", {"message": "@FAN_TWO and Porto"}),
    ]
    assert again is not None


def test_reply_errors_map_to_permanent_and_auth(graph: FakeGraph, account: dict) -> None:
    post = graph.ig_media(account, age=DAY)
    top = graph.ig_comment(post, "hi", age=HOUR)
    connector = connect(graph, account)
    target = ReplyTarget(thread_id=top["id"], parent_external_id=top["id"], kind="comment")

    with pytest.raises(PermanentError):
        connector.send_reply(target, "x" * 2201, idempotency_key="long")
    graph.fail("graph_error", status=400, code=100, method="POST")
    with pytest.raises(PermanentError):
        connector.send_reply(target, "hello", idempotency_key="k2")
    graph.fail("graph_error", status=403, code=200, method="POST")
    with pytest.raises(AuthError):
        connector.send_reply(target, "hello", idempotency_key="k3")
    assert graph.posts() != []


INSTAGRAM_COMMENT_WEBHOOK = {
    "object": "instagram",
    "entry": [
        {
            "id": "17841400000000001",
            "time": 1718000000,
            "changes": [
                {
                    "field": "comments",
                    "value": {
                        "from": {"id": "232323232", "username": "fan_one"},
                        "media": {"id": "123123123", "media_product_type": "FEED"},
                        "id": "17865799348089039",
                        "text": "This is so good",
                    },
                },
                {
                    "field": "comments",
                    "value": {
                        "from": {"id": "454545", "username": "fan_two"},
                        "media": {"id": "123123123", "media_product_type": "FEED"},
                        "id": "17865799348089040",
                        "parent_id": "17865799348089039",
                        "text": "agreed",
                    },
                },
                {"field": "mentions", "value": {"media_id": "999", "comment_id": "888"}},
                {"field": "mentions", "value": {"media_id": "777"}},
                {"field": "comments", "value": {"from": {"id": "1"}, "text": "no id"}},
                {"field": "story_insights", "value": {"media_id": "1", "reach": 3}},
            ],
        },
        {"id": "another-account", "time": 1718000000, "changes": []},
    ],
}


def test_webhook_comments_become_items_and_mentions_become_refs() -> None:
    batch = parse_webhook(INSTAGRAM_COMMENT_WEBHOOK, account_id="17841400000000001")

    first, second = batch.items
    assert (first.external_id, first.kind, first.thread_id) == (
        "17865799348089039",
        "comment",
        "17865799348089039",
    )
    assert (second.kind, second.thread_id, second.parent_id) == (
        "reply",
        "17865799348089039",
        "17865799348089039",
    )
    assert first.author.handle == "fan_one" and first.created_at.timestamp() == 1718000000
    assert batch.mentions == [MentionRef("999", "888"), MentionRef("777", None)]
    assert len(batch.malformed) == 1 and "id" in batch.malformed[0][0]
    assert items_from_webhook(INSTAGRAM_COMMENT_WEBHOOK) == batch.items


def test_webhook_for_another_account_or_object_is_not_ours() -> None:
    assert parse_webhook(INSTAGRAM_COMMENT_WEBHOOK, account_id="someone-else").items == []
    with pytest.raises(ValueError, match="object"):
        parse_webhook({"object": "page", "entry": []})
    with pytest.raises(ValueError):
        parse_webhook(["not", "an", "object"])


def test_mentions_named_by_a_webhook_are_read_and_can_be_answered(
    graph: FakeGraph, account: dict
) -> None:
    other = graph.ig_account("festival_official")
    their_post = graph.ig_media(other, age=DAY, caption="Lineup! @the_band")
    mention = graph.ig_comment(their_post, "@the_band play Nightdrive!", age=HOUR)
    connector = connect(graph, account)

    result = connector.fetch_mentions(
        [
            MentionRef(their_post["id"], mention["id"]),
            MentionRef(their_post["id"]),
            MentionRef("404404", "404405"),
        ]
    )

    by_id = {i.external_id: i for i in result.items}
    comment_item = by_id[mention["id"]]
    assert comment_item.kind == "mention" and comment_item.text == "@the_band play Nightdrive!"
    assert comment_item.context is not None
    assert comment_item.context.title == "Lineup! @the_band"
    caption_item = by_id[their_post["id"]]
    assert caption_item.author.handle == "festival_official" and caption_item.kind == "mention"
    assert len(result.malformed) == 1

    target = ReplyTarget(
        thread_id=comment_item.thread_id or comment_item.external_id,
        parent_external_id=comment_item.external_id,
        kind="mention",
        parent_raw=comment_item.raw,
    )
    sent = connector.send_reply(target, "See you there!", idempotency_key="m1")
    path, form = graph.posts()[-1]
    assert path == f"{account['id']}/mentions"
    assert form == {
        "media_id": their_post["id"],
        "comment_id": mention["id"],
        "message": "See you there!",
    }
    assert sent.external_id in graph.objects


def test_fetch_profile_reads_the_user_profile(graph: FakeGraph, account: dict) -> None:
    fan = graph.add("IGUser", username="fan_one", name="Fan One", profile_pic="https://cdn/p.jpg")

    author = connect(graph, account).fetch_profile(fan["id"])

    assert (author.handle, author.name, author.avatar_url) == (
        "fan_one",
        "Fan One",
        "https://cdn/p.jpg",
    )
    with pytest.raises(PermanentError):
        connect(graph, account).fetch_profile("unknown:123")


def test_connector_needs_an_account_id_and_a_token(graph: FakeGraph) -> None:
    base: dict[str, Any] = {"channel_id": 1, "network": "instagram", "handle": "x"}
    with pytest.raises(PermanentError):
        InstagramConnector(
            ChannelConfig(external_id=None, credentials={"access_token": "t"}, **base)
        )
    with pytest.raises(AuthError):
        InstagramConnector(ChannelConfig(external_id="1", credentials={}, **base))
    with pytest.raises(PermanentError, match="options"):
        InstagramConnector(
            ChannelConfig(
                external_id="1",
                credentials={"access_token": "t"},
                options={"page_size": "lots"},
                **base,
            )
        )


# -- the backfill, reaching the window: recorded responses through the real sync ---------


def test_the_backfill_walks_recorded_pages_to_the_window_start_through_limits_and_a_crash(
    rt: Any, workspace: Any, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import select

    from inbox import sync
    from inbox.connectors.graph import parse_time
    from models import Channel, ChannelHealth, Message
    from tests.connectors.replay import Replay

    socket_allow_hosts(["127.0.0.1", "localhost", "::1"], allow_unix_socket=True)
    replay = Replay.load(httpserver, "graph/instagram_backfill_window.json", prefix="/v21.0")
    recording = replay.recording
    window_start = replay.recorded_at - timedelta(days=recording["window_days"])
    with rt.session() as s:
        channel = Channel(
            workspace_id=workspace.id,
            network="instagram",
            connector="instagram",
            handle="leslumieresbasses",
            external_id=recording["account_id"],
            base_url=httpserver.url_for("/v21.0"),
            credentials_encrypted=rt.box.encrypt({"access_token": "IGQ-recorded"}),
            options={"backfill_days": recording["window_days"], "timeout_s": 5.0},
        )
        s.add(channel)
        s.flush()
        channel_id = channel.id

    def fresh_connector() -> InstagramConnector:
        """What a worker builds from the stored channel, its clock at the recording's time."""
        with rt.session() as s:
            config = sync.channel_config(rt, s.get_one(Channel, channel_id))
        return InstagramConnector(config, clock=lambda: replay.recorded_at)

    def cursor() -> dict[str, Any]:
        with rt.session() as s:
            return dict(s.get_one(Channel, channel_id).cursor or {})

    # 1. The listing, a post's comments, then code 4 (Application request limit).
    first = sync.sync_channel(rt, channel_id, max_pages=1, connector=fresh_connector())
    assert first.error is None and first.pages == 1 and cursor()["round"] is not None
    # 2. The limit again: the sync stops for the 7 minutes Meta estimates.
    second = sync.sync_channel(rt, channel_id, connector=fresh_connector())
    assert second.error is not None and "code 4" in second.error
    with rt.session() as s:
        ch = s.get_one(Channel, channel_id)
        assert ch.health == ChannelHealth.DEGRADED and ch.next_sync_at is not None
        wait = (ch.next_sync_at.replace(tzinfo=UTC) - datetime.now(UTC)).total_seconds()
        assert wait == pytest.approx(7 * 60, abs=30)
    # 3. The worker dies while storing the next page; 4. the next sync resumes.
    real_ingest = sync.ingest

    def dies(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("worker killed while storing a page")

    monkeypatch.setattr(sync, "ingest", dies)
    with pytest.raises(RuntimeError):
        sync.sync_channel(rt, channel_id, connector=fresh_connector())
    monkeypatch.setattr(sync, "ingest", real_ingest)
    last = sync.sync_channel(rt, channel_id, connector=fresh_connector())
    assert last.error is None and cursor()["round"] is None

    never = frozenset({"media page 3", "media 3 comments (past the post window)"})
    comments = [
        obj
        for obj in replay.graph_objects(leave_out=never)
        if "text" in obj and parse_time(obj["timestamp"]) >= window_start
    ]
    expected = {c["id"] for c in comments if not c["hidden"]}
    with rt.session() as s:
        ids = list(s.scalars(select(Message.external_id).where(Message.channel_id == channel_id)))
    assert len(ids) == len(set(ids))  # each stored once
    assert set(ids) == expected  # every comment and reply of the window, none before it
    assert len(expected) == 10 and len(comments) == 11  # one hidden by the artist
    assert replay.unmatched == []
    assert all(replay.served(name) == 0 for name in never)
    assert replay.served("replies of the setlist comment page 2") >= 1
    assert all("access_token" not in query for _, _, query in replay.log)
