"""'Connect with ...': the OAuth sign-in of X, Mastodon, YouTube and Meta, end to end.

Each network is a pytest-httpserver fake answering the documented JSON; the
app is the real one, driven through the Channels page like a browser would:
start (an HTMX POST that answers with the consent URL), then the network's
redirect to the callback with ``code`` and ``state``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pytest_httpserver import HTTPServer
from sqlalchemy import select, update
from werkzeug import Request, Response

from crm.services import oauth
from inbox.config import Settings
from inbox.queue import JobSpec
from inbox.runtime import Runtime, build_runtime, set_runtime
from inbox.sync import build_connector
from models import Channel, MastodonApp, OAuthState, Workspace, utcnow
from tests.conftest import _reset_schema, login, make_settings

PUBLIC_URL = "https://crm.example.org"
X_SCOPES = "tweet.read users.read tweet.write dm.read dm.write offline.access"


class RecordingQueue:
    """Keeps the jobs a sign-in queues instead of running them (the first sync would
    otherwise reach for the real network)."""

    def __init__(self) -> None:
        self.jobs: list[JobSpec] = []

    def submit(self, job: JobSpec) -> None:
        self.jobs.append(job)

    def close(self) -> None:
        return None


@pytest.fixture
def settings(tmp_path: Path, httpserver: HTTPServer) -> Settings:
    return make_settings(
        tmp_path,
        public_url=PUBLIC_URL,
        x_client_id="x-client",
        x_client_secret="x-client-secret",
        google_client_id="g-client.apps.googleusercontent.com",
        google_client_secret="g-client-secret",
        meta_app_id="1234567890",
        meta_app_secret="meta-app-secret",
        oauth_endpoints={
            "x_token": httpserver.url_for("/x/2/oauth2/token"),
            "x_api": httpserver.url_for("/x"),
            "google_token": httpserver.url_for("/google/token"),
            "youtube_api": httpserver.url_for("/youtube/v3"),
            "meta_graph": httpserver.url_for("/graph/v21.0"),
        },
    )


@pytest.fixture
def rt(settings: Settings) -> Iterator[Runtime]:
    runtime = build_runtime(settings, queue=RecordingQueue())
    _reset_schema(runtime)
    set_runtime(runtime)
    yield runtime
    set_runtime(None)
    runtime.close()


@pytest.fixture
def client(app: Flask, workspace: Workspace) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass
class Seen:
    """What a fake endpoint was sent."""

    requests: list[dict[str, Any]] = field(default_factory=list)

    def answer(self, body: Any, status: int = 200) -> Callable[[Request], Response]:
        def handle(request: Request) -> Response:
            self.requests.append(
                {
                    "form": request.form.to_dict(),
                    "args": request.args.to_dict(),
                    "authorization": request.headers.get("Authorization"),
                }
            )
            return Response(json.dumps(body), status=status, content_type="application/json")

        return handle


def start(
    client: FlaskClient, csrf: str, provider: str, network: str, **form: str
) -> tuple[str, dict[str, str]]:
    """Press a 'Connect with' button: the consent URL and its query parameters."""
    resp = client.post(
        f"/oauth/{provider}/start",
        data={"csrf_token": csrf, "network": network, **form},
        headers={"HX-Request": "true"},
    )
    assert resp.status_code == 204, resp.get_data(as_text=True)
    url = resp.headers["HX-Redirect"]
    return url, dict(parse_qsl(urlsplit(url).query))


def come_back(client: FlaskClient, provider: str, **params: str) -> tuple[int, str, str]:
    """The network's redirect to the callback: status, Location, and the page it leads to."""
    resp = client.get(f"/oauth/{provider}/callback", query_string=params)
    location = resp.headers.get("Location", "")
    page = client.get(location).get_data(as_text=True) if location else ""
    return resp.status_code, location, page


