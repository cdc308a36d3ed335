"""Typed-in servers cannot point Unplugged inside its own network (issue 14, item 2).

The channel form, "Connect with Mastodon" and the connectors refuse loopback,
private, link-local and oddly written hosts with a message a person can act on,
and what a server answers never reaches ``last_error`` or the page. Name
resolution is faked with a monkeypatched ``socket.getaddrinfo``; the servers
that answer are pytest-httpserver on 127.0.0.1 (reachable only while a test
turns ``allow_loopback`` on, as the test suite's default does).
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from pytest_httpserver import HTTPServer
from sqlalchemy import select
from werkzeug import Response

from inbox import netguard, sync
from inbox.config import Settings
from inbox.runtime import Runtime
from models import Channel, ChannelHealth, Workspace
from tests.conftest import login, make_settings

MARKER = "Zq7-INTERNAL-ANSWER root:x:0:0"
# What must never show: long enough that no random token on the page (a CSRF token is
# 43 characters of base64) can contain it by chance, as "Zq7" alone once did.
LEAK = "Zq7-INTERNAL"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Production's rule: loopback refused like every other non-public address."""
    return make_settings(tmp_path, allow_loopback=False, public_url="https://crm.example.org")


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Names the fake resolver knows; IP literals resolve to themselves; others fail."""
    records: dict[str, str] = {}

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        name = str(host)
        ip = records.get(name, name)
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise socket.gaierror(socket.EAI_NONAME, "unknown name") from None
        family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (ip, int(port or 0)))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return records


@pytest.fixture
def dialled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every connection attempted (none leaves this machine)."""
    attempts: list[str] = []
    real = netguard._open_socket

    def record(target: netguard.Target, *args: Any) -> socket.socket:
        attempts.append(str(target.ip))
        if not target.ip.is_loopback:
            raise ConnectionRefusedError("the test network reaches no further")
        return real(target, *args)

    monkeypatch.setattr(netguard, "_open_socket", record)
    return attempts


def connect_form(client: FlaskClient, csrf: str, **fields: str) -> tuple[int, str]:
    resp = client.post("/settings/channels", data={"csrf_token": csrf, **fields})
    return resp.status_code, resp.get_data(as_text=True)


def channels(rt: Runtime) -> list[Channel]:
    with rt.session() as s:
        return list(s.scalars(select(Channel)))


# --------------------------------------------------------------------------- the form


@pytest.mark.parametrize(
    ("base_url", "words"),
    [
        ("http://127.0.0.1", "127.0.0.1 is not a public address (loopback)"),
        ("http://10.0.0.5", "10.0.0.5 is not a public address (private)"),
        ("https://169.254.169.254/latest", "169.254.169.254 is not a public address (link-local)"),
        ("https://2130706433", "2130706433 is a number, not a server name"),
        ("https://intranet", "intranet is not a full domain name"),
        ("https://[::ffff:127.0.0.1]", "is not a public address (loopback)"),
    ],
)
def test_the_channel_form_refuses_a_server_inside_with_a_clear_message(
    client: FlaskClient, rt: Runtime, dialled: list[str], base_url: str, words: str
) -> None:
    csrf = login(client)
    status, page = connect_form(
        client,
        csrf,
        network="mastodon",
        handle="band",
        base_url=base_url,
        **{"mastodon-access_token": "tok"},
    )
    assert status == 422
    assert "The server URL cannot be used:" in page and words in page
    assert channels(rt) == [] and dialled == []


def test_the_form_refuses_a_name_that_resolves_inside(
    client: FlaskClient, rt: Runtime, dns: dict[str, str], dialled: list[str]
) -> None:
    dns["pds.corp.example"] = "10.20.30.40"
    csrf = login(client)
    status, page = connect_form(
        client,
        csrf,
        network="bluesky",
        handle="band.bsky.social",
        base_url="https://pds.corp.example",
        **{"bluesky-handle": "band.bsky.social", "bluesky-app_password": "abcd-efgh-ijkl-mnop"},
    )
    assert status == 422
    assert "pds.corp.example points to a non-public address (private)" in page
    assert "10.20.30.40" not in page  # the internal address is not told
    assert channels(rt) == [] and dialled == []


