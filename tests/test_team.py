"""Owners invite teammates by email, change roles, remove members (their sessions and
API tokens end with it); personal API tokens; all of it in the audit log."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from crm.services import api_tokens, invitations
from inbox.mail import OutgoingEmail
from inbox.runtime import Runtime
from models import ApiToken, AuditEvent, Invitation, Membership, Role, User, UserSession, Workspace
from tests.conftest import PASSWORD, login


@pytest.fixture
def outbox_mail(rt: Runtime) -> list[OutgoingEmail]:
    sent: list[OutgoingEmail] = []
    rt.extras["mail_transport"] = sent.append
    return sent


def _actions(rt: Runtime) -> list[str]:
    with rt.session() as s:
        return list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def _invite(client: FlaskClient, csrf: str, email: str, role: str = "agent") -> str:
    return client.post(
        "/team/invite", data={"email": email, "role": role, "csrf_token": csrf}
    ).get_data(as_text=True)


def test_an_owner_invites_by_email_and_the_link_makes_a_member_once(
    client: FlaskClient,
    app: object,
    rt: Runtime,
    workspace: Workspace,
    outbox_mail: list[OutgoingEmail],
) -> None:
    csrf = login(client)
    assert "Invitation sent to sam@example.org" in _invite(client, csrf, "Sam@Example.org")
    assert len(outbox_mail) == 1 and outbox_mail[0].to == "sam@example.org"
    link = re.search(r"https?://\S+/invite/(\S+)", outbox_mail[0].body)
    assert link
    token = link.group(1)
    with rt.session() as s:
        stored = s.scalars(select(Invitation)).one()
        assert stored.token_hash != token and token not in str(stored.token_hash)
    guest = client.application.test_client()
    assert "Join as sam@example.org" in guest.get(f"/invite/{token}").get_data(as_text=True)
    page = guest.get(f"/invite/{token}").get_data(as_text=True)
    form_csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert form_csrf
    joined = guest.post(
        f"/invite/{token}",
        data={
            "name": "Sam Team",
            "password": "a long password 42",
            "csrf_token": form_csrf.group(1),
        },
    )
    assert joined.status_code == 303
    assert guest.get("/team").status_code == 200  # signed in, in the workspace
    with rt.session() as s:
        sam = s.scalars(select(User).where(User.email == "sam@example.org")).one()
        role = s.scalar(select(Membership.role).where(Membership.user_id == sam.id))
        assert role == Role.AGENT
    # The link worked once.
    assert client.application.test_client().get(f"/invite/{token}").status_code == 404
    assert "team.invited" in _actions(rt) and "team.joined" in _actions(rt)


def test_an_expired_or_withdrawn_invitation_opens_nothing(
    client: FlaskClient, rt: Runtime, workspace: Workspace, outbox_mail: list[OutgoingEmail]
) -> None:
    with rt.session() as s:
        ws = s.get_one(Workspace, workspace.id)
        owner = s.scalars(select(User).where(User.email == "owner@example.org")).one()
        old = invitations.invite(s, ws, owner, "late@example.org", Role.AGENT, "http://x")
        gone = invitations.invite(s, ws, owner, "gone@example.org", Role.AGENT, "http://x")
        s.flush()
        for inv in s.scalars(select(Invitation)):
            if inv.email == "late@example.org":
                inv.expires_at = inv.created_at - timedelta(seconds=1)
            else:
                assert invitations.revoke(s, ws.id, inv.id, owner.id)
    guest = client.application.test_client()
    assert guest.get(f"/invite/{old}").status_code == 404
    assert guest.get(f"/invite/{gone}").status_code == 404
    with rt.session() as s, pytest.raises(invitations.InvitationError):
        invitations.accept(s, old, "Late", "a long password 42")


def test_only_owners_manage_the_team(
    client: FlaskClient, rt: Runtime, workspace: Workspace, outbox_mail: list[OutgoingEmail]
) -> None:
    csrf = login(client, "agent@example.org")
    assert client.get("/team").status_code == 200
    assert (
        client.post(
            "/team/invite", data={"email": "x@example.org", "role": "owner", "csrf_token": csrf}
        ).status_code
        == 403
    )
    assert outbox_mail == []


def test_roles_change_and_the_last_owner_stays(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    csrf = login(client)
    with rt.session() as s:
        ids = {u.email: u.id for u in s.scalars(select(User))}
    client.post(
        f"/team/members/{ids['agent@example.org']}/role",
        data={"role": "manager", "csrf_token": csrf},
    )
    refused = client.post(
        f"/team/members/{ids['owner@example.org']}/role", data={"role": "agent", "csrf_token": csrf}
    )
    assert refused.status_code == 409 and "needs an owner" in refused.get_data(as_text=True)
    with rt.session() as s:
        roles = {u: r for u, r in s.execute(select(Membership.user_id, Membership.role))}
    assert roles[ids["agent@example.org"]] == Role.MANAGER
    assert roles[ids["owner@example.org"]] == Role.OWNER
    assert "team.role_changed" in _actions(rt)


def test_removing_a_member_ends_their_sessions_and_api_tokens(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    agent = client.application.test_client()
    login(agent, "agent@example.org")
    with rt.session() as s:
        ada = s.scalars(select(User).where(User.email == "agent@example.org")).one()
        token = api_tokens.create(s, ada, workspace.id, "script")
        ada_id = ada.id
    assert (
        agent.get("/api/v1/conversations", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    csrf = login(client)
    assert (
        client.post(f"/team/members/{ada_id}/remove", data={"csrf_token": csrf}).status_code == 303
    )
    with rt.session() as s:
        assert s.scalars(select(UserSession).where(UserSession.user_id == ada_id)).all() == []
        assert s.scalars(select(ApiToken.revoked_at)).one() is not None
    assert agent.get("/c/1").status_code in (302, 401, 403)  # signed out
    assert (
        client.application.test_client()
        .get("/api/v1/conversations", headers={"Authorization": f"Bearer {token}"})
        .status_code
        == 401
    )
    assert "team.removed" in _actions(rt)


def test_personal_api_tokens_are_shown_once_and_revoked_on_their_page(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    csrf = login(client, "viewer@example.org", PASSWORD)
    page = client.post("/settings/tokens", data={"name": "my script", "csrf_token": csrf})
    token = re.search(r'id="new-token">(unp_[^<]+)<', page.get_data(as_text=True))
    assert token
    assert token.group(1) not in client.get("/settings/tokens").get_data(as_text=True)
    with rt.session() as s:
        tid = s.scalars(select(ApiToken.id)).one()
    client.post("/settings/tokens/revoke", data={"token_id": str(tid), "csrf_token": csrf})
    with rt.session() as s:
        assert api_tokens.authenticate(s, token.group(1)) is None
    assert [a for a in _actions(rt) if a.startswith("api_token")] == [
        "api_token.created",
        "api_token.revoked",
    ]