def s256(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


def only_channel(rt: Runtime) -> Channel:
    with rt.session() as s:
        channel = s.scalars(select(Channel)).one()
        s.expunge(channel)
        return channel


def channel_count(rt: Runtime) -> int:
    with rt.session() as s:
        return len(s.scalars(select(Channel)).all())


# --------------------------------------------------------------------------- X


def fake_x(httpserver: HTTPServer, username: str = "leslumieres") -> tuple[Seen, Seen]:
    token, me = Seen(), Seen()
    httpserver.expect_request("/x/2/oauth2/token", method="POST").respond_with_handler(
        token.answer(
            {
                "token_type": "bearer",
                "expires_in": 7200,
                "access_token": "x-access-1",
                "scope": X_SCOPES,
                "refresh_token": "x-refresh-1",
            }
        )
    )
    httpserver.expect_request("/x/2/users/me", method="GET").respond_with_handler(
        me.answer(
            {"data": {"id": "2244994945", "name": "Les Lumières Basses", "username": username}}
        )
    )
    return token, me


def test_x_sign_in_connects_the_account_with_the_keys_the_connector_reads(
    client: FlaskClient, rt: Runtime, httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token, me = fake_x(httpserver)
    csrf = login(client)
    url, params = start(client, csrf, "x", "x")

    assert url.startswith("https://twitter.com/i/oauth2/authorize?")
    assert params["client_id"] == "x-client"
    assert params["redirect_uri"] == f"{PUBLIC_URL}/oauth/x/callback"
    assert params["scope"] == X_SCOPES
    assert params["response_type"] == "code"
    assert params["code_challenge_method"] == "S256"

    status, location, page = come_back(client, "x", code="x-code-1", state=params["state"])
    assert status == 303 and location.endswith("/settings/channels")
    assert "Connected X leslumieres." in page

    sent = token.requests[0]
    assert sent["form"]["grant_type"] == "authorization_code"
    assert sent["form"]["code"] == "x-code-1"
    assert sent["form"]["redirect_uri"] == f"{PUBLIC_URL}/oauth/x/callback"
    assert s256(sent["form"]["code_verifier"]) == params["code_challenge"]
    assert sent["form"]["code_verifier"] not in url  # it never left the server before
    basic = base64.b64encode(b"x-client:x-client-secret").decode()
    assert sent["authorization"] == f"Basic {basic}"
    assert me.requests[0]["authorization"] == "Bearer x-access-1"

    channel = only_channel(rt)
    assert (channel.network, channel.handle, channel.external_id) == (
        "x",
        "leslumieres",
        "2244994945",
    )
    assert channel.display_name == "Les Lumières Basses"
    assert channel.credentials_encrypted and b"x-access-1" not in channel.credentials_encrypted
    creds = rt.box.decrypt(channel.credentials_encrypted)
    assert {k: v for k, v in creds.items() if k != "expires_at"} == {
        "client_id": "x-client",
        "client_secret": "x-client-secret",
        "access_token": "x-access-1",
        "refresh_token": "x-refresh-1",
    }
    assert 7000 < int(creds["expires_at"]) - utcnow().timestamp() <= 7200
    build_connector(rt, channel)  # the X connector accepts them
    queue = rt.queue
    assert isinstance(queue, RecordingQueue)
    assert [(j.func, j.args) for j in queue.jobs] == [("inbox.jobs.sync_channel", (channel.id,))]

    for secret in ("x-access-1", "x-refresh-1", "x-code-1", sent["form"]["code_verifier"]):
        assert secret not in caplog.text
        assert secret not in page


def test_without_javascript_the_start_is_a_plain_redirect(client: FlaskClient, rt: Runtime) -> None:
    csrf = login(client)
    resp = client.post("/oauth/x/start", data={"csrf_token": csrf, "network": "x"})
    assert resp.status_code == 303
    assert resp.headers["Location"].startswith("https://twitter.com/i/oauth2/authorize?")


def test_a_replayed_callback_is_refused(
    client: FlaskClient, rt: Runtime, httpserver: HTTPServer
) -> None:
    token, _ = fake_x(httpserver)
    csrf = login(client)
    _, params = start(client, csrf, "x", "x")
    come_back(client, "x", code="x-code-1", state=params["state"])
    _, _, page = come_back(client, "x", code="x-code-1", state=params["state"])
    assert "unknown or was already used" in page
    assert len(token.requests) == 1 and channel_count(rt) == 1


def test_a_forged_state_is_refused_without_asking_the_network(
    client: FlaskClient, rt: Runtime, httpserver: HTTPServer
) -> None:
    fake_x(httpserver)
    csrf = login(client)
    start(client, csrf, "x", "x")
    _, _, page = come_back(client, "x", code="attacker-code", state="made-up")
    assert "unknown or was already used" in page
    assert httpserver.log == [] and channel_count(rt) == 0


def test_an_expired_state_is_refused(
    client: FlaskClient, rt: Runtime, httpserver: HTTPServer
) -> None:
    fake_x(httpserver)
    csrf = login(client)
    _, params = start(client, csrf, "x", "x")
    with rt.session() as s:
        s.execute(update(OAuthState).values(expires_at=utcnow() - timedelta(seconds=1)))
    _, _, page = come_back(client, "x", code="x-code-1", state=params["state"])
    assert "took more than 10 minutes" in page
    assert httpserver.log == [] and channel_count(rt) == 0


def test_a_state_from_another_login_session_is_refused_and_used_up(
    app: Flask, client: FlaskClient, rt: Runtime, httpserver: HTTPServer
) -> None:
    fake_x(httpserver)
    csrf = login(client)
    _, params = start(client, csrf, "x", "x")
    other = app.test_client()
    login(other)  # the same person, another browser: another session
    _, _, page = come_back(other, "x", code="x-code-1", state=params["state"])
    assert "started in another session" in page
    _, _, page = come_back(client, "x", code="x-code-1", state=params["state"])
    assert "unknown or was already used" in page
    assert httpserver.log == [] and channel_count(rt) == 0


def test_a_state_is_only_good_for_the_network_that_issued_it(
    client: FlaskClient, rt: Runtime, httpserver: HTTPServer
) -> None:
    csrf = login(client)
    _, params = start(client, csrf, "x", "x")
    _, _, page = come_back(client, "google", code="c", state=params["state"])
    assert "started with another network" in page
    assert httpserver.log == [] and channel_count(rt) == 0


def test_access_denied_is_shown_and_connects_nothing(
    client: FlaskClient, rt: Runtime, httpserver: HTTPServer
) -> None:
    fake_x(httpserver)
    csrf = login(client)
    _, params = start(client, csrf, "x", "x")
    status, _, page = come_back(client, "x", error="access_denied", state=params["state"])
    assert status == 303
    assert "You did not allow Unplugged to use your X account" in page
    assert httpserver.log == [] and channel_count(rt) == 0
    with rt.session() as s:
        assert s.scalars(select(OAuthState)).all() == []  # used up all the same


def test_an_error_from_the_token_endpoint_is_shown(
    client: FlaskClient, rt: Runtime, httpserver: HTTPServer
) -> None:
    refused = Seen()
    httpserver.expect_request("/x/2/oauth2/token").respond_with_handler(
        refused.answer(
            {
                "error": "invalid_request",
                "error_description": "Value passed for the authorization code was invalid.",
            },
            status=400,
        )
    )
    csrf = login(client)
    _, params = start(client, csrf, "x", "x")
    _, _, page = come_back(client, "x", code="stale", state=params["state"])
    assert "X refused the sign-in (HTTP 400: invalid_request" in page
    assert "authorization code was invalid" in page
    assert channel_count(rt) == 0


def test_an_unreachable_network_is_reported_without_the_request(
    client: FlaskClient, rt: Runtime, unused_port: int
) -> None:
    endpoints = {**rt.settings.oauth_endpoints, "x_token": f"http://127.0.0.1:{unused_port}/t"}
    rt.settings = replace(rt.settings, oauth_endpoints=endpoints)
    csrf = login(client)
    _, params = start(client, csrf, "x", "x")
    _, _, page = come_back(client, "x", code="x-code-1", state=params["state"])
    assert "Could not reach X (ConnectionError). Try again." in page
    assert "x-client-secret" not in page and "x-code-1" not in page
    assert channel_count(rt) == 0


def test_an_answer_too_large_to_be_a_token_is_refused(
    client: FlaskClient, rt: Runtime, httpserver: HTTPServer
) -> None:
    huge = json.dumps({"access_token": "a" * 1_100_000})
    httpserver.expect_request("/x/2/oauth2/token").respond_with_data(
        huge, content_type="application/json"
    )
    csrf = login(client)
    _, params = start(client, csrf, "x", "x")
    _, _, page = come_back(client, "x", code="x-code-1", state=params["state"])
    assert "X sent an answer too large to be one" in page
    assert channel_count(rt) == 0


def test_a_malformed_account_answer_is_refused_clearly(
    client: FlaskClient, rt: Runtime, httpserver: HTTPServer
) -> None:
    fake_x(httpserver, username="not a username<script>")
    csrf = login(client)
    _, params = start(client, csrf, "x", "x")
    _, _, page = come_back(client, "x", code="x-code-1", state=params["state"])
    assert "X described the account without a valid username." in page
    assert "<script>" not in page and channel_count(rt) == 0


def test_a_renamed_account_reconnects_its_channel(
    client: FlaskClient, rt: Runtime, workspace: Workspace, httpserver: HTTPServer
) -> None:
    with rt.session() as s:
        old = Channel(
            workspace_id=workspace.id,
            network="x",
            connector="x",
            handle="oldname",
            external_id="2244994945",
            cursor={"phase": "mentions"},
        )
        s.add(old)
        s.flush()
        old_id = old.id
    fake_x(httpserver)
    csrf = login(client)
    _, params = start(client, csrf, "x", "x")
    come_back(client, "x", code="x-code-1", state=params["state"])
    channel = only_channel(rt)
    assert (channel.id, channel.handle) == (old_id, "leslumieres")
    assert channel.cursor == {"phase": "mentions"}  # the same account keeps its place


# --------------------------------------------------------------------------- Mastodon


def fake_mastodon(httpserver: HTTPServer, client_id: str = "m-client") -> dict[str, Seen]:
    seen = {name: Seen() for name in ("apps", "token", "me")}
    httpserver.expect_request("/api/v1/apps", method="POST").respond_with_handler(
        seen["apps"].answer(
            {
                "id": "563419",
                "name": "Unplugged",
                "website": PUBLIC_URL,
                "redirect_uri": f"{PUBLIC_URL}/oauth/mastodon/callback",
                "client_id": client_id,
                "client_secret": f"{client_id}-secret",
                "vapid_key": "BCk-QqERU0q-CfYZjcuB6lnyyOYfJ2AifKqfeGIm7Z-HiTU5T9eTG5GxVA0_OH5mMlI4UkkDTpaZwozy0TzdZ2M=",
            }
        )
    )
    httpserver.expect_request("/oauth/token", method="POST").respond_with_handler(
        seen["token"].answer(
            {
                "access_token": "m-access-1",
                "token_type": "Bearer",
                "scope": oauth.MASTODON_SCOPES,
                "created_at": 1573979017,
            }
        )
    )
    httpserver.expect_request("/api/v1/accounts/verify_credentials").respond_with_handler(
        seen["me"].answer(
            {
                "id": "109348",
                "username": "band",
                "acct": "band",
                "display_name": "The Band",
                "url": "https://example.social/@band",
            }
        )
    )
    return seen


def test_mastodon_sign_in_registers_once_per_instance_and_connects(
    client: FlaskClient, rt: Runtime, httpserver: HTTPServer
) -> None:
    seen = fake_mastodon(httpserver)
    instance = httpserver.url_for("/").rstrip("/")
    csrf = login(client)
    url, params = start(client, csrf, "mastodon", "mastodon", instance=instance + "/")

    assert url.startswith(f"{instance}/oauth/authorize?")
    assert params["client_id"] == "m-client" and params["scope"] == oauth.MASTODON_SCOPES
    assert params["redirect_uri"] == f"{PUBLIC_URL}/oauth/mastodon/callback"
    registered = seen["apps"].requests[0]["form"]
    assert registered["redirect_uris"] == f"{PUBLIC_URL}/oauth/mastodon/callback"
    assert registered["scopes"] == oauth.MASTODON_SCOPES

    _, _, page = come_back(client, "mastodon", code="m-code", state=params["state"])
    host = urlsplit(instance).netloc
    assert f"Connected Mastodon band@{host}." in page
    sent = seen["token"].requests[0]["form"]
    assert (sent["client_id"], sent["client_secret"], sent["code"]) == (
        "m-client",
        "m-client-secret",
        "m-code",
    )
    assert s256(sent["code_verifier"]) == params["code_challenge"]
    assert seen["me"].requests[0]["authorization"] == "Bearer m-access-1"

    channel = only_channel(rt)
    assert (channel.handle, channel.external_id, channel.base_url) == (
        f"band@{host}",
        "109348",
        instance,
    )
    assert rt.box.decrypt(channel.credentials_encrypted) == {"access_token": "m-access-1"}
    build_connector(rt, channel)

    start(client, csrf, "mastodon", "mastodon", instance=instance)
    assert len(seen["apps"].requests) == 1  # the registration is reused
    with rt.session() as s:
        app_row = s.scalars(select(MastodonApp)).one()
        assert app_row.instance_url == instance
        assert b"m-client-secret" not in app_row.client_secret_encrypted


def test_a_mastodon_registration_the_instance_forgot_is_replaced(
    client: FlaskClient, rt: Runtime, httpserver: HTTPServer
) -> None:
    instance = httpserver.url_for("/").rstrip("/")
    with rt.session() as s:
        s.add(
            MastodonApp(
                instance_url=instance,
                redirect_uri=f"{PUBLIC_URL}/oauth/mastodon/callback",
                scopes=oauth.MASTODON_SCOPES,
                client_id="deleted-client",
                client_secret_encrypted=rt.box.encrypt({"client_secret": "old"}),
                created_at=utcnow() - timedelta(days=3),
            )
        )
    check = Seen()
    httpserver.expect_oneshot_request("/oauth/token", method="POST").respond_with_handler(
        check.answer(
            {"error": "invalid_client", "error_description": "Client authentication failed"}, 401
        )
    )
    seen = fake_mastodon(httpserver, client_id="fresh-client")
    csrf = login(client)
    _, params = start(client, csrf, "mastodon", "mastodon", instance=instance)
    assert check.requests[0]["form"]["client_id"] == "deleted-client"
    assert params["client_id"] == "fresh-client" and len(seen["apps"].requests) == 1
    with rt.session() as s:
        assert s.scalars(select(MastodonApp.client_id)).all() == ["fresh-client"]


@pytest.mark.parametrize(
    ("typed", "instance"),
    [
        ("mastodon.social", "https://mastodon.social"),
        ("https://Mastodon.Social/", "https://mastodon.social"),
        ("@band@piaille.fr", "https://piaille.fr"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ],
)
def test_a_mastodon_server_is_named_loosely(typed: str, instance: str) -> None:
    assert oauth.normalise_instance(typed) == instance


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "http://mastodon.social",
        "https://mastodon.social/@band",
        "https://user:pw@mastodon.social",
        "https://mastodon.social/?next=x",
        "javascript:alert(1)",
        "mastodon social",
        "https://mastodon.social:99999",
    ],
)
def test_a_mastodon_server_that_is_not_one_is_refused(typed: str) -> None:
    with pytest.raises(oauth.OAuthError):
        oauth.normalise_instance(typed)


def test_a_bad_mastodon_server_is_reported_on_the_channels_page(
    client: FlaskClient, rt: Runtime
) -> None:
    csrf = login(client)
    resp = client.post(
        "/oauth/mastodon/start",
        data={"csrf_token": csrf, "network": "mastodon", "instance": "http://mastodon.social"},
    )
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/settings/channels")
    page = client.get("/settings/channels").get_data(as_text=True)
    assert "must be reached over https://" in page


# --------------------------------------------------------------------------- YouTube


def fake_google(httpserver: HTTPServer, scope: str = oauth.YOUTUBE_SCOPE) -> dict[str, Seen]:
    seen = {"token": Seen(), "channels": Seen()}
    httpserver.expect_request("/google/token", method="POST").respond_with_handler(
        seen["token"].answer(
            {
                "access_token": "g-access-1",
                "expires_in": 3599,
                "refresh_token": "g-refresh-1",
                "scope": scope,
                "token_type": "Bearer",
            }
        )
    )
    httpserver.expect_request("/youtube/v3/channels").respond_with_handler(
        seen["channels"].answer(
            {
                "kind": "youtube#channelListResponse",
                "pageInfo": {"totalResults": 1, "resultsPerPage": 5},
                "items": [
                    {
                        "kind": "youtube#channel",
                        "id": "UC_x5XG1OV2P6uZZ5FSM9Ttw",
                        "snippet": {
                            "title": "Les Lumières Basses",
                            "customUrl": "@leslumieresbasses",
                        },
                    }
                ],
            }
        )
    )
    return seen


def test_youtube_sign_in_asks_for_offline_access_and_connects_the_channel(
    client: FlaskClient, rt: Runtime, httpserver: HTTPServer
) -> None:
    seen = fake_google(httpserver)
    csrf = login(client)
    url, params = start(client, csrf, "google", "youtube")
    assert url.startswith("https://accounts.google.com/o/oauth2/v2/auth?")
    assert (params["access_type"], params["prompt"]) == ("offline", "consent")
    assert params["scope"] == oauth.YOUTUBE_SCOPE
    assert params["code_challenge_method"] == "S256"
    assert params["redirect_uri"] == f"{PUBLIC_URL}/oauth/google/callback"

    _, _, page = come_back(client, "google", code="g-code", state=params["state"])
    assert "Connected YouTube @leslumieresbasses." in page
    sent = seen["token"].requests[0]["form"]
    assert sent["client_secret"] == "g-client-secret" and sent["code"] == "g-code"
    assert s256(sent["code_verifier"]) == params["code_challenge"]
    call = seen["channels"].requests[0]
    assert call["args"] == {"mine": "true", "part": "snippet"}
    assert call["authorization"] == "Bearer g-access-1"

    channel = only_channel(rt)
    assert (channel.network, channel.handle, channel.external_id) == (
        "youtube",
        "@leslumieresbasses",
        "UC_x5XG1OV2P6uZZ5FSM9Ttw",
    )
    assert rt.box.decrypt(channel.credentials_encrypted) == {
        "client_id": "g-client.apps.googleusercontent.com",
        "client_secret": "g-client-secret",
        "refresh_token": "g-refresh-1",
        "token_uri": httpserver.url_for("/google/token"),
    }
    build_connector(rt, channel)


def test_google_consent_without_youtube_connects_nothing(
    client: FlaskClient, rt: Runtime, httpserver: HTTPServer
) -> None:
    fake_google(httpserver, scope="openid")
    csrf = login(client)
    _, params = start(client, csrf, "google", "youtube")
    _, _, page = come_back(client, "google", code="g-code", state=params["state"])
    assert "Google did not grant access to YouTube" in page
    assert channel_count(rt) == 0


# --------------------------------------------------------------------------- Meta


PAGES = [
    {
        "id": "101",
        "name": "Les Lumières Basses",
        "access_token": "page-token-101",
        "instagram_business_account": {
            "id": "17841400000000001",
            "username": "leslumieresbasses",
            "name": "Les Lumières Basses",
        },
    },
    {"id": "202", "name": "Le Petit Label", "access_token": "page-token-202"},
]


def fake_meta(httpserver: HTTPServer) -> dict[str, Seen]:
    """Graph: the code and the long-lived exchange share a path, as do the two pages of
    ``/me/accounts``; the query tells them apart."""
    seen = {name: Seen() for name in ("code", "exchange", "pages", "pages2")}
    graph = "/graph/v21.0"
    code = seen["code"].answer(
        {"access_token": "meta-short-user", "token_type": "bearer", "expires_in": 5400}
    )
    exchange = seen["exchange"].answer(
        {"access_token": "meta-long-user", "token_type": "bearer", "expires_in": 5183944}
    )
    first = seen["pages"].answer(
        {
            "data": PAGES[:1],
            "paging": {
                "cursors": {"before": "c0", "after": "c1"},
                "next": "https://elsewhere.example/steal?access_token=meta-long-user",
            },
        }
    )
    second = seen["pages2"].answer({"data": PAGES[1:], "paging": {"cursors": {"before": "c1"}}})

    def token(request: Request) -> Response:
        exchanging = request.args.get("grant_type") == "fb_exchange_token"
        return exchange(request) if exchanging else code(request)

    def accounts(request: Request) -> Response:
        return second(request) if request.args.get("after") == "c1" else first(request)

    httpserver.expect_request(f"{graph}/oauth/access_token").respond_with_handler(token)
    httpserver.expect_request(f"{graph}/me/accounts").respond_with_handler(accounts)
    return seen


def test_facebook_sign_in_lets_the_person_pick_pages(
    client: FlaskClient, rt: Runtime, httpserver: HTTPServer
) -> None:
    seen = fake_meta(httpserver)
    csrf = login(client)
    url, params = start(client, csrf, "meta", "facebook")
    assert url.startswith("https://www.facebook.com/v21.0/dialog/oauth?")
    assert params["client_id"] == "1234567890"
    assert params["redirect_uri"] == f"{PUBLIC_URL}/oauth/meta/callback"
    assert "pages_manage_engagement" in params["scope"].split(",")

    status, location, page = come_back(client, "meta", code="meta-code", state=params["state"])
    assert status == 303 and "/oauth/meta/pick?ticket=" in location
    assert "Les Lumières Basses" in page and "Le Petit Label" in page
    assert "page-token" not in page and "meta-long-user" not in page

    assert seen["code"].requests[0]["args"] == {
        "client_id": "1234567890",
        "client_secret": "meta-app-secret",
        "redirect_uri": f"{PUBLIC_URL}/oauth/meta/callback",
        "code": "meta-code",
    }
    assert seen["exchange"].requests[0]["args"]["fb_exchange_token"] == "meta-short-user"
    listing = seen["pages"].requests[0]
    assert listing["authorization"] == "Bearer meta-long-user"
    proof = hmac.new(b"meta-app-secret", b"meta-long-user", hashlib.sha256).hexdigest()
    assert listing["args"]["appsecret_proof"] == proof
    assert len(seen["pages2"].requests) == 1  # the second page, by cursor, on Graph itself

    ticket = dict(parse_qsl(urlsplit(location).query))["ticket"]
    resp = client.post(
        "/oauth/meta/pick", data={"csrf_token": csrf, "ticket": ticket, "account": "202"}
    )
    assert resp.status_code == 303
    assert "Connected Facebook Le Petit Label." in client.get(resp.headers["Location"]).get_data(
        as_text=True
    )
    channel = only_channel(rt)
    assert (channel.network, channel.handle, channel.external_id) == (
        "facebook",
        "Le Petit Label",
        "202",
    )
    assert rt.box.decrypt(channel.credentials_encrypted) == {
        "page_access_token": "page-token-202",
        "app_secret": "meta-app-secret",
    }
    build_connector(rt, channel)

    again = client.post(
        "/oauth/meta/pick", data={"csrf_token": csrf, "ticket": ticket, "account": "101"}
    )
    assert "unknown or was already used" in client.get(again.headers["Location"]).get_data(
        as_text=True
    )
    assert channel_count(rt) == 1


def test_instagram_sign_in_offers_only_pages_with_a_linked_account(
    client: FlaskClient, rt: Runtime, httpserver: HTTPServer
) -> None:
    fake_meta(httpserver)
    csrf = login(client)
    _, params = start(client, csrf, "meta", "instagram")
    assert "instagram_manage_comments" in params["scope"].split(",")
    _, location, page = come_back(client, "meta", code="meta-code", state=params["state"])
    assert "@leslumieresbasses" in page and "Le Petit Label" not in page

    ticket = dict(parse_qsl(urlsplit(location).query))["ticket"]
    nothing = client.post("/oauth/meta/pick", data={"csrf_token": csrf, "ticket": ticket})
    assert "Pick at least one account" in client.get(nothing.headers["Location"]).get_data(
        as_text=True
    )
    client.post(
        "/oauth/meta/pick",
        data={"csrf_token": csrf, "ticket": ticket, "account": "17841400000000001"},
    )
    channel = only_channel(rt)
    assert (channel.network, channel.handle, channel.external_id) == (
        "instagram",
        "leslumieresbasses",
        "17841400000000001",
    )
    assert rt.box.decrypt(channel.credentials_encrypted) == {
        "access_token": "meta-long-user",
        "app_secret": "meta-app-secret",
    }
    build_connector(rt, channel)


def test_a_pick_cannot_name_an_account_meta_did_not_share(
    client: FlaskClient, rt: Runtime, httpserver: HTTPServer
) -> None:
    fake_meta(httpserver)
    csrf = login(client)
    _, params = start(client, csrf, "meta", "facebook")
    _, location, _ = come_back(client, "meta", code="meta-code", state=params["state"])
    ticket = dict(parse_qsl(urlsplit(location).query))["ticket"]
    resp = client.post(
        "/oauth/meta/pick", data={"csrf_token": csrf, "ticket": ticket, "account": "999"}
    )
    assert "was not among the ones Meta shared" in client.get(resp.headers["Location"]).get_data(
        as_text=True
    )
    assert channel_count(rt) == 0


# --------------------------------------------------------------------------- the page


def test_the_channels_page_shows_a_button_per_configured_network(
    client: FlaskClient, rt: Runtime
) -> None:
    login(client)
    for network, label in (
        ("x", "X"),
        ("mastodon", "Mastodon"),
        ("youtube", "YouTube"),
        ("facebook", "Facebook"),
        ("instagram", "Instagram"),
    ):
        page = client.get(f"/settings/channels?network={network}").get_data(as_text=True)
        assert f"Connect with {label}</button>" in page
        assert page.count("Connect with ") == 1  # the picked network's button only


def test_a_network_without_app_credentials_has_no_button_and_says_why(
    client: FlaskClient, rt: Runtime
) -> None:
    rt.settings = replace(rt.settings, x_client_id=None, meta_app_secret=None)
    csrf = login(client)

    def page(network: str) -> str:
        return client.get(f"/settings/channels?network={network}").get_data(as_text=True)

    assert "Connect with X</button>" not in page("x")
    assert "Connect with Facebook</button>" not in page("facebook")
    assert "Connect with YouTube</button>" in page("youtube")
    # the artist is not shown environment variables: those are for the operator (README)
    for shown in (page("x"), page("instagram"), page("")):
        assert "X_CLIENT_ID" not in shown and "META_APP_SECRET" not in shown
    assert 'id="x-access_token"' in page("x")  # the form by hand is there instead
    resp = client.post("/oauth/x/start", data={"csrf_token": csrf, "network": "x"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/settings/channels")
    answer = client.get("/settings/channels").get_data(as_text=True)
    assert "Sign-in with X is not set up" in answer and "X_CLIENT_ID" not in answer


def test_without_a_public_url_no_network_has_a_button(client: FlaskClient, rt: Runtime) -> None:
    rt.settings = replace(rt.settings, public_url=None)
    login(client)
    page = client.get("/settings/channels?network=mastodon").get_data(as_text=True)
    assert "Connect with" not in page
    assert "UNPLUGGED_PUBLIC_URL" not in page


def test_only_managers_can_sign_in_a_channel(client: FlaskClient, rt: Runtime) -> None:
    csrf = login(client, "agent@example.org")
    resp = client.post("/oauth/x/start", data={"csrf_token": csrf, "network": "x"})
    assert resp.status_code == 403
    assert client.get("/oauth/x/callback?code=c&state=s").status_code == 403


def test_a_start_without_the_csrf_token_is_refused(client: FlaskClient, rt: Runtime) -> None:
    login(client)
    assert client.post("/oauth/x/start", data={"network": "x"}).status_code == 400
    with rt.session() as s:
        assert s.scalars(select(OAuthState)).all() == []


def test_the_pkce_challenge_follows_rfc_7636() -> None:
    # RFC 7636, appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert oauth.pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