def test_a_mastodon_handle_naming_this_machine_is_refused(client: FlaskClient, rt: Runtime) -> None:
    csrf = login(client)
    status, page = connect_form(
        client, csrf, network="mastodon", handle="band@localhost", **{"mastodon-access_token": "t"}
    )
    assert status == 422 and "handle&#39;s server cannot be used" in page
    assert channels(rt) == []


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"email-imap_host": "192.168.1.10"}, "The IMAP host cannot be used"),
        (
            {"email-imap_host": "mail.example.org", "email-smtp_host": "127.0.0.1"},
            "The SMTP host cannot be used",
        ),
        (
            {"email-imap_host": "mail.example.org", "email-imap_security": "none"},
            "without encryption",
        ),
        ({"email-imap_host": "mail", "email-smtp_host": "mail.example.org"}, "full domain name"),
    ],
)
def test_the_form_refuses_mail_hosts_inside_or_in_clear(
    client: FlaskClient, rt: Runtime, dns: dict[str, str], fields: dict[str, str], words: str
) -> None:
    dns["mail.example.org"] = "93.184.216.34"
    csrf = login(client)
    status, page = connect_form(
        client,
        csrf,
        network="email",
        handle="band@example.org",
        **{"email-imap_password": "app-password", **fields},
    )
    assert status == 422 and words in page
    assert channels(rt) == []


def test_a_public_server_is_accepted(
    client: FlaskClient, rt: Runtime, dns: dict[str, str], dialled: list[str]
) -> None:
    dns["mastodon.example"] = "93.184.216.34"
    csrf = login(client)
    status, _ = connect_form(
        client,
        csrf,
        network="mastodon",
        handle="band",
        base_url="https://mastodon.example",
        **{"mastodon-access_token": "tok"},
    )
    assert status == 302
    assert [c.base_url for c in channels(rt)] == ["https://mastodon.example"]


# --------------------------------------------------------------------------- Connect with Mastodon


@pytest.mark.parametrize(
    ("instance", "words"),
    [
        ("https://169.254.169.254", "is not a public address (link-local)"),
        ("10.0.0.5", "is not a public address (private)"),
        ("https://2130706433", "is a number, not a server name"),
        ("intranet", "is not a full domain name"),
        ("@band@localhost", "this machine (loopback)"),
    ],
)
def test_connect_with_mastodon_refuses_a_server_inside_before_asking_it(
    client: FlaskClient, rt: Runtime, dialled: list[str], instance: str, words: str
) -> None:
    csrf = login(client)
    resp = client.post(
        "/oauth/mastodon/start",
        data={"csrf_token": csrf, "network": "mastodon", "instance": instance},
    )
    assert resp.status_code == 303
    page = client.get("/settings/channels").get_data(as_text=True)
    assert "That Mastodon server cannot be used:" in page and words in page
    assert dialled == []


def test_connect_with_mastodon_refuses_a_name_resolving_inside_when_reaching_it(
    client: FlaskClient, rt: Runtime, dns: dict[str, str], dialled: list[str]
) -> None:
    dns["social.corp.example"] = "10.0.0.7"
    csrf = login(client)
    client.post(
        "/oauth/mastodon/start",
        data={"csrf_token": csrf, "network": "mastodon", "instance": "social.corp.example"},
    )
    page = client.get("/settings/channels").get_data(as_text=True)
    assert "social.corp.example points to a non-public address (private)" in page
    assert "10.0.0.7" not in page and dialled == []


def test_connect_with_mastodon_does_not_quote_the_servers_error(
    client: FlaskClient, rt: Runtime, httpserver: HTTPServer
) -> None:
    netguard.configure(allow_loopback=True)
    httpserver.expect_request("/api/v1/apps", method="POST").respond_with_json(
        {"error": MARKER, "error_description": MARKER}, status=422
    )
    csrf = login(client)
    client.post(
        "/oauth/mastodon/start",
        data={
            "csrf_token": csrf,
            "network": "mastodon",
            "instance": httpserver.url_for("/").rstrip("/"),
        },
    )
    page = client.get("/settings/channels").get_data(as_text=True)
    assert "refused the sign-in (HTTP 422)" in page
    assert LEAK not in page


# --------------------------------------------------------------------------- connectors and last_error


def make(
    rt: Runtime,
    workspace: Workspace,
    network: str,
    base_url: str,
    creds: Any,
    external_id: str | None = None,
) -> int:
    with rt.session() as s:
        channel = Channel(
            workspace_id=workspace.id,
            network=network,
            connector=network,
            handle="band.example.org" if network != "mastodon" else "band",
            external_id=external_id,
            base_url=base_url,
            credentials_encrypted=rt.box.encrypt(creds),
            options={"timeout": 2},
        )
        s.add(channel)
        s.flush()
        return channel.id


