"""Posting: compose for several channels, per-network lengths, the nudge, scheduling,
edit and cancel before it goes, and the clock sending a due post once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from pytest_httpserver import HTTPServer
from sqlalchemy import select

from inbox import posting as posting_job
from inbox import scheduler
from inbox.runtime import Runtime
from models import AuditEvent, Channel, Post, PostStatus, PostTarget, Workspace, utcnow
from tests.conftest import login
from tests.connectors.fake_mastodon import FakeMastodon
from tests.helpers import make_channel


@pytest.fixture
def fake(httpserver: HTTPServer) -> Iterator[FakeMastodon]:
    instance = FakeMastodon(httpserver)
    yield instance
    httpserver.clear()


def _mastodon(rt: Runtime, ws: Workspace, fake: FakeMastodon) -> int:
    with rt.session() as s:
        ch = Channel(
            workspace_id=ws.id,
            network="mastodon",
            connector="mastodon",
            handle=f"artist@{fake.domain}",
            external_id=fake.artist["id"],
            base_url=fake.url,
            credentials_encrypted=rt.box.encrypt({"access_token": fake.token}),
            options={"timeout": 5},
            sync_enabled=False,
        )
        s.add(ch)
        s.flush()
        return ch.id


def _own_statuses(fake: FakeMastodon, text: str) -> int:
    return sum(
        1
        for st in fake.statuses.values()
        if st["account"]["id"] == fake.artist["id"] and text in str(st.get("content", ""))
    )


def test_the_preview_counts_per_network_and_nudges_the_same_words_on_two(
    client: FlaskClient, rt: Runtime, workspace: Workspace, fake: FakeMastodon
) -> None:
    m = _mastodon(rt, workspace, fake)
    x = make_channel(rt, workspace.id, network="x", connector="sandbox").id
    csrf = login(client)
    text = "New single out Friday! " + "la" * 130
    html = client.post(
        "/posts/preview", data={"text": text, "channel_id": [str(m), str(x)], "csrf_token": csrf}
    ).get_data(as_text=True)
    assert "283 / 500 characters" in html and 'count over">283 / 280 characters' in html
    assert 'id="post-nudge"' in html
    refused = client.post(
        "/posts", data={"text": text, "channel_id": [str(m), str(x)], "csrf_token": csrf}
    )
    assert refused.status_code == 422 and "Too long for one of the networks" in refused.get_data(
        as_text=True
    )
    one = client.post(
        "/posts/preview", data={"text": "hi", "channel_id": [str(m)], "csrf_token": csrf}
    )
    assert 'id="post-nudge"' not in one.get_data(as_text=True)


def test_a_scheduled_post_goes_out_once_when_due_and_not_before(
    client: FlaskClient,
    rt: Runtime,
    workspace: Workspace,
    fake: FakeMastodon,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    m = _mastodon(rt, workspace, fake)
    csrf = login(client)
    at = (utcnow() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")  # the owner's zone is UTC
    resp = client.post(
        "/posts",
        data={"text": "Tour dates tonight", "channel_id": [str(m)], "at": at, "csrf_token": csrf},
    )
    assert resp.status_code == 303
    with rt.session() as s:
        post_id = s.scalars(select(Post.id)).one()
    assert posting_job.due_posts(rt, utcnow()) == []
    assert posting_job.publish_post(rt, post_id) is None  # not due: nothing sent
    assert _own_statuses(fake, "Tour dates tonight") == 0
    later = utcnow() + timedelta(hours=2, minutes=1)
    monkeypatch.setattr(scheduler, "utcnow", lambda: later)
    monkeypatch.setattr(posting_job, "utcnow", lambda: later)
    scheduler.tick(rt)  # the clock queues it; the inline queue runs it
    with rt.session() as s:
        post = s.get_one(Post, post_id)
        assert post.status == PostStatus.SENT
        [target] = post.targets
        assert target.external_id and target.url
    assert _own_statuses(fake, "Tour dates tonight") == 1
    scheduler.tick(rt)  # again: nothing more
    assert _own_statuses(fake, "Tour dates tonight") == 1
    # A cut-off retry of the same target reuses its key: Mastodon returns the first status.
    with rt.session() as s:
        t = s.scalars(select(PostTarget)).one()
        t.status = PostStatus.SENDING
        s.get_one(Post, post_id).status = PostStatus.SCHEDULED
    posting_job.publish_post(rt, post_id)
    assert _own_statuses(fake, "Tour dates tonight") == 1


def test_a_post_is_edited_or_cancelled_before_it_goes_and_not_after(
    client: FlaskClient, rt: Runtime, workspace: Workspace, fake: FakeMastodon
) -> None:
    m = _mastodon(rt, workspace, fake)
    csrf = login(client)
    at = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    client.post(
        "/posts", data={"text": "Draft words", "channel_id": [str(m)], "at": at, "csrf_token": csrf}
    )
    with rt.session() as s:
        post_id = s.scalars(select(Post.id)).one()
    client.post(f"/posts/{post_id}", data={"text": "Better words", "at": at, "csrf_token": csrf})
    with rt.session() as s:
        post = s.get_one(Post, post_id)
        assert post.text == "Better words" and post.targets[0].text == "Better words"
    assert client.post(f"/posts/{post_id}/cancel", data={"csrf_token": csrf}).status_code == 303
    with rt.session() as s:
        assert s.get_one(Post, post_id).status == PostStatus.CANCELLED
    assert posting_job.due_posts(rt, utcnow() + timedelta(days=2)) == []
    again = client.post(f"/posts/{post_id}/cancel", data={"csrf_token": csrf})
    assert again.status_code == 409
    late = client.post(f"/posts/{post_id}", data={"text": "x", "csrf_token": csrf})
    assert late.status_code == 409
    with rt.session() as s:
        actions = set(s.scalars(select(AuditEvent.action)))
    assert {"post.scheduled", "post.edited", "post.cancelled"} <= actions
    assert _own_statuses(fake, "words") == 0


def test_posting_needs_a_manager(client: FlaskClient, rt: Runtime, workspace: Workspace) -> None:
    login(client, "agent@example.org")
    assert client.get("/posts").status_code == 403


def test_only_channels_that_can_publish_are_offered_and_the_demo_network_can(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    from inbox.connectors.sandbox import SandboxConnector
    from tests.test_sandbox import config

    cannot = make_channel(rt, workspace.id, network="youtube", connector="fake", handle="yt").id
    demo = make_channel(rt, workspace.id, network="bluesky", connector="sandbox", handle="bs").id
    csrf = login(client)
    page = client.get("/posts").get_data(as_text=True)
    assert f'value="{demo}"' in page and f'value="{cannot}"' not in page
    refused = client.post(
        "/posts", data={"text": "hi", "channel_id": [str(cannot)], "csrf_token": csrf}
    )
    assert refused.status_code == 422  # a hand-made form cannot choose it either
    sandbox = SandboxConnector(config("bluesky"))
    first = sandbox.publish("New single out Friday!", "post-1")
    assert sandbox.publish("New single out Friday!", "post-1") == first  # once per key
    assert sandbox.publish("Tour dates!", "post-2").external_id != first.external_id


def test_a_post_goes_to_bluesky_once_and_the_conversations_its_replies_start_are_linked(
    client: FlaskClient, rt: Runtime, workspace: Workspace, httpserver: HTTPServer
) -> None:
    """Bluesky through atproto against the fake PDS: the post is written under the record
    key the client chose, a cut-off retry finds it instead of posting again, and the fans'
    replies under it become inbox conversations the Posting page names as started by it."""
    from inbox import sync
    from models import Conversation
    from tests.connectors.fake_bluesky import FakeBluesky

    bsky = FakeBluesky(httpserver)
    fan_a = bsky.add_actor("lea.bsky.social", "Léa")
    fan_b = bsky.add_actor("tiago.bsky.social", "Tiago")
    with rt.session() as s:
        ch = Channel(
            workspace_id=workspace.id,
            network="bluesky",
            connector="bluesky",
            handle=bsky.handle,
            external_id=bsky.did,
            base_url=bsky.base_url,
            credentials_encrypted=rt.box.encrypt(
                {"handle": bsky.handle, "app_password": bsky.password}
            ),
            options={"timeout": 5, "dms": False, "backfill_days": 1},
        )
        s.add(ch)
        s.flush()
        channel_id = ch.id
    csrf = login(client)
    page = client.get("/posts").get_data(as_text=True)
    assert f'value="{channel_id}"' in page  # Bluesky can publish now
    resp = client.post(
        "/posts",
        data={"text": "Tour dates are out!", "channel_id": [str(channel_id)], "csrf_token": csrf},
    )
    assert resp.status_code == 303
    with rt.session() as s:
        post_id = s.scalars(select(Post.id)).one()
    assert posting_job.publish_post(rt, post_id) == PostStatus.SENT
    own = [p for p in bsky.posts.values() if p["author"]["did"] == bsky.did]
    assert [p["record"]["text"] for p in own] == ["Tour dates are out!"]
    with rt.session() as s:
        target = s.scalars(select(PostTarget)).one()
        uri = target.external_id
        assert uri == own[0]["uri"] and target.url and target.url.startswith("https://bsky.app/")
        # The worker died before the database knew: the retry reads the record back.
        target.status = PostStatus.SENDING
        s.get_one(Post, post_id).status = PostStatus.SCHEDULED
    assert posting_job.publish_post(rt, post_id) == PostStatus.SENT
    assert len([p for p in bsky.posts.values() if p["author"]["did"] == bsky.did]) == 1
    assert bsky.calls.count("com.atproto.repo.createRecord") == 1

    # Two fans answer the post; one of them also mentions the band elsewhere.
    bsky.post(fan_a, "Lyon please!!", reply_to=uri)
    bsky.post(fan_b, "Lisbon?", reply_to=uri)
    bsky.post(fan_b, f"@{bsky.handle} love the new single")
    report = sync.sync_channel(rt, channel_id)
    assert report.error is None and report.ingest.created == 3, report
    with rt.session() as s:
        threads = dict(
            s.execute(
                select(Conversation.external_thread_id, Conversation.id).where(
                    Conversation.channel_id == channel_id
                )
            ).all()
        )
    assert uri in threads and len(threads) == 2  # the post's thread, and the mention
    page = client.get("/posts").get_data(as_text=True)
    assert 'class="post-started" data-count="1"' in page
    assert "started 1 conversation" in page
    assert f'href="/c/{threads[uri]}"' in page
    mention = next(cid for thread, cid in threads.items() if thread != uri)
    assert f'href="/c/{mention}"' not in page


def test_each_network_may_get_its_own_words_which_the_preview_counts_and_the_nudge_notices(
    client: FlaskClient, rt: Runtime, workspace: Workspace, fake: FakeMastodon
) -> None:
    """The long text fits Mastodon; X gets a shorter copy of its own (with its @mention),
    so the post fits everywhere, the nudge goes (no two networks share the words), each
    copy is stored and sent as written, and editing keeps each copy its own."""
    m = _mastodon(rt, workspace, fake)
    x = make_channel(rt, workspace.id, network="x", connector="sandbox").id
    csrf = login(client)
    page = client.get("/posts").get_data(as_text=True)
    assert f'name="text_{x}"' in page and f'name="text_{m}"' in page
    long = "New single out Friday, recorded in Lyon with @lea@mastodon.social! " + "la" * 110
    short = "New single out Friday, recorded in Lyon with @lea_sings!"
    form = {"text": long, "channel_id": [str(m), str(x)], "csrf_token": csrf}
    html = client.post("/posts/preview", data={**form, f"text_{x}": short}).get_data(as_text=True)
    assert 'count over"' not in html and "its own words" in html
    assert 'id="post-nudge"' not in html
    # Both networks given the same words again (here the short ones): the nudge is back.
    assert 'id="post-nudge"' in client.post(
        "/posts/preview", data={**form, "text": short, f"text_{x}": short}
    ).get_data(as_text=True)
    resp = client.post("/posts", data={**form, f"text_{x}": short, f"text_{m}": "  "})
    assert resp.status_code == 303
    with rt.session() as s:
        post = s.scalars(select(Post)).one()
        texts = {t.channel_id: t.text for t in post.targets}
        post_id = post.id
    assert texts == {m: long, x: short}  # a blank adaptation is the post's text
    page = client.get("/posts").get_data(as_text=True)
    assert "its own words:" in page and short in page
    edit = client.get(f"/posts/{post_id}").get_data(as_text=True)
    assert f">{short}</textarea>" in edit
    client.post(
        f"/posts/{post_id}",
        data={"text": long + " (out now)", f"text_{x}": short + " Out now.", "csrf_token": csrf},
    )
    with rt.session() as s:
        texts = {t.channel_id: t.text for t in s.get_one(Post, post_id).targets}
    assert texts == {m: long + " (out now)", x: short + " Out now."}
    posting_job.publish_post(rt, post_id)
    assert _own_statuses(fake, "(out now)") == 1


def test_in_the_demo_fans_answer_a_post_and_the_page_names_the_conversation_it_started(
    client: FlaskClient, rt: Runtime, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sandbox channel publishes the post and, minutes later, a few fans answer under it
    (none from before the post); the sync stores them in the post's thread, which the
    Posting page links as the conversation the post started."""
    from inbox import sync
    from inbox.connectors import sandbox as sandbox_connector
    from models import Conversation, Message

    ch = make_channel(
        rt,
        workspace.id,
        network="mastodon",
        connector="sandbox",
        handle="lesneons@mastodon.social",
        options={"history_days": 0.01, "live_per_hour": 0.0},
    ).id
    csrf = login(client)
    assert (
        client.post(
            "/posts",
            data={"text": "New single out Friday!", "channel_id": [str(ch)], "csrf_token": csrf},
        ).status_code
        == 303
    )
    with rt.session() as s:
        post_id = s.scalars(select(Post.id)).one()
    assert posting_job.publish_post(rt, post_id) == PostStatus.SENT
    with rt.session() as s:
        post_uri = s.scalars(select(PostTarget.external_id)).one()
    later = utcnow() + timedelta(minutes=30)
    monkeypatch.setattr(sandbox_connector, "_utc_now", lambda: later)
    assert sync.sync_channel(rt, ch).error is None
    with rt.session() as s:
        conv = s.scalars(
            select(Conversation).where(
                Conversation.channel_id == ch, Conversation.external_thread_id == post_uri
            )
        ).one()
        answers = s.scalars(select(Message).where(Message.conversation_id == conv.id)).all()
        assert 1 <= len(answers) <= 3
        assert all(m.parent_external_id == post_uri for m in answers)
    page = client.get("/posts").get_data(as_text=True)
    assert "started 1 conversation" in page and f'href="/c/{conv.id}"' in page
