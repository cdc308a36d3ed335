"""A reply answers one fan's message: the one a person chose, else whose turn it is.

In a thread where several fans talk (comments under a post, a busy mention
thread), the network reply must go under the message the artist is answering
and mention that fan only, not whoever wrote last.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from inbox import outbox
from inbox.pipeline import ingest
from inbox.runtime import Runtime
from models import Conversation, Message, Reply, ReplyStatus, User, Workspace, utcnow
from tests import fakes
from tests.conftest import login
from tests.helpers import item, make_channel, own

HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _fresh_network() -> None:
    fakes.NETWORK.reset()


def _thread(rt: Runtime, workspace: Workspace, *extra: object) -> tuple[int, dict[str, int]]:
    """One thread under the band's post where Marie, then Karl, write (plus ``extra`` items)."""
    ch = make_channel(rt, workspace.id, network="mastodon", connector="fake")
    items = [
        item("marie-1", "Will you play Lyon this spring? We'd drive from Grenoble", author="marie",
             thread_id="post-1"),
        item("karl-1", "Berlin please!!", author="karl", minutes=5, thread_id="post-1"),
        *extra,
    ]  # fmt: skip
    with rt.session() as s:
        ingest(s, ch, items, defer_jobs=False)  # type: ignore[arg-type]
        cid = s.scalars(select(Conversation.id)).one()
        ids = {ext: mid for ext, mid in s.execute(select(Message.external_id, Message.id))}
    return cid, ids


