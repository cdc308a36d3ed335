"""Undo a reply in its window, drafts kept as one types, the team's signature, and
settling a reply whose fate is unknown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from inbox import outbox, scheduler
from inbox.pipeline import ingest
from inbox.runtime import Runtime
from models import AuditEvent, Conversation, Draft, Reply, ReplyStatus, User, Workspace, utcnow
from tests import fakes
from tests.conftest import login
from tests.helpers import item, make_channel


@pytest.fixture(autouse=True)
def _fresh_network() -> None:
    fakes.NETWORK.reset()


def _conversation(rt: Runtime, workspace: Workspace) -> int:
    ch = make_channel(rt, workspace.id, network="x", connector="fake")
    with rt.session() as s:
        ingest(s, ch, [item("m1", "Lyon dates?", author="marie")], defer_jobs=False)
        return s.scalars(select(Conversation.id)).one()


def _reply_id(rt: Runtime) -> int:
    with rt.session() as s:
        return s.scalars(select(Reply.id).order_by(Reply.id.desc())).first() or 0


def test_a_reply_waits_out_its_undo_window_and_undo_sends_nothing(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    cid = _conversation(rt, workspace)
    csrf = login(client)
    page = client.post(
        f"/c/{cid}/reply", data={"text": "March 14!", "csrf_token": csrf, "undo": "1"}
    )
    assert page.status_code == 200
    rid = _reply_id(rt)
    assert f'id="undo-reply-{rid}"' in page.get_data(as_text=True)
    # Queued, but no job may take it yet, and the clock does not queue it yet.
    assert outbox.send_reply(rt, rid) == ReplyStatus.QUEUED
    assert rid not in scheduler.tick(rt).replies
    undone = client.post(f"/c/{cid}/replies/{rid}/undo", data={"csrf_token": csrf, "undo": "1"})
    body = undone.get_data(as_text=True)
    assert undone.status_code == 200 and "nothing was sent" in body
    assert "March 14!</textarea>" in body  # the text is back in the box, kept as a draft
    with rt.session() as s:
        assert s.get_one(Reply, rid).status == ReplyStatus.CANCELLED
        assert s.scalars(select(Draft.text)).one() == "March 14!"
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.action == "reply.undone"))
    assert outbox.send_reply(rt, rid) == ReplyStatus.CANCELLED
    assert fakes.NETWORK.sent == []


def test_after_the_window_the_clock_sends_it_once_and_undo_is_refused(
    client: FlaskClient, rt: Runtime, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = _conversation(rt, workspace)
    csrf = login(client)
    client.post(f"/c/{cid}/reply", data={"text": "March 14!", "csrf_token": csrf, "undo": "1"})
    rid = _reply_id(rt)
    later = utcnow() + outbox.UNDO_WINDOW + timedelta(seconds=2)
    monkeypatch.setattr(outbox, "utcnow", lambda: later)
    monkeypatch.setattr(scheduler, "utcnow", lambda: later)
    assert rid in scheduler.tick(rt).replies
    assert [text for _t, text, _k in fakes.NETWORK.sent] == ["March 14!"]
    late = client.post(f"/c/{cid}/replies/{rid}/undo", data={"csrf_token": csrf, "undo": "1"})
    assert late.status_code == 409 and "Too late to undo" in late.get_data(as_text=True)
    with rt.session() as s:
        assert s.get_one(Reply, rid).status == ReplyStatus.SENT


def test_only_its_author_may_undo_a_reply(
    client: FlaskClient, app: object, rt: Runtime, workspace: Workspace
) -> None:
    cid = _conversation(rt, workspace)
    csrf = login(client)
    client.post(f"/c/{cid}/reply", data={"text": "March 14!", "csrf_token": csrf, "undo": "1"})
    rid = _reply_id(rt)
    other = client.application.test_client()
    csrf2 = login(other, "agent@example.org")
    assert other.post(f"/c/{cid}/replies/{rid}/undo", data={"csrf_token": csrf2}).status_code == 403


def test_a_draft_is_kept_per_person_and_comes_back(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    cid = _conversation(rt, workspace)
    csrf = login(client)
    assert (
        client.post(
            f"/c/{cid}/draft", data={"text": "Half a thou", "csrf_token": csrf, "undo": "1"}
        ).status_code
        == 204
    )
    assert "Half a thou</textarea>" in client.get(f"/c/{cid}").get_data(as_text=True)
    other = client.application.test_client()
    login(other, "agent@example.org")
    assert "Half a thou" not in other.get(f"/c/{cid}").get_data(as_text=True)
    client.post(
        f"/c/{cid}/reply",
        data={"text": "Half a thought, finished", "csrf_token": csrf, "undo": "1"},
    )
    with rt.session() as s:
        assert s.scalars(select(Draft)).all() == []  # sent: the draft is gone


def test_team_members_sign_where_they_see_it_and_the_thread_says_who_wrote(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    cid = _conversation(rt, workspace)
    with rt.session() as s:
        s.get_one(Workspace, workspace.id).require_team_signature = True
    agent = client
    csrf = login(agent, "agent@example.org")
    assert "- Ada, team</textarea>" in agent.get(f"/c/{cid}").get_data(as_text=True)
    owner = client.application.test_client()
    login(owner, "owner@example.org")
    assert ", team</textarea>" not in owner.get(f"/c/{cid}").get_data(as_text=True)
    page = agent.post(
        f"/c/{cid}/reply", data={"text": "Yes!\n\n- Ada, team", "csrf_token": csrf, "undo": "1"}
    )
    assert "written by Ada Agent" in page.get_data(as_text=True)


def test_a_reply_of_unknown_fate_waits_for_a_person(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    cid = _conversation(rt, workspace)
    csrf = login(client)
    client.post(f"/c/{cid}/reply", data={"text": "March 14!", "csrf_token": csrf, "undo": "1"})
    rid = _reply_id(rt)
    with rt.session() as s:
        reply = s.get_one(Reply, rid)
        reply.status, reply.attempts, reply.error = ReplyStatus.UNKNOWN, 2, "cut off"
    page = client.get(f"/c/{cid}").get_data(as_text=True)
    assert "It is not there: send it" in page
    client.post(
        f"/c/{cid}/replies/{rid}/settle", data={"action": "resend", "csrf_token": csrf, "undo": "1"}
    )
    with rt.session() as s:
        assert s.get_one(Reply, rid).status == ReplyStatus.SENT
        assert s.scalar(select(User.id))
    assert [text for _t, text, _k in fakes.NETWORK.sent] == ["March 14!"]


def test_done_offers_an_undo_once_on_the_next_page(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    from models import ConversationStatus

    cid = _conversation(rt, workspace)
    csrf = login(client)
    done = client.post(f"/c/{cid}/status", data={"status": "done", "csrf_token": csrf})
    assert done.status_code == 303
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Marked done." in page and f'action="/c/{cid}/status"' in page
    assert "Marked done." not in client.get("/").get_data(as_text=True)  # once
    client.post(f"/c/{cid}/status", data={"status": "open", "csrf_token": csrf})
    with rt.session() as s:
        assert s.get_one(Conversation, cid).status == ConversationStatus.OPEN


def test_an_autosave_arriving_after_send_does_not_bring_the_words_back(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    cid = _conversation(rt, workspace)
    csrf = login(client)
    client.post(f"/c/{cid}/reply", data={"text": "March 14!", "csrf_token": csrf, "undo": "1"})
    late = client.post(f"/c/{cid}/draft", data={"text": "March 14!", "csrf_token": csrf})
    assert late.status_code == 204
    with rt.session() as s:
        assert s.scalars(select(Draft)).all() == []
