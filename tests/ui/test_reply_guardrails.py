"""Guardrails around replying: one text answers one conversation, whatever asks.

Every write route of the app and the API is called by an owner with a text and
with every shape of "many conversations" a client could send (lists of ids in the
form and in JSON); a spy on the outbox counts the conversations each request
queued a reply to. Then the copy-paste confirmation and the @mention limit,
through the composer's own route.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from crm.services import api_tokens
from inbox import jobs, outbox
from inbox.runtime import Runtime
from models import Conversation, Reply, User, Workspace
from tests.ui.conftest import HX
from tests.ui.test_route_matrix import WRITE_METHODS, _ids, _required, _routes, _url

AsUser = Callable[[str], tuple[FlaskClient, str]]


def test_no_route_or_api_call_sends_one_text_to_more_than_one_conversation(
    app: Flask,
    rt: Runtime,
    workspace: Workspace,
    ids: dict[str, int],
    as_user: AsUser,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    real = outbox.queue_reply

    def spy(session: Any, conversation: Conversation, *a: Any, **k: Any) -> outbox.QueuedReply:
        calls.append(conversation.id)
        return real(session, conversation, *a, **k)

    monkeypatch.setattr(outbox, "queue_reply", spy)
    client, csrf = as_user("owner")
    with rt.session() as s:
        owner = s.scalars(select(User).where(User.email == "owner@example.org")).one()
        token = api_tokens.create(s, owner, workspace.id, "guardrail")
    many = [str(v) for v in ids.values()]
    args = _ids(rt, workspace.id, ids)
    crowd: dict[str, list[str]] = {}
    checked = 0
    for rule, method in _routes(app):
        if method not in WRITE_METHODS or _required(app, rule)[0] is None:
            continue
        url = _url(rule, args)
        calls.clear()
        if _required(app, rule)[1]:
            body = {"text": "Same words for all", "conversation_ids": many, "ids": many}
            client.open(url, method=method, json=body, headers={"Authorization": f"Bearer {token}"})
        else:
            form = {
                "csrf_token": csrf,
                "text": "Same words for all",
                "confirm_identical": "1",
                "conversation_ids": many,
                "ids": many,
                "conversation_id": many,
            }
            client.open(url, method=method, data=form, headers=HX)
        checked += 1
        if len(set(calls)) > 1:
            crowd[f"{method} {rule.rule}"] = [str(c) for c in calls]
    assert checked > 40
    assert crowd == {}
    # The jobs that send take one reply id each: nothing below the routes fans out either.
    assert [p for p in ("send_reply",) if getattr(jobs, p).__code__.co_argcount != 1] == []


def test_the_same_words_to_a_fourth_conversation_need_a_confirmation(
    rt: Runtime, ids: dict[str, int], as_user: AsUser
) -> None:
    client, csrf = as_user("agent")
    text = "Thank you so much for the love!"
    convs = list(ids.values())[:4]
    for cid in convs[:3]:
        client.post(f"/c/{cid}/reply", data={"text": text, "csrf_token": csrf}, headers=HX)
    refused = client.post(
        f"/c/{convs[3]}/reply", data={"text": text, "csrf_token": csrf}, headers=HX
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Fans notice copy-paste" in page
    assert 'name="confirm_identical"' in page
    confirmed = client.post(
        f"/c/{convs[3]}/reply",
        data={"text": text, "csrf_token": csrf, "confirm_identical": "1"},
        headers=HX,
    )
    assert confirmed.status_code == 200
    with rt.session() as s:
        assert len(s.scalars(select(Reply.id).where(Reply.text == text)).all()) == 4


def test_a_reply_with_more_than_three_mentions_is_refused_in_the_composer(
    rt: Runtime, ids: dict[str, int], as_user: AsUser
) -> None:
    client, csrf = as_user("agent")
    cid = ids["ticket"]
    resp = client.post(
        f"/c/{cid}/reply",
        data={"text": "@ana @bo @cy @dee see you all!", "csrf_token": csrf},
        headers=HX,
    )
    assert resp.status_code == 422 and "names 4 accounts" in resp.get_data(as_text=True)
    with rt.session() as s:
        assert s.scalars(select(Reply.id)).all() == []