def test_the_artist_answers_the_first_fan_and_the_network_reply_mentions_that_fan(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    cid, ids = _thread(rt, workspace)
    csrf = login(client, "agent@example.org")
    resp = client.post(
        f"/c/{cid}/reply",
        data={
            "text": "Lyon in April, Marie!",
            "in_reply_to": str(ids["marie-1"]),
            "csrf_token": csrf,
            "idempotency_key": "to-marie",
        },
    )
    assert resp.status_code == 200
    [(target, text, _key)] = fakes.NETWORK.sent
    assert text == "Lyon in April, Marie!" and target.parent_external_id == "marie-1"
    assert target.parent_author is not None and target.parent_author.handle == "marie"
    with rt.session() as s:
        reply = s.scalars(select(Reply)).one()
        assert reply.in_reply_to_id == ids["marie-1"] and reply.status == ReplyStatus.SENT
        sent = s.get_one(Message, reply.message_id)
        assert sent.parent_id == ids["marie-1"]
    page = client.get(f"/c/{cid}").get_data(as_text=True)
    assert "in reply to @marie" in page


def test_without_a_choice_the_reply_answers_the_newest_fan_message_not_answered_yet(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    # The band already answered Karl (the newest); Marie is still waiting.
    cid, ids = _thread(rt, workspace, own("band-1", "See you in Berlin", minutes=7,
                                         thread_id="post-1", parent_id="karl-1"))  # fmt: skip
    csrf = login(client, "agent@example.org")
    page = client.get(f"/c/{cid}").get_data(as_text=True)
    assert "Replying to @marie:" in page
    assert f'name="in_reply_to" value="{ids["marie-1"]}"' in page
    assert "Will you play Lyon this spring? We&#39;d drive from Grenoble" in page
    client.post(f"/c/{cid}/reply", data={"text": "Lyon soon!", "csrf_token": csrf})
    [(target, _text, _key)] = fakes.NETWORK.sent
    assert target.parent_external_id == "marie-1" and target.parent_author is not None
    assert target.parent_author.handle == "marie"
    # Both fans are answered now: the composer follows the newest fan message again.
    assert "Replying to @karl:" in client.get(f"/c/{cid}").get_data(as_text=True)


def test_a_queued_reply_counts_as_an_answer_for_whose_turn_it_is(
    rt: Runtime, workspace: Workspace
) -> None:
    cid, ids = _thread(rt, workspace)
    with rt.session() as s:
        conv = s.get_one(Conversation, cid)
        assert outbox.default_reply_parent(s, cid).id == ids["karl-1"]  # type: ignore[union-attr]
        agent = s.scalars(select(User).where(User.email == "agent@example.org")).one()
        s.add(
            Reply(
                workspace_id=conv.workspace_id,
                conversation_id=cid,
                in_reply_to_id=ids["karl-1"],
                author_id=agent.id,
                text="Berlin in May",
                status=ReplyStatus.QUEUED,
                idempotency_key="not-sent-yet",
            )
        )
        s.flush()
        assert outbox.default_reply_parent(s, cid).id == ids["marie-1"]  # type: ignore[union-attr]


def test_an_answer_with_no_known_parent_answers_everyone_before_it(
    rt: Runtime, workspace: Workspace
) -> None:
    # An email-style answer (no parent): Marie and Karl were both answered by it.
    cid, ids = _thread(
        rt,
        workspace,
        own("band-1", "Thanks both!", minutes=7, thread_id="post-1"),
        item("marie-2", "and Grenoble?", author="marie", minutes=9, thread_id="post-1"),
    )
    with rt.session() as s:
        assert outbox.default_reply_parent(s, cid).id == ids["marie-2"]  # type: ignore[union-attr]
        s.execute(update(Message).where(Message.id == ids["marie-2"]).values(deleted_at=utcnow()))
        # Nobody left unanswered, and the newest is deleted: the newest fan message still there.
        assert outbox.default_reply_parent(s, cid).id == ids["karl-1"]  # type: ignore[union-attr]


def test_a_reply_button_on_each_fan_message_changes_only_the_target(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    cid, ids = _thread(rt, workspace, own("band-1", "Merci !", minutes=7, thread_id="post-1",
                                         parent_id="karl-1"))  # fmt: skip
    login(client, "agent@example.org")
    page = client.get(f"/c/{cid}").get_data(as_text=True)
    buttons = re.findall(r'id="reply-to-(\d+)"', page)
    assert sorted(int(b) for b in buttons) == sorted([ids["marie-1"], ids["karl-1"]])  # not ours
    fragment = client.get(f"/c/{cid}/reply-to/{ids['karl-1']}", headers=HX)
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert 'id="reply-target"' in html and "Replying to @karl:" in html
    assert f'name="in_reply_to" value="{ids["karl-1"]}"' in html
    assert "<textarea" not in html  # the typed text is not part of the swap
    # Without JavaScript the same button is a link that opens the thread with that target.
    no_js = client.get(f"/c/{cid}?reply_to={ids['karl-1']}").get_data(as_text=True)
    assert "Replying to @karl:" in no_js
    ours = client.get(f"/c/{cid}/reply-to/{ids['band-1']}", headers=HX)
    assert ours.status_code == 422 and "one of ours" in ours.get_data(as_text=True)


def test_a_message_of_another_workspace_cannot_be_picked(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    from crm.services import accounts

    cid, _ids = _thread(rt, workspace)
    with rt.session() as s:
        other = accounts.create_workspace(s, "Other band")
        other_id = other.id
    ch = make_channel(rt, other_id, connector="fake", handle="other")
    with rt.session() as s:
        ingest(s, ch, [item("o1", "secret plans")], defer_jobs=False)
        foreign = s.scalars(select(Message.id).where(Message.workspace_id == other_id)).one()
    csrf = login(client, "agent@example.org")
    assert client.get(f"/c/{cid}/reply-to/{foreign}", headers=HX).status_code == 404
    resp = client.post(
        f"/c/{cid}/reply",
        data={"text": "hi", "in_reply_to": str(foreign), "csrf_token": csrf},
        headers=HX,
    )
    assert resp.status_code == 422 and "secret plans" not in resp.get_data(as_text=True)
    assert fakes.NETWORK.sent == []


def test_a_refused_reply_keeps_its_text_and_its_chosen_target(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    cid, ids = _thread(rt, workspace)
    csrf = login(client, "agent@example.org")
    resp = client.post(
        f"/c/{cid}/reply",
        data={"text": "x" * 501, "in_reply_to": str(ids["marie-1"]), "csrf_token": csrf},
        headers=HX,
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Too long" in html
    assert f'name="in_reply_to" value="{ids["marie-1"]}"' in html and "x" * 501 in html


def test_a_deleted_message_is_never_answered(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    cid, ids = _thread(rt, workspace)
    with rt.session() as s:
        s.execute(update(Message).where(Message.id == ids["marie-1"]).values(deleted_at=utcnow()))
    csrf = login(client, "agent@example.org")
    page = client.get(f"/c/{cid}").get_data(as_text=True)
    assert f'id="reply-to-{ids["marie-1"]}"' not in page
    resp = client.post(
        f"/c/{cid}/reply",
        data={"text": "Lyon!", "in_reply_to": str(ids["marie-1"]), "csrf_token": csrf},
        headers=HX,
    )
    assert resp.status_code == 422 and "was deleted on the network" in resp.get_data(as_text=True)
    assert fakes.NETWORK.sent == []
    with rt.session() as s:
        assert s.scalars(select(Reply)).all() == []


def test_a_reply_whose_message_is_deleted_before_it_goes_out_is_not_sent(
    rt: Runtime, workspace: Workspace
) -> None:
    cid, ids = _thread(rt, workspace)
    with rt.session() as s:
        agent = s.scalars(select(User).where(User.email == "agent@example.org")).one()
        conv = s.get_one(Conversation, cid)
        reply = Reply(
            workspace_id=conv.workspace_id,
            conversation_id=cid,
            in_reply_to_id=ids["marie-1"],
            author_id=agent.id,
            text="Lyon in April",
            status=ReplyStatus.QUEUED,
            idempotency_key="deleted-meanwhile",
            created_at=utcnow() - timedelta(seconds=5),
        )
        s.add(reply)
        s.flush()
        reply_id = reply.id
        s.execute(update(Message).where(Message.id == ids["marie-1"]).values(deleted_at=utcnow()))
    assert outbox.send_reply(rt, reply_id) == ReplyStatus.FAILED
    assert fakes.NETWORK.sent == []
    with rt.session() as s:
        failed = s.get_one(Reply, reply_id)
        assert failed.status == ReplyStatus.FAILED and "deleted" in (failed.error or "")


def test_a_retried_submit_sends_once_and_copy_paste_is_still_flagged(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    cid, ids = _thread(rt, workspace)
    csrf = login(client, "agent@example.org")
    form = {"text": "Thanks!", "in_reply_to": str(ids["marie-1"]), "csrf_token": csrf}
    for _ in range(2):
        client.post(f"/c/{cid}/reply", data={**form, "idempotency_key": "twice"})
    assert len(fakes.NETWORK.sent) == 1
    with rt.session() as s:
        conv = s.get_one(Conversation, cid)
        for n in range(outbox.IDENTICAL_WARN_AT):
            s.add(
                Reply(
                    workspace_id=conv.workspace_id,
                    conversation_id=_other_conversation(s, conv, n),
                    text="Thanks for writing!",
                    status=ReplyStatus.SENT,
                    idempotency_key=f"elsewhere-{n}",
                )
            )
    resp = client.post(
        f"/c/{cid}/reply",
        data={**form, "text": "Thanks for writing!", "in_reply_to": str(ids["karl-1"])},
        headers=HX,
    )
    assert resp.status_code == 422 and "exact words" in resp.get_data(as_text=True)
    assert len(fakes.NETWORK.sent) == 1


def _other_conversation(s: object, conv: Conversation, n: int) -> int:
    """A conversation of the same channel, as a place copy-pasted words already went."""
    other = Conversation(
        workspace_id=conv.workspace_id,
        channel_id=conv.channel_id,
        external_thread_id=f"elsewhere-{n}",
        kind=conv.kind,
        last_activity_at=conv.last_activity_at,
    )
    s.add(other)  # type: ignore[attr-defined]
    s.flush()  # type: ignore[attr-defined]
    return other.id