def last_error(rt: Runtime, channel_id: int) -> str:
    with rt.session() as s:
        channel = s.get_one(Channel, channel_id)
        assert channel.health in (ChannelHealth.DEGRADED, ChannelHealth.NEEDS_RECONNECT)
        return channel.last_error or ""


@pytest.mark.parametrize(
    ("network", "creds", "answer", "ours"),
    [
        (
            "mastodon",
            {"access_token": "tok"},
            ("/api/v1/accounts/verify_credentials", 403),
            "(403)",
        ),
        (
            "mastodon",
            {"access_token": "tok"},
            ("/api/v1/accounts/verify_credentials", 401),
            "(401)",
        ),
        (
            "bluesky",
            {"handle": "band.example.org", "app_password": "abcd-efgh-ijkl-mnop"},
            ("/xrpc/com.atproto.server.createSession", 400),
            "HTTP 400",
        ),
        (
            "bluesky",
            {"handle": "band.example.org", "app_password": "abcd-efgh-ijkl-mnop"},
            ("/xrpc/com.atproto.server.createSession", 500),
            "HTTP 500",
        ),
        ("x", {"access_token": "tok"}, ("/2/users/me", 403), "X API 403"),
        ("x", {"access_token": "tok"}, ("/2/users/me", 401), "X API 401"),
    ],
)
def test_an_upstream_error_body_never_reaches_last_error_or_the_page(
    client: FlaskClient,
    rt: Runtime,
    workspace: Workspace,
    httpserver: HTTPServer,
    network: str,
    creds: dict[str, str],
    answer: tuple[str, int],
    ours: str,
) -> None:
    netguard.configure(allow_loopback=True)
    path, status = answer
    body = {
        "error": MARKER,
        "message": MARKER,
        "detail": MARKER,
        "title": MARKER,
        "errors": [{"message": MARKER}],
    }
    httpserver.expect_request(path).respond_with_response(
        Response(json.dumps(body), status=status, content_type="application/json")
    )
    channel_id = make(rt, workspace, network, httpserver.url_for("").rstrip("/"), creds)
    report = sync.sync_channel(rt, channel_id)
    assert httpserver.log, "the fake server was asked"
    stored = last_error(rt, channel_id)
    assert ours in stored
    assert LEAK not in stored and LEAK not in (report.error or "")
    login(client)
    page = client.get("/settings/channels").get_data(as_text=True)
    assert ours in page and LEAK not in page


def test_a_mastodon_redirect_to_the_metadata_service_is_refused_and_said(
    rt: Runtime, workspace: Workspace, httpserver: HTTPServer, dialled: list[str]
) -> None:
    netguard.configure(allow_loopback=True)
    httpserver.expect_request("/api/v1/accounts/verify_credentials").respond_with_response(
        Response(
            status=302,
            headers={"Location": "https://169.254.169.254/latest/meta-data/iam/"},
        )
    )
    channel_id = make(
        rt, workspace, "mastodon", httpserver.url_for("").rstrip("/"), {"access_token": "tok"}
    )
    sync.sync_channel(rt, channel_id)
    assert "169.254.169.254" not in dialled
    assert "cannot be used" in last_error(rt, channel_id)


def test_a_stored_channel_pointing_inside_is_refused_at_sync_time(
    rt: Runtime, workspace: Workspace, dialled: list[str]
) -> None:
    """A channel stored before the guard (or by hand) is refused when the sync reaches it."""
    for network, base_url, creds in (
        ("mastodon", "https://10.0.0.5", {"access_token": "tok"}),
        ("bluesky", "http://127.0.0.1:2583", {"handle": "b.example.org", "app_password": "p"}),
        ("x", "https://192.168.0.2", {"access_token": "tok"}),
    ):
        channel_id = make(rt, workspace, network, base_url, creds)
        sync.sync_channel(rt, channel_id)
        assert "cannot be used" in last_error(rt, channel_id), network
    assert dialled == []


# --------------------------------------------------------------------------- email


