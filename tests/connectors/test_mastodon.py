"""The Mastodon connector, end to end through Mastodon.py against a local fake instance."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from inbox.connectors import build
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
from inbox.connectors.mastodon import (
    Malformed,
    MastodonConnector,
    html_to_text,
    item_from_stream_event,
    mastodon_length,
)
from tests.connectors.fake_mastodon import FakeMastodon

pytestmark = pytest.mark.allow_hosts(["127.0.0.1", "::1", "localhost"])


@pytest.fixture
def fake(httpserver: HTTPServer) -> Iterator[FakeMastodon]:
    instance = FakeMastodon(httpserver)
    yield instance
    httpserver.clear()


def config(
    fake: FakeMastodon, *, state: dict[str, Any] | None = None, **options: Any
) -> ChannelConfig:
    return ChannelConfig(
        channel_id=1,
        network="mastodon",
        handle=f"artist@{fake.domain}",
        external_id=fake.artist["id"],
        credentials={"access_token": fake.token},
        base_url=fake.url,
        state=state or {},
        options={"timeout": 1.5, **options},
    )


def connector(fake: FakeMastodon, **options: Any) -> MastodonConnector:
    return MastodonConnector(config(fake, **options))


def sync_all(
    conn: MastodonConnector, cursor: dict[str, Any] | None, limit: int = 40
) -> tuple[list[IncomingItem], dict[str, Any] | None]:
    """What the pipeline does: pages until has_more is False, storing the cursor each time."""
    items: list[IncomingItem] = []
    while True:
        result = conn.fetch_since(cursor, limit=limit)
        items.extend(result.items)
        cursor = result.cursor
        if not result.has_more:
            return items, cursor


# --- fetching -------------------------------------------------------------------------


def test_first_sync_returns_recent_mentions_oldest_first_and_a_cursor(fake: FakeMastodon) -> None:
    fan = fake.add_account("fan", domain="other.social", display_name="A Fan", followers=321)
    old = fake.mention(fan, "from long ago", created_at=datetime.now(UTC) - timedelta(days=30))
    first = fake.mention(fan, "love the new single")
    second = fake.mention(fan, "see you at the show")

    result = connector(fake).fetch_since(None)

    assert [i.external_id for i in result.items] == [first["id"], second["id"]]
    assert old["id"] not in {i.external_id for i in result.items}
    assert result.cursor == {"min_id": fake.notifications[-1]["id"]}
    assert result.has_more is False
    item = result.items[0]
    assert item.text == "@artist love the new single"
    assert item.kind == "mention"
    assert item.thread_id == first["id"]
    assert item.parent_id is None
    assert item.url == first["url"]
    assert item.lang == "en"
    assert item.created_at.tzinfo is not None
    assert item.raw == first
    assert item.author == Author(
        external_id=fan["id"],
        handle="fan@other.social",
        name="A Fan",
        avatar_url=fan["avatar"],
        profile_url=fan["url"],
        profile={
            "followers_count": 321,
            "following_count": 3,
            "statuses_count": 42,
            "bot": False,
            "bio": "I am fan & I like music",
        },
    )


def test_min_id_paging_returns_every_mention_once_in_order_until_an_empty_page(
    fake: FakeMastodon,
) -> None:
    fan = fake.add_account("fan")
    conn = connector(fake)
    _, cursor = sync_all(conn, None)
    posted = [fake.mention(fan, f"message {n}")["id"] for n in range(7)]

    pages = []
    while True:
        result = conn.fetch_since(cursor, limit=3)
        pages.append([i.external_id for i in result.items])
        cursor = result.cursor
        if not result.has_more:
            break

    # A short page is no sign of the end (servers cap pages below `limit`): only an
    # empty page is.
    assert pages == [posted[0:3], posted[3:6], posted[6:7], []]
    later = fake.mention(fan, "one more")
    items, cursor = sync_all(conn, cursor)
    assert [i.external_id for i in items] == [later["id"]]
    assert conn.fetch_since(cursor).items == []


def test_local_accounts_get_the_instance_domain_in_their_handle(fake: FakeMastodon) -> None:
    local = fake.add_account("neighbour")
    fake.mention(local, "hi")
    (item,) = connector(fake).fetch_since(None).items
    assert item.author.handle == f"neighbour@{fake.domain}"


def test_html_becomes_plain_text_keeping_breaks_and_whole_links(fake: FakeMastodon) -> None:
    fan = fake.add_account("fan")
    content = (
        '<p><span class="h-card"><a href="https://fake.social/@artist" class="u-url mention">'
        "@<span>artist</span></a></span> tickets?<br />Berlin &amp; Paris</p>"
        '<p><a href="https://shop.example/tour/2025/dates"><span class="invisible">https://'
        '</span><span class="ellipsis">shop.example/tour/20</span><span class="invisible">'
        "25/dates</span></a> <script>alert(1)</script></p>"
    )
    fake.post(fan, content, mentions=[fake.artist], spoiler_text="tour talk")

    (item,) = connector(fake).fetch_since(None).items

    assert item.text == (
        "CW: tour talk\n\n@artist tickets?\nBerlin & Paris\n\nhttps://shop.example/tour/2025/dates"
    )
    assert item.html is not None and "<script>" not in item.html
    assert "Berlin &amp; Paris" in item.html


def test_html_to_text_handles_lists_entities_and_broken_markup() -> None:
    assert html_to_text("<ul><li>one</li><li>two &lt;3</li></ul>") == "- one\n- two <3"
    assert html_to_text("<p>unclosed <b>bold") == "unclosed bold"
    assert html_to_text("") == ""


def test_direct_status_is_a_dm(fake: FakeMastodon) -> None:
    fan = fake.add_account("fan")
    fake.mention(fan, "psst, a private question", visibility="direct")
    (item,) = connector(fake).fetch_since(None).items
    assert item.kind == "dm"


def test_reply_to_the_artists_post_is_threaded_on_it_with_context(fake: FakeMastodon) -> None:
    post = fake.post(fake.artist, "<p>New album out Friday!</p>")
    fan = fake.add_account("fan")
    answer = fake.mention(fan, "can't wait", in_reply_to=post)

    (item,) = connector(fake).fetch_since(None).items

    assert item.external_id == answer["id"]
    assert item.kind == "reply"
    assert item.thread_id == post["id"]
    assert item.parent_id == post["id"]
    assert item.context is not None
    assert item.context.title == "New album out Friday!"
    assert item.context.url == post["url"]


def test_thread_roots_are_remembered_so_later_replies_need_no_lookup(fake: FakeMastodon) -> None:
    post = fake.post(fake.artist, "<p>Tour dates</p>")
    fan = fake.add_account("fan")
    question = fake.mention(fan, "Lisbon?", in_reply_to=post)
    conn = connector(fake)
    first_items, cursor = sync_all(conn, None)
    assert first_items[0].thread_id == post["id"]

    sent = conn.send_reply(
        ReplyTarget(
            thread_id=post["id"],
            parent_external_id=question["id"],
            parent_raw=question,
        ),
        "Yes, in May!",
        "key-1",
    )
    follow_up = fake.mention(fan, "yay", in_reply_to=fake.statuses[sent.external_id])
    lookups_before = sum(v for k, v in fake.hits.items() if k.endswith("/context"))

    # A new connector built from the persisted state, as the next sync would be.
    conn2 = MastodonConnector(config(fake, state=dict(conn.state)))
    (item,) = conn2.fetch_since(cursor).items

    assert item.external_id == follow_up["id"]
    assert item.thread_id == post["id"]
    assert sum(v for k, v in fake.hits.items() if k.endswith("/context")) == lookups_before


def test_past_the_lookup_budget_the_thread_falls_back_to_in_reply_to(fake: FakeMastodon) -> None:
    post = fake.post(fake.artist, "<p>root</p>")
    fan = fake.add_account("fan")
    middle = fake.post(fan, "<p>middle</p>", in_reply_to=post)
    reply = fake.mention(fan, "deep reply", in_reply_to=middle)

    (item,) = connector(fake, context_lookups=0).fetch_since(None).items

    assert item.external_id == reply["id"]
    assert item.thread_id == middle["id"]
    assert item.context is None


def test_a_failing_context_lookup_does_not_lose_the_page(fake: FakeMastodon) -> None:
    post = fake.post(fake.artist, "<p>root</p>")
    fan = fake.add_account("fan")
    middle = fake.post(fan, "<p>middle</p>", in_reply_to=post)
    reply = fake.mention(fan, "reply", in_reply_to=middle)
    fake.fail_path("/context", "503")

    (item,) = connector(fake).fetch_since(None).items

    assert item.external_id == reply["id"]
    assert item.thread_id == middle["id"]


def test_a_revoked_token_during_a_context_lookup_stops_the_sync(fake: FakeMastodon) -> None:
    post = fake.post(fake.artist, "<p>root</p>")
    fake.mention(fake.add_account("fan"), "reply", in_reply_to=post)
    fake.fail_path("/context", "401")
    with pytest.raises(AuthError):
        connector(fake).fetch_since(None)


def test_edited_status_carries_edited_at(fake: FakeMastodon) -> None:
    fan = fake.add_account("fan")
    status = fake.mention(fan, "typo")
    fake.edit(status, "<p>fixed</p>")
    (item,) = connector(fake).fetch_since(None).items
    assert item.edited_at is not None
    assert item.edited_at > item.created_at
    assert item.text == "fixed"


def test_refresh_items_reports_deleted_and_edited_statuses(fake: FakeMastodon) -> None:
    fan = fake.add_account("fan")
    keep = fake.mention(fan, "keep me")
    gone = fake.mention(fan, "delete me")
    conn = connector(fake)
    conn.fetch_since(None)
    fake.edit(keep, "<p>kept, edited</p>")
    fake.delete(gone)

    result = conn.refresh_items([keep["id"], gone["id"], "../etc"])

    by_id = {i.external_id: i for i in result.items}
    assert by_id[gone["id"]].deleted is True
    assert by_id[keep["id"]].deleted is False
    assert by_id[keep["id"]].edited_at is not None
    assert by_id[keep["id"]].text == "kept, edited"
    assert by_id[keep["id"]].thread_id == keep["id"]
    assert [reason for reason, _ in result.malformed] == ["not a Mastodon status id"]


# --- backfill -------------------------------------------------------------------------


def _notification_hits(fake: FakeMastodon) -> int:
    return fake.hits.get("/api/v1/notifications", 0)


def test_first_sync_walks_back_page_by_page_to_the_backfill_window(fake: FakeMastodon) -> None:
    fake.page_cap = 3  # the server caps pages far below the 80 asked for
    fan = fake.add_account("fan")
    long_ago = datetime.now(UTC) - timedelta(days=20)
    old = [
        fake.mention(fan, f"old {n}", created_at=long_ago + timedelta(minutes=n)) for n in range(2)
    ]
    recent = [fake.mention(fan, f"recent {n}")["id"] for n in range(8)]

    conn = connector(fake, backfill_days=14)
    items, cursor = sync_all(conn, None)

    assert sorted(i.external_id for i in items) == sorted(recent)
    assert len(items) == len(recent)  # each once
    assert cursor == {"min_id": fake.notifications[-1]["id"]}
    # Pages of 3, newest first: [r7 r6 r5] [r4 r3 r2] [r1 r0 old1] stops there (old1 is
    # older than the window, so old0 is never asked for), then one step forward.
    assert _notification_hits(fake) == 4
    assert old[0]["id"] not in {i.external_id for i in items}


def test_the_walk_back_ends_where_the_link_header_has_no_next_even_after_thread_lookups(
    fake: FakeMastodon,
) -> None:
    fake.page_cap = 3
    fake.next_only_when_full = True  # as mastodon-mock: no rel="next" after a short page
    posts = [fake.post(fake.artist, f"<p>Tour date {n}</p>") for n in range(5)]
    fan = fake.add_account("fan")
    posted = [fake.mention(fan, f"see you {n}", in_reply_to=posts[n])["id"] for n in range(5)]

    items, _ = sync_all(connector(fake), None)

    assert sorted(i.external_id for i in items) == sorted(posted)
    assert {i.external_id: i.thread_id for i in items} == {
        status_id: post["id"] for status_id, post in zip(posted, posts, strict=True)
    }
    # [m4 m3 m2] full, [m1 m0] short: no rel="next", so no third page; then one step
    # forward. Each item's thread lookup is an answer of its own, made after the page's:
    # it does not hide the page's Link header.
    assert sum(v for k, v in fake.hits.items() if k.endswith("/context")) == 5
    assert _notification_hits(fake) == 3


def test_a_backfill_interrupted_between_pages_resumes_where_it_stopped(fake: FakeMastodon) -> None:
    fake.page_cap = 3
    fan = fake.add_account("fan")
    posted = [fake.mention(fan, f"message {n}")["id"] for n in range(8)]
    conn = connector(fake)

    first = conn.fetch_since(None)
    assert first.has_more and set(first.cursor or {}) == {"max_id", "head", "since"}
    fake.faults.append("429")
    with pytest.raises(RateLimited):
        conn.fetch_since(first.cursor)  # the sync keeps the stored cursor
    arrived = fake.mention(fan, "written during the backfill")["id"]
    # The next sync, from the stored cursor, with a connector built anew.
    rest, cursor = sync_all(connector(fake), first.cursor)

    got = [i.external_id for i in first.items + rest]
    assert sorted(got) == sorted([*posted, arrived])
    assert len(got) == len(set(got))
    assert cursor == {"min_id": fake.notifications[-1]["id"]}  # moving forward now


def test_without_link_headers_the_walk_goes_by_the_oldest_id_until_an_empty_page(
    fake: FakeMastodon,
) -> None:
    fake.page_cap = 2
    fake.send_links = False
    fan = fake.add_account("fan")
    posted = [fake.mention(fan, f"message {n}")["id"] for n in range(5)]

    items, cursor = sync_all(connector(fake), None)

    assert sorted(i.external_id for i in items) == sorted(posted)
    assert cursor == {"min_id": fake.notifications[-1]["id"]}


def test_a_stored_min_id_cursor_keeps_moving_forward_and_never_backfills(
    fake: FakeMastodon,
) -> None:
    fan = fake.add_account("fan")
    for n in range(3):
        fake.mention(fan, f"before {n}")
    cursor = {"min_id": fake.notifications[-1]["id"]}  # as stored before backfill existed
    later = fake.mention(fan, "after")

    items, new_cursor = sync_all(connector(fake), cursor)

    assert [i.external_id for i in items] == [later["id"]]
    assert new_cursor == {"min_id": fake.notifications[-1]["id"]}


def test_an_unusable_backfill_cursor_is_a_permanent_error(fake: FakeMastodon) -> None:
    with pytest.raises(PermanentError, match="backfill cursor"):
        connector(fake).fetch_since({"max_id": "12", "head": "../x", "since": "now"})


def test_a_mention_whose_status_is_gone_is_skipped_without_a_complaint(
    fake: FakeMastodon,
) -> None:
    fan = fake.add_account("fan")
    conn = connector(fake)
    _, cursor = sync_all(conn, None)
    fake.add_raw_notification(
        {"type": "mention", "created_at": "2024-01-01T00:00:00Z", "status": None}
    )
    kept = fake.mention(fan, "still here")

    result = conn.fetch_since(cursor)

    assert [i.external_id for i in result.items] == [kept["id"]]
    assert result.malformed == []


# --- deletion checks ------------------------------------------------------------------


def test_refresh_reads_twenty_statuses_a_request_and_confirms_each_missing_one(
    fake: FakeMastodon,
) -> None:
    fan = fake.add_account("fan")
    statuses = [fake.mention(fan, f"message {n}") for n in range(25)]
    fake.delete(statuses[3])
    fake.delete(statuses[21])
    fake.edit(statuses[7], "<p>edited</p>")
    conn = connector(fake)

    result = conn.refresh_items([s["id"] for s in statuses])

    assert fake.hits["/api/v1/statuses"] == 2  # 20 + 5
    assert fake.hits[f"/api/v1/statuses/{statuses[3]['id']}"] == 1  # its own 404 confirms
    gone = {i.external_id for i in result.items if i.deleted}
    assert gone == {statuses[3]["id"], statuses[21]["id"]}
    # Only the edited one comes back as an item: the others cannot have changed.
    assert [(i.external_id, i.text) for i in result.items if not i.deleted] == [
        (statuses[7]["id"], "edited")
    ]


def test_a_status_an_odd_batch_answer_leaves_out_is_not_called_deleted(
    fake: FakeMastodon,
) -> None:
    fan = fake.add_account("fan")
    statuses = [fake.mention(fan, f"message {n}") for n in range(4)]
    fake.batch_omits = {statuses[1]["id"]}
    conn = connector(fake)

    result = conn.refresh_items([s["id"] for s in statuses])

    assert [i for i in result.items if i.deleted] == []
    assert "no_batch_until" in conn.state  # the batch endpoint is not trusted for a day
    assert conn.deletion_check_budget()[0] == 1


def test_without_the_batch_endpoint_each_status_is_asked_alone_until_tomorrow(
    fake: FakeMastodon,
) -> None:
    fake.batch_endpoint = False
    fan = fake.add_account("fan")
    keep = fake.mention(fan, "keep")
    gone = fake.mention(fan, "gone")
    fake.delete(gone)
    conn = connector(fake)

    result = conn.refresh_items([keep["id"], gone["id"]])

    assert [i.external_id for i in result.items if i.deleted] == [gone["id"]]
    assert fake.hits["/api/v1/statuses"] == 1
    # A connector built from the stored state does not ask the missing endpoint again.
    again = MastodonConnector(config(fake, state=dict(conn.state)))
    assert again.deletion_check_budget() == (1, 40)
    again.refresh_items([keep["id"], gone["id"]])
    assert fake.hits["/api/v1/statuses"] == 1


def test_the_check_budget_leaves_room_under_the_rate_limit(fake: FakeMastodon) -> None:
    conn = connector(fake)
    assert conn.deletion_check_budget() == (20, 800)  # 40 requests of 20
    fake.rate_remaining = 120
    conn.fetch_since({"min_id": "1"})
    assert conn.deletion_check_budget() == (20, 400)  # 20 requests, keeping 100 in reserve
    fake.rate_remaining = 90
    conn.fetch_since({"min_id": "1"})
    assert conn.deletion_check_budget() == (20, 0)


def test_stream_events_become_items_or_deletions(fake: FakeMastodon) -> None:
    fan = fake.add_account("fan")
    status = fake.mention(fan, "streamed")
    notification = fake.notifications[-1]

    item = item_from_stream_event("notification", json.dumps(notification), "fake.social")
    assert item is not None and item.external_id == status["id"]
    deleted = item_from_stream_event("delete", status["id"], "fake.social")
    assert deleted is not None and deleted.deleted and deleted.external_id == status["id"]
    fake.edit(status, "<p>edited</p>")
    edited = item_from_stream_event("status.update", json.dumps(status), "fake.social")
    assert edited is not None and edited.edited_at is not None
    assert item_from_stream_event("update", json.dumps(status), "fake.social") is None
    with pytest.raises(Malformed):
        item_from_stream_event("notification", "{not json", "fake.social")
    with pytest.raises(Malformed):
        item_from_stream_event("delete", "1; DROP", "fake.social")


def test_a_malformed_notification_is_reported_and_the_rest_returned(fake: FakeMastodon) -> None:
    fan = fake.add_account("fan")
    conn = connector(fake)
    _, cursor = sync_all(conn, None)
    good1 = fake.mention(fan, "before")
    fake.add_raw_notification(
        {
            "type": "mention",
            "status": {"id": "77", "created_at": "2024-01-01T00:00:00Z", "content": "<p>x</p>"},
        }
    )
    fake.add_raw_notification("not an object")
    fake.add_raw_notification(
        {"type": "mention", "status": {**good1, "id": "78", "created_at": "yesterday"}}
    )
    good2 = fake.mention(fan, "after")

    result = conn.fetch_since(cursor)

    assert [i.external_id for i in result.items] == [good1["id"], good2["id"]]
    reasons = [reason for reason, _ in result.malformed]
    assert len(reasons) == 3
    assert any("created_at" in r for r in reasons)
    assert any("account" in r for r in reasons)
    assert result.cursor == {"min_id": fake.notifications[-1]["id"]}


# --- replying -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parent_visibility", "sent_visibility"),
    [
        ("public", "unlisted"),
        ("unlisted", "unlisted"),
        ("private", "private"),
        ("direct", "direct"),
    ],
)
def test_reply_goes_into_the_thread_no_wider_than_its_parent(
    fake: FakeMastodon, parent_visibility: str, sent_visibility: str
) -> None:
    fan = fake.add_account("fan", domain="other.social")
    parent = fake.mention(fan, "question", visibility=parent_visibility)

    sent = connector(fake).send_reply(
        ReplyTarget(thread_id=parent["id"], parent_external_id=parent["id"], parent_raw=parent),
        "Thanks so much!",
        "reply-key-1",
    )

    (request,) = fake.post_requests
    assert request["in_reply_to_id"] == parent["id"]
    assert request["visibility"] == sent_visibility
    assert request["idempotency_key"] == "reply-key-1"
    assert request["status"] == "@fan@other.social Thanks so much!"
    assert sent.external_id in fake.statuses
    assert fake.statuses[sent.external_id]["in_reply_to_id"] == parent["id"]
    assert sent.url == fake.statuses[sent.external_id]["url"]
    assert sent.created_at.tzinfo is not None


def test_reply_keeps_a_mention_the_writer_already_typed(fake: FakeMastodon) -> None:
    fan = fake.add_account("fan")
    parent = fake.mention(fan, "hi")
    connector(fake).send_reply(
        ReplyTarget(
            thread_id=parent["id"],
            parent_external_id=parent["id"],
            parent_author=Author(external_id=fan["id"], handle="fan@fake.social"),
        ),
        "hey @Fan, thanks",
        "k",
    )
    assert fake.post_requests[0]["status"] == "hey @Fan, thanks"
    assert fake.post_requests[0]["visibility"] == "unlisted"


def test_a_retried_reply_with_the_same_key_posts_once(fake: FakeMastodon) -> None:
    fan = fake.add_account("fan")
    parent = fake.mention(fan, "hi")
    target = ReplyTarget(thread_id=parent["id"], parent_external_id=parent["id"], parent_raw=parent)
    conn = connector(fake)

    first = conn.send_reply(target, "hello", "same-key")
    second = conn.send_reply(target, "hello", "same-key")

    assert first.external_id == second.external_id
    assert [s["id"] for s in fake.statuses.values() if s["account"] is fake.artist] == [
        first.external_id
    ]


def test_a_reply_over_the_instance_limit_is_refused_before_posting(fake: FakeMastodon) -> None:
    fake.max_characters = 40
    fan = fake.add_account("fan")
    parent = fake.mention(fan, "hi")
    target = ReplyTarget(thread_id=parent["id"], parent_external_id=parent["id"], parent_raw=parent)
    conn = connector(fake)

    with pytest.raises(PermanentError, match="allows 40"):
        conn.send_reply(target, "x" * 60, "k1")

    assert fake.post_requests == []
    assert conn.state["max_characters"] == 40
    # A long link counts as 23 characters, as on Mastodon.
    conn.send_reply(target, "see https://example.com/" + "a" * 80, "k2")
    assert mastodon_length("@a@b.example https://x.example/" + "y" * 50) == 2 + 1 + 23


def test_replying_to_a_deleted_status_is_permanent(fake: FakeMastodon) -> None:
    fan = fake.add_account("fan")
    parent = fake.mention(fan, "hi")
    fake.delete(parent)
    with pytest.raises(PermanentError, match="deleted"):
        connector(fake).send_reply(
            ReplyTarget(thread_id=parent["id"], parent_external_id=parent["id"], parent_raw=parent),
            "hello",
            "k",
        )


def test_fetch_profile_returns_the_account(fake: FakeMastodon) -> None:
    fan = fake.add_account("fan", display_name="Fan Name", followers=99)
    author = connector(fake).fetch_profile(fan["id"])
    assert author.handle == f"fan@{fake.domain}"
    assert author.name == "Fan Name"
    assert author.profile is not None and author.profile["followers_count"] == 99
    with pytest.raises(PermanentError):
        connector(fake).fetch_profile("9999")


# --- errors ---------------------------------------------------------------------------


def test_a_revoked_token_is_an_auth_error_naming_the_status_not_the_servers_words(
    fake: FakeMastodon,
) -> None:
    fake.revoked = True
    with pytest.raises(AuthError, match=r"refused the token \(401\)") as caught:
        connector(fake).fetch_since(None)
    assert "revoked" not in str(caught.value)  # the body said "The access token was revoked"


def test_429_is_rate_limited_until_the_reset_header(fake: FakeMastodon) -> None:
    fake.rate_reset_in = 120
    fake.faults.append("429")
    with pytest.raises(RateLimited) as caught:
        connector(fake).fetch_since({"min_id": "1"})
    assert caught.value.retry_after is not None
    assert 100 < caught.value.retry_after <= 121


def test_a_429_with_retry_after_waits_that_long_not_for_an_earlier_answers_reset(
    fake: FakeMastodon,
) -> None:
    conn = connector(fake)
    conn.fetch_since({"min_id": "1"})  # an answer whose X-RateLimit-Reset is 5 minutes away
    fake.faults.append("429-retry-after")
    with pytest.raises(RateLimited) as caught:
        conn.fetch_since({"min_id": "1"})
    assert caught.value.retry_after == 7


@pytest.mark.parametrize("fault", ["500", "502", "503", "timeout", "cut", "malformed"])
def test_server_faults_are_transient(fake: FakeMastodon, fault: str) -> None:
    fake.faults.append(fault)
    with pytest.raises(TransientError) as caught:
        connector(fake).fetch_since({"min_id": "1"})
    assert not isinstance(caught.value, RateLimited)


def test_a_missing_token_is_an_auth_error(fake: FakeMastodon) -> None:
    cfg = config(fake)
    with pytest.raises(AuthError):
        MastodonConnector(
            ChannelConfig(
                channel_id=1,
                network="mastodon",
                handle=cfg.handle,
                external_id=None,
                credentials={},
                base_url=cfg.base_url,
            )
        )


def test_the_instance_url_comes_from_the_handle_and_plain_http_is_refused() -> None:
    def make(handle: str, base_url: str | None) -> MastodonConnector:
        return MastodonConnector(
            ChannelConfig(
                channel_id=1,
                network="mastodon",
                handle=handle,
                external_id="1",
                credentials={"access_token": "t"},
                base_url=base_url,
            )
        )

    assert make("@artist@music.example", None)._base_url == "https://music.example"
    with pytest.raises(PermanentError):
        make("artist", None)
    with pytest.raises(PermanentError, match="plain http"):
        make("artist", "http://music.example")


def test_the_registry_builds_a_connector_that_fits_the_interface(fake: FakeMastodon) -> None:
    conn = build("mastodon", config(fake))
    assert isinstance(conn, MastodonConnector)
    assert isinstance(conn, Connector)


# --- faults over many rounds ----------------------------------------------------------


def test_every_mention_arrives_exactly_once_through_a_flaky_instance(fake: FakeMastodon) -> None:
    """30% of requests fail (429, 5xx, cut-off or malformed bodies) while mentions arrive."""
    rng = random.Random(4)
    fans = [fake.add_account(f"fan{n}") for n in range(5)]
    conn = connector(fake, context_lookups=0)
    cursor: dict[str, Any] | None = {"min_id": "1"}
    stored: list[str] = []
    posted: list[str] = []
    failures = 0
    for _round in range(25):
        for _ in range(rng.randint(0, 12)):
            posted.append(fake.mention(rng.choice(fans), f"hello {len(posted)}")["id"])
        for _ in range(6):
            if rng.random() < 0.3:
                fake.faults.append(rng.choice(["429", "500", "503", "cut", "malformed"]))
            try:
                result = conn.fetch_since(cursor, limit=5)
            except TransientError:
                failures += 1
                continue  # the pipeline keeps the old cursor and retries later
            stored.extend(i.external_id for i in result.items)
            cursor = result.cursor
            if not result.has_more:
                break
    items, _ = sync_all(conn, cursor, limit=5)
    stored.extend(i.external_id for i in items)

    assert failures >= 5
    assert stored == posted
