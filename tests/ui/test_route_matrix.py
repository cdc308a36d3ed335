"""Every route, every role, and another workspace's ids: generated from the app's URL map.

A route states who may use it (``login_required(role)`` or ``token_required(role)``)
or is listed here as public with the reason. A new route that does neither fails
this file, so nothing ships unchecked. For each route: anonymous visitors are
turned away, a member below the route's role gets 403, a member at or above it
never gets 403, nobody ever gets a 500, and an owner of another workspace who
uses this workspace's ids gets nothing back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule

from crm.services import accounts, api_tokens
from inbox.runtime import Runtime
from models import Channel, Conversation, Fan, Role, User, Workspace
from tests.conftest import PASSWORD, login

Login = Callable[[str], tuple[FlaskClient, str]]

# Public on purpose: what a browser, a network or a load balancer reaches signed out.
PUBLIC = {
    "static": "the app's own CSS and JS",
    "healthz": "a liveness probe",
    "readyz": "a readiness probe",
    "auth.login": "the sign-in page",
    "auth.logout": "ends whatever session there is",
    "webhooks.meta_verify": "Meta's subscription check (verify token)",
    "webhooks.meta_receive": "Meta's deliveries (signature)",
    "webhooks.x_crc": "X's CRC check (consumer secret)",
    "webhooks.x_receive": "X's deliveries (signature)",
    "oauth.callback": "a network sends the browser back here (state checked)",
    "api.openapi": "the API's own description",
    "team.accept": "an invitation link, opened before the invitee has an account (token checked)",
    "favicon": "browsers ask for /favicon.ico; it redirects to the static icon",
}
# Writes a viewer may make: only to what is their own, never to the shared inbox.
VIEWER_WRITES = {
    "preferences.edit": "their own language, time zone and email choice",
    "notifications.mark_read": "their own notifications",
    "views.save": "their own saved views",
    "views.delete": "their own saved views",
    "live.pulse": "says they are looking at a conversation",
    "team.create_token": "their own personal API token (it acts with their own role)",
    "team.revoke_token": "their own personal API token",
    "review.digest": "their own choice of the weekly digest email",
}
ROLES = (Role.VIEWER, Role.AGENT, Role.OWNER)
WRITE_METHODS = ("POST", "PATCH", "PUT", "DELETE")


def _routes(app: Flask) -> Iterator[tuple[Rule, str]]:
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method


def _required(app: Flask, rule: Rule) -> tuple[Role | None, bool]:
    view = app.view_functions[rule.endpoint]
    return getattr(view, "required_role", None), bool(getattr(view, "api_token", False))


def _url(rule: Rule, ids: dict[str, int]) -> str:
    values: dict[str, object] = {}
    for arg in rule.arguments:
        if arg.endswith("_id"):
            values[arg] = ids.get(arg, 1)
        elif arg == "provider":
            values[arg] = "mastodon"
        elif arg == "filename":
            values[arg] = "app.css"
        else:  # an action name: one no route knows, so nothing long-running starts
            values[arg] = "no-such-action"
    path = rule.build(values, append_unknown=False)
    assert path is not None
    return path[1]


def _ids(rt: Runtime, workspace_id: int, seeded: dict[str, int]) -> dict[str, int]:
    with rt.session() as s:
        conv = s.get_one(Conversation, seeded["ticket"])
        channel = s.scalar(select(Channel.id).where(Channel.workspace_id == workspace_id))
        fan = s.scalar(select(Fan.id).where(Fan.workspace_id == workspace_id))
    return {
        "conversation_id": conv.id,
        "channel_id": int(channel or 1),
        "fan_id": int(fan or 1),
        "view_id": 1,
        "reply_id": 1,
    }


def test_a_viewer_can_change_nothing_shared(app: Flask) -> None:
    too_open = sorted(
        {
            rule.endpoint
            for rule, method in _routes(app)
            if method in WRITE_METHODS
            and _required(app, rule)[0] == Role.VIEWER
            and rule.endpoint not in VIEWER_WRITES
        }
    )
    assert too_open == [], "a write a viewer may make must be listed in VIEWER_WRITES with why"


def test_every_route_states_who_may_use_it(app: Flask) -> None:
    unstated = [
        rule.endpoint
        for rule, _ in _routes(app)
        if _required(app, rule)[0] is None and rule.endpoint not in PUBLIC
    ]
    assert unstated == [], "add login_required/token_required, or list it in PUBLIC with why"


@pytest.fixture
def tokens(rt: Runtime, workspace: Workspace) -> dict[Role, str]:
    with rt.session() as s:
        out = {}
        for role in ROLES:
            user = s.scalars(select(User).where(User.email == f"{role.value}@example.org")).one()
            out[role] = api_tokens.create(s, user, workspace.id, "matrix")
        return out


def test_each_role_gets_what_its_role_allows_and_nobody_gets_a_500(
    app: Flask,
    rt: Runtime,
    workspace: Workspace,
    ids: dict[str, int],
    as_user: Login,
    tokens: dict[Role, str],
) -> None:
    args = _ids(rt, workspace.id, ids)
    clients = {role: as_user(role.value) for role in ROLES}
    anonymous = app.test_client()
    problems: list[str] = []
    for rule, method in _routes(app):
        required, api = _required(app, rule)
        if required is None:
            continue
        url = _url(rule, args)
        seen = anonymous.open(url, method=method)
        if seen.status_code not in (302, 400, 401, 403):
            problems.append(f"anonymous {method} {url}: {seen.status_code}")
        for role in ROLES:
            client, csrf = clients[role]
            if api:
                resp = client.open(
                    url,
                    method=method,
                    headers={"Authorization": f"Bearer {tokens[role]}"},
                    json={} if method in WRITE_METHODS else None,
                )
            else:
                data = {"csrf_token": csrf} if method in WRITE_METHODS else None
                resp = client.open(url, method=method, data=data)
            allowed = role.at_least(required)
            if resp.status_code >= 500:
                problems.append(f"{role.value} {method} {url}: {resp.status_code}")
            elif allowed and resp.status_code == 403:
                problems.append(f"{role.value} {method} {url}: 403 though allowed")
            elif not allowed and resp.status_code != 403:
                problems.append(f"{role.value} {method} {url}: {resp.status_code}, not 403")
    assert problems == []


def test_another_workspaces_ids_give_an_owner_nothing(
    app: Flask, rt: Runtime, workspace: Workspace, ids: dict[str, int]
) -> None:
    with rt.session() as s:
        other = accounts.create_workspace(s, "Someone Else's Band")
        stranger = accounts.create_user(s, "stranger@example.org", "Stranger", PASSWORD)
        accounts.add_member(s, other, stranger, Role.OWNER)
        token = api_tokens.create(s, stranger, other.id, "matrix")
    client = app.test_client()
    csrf = login(client, "stranger@example.org")
    args = _ids(rt, workspace.id, ids)
    secret = "never arrived"  # words of workspace A's ticket conversation
    problems: list[str] = []
    for rule, method in _routes(app):
        required, api = _required(app, rule)
        if required is None or not any(a.endswith("_id") for a in rule.arguments):
            continue
        url = _url(rule, args)
        if api:
            resp = client.open(
                url,
                method=method,
                headers={"Authorization": f"Bearer {token}"},
                json={"text": "hi"} if method in WRITE_METHODS else None,
            )
        else:
            data = {"csrf_token": csrf, "text": "hi"} if method in WRITE_METHODS else None
            resp = client.open(url, method=method, data=data)
        if resp.status_code not in (400, 403, 404, 405, 422):
            problems.append(f"{method} {url}: {resp.status_code}")
        if secret in resp.get_data(as_text=True):
            problems.append(f"{method} {url}: shows the other workspace's words")
    assert problems == []
    with rt.session() as s:
        conv = s.get_one(Conversation, ids["ticket"])
        assert conv.assignee_id is None and not conv.is_spam