class TinyImap:
    """An IMAP server that greets, then refuses every LOGIN with words of its own."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn, conn.makefile("rb") as lines:
                conn.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n")
                for line in lines:
                    tag, _, command = line.decode().partition(" ")
                    if command.upper().startswith("CAPABILITY"):
                        conn.sendall(b"* CAPABILITY IMAP4rev1\r\n" + f"{tag} OK done\r\n".encode())
                    elif command.upper().startswith("LOGOUT"):
                        conn.sendall(b"* BYE\r\n" + f"{tag} OK bye\r\n".encode())
                        break
                    else:
                        conn.sendall(f"{tag} NO [AUTHENTICATIONFAILED] {MARKER}\r\n".encode())

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def tiny_imap() -> Iterator[TinyImap]:
    server = TinyImap()
    yield server
    server.close()


def test_an_imap_servers_refusal_is_not_quoted(
    rt: Runtime, workspace: Workspace, tiny_imap: TinyImap
) -> None:
    netguard.configure(allow_loopback=True)
    creds = {
        "imap_host": "127.0.0.1",
        "imap_port": str(tiny_imap.port),
        "imap_security": "none",
        "imap_password": "app-password",
    }
    with rt.session() as s:
        channel = Channel(
            workspace_id=workspace.id,
            network="email",
            connector="email",
            handle="band@example.org",
            credentials_encrypted=rt.box.encrypt(creds),
            options={"timeout_s": 2},
        )
        s.add(channel)
        s.flush()
        channel_id = channel.id
    sync.sync_channel(rt, channel_id)
    stored = last_error(rt, channel_id)
    assert "IMAP login failed for band@example.org" in stored and LEAK not in stored


def test_plain_imap_to_a_public_host_is_refused_before_the_password_leaves(
    rt: Runtime, workspace: Workspace, dns: dict[str, str], dialled: list[str]
) -> None:
    netguard.configure(allow_loopback=True)  # even then: only loopback may be reached in clear
    dns["mail.example.org"] = "93.184.216.34"
    creds = {"imap_host": "mail.example.org", "imap_security": "none", "imap_password": "pw"}
    with rt.session() as s:
        channel = Channel(
            workspace_id=workspace.id,
            network="email",
            connector="email",
            handle="band@example.org",
            credentials_encrypted=rt.box.encrypt(creds),
        )
        s.add(channel)
        s.flush()
        channel_id = channel.id
    sync.sync_channel(rt, channel_id)
    assert "without encryption" in last_error(rt, channel_id)
    assert dialled == []


@pytest.mark.parametrize(
    ("network", "creds", "ours"),
    [
        ("youtube", {"api_key": "key"}, "HTTP 403"),
        ("facebook", {"page_access_token": "tok"}, "GraphError (code 100)"),
        ("instagram", {"access_token": "tok"}, "GraphError (code 100)"),
    ],
)
def test_a_typed_in_google_or_graph_server_is_not_quoted_either(
    rt: Runtime,
    workspace: Workspace,
    httpserver: HTTPServer,
    network: str,
    creds: dict[str, str],
    ours: str,
) -> None:
    netguard.configure(allow_loopback=True)
    error = {
        "message": MARKER,
        "type": MARKER,
        "code": 100,
        "errors": [{"reason": "forbidden", "message": MARKER}],
    }
    httpserver.expect_request(re.compile("^/")).respond_with_response(
        Response(json.dumps({"error": error}), status=403, content_type="application/json")
    )
    with rt.session() as s:
        channel = Channel(
            workspace_id=workspace.id,
            network=network,
            connector=network,
            handle="band",
            external_id="UC_band" if network == "youtube" else "1234",
            base_url=httpserver.url_for("/v21.0" if network != "youtube" else "/"),
            credentials_encrypted=rt.box.encrypt(creds),
            options={"timeout": 2, "timeout_s": 2},
        )
        s.add(channel)
        s.flush()
        channel_id = channel.id
    sync.sync_channel(rt, channel_id)
    assert httpserver.log, "the fake server was asked"
    stored = last_error(rt, channel_id)
    assert ours in stored and LEAK not in stored


def test_a_typed_in_google_or_graph_server_inside_is_refused(
    rt: Runtime, workspace: Workspace, dialled: list[str]
) -> None:
    for network, creds in (
        ("youtube", {"api_key": "key"}),
        ("facebook", {"page_access_token": "tok"}),
    ):
        channel_id = make(rt, workspace, network, "https://169.254.169.254/v21.0", creds, "1234")
        sync.sync_channel(rt, channel_id)
        assert "cannot be used" in last_error(rt, channel_id), network
    assert dialled == []
