"""Reasons stay true: after a reply, a correction, an assignment or a snooze, and for segments."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from inbox import triage
from inbox.runtime import Runtime
from models import AuditEvent, Conversation, Fan, Message, Priority, Segment, TriageCorrection
from tests.ui.conftest import HX
from tests.ui.seed import fan_writes

Login = Callable[[str], tuple[FlaskClient, str]]


def _conv(rt: Runtime, cid: int) -> Conversation:
    with rt.session() as s:
        conv = s.get_one(Conversation, cid)
        s.expunge(conv)
        return conv


def _refresh(rt: Runtime, cid: int) -> None:
    with rt.session() as s:
        triage.refresh_conversations(s, [cid])


def test_a_reply_ends_question_still_unanswered(
    ids: dict[str, int], as_user: Login, rt: Runtime
) -> None:
    _refresh(rt, ids["question"])
    assert "question still unanswered" in (_conv(rt, ids["question"]).priority_reasons or [])
    client, csrf = as_user("agent")
    sent = client.post(
        f"/c/{ids['question']}/reply", data={"text": "Open D tuning!", "csrf_token": csrf}
    )
    assert sent.status_code == 200
    conv = _conv(rt, ids["question"])
    assert not conv.waiting_for_us
    assert "question still unanswered" not in (conv.priority_reasons or [])
    assert not any(r.startswith("waiting") for r in conv.priority_reasons or [])


def test_correcting_the_intent_rewrites_the_reason_it_came_with(
    ids: dict[str, int], as_user: Login, rt: Runtime
) -> None:
    client, csrf = as_user("agent")
    client.post(f"/c/{ids['promoter']}/intent", data={"intent": "question", "csrf_token": csrf})
    with rt.session() as s:
        message = s.scalars(select(Message).where(Message.conversation_id == ids["promoter"])).one()
        assert message.intent == "question"
        assert "booking request" not in (message.reasons or [])
        assert message.reasons and message.reasons[0] == "asks a question"
    conv = _conv(rt, ids["promoter"])
    assert conv.intent == "question" and conv.priority != Priority.URGENT


def test_a_priority_i_set_says_my_name_and_stands_until_the_fan_writes_again(
    ids: dict[str, int], as_user: Login, rt: Runtime, workspace: object
) -> None:
    client, csrf = as_user("owner")
    client.post(f"/c/{ids['praise']}/priority", data={"priority": "urgent", "csrf_token": csrf})
    assert _conv(rt, ids["praise"]).priority_reasons == ["set by Olive Owner"]
    _refresh(rt, ids["praise"])  # an assignment, a snooze, a sync of other messages
    conv = _conv(rt, ids["praise"])
    assert conv.priority == Priority.URGENT and conv.priority_reasons == ["set by Olive Owner"]
    page = client.get(f"/c/{ids['praise']}").get_data(as_text=True)
    assert "set by Olive Owner" in page and "set by a teammate" not in page
    fan_writes(rt, workspace.id, "instagram", "tom_w", "thanks again for last night!")  # type: ignore[attr-defined]
    with rt.session() as s:
        triage.classify_messages(
            s, s.scalars(select(Message.id).where(Message.conversation_id == ids["praise"])).all()
        )
    _refresh(rt, ids["praise"])
    conv = _conv(rt, ids["praise"])
    assert conv.priority_set_by_id is None
    assert conv.priority_reasons != ["set by Olive Owner"]


def test_a_fans_segment_is_corrected_in_one_click_and_sticks(
    ids: dict[str, int], as_user: Login, rt: Runtime, users: dict[str, int]
) -> None:
    client, csrf = as_user("agent")
    resp = client.post(
        f"/c/{ids['email']}/segment", data={"segment": "new", "csrf_token": csrf}, headers=HX
    )
    assert resp.status_code == 200 and 'id="segment-menu"' in resp.get_data(as_text=True)
    with rt.session() as s:
        fan_id = s.get_one(Conversation, ids["email"]).fan_id
        triage.refresh_fans(s, [fan_id])  # recomputing from messages does not undo it
        fan = s.get_one(Fan, fan_id)
        assert fan.segment == Segment.NEW
        assert fan.segment_reasons == ["set by Ada Agent"]
        assert fan.segment_set_by_id == users["agent"]
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "fan.segment_set"))


def test_calling_a_fan_a_bot_teaches_spam_and_taking_it_back_teaches_not_spam(
    ids: dict[str, int], as_user: Login, rt: Runtime
) -> None:
    client, csrf = as_user("agent")
    client.post(f"/c/{ids['praise']}/segment", data={"segment": "bot", "csrf_token": csrf})
    client.post(f"/c/{ids['spam']}/segment", data={"segment": "regular", "csrf_token": csrf})
    with rt.session() as s:
        learned = [
            (c.field, c.new_value)
            for c in s.scalars(select(TriageCorrection).order_by(TriageCorrection.id))
        ]
    assert learned == [("spam", "True"), ("spam", "False")]


def test_an_unknown_segment_is_refused_and_changes_nothing(
    ids: dict[str, int], as_user: Login, rt: Runtime
) -> None:
    client, csrf = as_user("agent")
    resp = client.post(
        f"/c/{ids['praise']}/segment", data={"segment": "vip", "csrf_token": csrf}, headers=HX
    )
    assert resp.status_code == 422 and "Unknown segment." in resp.get_data(as_text=True)
    with rt.session() as s:
        fan_id = s.get_one(Conversation, ids["praise"]).fan_id
        assert s.get_one(Fan, fan_id).segment_set_by_id is None
