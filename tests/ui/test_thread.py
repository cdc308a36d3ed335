"""A thread: what it shows, replying, collisions, and moving on after done."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select, update

from inbox.runtime import Runtime
from models import Conversation, ConversationStatus, Reply, Workspace
from tests import fakes
from tests.ui.conftest import HX
from tests.ui.seed import Spec, add_conversation, fan_writes

Login = Callable[[str], tuple[FlaskClient, str]]


def test_a_thread_shows_the_fan_their_networks_and_why_it_is_urgent(
    ids: dict[str, int], as_user: Login
) -> None:
    client, _ = as_user("owner")
    html = client.get(f"/c/{ids['promoter']}").get_data(as_text=True)
    assert "Salle Molière (booking)" in html
    assert "Hi! We&#39;d love to book you for 14 March" in html
    assert "booking request" in html and "industry contact" in html  # the reasons
    assert 'href="https://x.example/lyonlive" rel="noopener noreferrer nofollow"' in html
    assert 'href="https://x.example/post/promoter" rel="noopener noreferrer nofollow"' in html


def test_the_fan_sidebar_lists_their_other_conversations(
    ids: dict[str, int], as_user: Login, rt: Runtime, workspace: Workspace
) -> None:
    again = add_conversation(
        rt, workspace.id, Spec("again", "mastodon", "marie", "Marie Dubois", "Found it!", 2)
    )
    client, _ = as_user("owner")
    html = client.get(f"/c/{ids['ticket']}").get_data(as_text=True)
    assert f'href="/c/{again}"' in html and "Found it!" in html


def test_html_email_is_cleaned_and_cannot_drive_htmx(ids: dict[str, int], as_user: Login) -> None:
    client, _ = as_user("owner")
    html = client.get(f"/c/{ids['email']}").get_data(as_text=True)
    body = re.search(r'<div class="message-html" hx-disable>(.*?)</div>', html, re.S)
    assert body is not None
    cleaned = body.group(1)
    assert "hx-" not in cleaned and "<script" not in cleaned and "<img" not in cleaned
    assert '<a href="https://festival.example/offer" rel="noopener noreferrer nofollow">' in cleaned


def test_media_are_links_and_unsafe_urls_are_not(ids: dict[str, int], as_user: Login) -> None:
    client, _ = as_user("owner")
    html = client.get(f"/c/{ids['email']}").get_data(as_text=True)
    assert 'href="https://festival.example/poster.jpg" rel="noopener noreferrer nofollow"' in html
    assert "javascript:" not in html
    assert "<img" not in html


def test_done_lands_on_the_next_conversation_of_the_same_view(
    ids: dict[str, int], as_user: Login, rt: Runtime
) -> None:
    client, csrf = as_user("agent")
    resp = client.post(
        f"/c/{ids['promoter']}/status",
        data={"status": "done", "csrf_token": csrf, "nav": "view=needs-reply"},
    )
    assert resp.status_code == 303
    next_url = resp.headers["Location"]
    assert re.fullmatch(
        rf"/c/({ids['ticket']}|{ids['press']}|{ids['email']})\?view=needs-reply", next_url
    )
    with rt.session() as s:
        assert s.get_one(Conversation, ids["promoter"]).status == ConversationStatus.DONE


def test_done_on_the_last_conversation_goes_back_to_the_empty_list(
    ids: dict[str, int], as_user: Login
) -> None:
    client, csrf = as_user("agent")
    resp = client.post(
        f"/c/{ids['ticket']}/status",
        data={"status": "done", "csrf_token": csrf, "nav": "view=support"},
    )
    assert resp.headers["Location"] == "/?view=support"
    assert "Inbox zero" in client.get("/?view=support").get_data(as_text=True)


def test_next_and_previous_follow_the_view_order(ids: dict[str, int], as_user: Login) -> None:
    client, _ = as_user("owner")
    html = client.get(f"/c/{ids['ticket']}?view=inbox").get_data(as_text=True)
    assert f'href="/c/{ids["promoter"]}?view=inbox" rel="prev"' in html
    assert f'href="/c/{ids["press"]}?view=inbox" rel="next"' in html


def test_a_reply_while_a_teammate_already_answered_asks_first(
    ids: dict[str, int], as_user: Login, rt: Runtime
) -> None:
    ada, ada_csrf = as_user("agent")
    olive, olive_csrf = as_user("owner")
    page = olive.get(f"/c/{ids['ticket']}").get_data(as_text=True)
    opened_at = re.search(r'name="opened_at" value="([^"]+)"', page)
    assert opened_at is not None
    sent = ada.post(
        f"/c/{ids['ticket']}/reply",
        data={"text": "Sending a new ticket now!", "csrf_token": ada_csrf},
    )
    assert sent.status_code == 200
    form = {"text": "Let me check", "csrf_token": olive_csrf, "opened_at": opened_at.group(1)}
    clash = olive.post(f"/c/{ids['ticket']}/reply", data=form, headers=HX)
    assert clash.status_code == 409
    text = clash.get_data(as_text=True)
    assert "Ada Agent replied while you were writing" in text and "Sending a new ticket" in text
    assert 'name="confirm_collision"' in text and "Let me check</textarea>" in text
    assert len(fakes.NETWORK.sent) == 1
    anyway = olive.post(
        f"/c/{ids['ticket']}/reply", data={**form, "confirm_collision": "1"}, headers=HX
    )
    assert anyway.status_code == 200 and len(fakes.NETWORK.sent) == 2
    with rt.session() as s:
        assert len(s.scalars(select(Reply)).all()) == 2


def test_teammates_see_each_other_viewing_and_typing(ids: dict[str, int], as_user: Login) -> None:
    ada, ada_csrf = as_user("agent")
    olive, _ = as_user("owner")
    ada.get(f"/c/{ids['ticket']}")
    html = olive.get(f"/c/{ids['ticket']}").get_data(as_text=True)
    assert "Ada Agent is looking at this conversation." in html
    ada.post(
        f"/c/{ids['ticket']}/pulse", data={"state": "typing", "csrf_token": ada_csrf}, headers=HX
    )
    pulse = olive.get(f"/c/{ids['ticket']}").get_data(as_text=True)
    assert "Ada Agent is writing a reply." in pulse
    # and the list shows who is in which conversation
    assert "Ada Agent here" in olive.get("/").get_data(as_text=True)


def test_the_thread_pulse_brings_new_messages_only_when_there_are_some(
    ids: dict[str, int], as_user: Login, rt: Runtime, workspace: Workspace
) -> None:
    client, csrf = as_user("owner")
    page = client.get(f"/c/{ids['ticket']}").get_data(as_text=True)
    version = re.search(r'id="thread-version" name="version" value="([^"]+)"', page)
    assert version is not None
    quiet = client.post(
        f"/c/{ids['ticket']}/pulse",
        data={"version": version.group(1), "csrf_token": csrf},
        headers=HX,
    ).get_data(as_text=True)
    assert 'id="messages"' not in quiet
    fan_writes(rt, workspace.id, "mastodon", "marie", "Any news about my ticket?")
    news = client.post(
        f"/c/{ids['ticket']}/pulse",
        data={"version": version.group(1), "csrf_token": csrf},
        headers=HX,
    ).get_data(as_text=True)
    assert 'id="messages" class="messages"' in news and 'hx-swap-oob="true"' in news
    assert "Any news about my ticket?" in news


def test_the_list_poll_brings_new_activity_and_counts(
    ids: dict[str, int], as_user: Login, rt: Runtime, workspace: Workspace
) -> None:
    client, _ = as_user("owner")
    page = client.get("/?sort=newest").get_data(as_text=True)
    since = re.search(r'id="live-since" name="since" value="(\d+)"', page)
    assert since is not None
    quiet = client.get(f"/live/inbox?sort=newest&since={since.group(1)}").get_data(as_text=True)
    assert 'id="conversation-' not in quiet and 'id="count-inbox"' in quiet
    with rt.session() as s:
        s.execute(
            update(Conversation)
            .where(Conversation.id == ids["praise"])
            .values(status=ConversationStatus.DONE)
        )
    fan_writes(rt, workspace.id, "instagram", "tom_w", "Also: when is the next show?")
    news = client.get(f"/live/inbox?sort=newest&since={since.group(1)}").get_data(as_text=True)
    assert 'hx-swap-oob="afterbegin:#conversation-list"' in news
    assert f'id="conversation-{ids["praise"]}"' in news  # reopened by the fan writing again
    assert "Also: when is the next show?" in news


def test_a_viewer_reads_but_has_no_composer(ids: dict[str, int], as_user: Login) -> None:
    client, csrf = as_user("viewer")
    html = client.get(f"/c/{ids['ticket']}").get_data(as_text=True)
    assert 'id="reply-text"' not in html and 'id="done-button"' not in html
    assert client.post(f"/c/{ids['ticket']}/assign", data={"csrf_token": csrf}).status_code == 403


def test_a_boosted_done_answers_with_the_next_page_at_once(
    ids: dict[str, int], as_user: Login
) -> None:
    client, csrf = as_user("agent")
    resp = client.post(
        f"/c/{ids['ticket']}/status",
        data={"status": "done", "csrf_token": csrf, "nav": "view=inbox"},
        headers={"HX-Request": "true", "HX-Boosted": "true"},
    )
    assert resp.status_code == 200
    assert resp.headers["HX-Push-Url"] == f"/c/{ids['press']}?view=inbox"
    assert f'data-conversation="{ids["press"]}"' in resp.get_data(as_text=True)


def test_a_sandbox_workspace_shows_no_links_to_the_real_networks(
    ids: dict[str, int], as_user: Login, rt: Runtime
) -> None:
    """Issue 18: the demo's posts and profiles are made up; links to x.com or bsky.app
    would open pages that do not exist (or someone else's). Real channels keep theirs."""
    from sqlalchemy import update

    from models import Channel

    with rt.session() as s:
        s.execute(update(Channel).values(connector="sandbox"))
    client, _ = as_user("owner")
    html = client.get(f"/c/{ids['promoter']}").get_data(as_text=True)
    assert "Salle Molière (booking)" in html
    assert "https://x.example/lyonlive" not in html and "View original" not in html
    assert "https://x.example/post/promoter" not in html
