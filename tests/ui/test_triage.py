"""Triage actions: assign, label, snooze, spam, corrections, notes, bulk, notifications."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from inbox import notifications, wakeups
from inbox.mail import OutgoingEmail
from inbox.runtime import Runtime
from models import (
    AuditEvent,
    Conversation,
    ConversationStatus,
    Label,
    Message,
    Notification,
    NotificationKind,
    Priority,
    User,
    Workspace,
    conversation_labels,
    utcnow,
)
from tests.ui.conftest import HX
from tests.ui.seed import fan_writes

Login = Callable[[str], tuple[FlaskClient, str]]


@pytest.fixture
def mailbox(rt: Runtime) -> list[OutgoingEmail]:
    sent: list[OutgoingEmail] = []
    rt.extras["mail_transport"] = sent.append
    return sent


def _conv(rt: Runtime, cid: int) -> Conversation:
    with rt.session() as s:
        conv = s.get_one(Conversation, cid)
        s.expunge(conv)
        return conv


def _notes_for(rt: Runtime, user_id: int) -> list[Notification]:
    with rt.session() as s:
        found = list(s.scalars(select(Notification).where(Notification.user_id == user_id)))
        s.expunge_all()
        return found


def test_assigning_tells_the_assignee(
    ids: dict[str, int], as_user: Login, users: dict[str, int], rt: Runtime
) -> None:
    client, csrf = as_user("owner")
    resp = client.post(
        f"/c/{ids['ticket']}/assign",
        data={"assignee": str(users["agent"]), "csrf_token": csrf},
        headers=HX,
    )
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert '<aside id="thread-side"' in body
    assert "<html" not in body and '<dd id="assignee">Ada Agent</dd>' in body
    assert _conv(rt, ids["ticket"]).assignee_id == users["agent"]
    kinds = [n.kind for n in _notes_for(rt, users["agent"])]
    assert kinds == [NotificationKind.ASSIGNED]
    ada, _ = as_user("agent")
    assert 'class="badge"' in ada.get("/").get_data(as_text=True)


def test_a_viewer_cannot_be_given_conversations(
    ids: dict[str, int], as_user: Login, users: dict[str, int], rt: Runtime
) -> None:
    client, csrf = as_user("owner")
    resp = client.post(
        f"/c/{ids['ticket']}/assign",
        data={"assignee": str(users["viewer"]), "csrf_token": csrf},
        headers=HX,
    )
    assert resp.status_code == 422 and "teammates who can reply" in resp.get_data(as_text=True)
    assert _conv(rt, ids["ticket"]).assignee_id is None


def test_a_plain_form_post_redirects_back_to_the_thread(
    ids: dict[str, int], as_user: Login, users: dict[str, int]
) -> None:
    client, csrf = as_user("owner")
    resp = client.post(
        f"/c/{ids['ticket']}/assign",
        data={"assignee": str(users["owner"]), "csrf_token": csrf, "nav": "view=mine"},
    )
    assert resp.status_code == 303 and resp.headers["Location"] == f"/c/{ids['ticket']}?view=mine"


def test_labels_are_created_once_and_can_be_removed(
    ids: dict[str, int], as_user: Login, rt: Runtime
) -> None:
    client, csrf = as_user("agent")
    for name in ("Tour 2026", "  tour   2026 "):
        client.post(f"/c/{ids['ticket']}/labels", data={"label": name, "csrf_token": csrf})
    client.post(f"/c/{ids['press']}/labels", data={"label": "TOUR 2026", "csrf_token": csrf})
    with rt.session() as s:
        labels = s.scalars(select(Label)).all()
        assert [lb.name for lb in labels] == ["Tour 2026"]
        label_id = labels[0].id
        assert s.scalar(select(func.count()).select_from(conversation_labels)) == 2
    listed = client.get(f"/?label={label_id}").get_data(as_text=True)
    assert f'id="conversation-{ids["ticket"]}"' in listed
    assert f'id="conversation-{ids["praise"]}"' not in listed
    client.post(
        f"/c/{ids['ticket']}/labels/remove", data={"label_id": str(label_id), "csrf_token": csrf}
    )
    with rt.session() as s:
        assert s.scalar(select(func.count()).select_from(conversation_labels)) == 1


def test_snoozing_until_a_time_hides_it_until_then(
    ids: dict[str, int], as_user: Login, rt: Runtime, workspace: Workspace
) -> None:
    client, csrf = as_user("agent")
    resp = client.post(
        f"/c/{ids['question']}/snooze", data={"until": "tomorrow", "csrf_token": csrf}
    )
    assert resp.status_code == 303
    conv = _conv(rt, ids["question"])
    assert conv.status == ConversationStatus.SNOOZED and conv.snooze_until is not None
    assert f'id="conversation-{ids["question"]}"' not in client.get("/").get_data(as_text=True)
    assert f'id="conversation-{ids["question"]}"' in client.get("/?view=snoozed").get_data(
        as_text=True
    )
    with rt.session() as s:
        assert wakeups.wake_due(s, workspace.id, now=conv.snooze_until - timedelta(minutes=1)) == 0
        assert wakeups.wake_due(s, workspace.id, now=conv.snooze_until + timedelta(minutes=1)) == 1
    assert _conv(rt, ids["question"]).status == ConversationStatus.OPEN


def test_snoozing_until_the_fan_writes_again(
    ids: dict[str, int], as_user: Login, rt: Runtime, workspace: Workspace
) -> None:
    client, csrf = as_user("agent")
    client.post(f"/c/{ids['praise']}/snooze", data={"until": "reply", "csrf_token": csrf})
    conv = _conv(rt, ids["praise"])
    assert conv.status == ConversationStatus.SNOOZED and conv.snooze_until is None
    fan_writes(rt, workspace.id, "instagram", "tom_w", "One more thing!")
    assert _conv(rt, ids["praise"]).status == ConversationStatus.OPEN


def test_a_snooze_in_the_past_is_refused(ids: dict[str, int], as_user: Login) -> None:
    client, csrf = as_user("agent")
    resp = client.post(
        f"/c/{ids['praise']}/snooze", data={"until": "2020-01-01T09:00", "csrf_token": csrf}
    )
    assert resp.status_code == 422 and "future" in resp.get_data(as_text=True)


def _corrections(rt: Runtime) -> list[dict[str, object]]:
    with rt.session() as s:
        return [
            dict(e.data or {})
            for e in s.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "triage.correction")
                .order_by(AuditEvent.id)
            )
        ]


def test_corrections_are_recorded_for_the_classifier(
    ids: dict[str, int], as_user: Login, rt: Runtime
) -> None:
    client, csrf = as_user("agent")
    with rt.session() as s:
        message_id = s.scalar(select(Message.id).where(Message.conversation_id == ids["question"]))
    client.post(f"/c/{ids['question']}/intent", data={"intent": "support", "csrf_token": csrf})
    # A support problem is recomputed as one: the priority follows the corrected intent.
    recomputed = _conv(rt, ids["question"]).priority
    assert recomputed == Priority.HIGH
    client.post(f"/c/{ids['question']}/priority", data={"priority": "low", "csrf_token": csrf})
    client.post(f"/c/{ids['spam']}/spam", data={"spam": "0", "csrf_token": csrf})
    with rt.session() as s:
        spam_message = s.scalar(select(Message.id).where(Message.conversation_id == ids["spam"]))
    assert _corrections(rt) == [
        {"message_id": message_id, "field": "intent", "old": "question", "new": "support"},
        {"message_id": message_id, "field": "priority", "old": "high", "new": "low"},
        {"message_id": spam_message, "field": "spam", "old": True, "new": False},
    ]
    conv = _conv(rt, ids["question"])
    assert (conv.intent, conv.priority) == ("support", Priority.LOW)
    assert conv.priority_reasons == ["set by Ada Agent"]
    assert not _conv(rt, ids["spam"]).is_spam
    # unchanged values record nothing
    client.post(f"/c/{ids['question']}/intent", data={"intent": "support", "csrf_token": csrf})
    assert len(_corrections(rt)) == 3


def test_marking_spam_moves_on_and_out_of_the_inbox(ids: dict[str, int], as_user: Login) -> None:
    client, csrf = as_user("agent")
    resp = client.post(
        f"/c/{ids['question']}/spam", data={"spam": "1", "csrf_token": csrf, "nav": "view=inbox"}
    )
    assert resp.status_code == 303 and f"/c/{ids['praise']}" in resp.headers["Location"]
    resp = client.post(
        f"/c/{ids['praise']}/spam", data={"spam": "1", "csrf_token": csrf, "nav": "view=inbox"}
    )
    assert resp.status_code == 303
    assert f'id="conversation-{ids["praise"]}"' not in client.get("/").get_data(as_text=True)
    assert f'id="conversation-{ids["praise"]}"' in client.get("/?view=spam").get_data(as_text=True)


def test_a_note_notifies_the_teammates_it_mentions(
    ids: dict[str, int],
    as_user: Login,
    users: dict[str, int],
    rt: Runtime,
    mailbox: list[OutgoingEmail],
) -> None:
    with rt.session() as s:
        s.get_one(User, users["agent"]).notify_by_email = True
    client, csrf = as_user("owner")
    text = "@ada can you call them? cc @olive and @nobody, mail me@example.org"
    resp = client.post(
        f"/c/{ids['promoter']}/notes", data={"text": text, "csrf_token": csrf}, headers=HX
    )
    html = resp.get_data(as_text=True)
    assert '<strong class="mention">@ada</strong> can you call them?' in html
    assert "@nobody" in html and '<strong class="mention">@nobody' not in html
    mentioned = _notes_for(rt, users["agent"])
    assert [n.kind for n in mentioned] == [NotificationKind.MENTION]
    assert _notes_for(rt, users["owner"]) == []  # one does not notify oneself
    assert [m.to for m in mailbox] == ["agent@example.org"]
    assert "You were mentioned" in mailbox[0].subject


def test_an_empty_note_is_refused(ids: dict[str, int], as_user: Login) -> None:
    client, csrf = as_user("owner")
    resp = client.post(
        f"/c/{ids['promoter']}/notes", data={"text": "  ", "csrf_token": csrf}, headers=HX
    )
    assert resp.status_code == 422 and "The note is empty." in resp.get_data(as_text=True)


def test_urgent_conversations_notify_their_assignee_once_per_fan_message(
    ids: dict[str, int],
    as_user: Login,
    users: dict[str, int],
    rt: Runtime,
    workspace: Workspace,
    mailbox: list[OutgoingEmail],
) -> None:
    with rt.session() as s:
        s.get_one(User, users["agent"]).notify_by_email = True
        # "we need an answer today": a booking with a deadline is urgent.
        s.execute(
            update(Message)
            .where(Message.conversation_id == ids["promoter"])
            .values(time_cue="today")
        )
    client, csrf = as_user("owner")
    client.post(
        f"/c/{ids['promoter']}/assign", data={"assignee": str(users["agent"]), "csrf_token": csrf}
    )
    kinds = sorted(n.kind.value for n in _notes_for(rt, users["agent"]))
    assert kinds == ["assigned", "urgent"]
    assert [m.subject.split(":")[0] for m in mailbox] == ["[Unplugged] Urgent"]
    with rt.session() as s:
        assert notifications.notify_urgent(s, [ids["promoter"]]) == 0  # already told
    fan_writes(rt, workspace.id, "x", "lyonlive", "Sorry to insist: we need an answer today.")
    with rt.session() as s:
        assert notifications.notify_urgent(s, [ids["promoter"]]) == 1


def test_the_notification_page_lists_and_marks_read(
    ids: dict[str, int], as_user: Login, users: dict[str, int], rt: Runtime
) -> None:
    owner, csrf = as_user("owner")
    owner.post(
        f"/c/{ids['ticket']}/assign", data={"assignee": str(users["agent"]), "csrf_token": csrf}
    )
    ada, ada_csrf = as_user("agent")
    page = ada.get("/notifications").get_data(as_text=True)
    assert (
        "Olive Owner assigned you a conversation" in page and f'href="/c/{ids["ticket"]}"' in page
    )
    ada.post("/notifications/read", data={"csrf_token": ada_csrf})
    assert all(n.read_at is not None for n in _notes_for(rt, users["agent"]))


def test_opening_a_conversation_reads_its_notifications(
    ids: dict[str, int], as_user: Login, users: dict[str, int], rt: Runtime
) -> None:
    owner, csrf = as_user("owner")
    owner.post(
        f"/c/{ids['ticket']}/assign", data={"assignee": str(users["agent"]), "csrf_token": csrf}
    )
    ada, _ = as_user("agent")
    ada.get(f"/c/{ids['ticket']}")
    assert all(n.read_at is not None for n in _notes_for(rt, users["agent"]))


def _ids_of(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'id="conversation-(\d+)"', html)}


def test_bulk_triage_acts_on_the_selection_only(
    ids: dict[str, int], as_user: Login, users: dict[str, int], rt: Runtime
) -> None:
    client, csrf = as_user("agent")
    chosen = [str(ids["praise"]), str(ids["question"])]
    resp = client.post(
        "/bulk/label",
        data={"ids": chosen, "new_label": "merch", "csrf_token": csrf, "nav": "view=inbox"},
        headers={**HX, "HX-Target": "inbox-results"},
    )
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "2 conversations labelled." in html and 'id="count-inbox" hx-swap-oob="true"' in html
    client.post(
        "/bulk/assign", data={"ids": chosen, "assignee": str(users["agent"]), "csrf_token": csrf}
    )
    done = client.post("/bulk/done", data={"ids": chosen, "csrf_token": csrf}, headers=HX)
    assert {ids["praise"], ids["question"]}.isdisjoint(_ids_of(done.get_data(as_text=True)))
    with rt.session() as s:
        rows = s.scalars(select(Conversation).where(Conversation.id.in_([int(i) for i in chosen])))
        assert {(c.status, c.assignee_id) for c in rows} == {
            (ConversationStatus.DONE, users["agent"])
        }
        assert s.scalar(select(func.count()).select_from(conversation_labels)) == 2
        others = s.scalars(select(Conversation).where(Conversation.id == ids["ticket"])).one()
        assert others.status == ConversationStatus.OPEN
    spam = client.post("/bulk/spam", data={"ids": [str(ids["press"])], "csrf_token": csrf})
    assert spam.status_code == 303 and _conv(rt, ids["press"]).is_spam


def test_bulk_triage_ignores_other_workspaces_and_refuses_huge_selections(
    ids: dict[str, int], as_user: Login, rt: Runtime
) -> None:
    from crm.services import accounts
    from tests.ui.seed import FANS, add_conversation

    with rt.session() as s:
        other = accounts.create_workspace(s, "Other band")
        other_id = other.id
    theirs = add_conversation(rt, other_id, FANS[0])
    client, csrf = as_user("agent")
    resp = client.post("/bulk/done", data={"ids": [str(theirs)], "csrf_token": csrf}, headers=HX)
    assert resp.status_code == 422 and "None of the selected conversations" in resp.get_data(
        as_text=True
    )
    assert _conv(rt, theirs).status == ConversationStatus.OPEN
    many = [str(i) for i in range(1, 502)]
    resp = client.post("/bulk/done", data={"ids": many, "csrf_token": csrf}, headers=HX)
    assert resp.status_code == 422 and "at most 500" in resp.get_data(as_text=True)
    assert (
        client.post("/bulk/done", data={"ids": ["x"], "csrf_token": csrf}, headers=HX).status_code
        == 422
    )


def test_there_is_no_bulk_reply(ids: dict[str, int], as_user: Login) -> None:
    client, csrf = as_user("owner")
    resp = client.post(
        "/bulk/reply", data={"ids": [str(ids["praise"])], "text": "hi all", "csrf_token": csrf}
    )
    assert resp.status_code == 404


def test_triage_needs_the_csrf_token(ids: dict[str, int], as_user: Login, rt: Runtime) -> None:
    client, _ = as_user("owner")
    resp = client.post("/bulk/done", data={"ids": [str(ids["praise"])]})
    assert resp.status_code == 400
    assert _conv(rt, ids["praise"]).status == ConversationStatus.OPEN


def test_saved_views_keep_the_filters(ids: dict[str, int], as_user: Login) -> None:
    client, csrf = as_user("owner")
    resp = client.post(
        "/views",
        data={
            "name": "Press on Bluesky",
            "nav": "view=booking-press&network=bluesky",
            "csrf_token": csrf,
        },
    )
    assert resp.status_code == 303
    view_url = resp.headers["Location"]
    html = client.get(view_url).get_data(as_text=True)
    assert _ids_of(html) == {ids["press"]} and "Press on Bluesky" in html
    assert re.search(r'id="count-saved-\d+">1<', client.get("/").get_data(as_text=True))
    view_id = re.search(r"saved-(\d+)", view_url)
    assert view_id is not None
    client.post(f"/views/{view_id.group(1)}/delete", data={"csrf_token": csrf})
    assert client.get(view_url).status_code == 404


def test_another_persons_saved_view_is_not_found(ids: dict[str, int], as_user: Login) -> None:
    olive, csrf = as_user("owner")
    url = olive.post(
        "/views", data={"name": "Mine only", "nav": "view=inbox&network=x", "csrf_token": csrf}
    ).headers["Location"]
    ada, _ = as_user("agent")
    assert ada.get(url).status_code == 404


def test_snoozed_conversations_wake_on_their_own_when_the_list_is_read(
    ids: dict[str, int], as_user: Login, rt: Runtime
) -> None:
    with rt.session() as s:
        conv = s.get_one(Conversation, ids["praise"])
        conv.status, conv.snooze_until = ConversationStatus.SNOOZED, utcnow() - timedelta(minutes=1)
    client, _ = as_user("owner")
    assert f'id="conversation-{ids["praise"]}"' in client.get("/").get_data(as_text=True)
