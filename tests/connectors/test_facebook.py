"""The Facebook Pages connector, end to end through ``requests`` against a local fake Graph API."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest
from fake_graph import FakeGraph
from pytest_httpserver import HTTPServer
from pytest_socket import socket_allow_hosts

from inbox.connectors import build
from inbox.connectors.base import (
    AuthError,
    ChannelConfig,
    ConnectorError,
    IncomingItem,
    PermanentError,
    RateLimited,
    ReplyTarget,
    TransientError,
)
from inbox.connectors.facebook import FacebookConnector, items_from_webhook, parse_webhook

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
FAN = {"id": "6001", "name": "Fan One"}
FAN_TWO = {"id": "6002", "name": "Fan Two"}


@pytest.fixture
def graph(httpserver: HTTPServer) -> FakeGraph:
    socket_allow_hosts(["127.0.0.1", "localhost", "::1"], allow_unix_socket=True)
    return FakeGraph(httpserver)


@pytest.fixture
def page(graph: FakeGraph) -> dict[str, Any]:
    return graph.page("The Band")


def connect(graph: FakeGraph, page: Mapping[str, Any], **options: Any) -> FacebookConnector:
    config = ChannelConfig(
        channel_id=3,
        network="facebook",
        handle="theband",
        external_id=page["id"],
        credentials={"page_access_token": graph.token},
        base_url=graph.base_url,
        options={"timeout_s": 2.0, **options},
    )
    connector = build("facebook", config)
    assert isinstance(connector, FacebookConnector)
    return connector


def drain(
    connector: FacebookConnector, cursor: Mapping[str, Any] | None, limit: int = 100
) -> tuple[list[IncomingItem], dict[str, Any] | None, list[Any]]:
    items: list[IncomingItem] = []
    malformed: list[Any] = []
    for _ in range(50):
        result = connector.fetch_since(cursor, limit=limit)
        items += result.items
        malformed += result.malformed
        cursor = result.cursor
        json.dumps(cursor)
        if not result.has_more:
            return items, cursor, malformed
    raise AssertionError("pagination does not end")


def test_first_sync_reads_comments_replies_and_fans_posts(graph: FakeGraph, page: dict) -> None:
    post = graph.fb_post(page, "Tour dates are up!", age=2 * DAY)
    top = graph.fb_comment(post, "Come to Lisbon!", author=FAN, age=5 * HOUR)
    reply = graph.fb_comment(post, "yes please", author=FAN_TWO, age=4 * HOUR, parent=top)
    deeper = graph.fb_comment(post, "+1", author=FAN, age=3 * HOUR, parent=reply)
    visitor = graph.fb_post(page, "Saw you live, amazing", age=2 * HOUR, author=FAN_TWO)
    hidden = graph.fb_comment(post, "buy followers", author=FAN_TWO, age=HOUR, is_hidden=True)

    items, cursor, malformed = drain(connect(graph, page), None)

    assert malformed == []
    by_id = {i.external_id: i for i in items}
    assert [i.external_id for i in items] == [
        top["id"],
        reply["id"],
        deeper["id"],
        visitor["id"],
        hidden["id"],
    ]
    assert (by_id[top["id"]].kind, by_id[top["id"]].thread_id) == ("comment", top["id"])
    assert by_id[top["id"]].parent_id is None
    assert (by_id[reply["id"]].kind, by_id[reply["id"]].parent_id) == ("reply", top["id"])
    assert by_id[deeper["id"]].thread_id == top["id"]  # grandparent resolved through parent{parent}
    assert by_id[deeper["id"]].parent_id == reply["id"]
    assert (
        by_id[top["id"]].author.name == "Fan One" and by_id[top["id"]].author.external_id == "6001"
    )
    assert by_id[top["id"]].url == top["permalink_url"]
    context = by_id[top["id"]].context
    assert context is not None
    assert (context.title, context.url) == ("Tour dates are up!", post["permalink_url"])
    fan_post = by_id[visitor["id"]]
    assert (fan_post.kind, fan_post.thread_id, fan_post.text) == (
        "mention",
        visitor["id"],
        "Saw you live, amazing",
    )
    assert "comments" not in fan_post.raw
    assert by_id[hidden["id"]].deleted
    assert cursor is not None


def test_comments_are_read_newest_first_and_paging_stops_at_the_watermark(
    graph: FakeGraph, page: dict
) -> None:
    post = graph.fb_post(page, "busy post", age=DAY)
    for n in range(12):
        graph.fb_comment(post, f"old {n}", author=FAN, age=timedelta(hours=3, minutes=n))
    connector = connect(graph, page, page_size=3)
    _, cursor, _ = drain(connector, None)
    graph.requests.clear()

    new = graph.fb_comment(post, "brand new", author=FAN_TWO)
    items, _, _ = drain(connector, cursor)

    assert [i.external_id for i in items] == [new["id"]]
    comment_reads = [args for _, path, args, _ in graph.requests if path.endswith("/comments")]
    assert len(comment_reads) == 1  # the first page already reached older comments
    assert comment_reads[0]["order"] == "reverse_chronological"
    assert comment_reads[0]["filter"] == "stream"


def test_paging_by_limit_returns_every_item_once(graph: FakeGraph, page: dict) -> None:
    expected = set()
    for p in range(3):
        post = graph.fb_post(page, f"post {p}", age=(p + 1) * DAY)
        for n in range(4):
            expected.add(
                graph.fb_comment(post, f"c{n}", author=FAN, age=timedelta(minutes=n + 5))["id"]
            )
    connector = connect(graph, page, page_size=2)

    items, _, _ = drain(connector, None, limit=3)

    ids = [i.external_id for i in items]
    assert len(ids) == len(set(ids)) and set(ids) == expected


def test_under_random_failures_every_comment_and_fan_post_arrives(
    graph: FakeGraph, page: dict
) -> None:
    posts = [graph.fb_post(page, f"post {n}", age=(n + 1) * 5 * HOUR) for n in range(3)]
    connector = connect(graph, page, page_size=3, overlap_minutes=0)
    rng = random.Random(3)
    created: set[str] = set()
    seen: set[str] = set()
    cursor: Mapping[str, Any] | None = None
    graph.chaos(0.3, seed=5)
    for round_no in range(15):
        for _ in range(rng.randint(0, 8)):
            if rng.random() < 0.1:
                visitor = graph.fb_post(page, f"fan post {round_no}", age=timedelta(0), author=FAN)
                posts.append(visitor)
                created.add(visitor["id"])
                continue
            post = rng.choice(posts)
            existing = [
                o
                for o in graph.objects.values()
                if o["_type"] == "Comment" and o["_post"] == post["id"]
            ]
            parent = rng.choice(existing) if existing and rng.random() < 0.4 else None
            created.add(graph.fb_comment(post, f"r{round_no}", author=FAN_TWO, parent=parent)["id"])
        for _ in range(300):
            try:
                result = connector.fetch_since(cursor, limit=5)
            except ConnectorError:
                continue
            seen.update(i.external_id for i in result.items)
            cursor = result.cursor
            if not result.has_more:
                break
    graph.chaos(0)
    items, _, _ = drain(connector, cursor)
    seen.update(i.external_id for i in items)

    assert len(created) > 40
    assert created <= seen


def test_a_paging_cursor_graph_no_longer_accepts_rereads_the_post(
    graph: FakeGraph, page: dict
) -> None:
    post = graph.fb_post(page, "p", age=DAY)
    comments = [
        graph.fb_comment(post, f"c{n}", author=FAN, age=timedelta(minutes=10 * (6 - n)))
        for n in range(6)
    ]
    connector = connect(graph, page, page_size=2)
    first = connector.fetch_since(None, limit=2)
    assert first.has_more and first.cursor is not None
    assert first.cursor["round"]["params"] is not None  # mid-post
    # The comment the stored cursor points at is deleted: Graph refuses the cursor.
    graph.delete(comments[-2])

    rest, _, malformed = drain(connector, first.cursor, limit=2)

    seen = {i.external_id for i in first.items + rest}
    assert seen == {c["id"] for c in comments}  # nothing after the refused cursor is lost
    assert malformed == []


def test_a_comment_without_author_gets_its_own_placeholder(graph: FakeGraph, page: dict) -> None:
    post = graph.fb_post(page, "p", age=DAY)
    one = graph.fb_comment(post, "who am I", age=HOUR)
    two = graph.fb_comment(post, "and I", age=HOUR)

    items, _, _ = drain(connect(graph, page), None)

    authors = {i.external_id: i.author.external_id for i in items}
    assert authors == {one["id"]: f"unknown:{one['id']}", two["id"]: f"unknown:{two['id']}"}


def test_malformed_comment_is_reported_and_the_rest_kept(graph: FakeGraph, page: dict) -> None:
    post = graph.fb_post(page, "p", age=DAY)
    good = graph.fb_comment(post, "ok", author=FAN, age=HOUR)
    bad = graph.fb_comment(post, "bad", author=FAN, age=HOUR)
    bad["message"] = {"not": "text"}

    items, _, malformed = drain(connect(graph, page), None)

    assert [i.external_id for i in items] == [good["id"]]
    assert malformed and malformed[0][1]["id"] == bad["id"]


def test_page_rate_limit_uses_x_page_usage(graph: FakeGraph, page: dict) -> None:
    usage = json.dumps(
        {
            "call_count": 100,
            "total_cputime": 40,
            "total_time": 35,
            "estimated_time_to_regain_access": 9,
        }
    )
    graph.fail("rate_limit", status=400, code=32, headers={"X-Page-Usage": usage})

    with pytest.raises(RateLimited) as caught:
        connect(graph, page).fetch_since(None)

    assert caught.value.retry_after == 9 * 60


def test_http_429_with_retry_after_is_rate_limited(graph: FakeGraph, page: dict) -> None:
    graph.fail("server_error", status=429, headers={"Retry-After": "120"})

    with pytest.raises(RateLimited) as caught:
        connect(graph, page).fetch_since(None)

    assert caught.value.retry_after == 120


def test_revoked_page_token_is_an_auth_error(graph: FakeGraph, page: dict) -> None:
    graph.fail("auth", status=401, subcode=460)

    with pytest.raises(AuthError):
        connect(graph, page).fetch_since(None)


def test_timeouts_and_broken_bodies_are_transient(graph: FakeGraph, page: dict) -> None:
    graph.fb_post(page, "p", age=DAY)
    for fault in ("timeout", "truncated", "cut"):
        graph.fail(fault, delay=0.6)
        with pytest.raises(TransientError):
            connect(graph, page, timeout_s=0.25).fetch_since(None)


def test_reply_is_posted_under_the_thread_once(graph: FakeGraph, page: dict) -> None:
    post = graph.fb_post(page, "p", age=DAY)
    top = graph.fb_comment(post, "Will you come to Porto?", author=FAN, age=HOUR)
    connector = connect(graph, page)
    target = ReplyTarget(thread_id=top["id"], parent_external_id=top["id"], kind="comment")

    sent = connector.send_reply(target, "Yes, in May!", idempotency_key="r1")
    again = connector.send_reply(target, "Yes, in May!", idempotency_key="r1")

    assert graph.posts() == [(f"{top['id']}/comments", {"message": "Yes, in May!"})]
    assert again.external_id == sent.external_id
    items, _, _ = drain(connector, None)
    mine = next(i for i in items if i.external_id == sent.external_id)
    assert mine.author.external_id == page["id"]
    assert (mine.kind, mine.thread_id, mine.parent_id) == ("reply", top["id"], top["id"])


def test_reply_to_a_fans_post_comments_on_the_post(graph: FakeGraph, page: dict) -> None:
    visitor = graph.fb_post(page, "Hello band", age=HOUR, author=FAN)
    connector = connect(graph, page)

    connector.send_reply(
        ReplyTarget(thread_id=visitor["id"], parent_external_id=visitor["id"], kind="mention"),
        "Hi there!",
        idempotency_key="r2",
    )

    assert graph.posts() == [(f"{visitor['id']}/comments", {"message": "Hi there!"})]


def test_reply_to_a_deleted_comment_is_permanent(graph: FakeGraph, page: dict) -> None:
    target = ReplyTarget(thread_id="1_2", parent_external_id="1_2", kind="comment")
    with pytest.raises(PermanentError):
        connect(graph, page).send_reply(target, "hello?", idempotency_key="r3")


def test_fetch_profile(graph: FakeGraph, page: dict) -> None:
    fan = graph.add("User", name="Fan One", picture={"data": {"url": "https://cdn/fan.jpg"}})

    author = connect(graph, page).fetch_profile(fan["id"])

    assert (author.external_id, author.name, author.avatar_url) == (
        fan["id"],
        "Fan One",
        "https://cdn/fan.jpg",
    )


def _feed_change(value: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "page",
        "entry": [
            {"id": "1000", "time": 1718000500, "changes": [{"field": "feed", "value": value}]}
        ],
    }


COMMENT_ADD = {
    "from": {"id": "6001", "name": "Fan One"},
    "post": {
        "status_type": "added_photos",
        "is_published": True,
        "updated_time": "2024-06-10T06:00:00+0000",
        "permalink_url": "https://www.facebook.com/1000/posts/2000",
        "promotion_status": "inactive",
        "id": "1000_2000",
    },
    "message": "Great show!",
    "post_id": "1000_2000",
    "comment_id": "2000_3000",
    "created_time": 1718000400,
    "item": "comment",
    "parent_id": "1000_2000",
    "verb": "add",
}


def test_webhook_new_comment_and_reply() -> None:
    reply = {**COMMENT_ADD, "comment_id": "2000_3001", "parent_id": "2000_3000", "message": "+1"}
    payload = _feed_change(COMMENT_ADD)
    payload["entry"][0]["changes"].append({"field": "feed", "value": reply})

    first, second = items_from_webhook(payload, account_id="1000")

    assert (first.external_id, first.kind, first.thread_id, first.parent_id) == (
        "2000_3000",
        "comment",
        "2000_3000",
        None,
    )
    assert first.created_at.timestamp() == 1718000400 and first.text == "Great show!"
    assert first.context is not None
    assert first.context.url == "https://www.facebook.com/1000/posts/2000"
    assert (second.kind, second.thread_id, second.parent_id) == ("reply", "2000_3000", "2000_3000")


def test_webhook_edit_remove_and_hide_are_reflected() -> None:
    edited = items_from_webhook(_feed_change({**COMMENT_ADD, "verb": "edited", "message": "v2"}))
    removed = items_from_webhook(
        _feed_change({k: v for k, v in COMMENT_ADD.items() if k != "message"} | {"verb": "remove"})
    )
    hidden = items_from_webhook(_feed_change({**COMMENT_ADD, "verb": "hide"}))

    assert edited[0].edited_at is not None and edited[0].edited_at.timestamp() == 1718000500
    assert edited[0].text == "v2" and not edited[0].deleted
    assert removed[0].deleted and removed[0].external_id == "2000_3000"
    assert hidden[0].deleted


def test_webhook_ignores_reactions_and_the_pages_own_posts() -> None:
    reaction = {**COMMENT_ADD, "item": "reaction", "reaction_type": "like"}
    own_post = {
        "from": {"id": "1000", "name": "The Band"},
        "item": "status",
        "post_id": "1000_4000",
        "verb": "add",
        "created_time": 1718000000,
        "message": "New video",
    }
    fan_post = {**own_post, "from": {"id": "6001", "name": "Fan One"}, "post_id": "1000_4001"}
    payload = _feed_change(reaction)
    payload["entry"][0]["changes"] += [
        {"field": "feed", "value": own_post},
        {"field": "feed", "value": fan_post},
    ]

    items = items_from_webhook(payload)

    assert [(i.external_id, i.kind) for i in items] == [("1000_4001", "mention")]


def test_webhook_malformed_change_is_reported_not_fatal() -> None:
    payload = _feed_change({**COMMENT_ADD, "comment_id": None})
    payload["entry"][0]["changes"].append({"field": "feed", "value": COMMENT_ADD})
    payload["entry"].append("garbage")

    batch = parse_webhook(payload)

    assert [i.external_id for i in batch.items] == ["2000_3000"]
    assert len(batch.malformed) == 2


# -- the backfill against recorded responses, through the real sync --------------------


def test_the_backfill_walks_recorded_pages_to_the_window_start_through_limits_and_a_crash(
    rt: Any, workspace: Any, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import select

    from inbox import sync
    from inbox.connectors.graph import parse_time
    from inbox.connectors.graph_sweep import MAX_REQUESTS_PER_FETCH
    from models import Channel, ChannelHealth, Message
    from tests.connectors.replay import Replay

    socket_allow_hosts(["127.0.0.1", "localhost", "::1"], allow_unix_socket=True)
    replay = Replay.load(httpserver, "graph/facebook_backfill_window.json", prefix="/v21.0")
    recording = replay.recording
    page_id = recording["page_id"]
    window_start = replay.recorded_at - timedelta(days=recording["window_days"])
    options = {"backfill_days": recording["window_days"], "timeout_s": 5.0}
    with rt.session() as s:
        channel = Channel(
            workspace_id=workspace.id,
            network="facebook",
            connector="facebook",
            handle="leslumieresbasses",
            external_id=page_id,
            base_url=httpserver.url_for("/v21.0"),
            credentials_encrypted=rt.box.encrypt({"page_access_token": "EAAG-recorded"}),
            options=options,
        )
        s.add(channel)
        s.flush()
        channel_id = channel.id

    def fresh_connector() -> FacebookConnector:
        """What a worker builds from the stored channel, its clock at the recording's time."""
        with rt.session() as s:
            config = sync.channel_config(rt, s.get_one(Channel, channel_id))
        return FacebookConnector(config, clock=lambda: replay.recorded_at)

    def cursor() -> dict[str, Any]:
        with rt.session() as s:
            return dict(s.get_one(Channel, channel_id).cursor or {})

    # 1. One page of the sync: the listing and a transient code 2 error on the first post.
    first = sync.sync_channel(rt, channel_id, max_pages=1, connector=fresh_connector())
    assert first.error is None and first.pages == 1
    walk = cursor()["round"]
    assert walk is not None and len(walk["queue"]) == 3  # the posts of the post window
    # 2. The Page's request limit (#32), twice: the second time the sync stops and waits
    #    as long as X-Business-Use-Case-Usage says (12 minutes).
    second = sync.sync_channel(rt, channel_id, connector=fresh_connector())
    assert second.error is not None and "(code 32)" in second.error
    with rt.session() as s:
        ch = s.get_one(Channel, channel_id)
        assert ch.health == ChannelHealth.DEGRADED and ch.next_sync_at is not None
        wait = (ch.next_sync_at.replace(tzinfo=UTC) - datetime.now(UTC)).total_seconds()
        assert wait == pytest.approx(12 * 60, abs=30)
    assert cursor()["round"]["params"] is not None  # mid-post: the walk resumes there
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

    never = frozenset(
        {"feed page 3", "post 59 comments page 9", "post 12 comments (past the post window)"}
    )
    expected = {
        obj["id"]
        for obj in replay.graph_objects(leave_out=never)
        if parse_time(obj["created_time"]) >= window_start
        and obj.get("from", {}).get("id") != page_id  # the Page's own posts are context
    }
    with rt.session() as s:
        ids = list(s.scalars(select(Message.external_id).where(Message.channel_id == channel_id)))
    assert len(ids) == len(set(ids))  # each stored once
    assert set(ids) == expected  # every comment and fan post of the window, none before it
    assert len(expected) == 19
    assert replay.unmatched == []
    assert all(replay.served(name) == 0 for name in never)
    pages_read = sum(1 for exchange in replay.exchanges if exchange.served)
    assert pages_read == 12 > MAX_REQUESTS_PER_FETCH  # more than one call reads
    assert all("access_token" not in query for _, _, query in replay.log)
