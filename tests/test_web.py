"""Logging in, the inbox, a thread, and a reply that goes out through the connector."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from inbox.pipeline import ingest
from inbox.runtime import Runtime
from models import Conversation, Direction, Message, Reply, ReplyStatus, UserSession, Workspace
from tests import fakes
from tests.conftest import PASSWORD, login
from tests.helpers import item, make_channel


@pytest.fixture(autouse=True)
def _fresh_network() -> None:
    fakes.NETWORK.reset()


def _conversation(rt: Runtime, workspace: Workspace, text: str = "When is the Lyon show?") -> int:
    ch = make_channel(rt, workspace.id, network="mastodon", connector="fake")
    with rt.session() as s:
        ingest(s, ch, [item("m1", text, author="marie")], defer_jobs=False)
        return s.scalars(select(Conversation.id)).one()


def test_pages_need_a_login(client: FlaskClient) -> None:
    resp = client.get("/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    htmx = client.get("/", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and "/login" in htmx.headers["HX-Redirect"]


def test_wrong_password_is_refused(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    resp = client.post(
        "/login", data={"email": "owner@example.org", "password": "nope", "csrf_token": token}
    )
    assert resp.status_code == 401 and "Wrong email or password" in resp.get_data(as_text=True)


def test_login_needs_the_csrf_token(client: FlaskClient) -> None:
    resp = client.post("/login", data={"email": "owner@example.org", "password": PASSWORD})
    assert resp.status_code == 400


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example",
        "/%09/evil.example".replace("%09", "\t"),
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "/ /evil.example",
        "/inbox\r\nSet-Cookie: stolen=1",
        "/inbox\n",
    ],
)
def test_login_never_sends_you_to_another_site(client: FlaskClient, target: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    form = {"email": "owner@example.org", "password": PASSWORD, "csrf_token": token, "next": target}
    resp = client.post("/login", data=form)
    assert resp.status_code in (302, 303)
    assert resp.headers["Location"] == "/"
    assert "stolen" not in resp.headers.get("Set-Cookie", "")


def test_login_goes_back_to_the_page_that_asked(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    form = {"email": "owner@example.org", "password": PASSWORD, "csrf_token": token}
    resp = client.post("/login", data={**form, "next": "/?view=support&q=lyon"})
    assert resp.headers["Location"] == "/?view=support&q=lyon"


def _login_form(
    client: FlaskClient, password: str, email: str = "owner@example.org"
) -> dict[str, str]:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    return {"email": email, "password": password, "csrf_token": token}


def test_five_wrong_passwords_lock_the_account_for_a_while_even_with_the_right_one(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crm.services import accounts

    for _ in range(5):
        assert client.post("/login", data=_login_form(client, "guess")).status_code == 401
    checks: list[str] = []
    real = accounts.authenticate
    monkeypatch.setattr(
        accounts, "authenticate", lambda *a, **k: checks.append("hash") or real(*a, **k)
    )
    blocked = client.post("/login", data=_login_form(client, PASSWORD))
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Too many failed sign-ins" in blocked.get_data(as_text=True)
    assert checks == []  # refused before any password hash is computed


def test_many_accounts_guessed_from_one_address_are_stopped(client: FlaskClient) -> None:
    for n in range(20):
        form = _login_form(client, "guess", email=f"someone{n}@example.org")
        assert client.post("/login", data=form).status_code == 401
    assert client.post("/login", data=_login_form(client, PASSWORD)).status_code == 429


def test_a_successful_sign_in_clears_the_accounts_failures(client: FlaskClient) -> None:
    for _ in range(4):
        client.post("/login", data=_login_form(client, "guess"))
    assert client.post("/login", data=_login_form(client, PASSWORD)).status_code in (302, 303)
    client.post("/logout", data={"csrf_token": _login_form(client, "")["csrf_token"]})
    for _ in range(4):
        assert client.post("/login", data=_login_form(client, "guess")).status_code == 401


def test_session_cookie_is_httponly_and_lax(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    resp = client.post(
        "/login", data={"email": "owner@example.org", "password": PASSWORD, "csrf_token": token}
    )
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_logout_ends_the_session_on_the_server(client: FlaskClient, rt: Runtime) -> None:
    csrf = login(client)
    stolen = client.get_cookie("unplugged_session")
    assert stolen is not None
    client.post("/logout", data={"csrf_token": csrf})
    with rt.session() as s:
        assert s.scalars(select(UserSession)).all() == []
    client.set_cookie("unplugged_session", stolen.value)  # replaying the old cookie
    assert client.get("/").status_code == 302


def test_inbox_lists_conversations_with_fan_text_escaped(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    _conversation(rt, workspace, "<img src=x onerror=alert(1)> love it")
    login(client)
    html = client.get("/").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt; love it" in html
    assert "<img src=x" not in html
    assert "Marie" in html


def test_pages_send_a_csp_without_inline_script(client: FlaskClient) -> None:
    resp = client.get("/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "HX-Request" in resp.headers.get("Vary", "")


def test_a_reply_is_sent_through_the_connector_and_stored_as_sent(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    cid = _conversation(rt, workspace)
    csrf = login(client, "agent@example.org")
    resp = client.post(
        f"/c/{cid}/reply",
        data={"text": "Tickets on Friday!", "csrf_token": csrf, "idempotency_key": "k1"},
    )
    assert resp.status_code == 200
    assert len(fakes.NETWORK.sent) == 1
    target, text, key = fakes.NETWORK.sent[0]
    assert (text, key, target.parent_external_id) == ("Tickets on Friday!", "k1", "m1")
    with rt.session() as s:
        reply = s.scalars(select(Reply)).one()
        assert reply.status == ReplyStatus.SENT and reply.external_id == "sent-k1"
        out = s.scalars(select(Message).where(Message.direction == Direction.OUTBOUND)).one()
        assert out.text == "Tickets on Friday!" and out.parent_id is not None
        conv = s.get_one(Conversation, cid)
        assert conv.waiting_for_us is False
    # the same form submitted twice sends once
    client.post(
        f"/c/{cid}/reply",
        data={"text": "Tickets on Friday!", "csrf_token": csrf, "idempotency_key": "k1"},
    )
    assert len(fakes.NETWORK.sent) == 1
    assert "Tickets on Friday!" in client.get(f"/c/{cid}").get_data(as_text=True)


def test_a_reply_over_the_networks_limit_is_refused_with_the_count(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    cid = _conversation(rt, workspace)
    csrf = login(client)
    resp = client.post(
        f"/c/{cid}/reply",
        data={"text": "a" * 501, "csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert resp.status_code == 422
    assert "Too long for mastodon: 501 of 500 characters" in resp.get_data(as_text=True)
    assert fakes.NETWORK.sent == []


def test_a_viewer_cannot_reply(client: FlaskClient, rt: Runtime, workspace: Workspace) -> None:
    cid = _conversation(rt, workspace)
    csrf = login(client, "viewer@example.org")
    resp = client.post(f"/c/{cid}/reply", data={"text": "hi", "csrf_token": csrf})
    assert resp.status_code == 403 and fakes.NETWORK.sent == []


def test_another_workspaces_conversation_is_not_found(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    from crm.services import accounts

    with rt.session() as s:
        other = accounts.create_workspace(s, "Other band")
        other_id = other.id
    ch = make_channel(rt, other_id, connector="fake", handle="other")
    with rt.session() as s:
        ingest(s, ch, [item("o1")], defer_jobs=False)
        cid = s.scalars(select(Conversation.id).where(Conversation.workspace_id == other_id)).one()
    login(client)
    assert client.get(f"/c/{cid}").status_code == 404


def test_done_closes_the_conversation(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    cid = _conversation(rt, workspace)
    csrf = login(client)
    client.post(f"/c/{cid}/status", data={"status": "done", "csrf_token": csrf})
    with rt.session() as s:
        assert s.get_one(Conversation, cid).status.value == "done"
    assert "Nothing here" in client.get("/").get_data(as_text=True)


def test_a_serving_process_keeps_the_collector_out_of_requests() -> None:
    import gc

    from crm.app import GC_GEN0_THRESHOLD, settle_for_serving

    before = gc.get_threshold()
    try:
        settle_for_serving()
        assert gc.get_threshold()[0] == GC_GEN0_THRESHOLD
        assert gc.get_freeze_count() > 0  # start-up objects are out of the collector's way
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
