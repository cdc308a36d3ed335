"""Snippets: saved texts inserted into the box, edited there, never sent by themselves."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from crm.services import snippets
from inbox.runtime import Runtime
from models import AuditEvent, Draft, Reply, Snippet
from tests import fakes
from tests.ui.conftest import HX

AsUser = Callable[[str], tuple[FlaskClient, str]]
TEXT = "Tickets are on sale at the venue's site; the link is in our bio!"


def _save(client: FlaskClient, csrf: str) -> int:
    resp = client.post("/snippets", data={"title": "Tickets", "text": TEXT, "csrf_token": csrf})
    assert resp.status_code == 303
    from inbox.runtime import get_runtime

    with get_runtime().session() as s:
        return s.scalars(select(Snippet.id)).one()


def test_inserting_a_snippet_fills_the_box_and_sends_nothing(
    rt: Runtime, ids: dict[str, int], as_user: AsUser
) -> None:
    client, csrf = as_user("agent")
    sid = _save(client, csrf)
    cid = ids["ticket"]
    assert 'id="snippet-pick"' in client.get(f"/c/{cid}").get_data(as_text=True)
    resp = client.post(
        f"/c/{cid}/snippet",
        data={"snippet_id": str(sid), "text": "Hi Marie!", "csrf_token": csrf},
        headers=HX,
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert f"Hi Marie!\n{TEXT}</textarea>".replace("'", "&#39;") in html
    assert 'hx-swap-oob="true"' in html and "/ 500 characters" in html
    with rt.session() as s:
        assert s.scalars(select(Reply)).all() == []  # nothing queued
        assert s.scalars(select(Draft.text)).one() == f"Hi Marie!\n{TEXT}"
    assert fakes.NETWORK.sent == []


def test_a_snippet_sent_unchanged_to_many_fans_still_meets_the_copy_paste_guard(
    rt: Runtime, ids: dict[str, int], as_user: AsUser
) -> None:
    client, csrf = as_user("agent")
    sid = _save(client, csrf)
    convs = list(ids.values())[:4]
    statuses = []
    for cid in convs:
        box = client.post(
            f"/c/{cid}/snippet", data={"snippet_id": str(sid), "text": "", "csrf_token": csrf}
        )
        assert box.status_code == 200
        sent = client.post(f"/c/{cid}/reply", data={"text": TEXT, "csrf_token": csrf}, headers=HX)
        statuses.append(sent.status_code)
    assert statuses == [200, 200, 200, 422]


def test_a_signature_stays_below_an_inserted_snippet() -> None:
    assert snippets.insert("\n\n- Ada, team", "Thanks!") == "Thanks!\n\n- Ada, team"
    assert snippets.insert("", "Thanks!") == "Thanks!"


def test_snippets_are_the_workspaces_and_deletions_are_audited(
    rt: Runtime, ids: dict[str, int], as_user: AsUser
) -> None:
    client, csrf = as_user("agent")
    sid = _save(client, csrf)
    viewer, vcsrf = as_user("viewer")
    assert (
        viewer.post(
            "/snippets/delete", data={"snippet_id": str(sid), "csrf_token": vcsrf}
        ).status_code
        == 403
    )
    assert (
        client.post("/snippets/delete", data={"snippet_id": "999", "csrf_token": csrf}).status_code
        == 404
    )
    assert (
        client.post(
            "/snippets/delete", data={"snippet_id": str(sid), "csrf_token": csrf}
        ).status_code
        == 303
    )
    empty = client.post("/snippets", data={"title": " ", "text": "x", "csrf_token": csrf})
    assert empty.status_code == 422
    with rt.session() as s:
        actions = set(s.scalars(select(AuditEvent.action)))
    assert {"snippet.created", "snippet.deleted"} <= actions
