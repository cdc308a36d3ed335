"""The guard between a typed-in host and a connection (issue 14, item 2: SSRF).

Resolution is faked with a monkeypatched ``socket.getaddrinfo``; connections
that would leave this machine are caught at ``netguard._open_socket`` and
refused there, so nothing here reaches the internet. The local servers are
pytest-httpserver on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from inbox import netguard
from inbox.config import Settings
from inbox.netguard import BlockedAddress

PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946"

Resolver = Callable[..., list[tuple[Any, ...]]]


@pytest.fixture
def guard_on() -> None:
    """The production policy: loopback refused too."""
    netguard.configure(allow_loopback=False)


def _info(ip: str, port: int) -> tuple[Any, ...]:
    if ":" in ip:
        return (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Names the fake resolver knows; IP literals resolve to themselves, like the real one."""
    records: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name in records:
            return [_info(ip, int(port or 0)) for ip in records[name]]
        try:
            ipaddress.ip_address(name)
        except ValueError:
            if name == "localhost":
                return real(host, port, *args, **kwargs)
            raise socket.gaierror(socket.EAI_NONAME, "unknown name") from None
        return [_info(name, int(port or 0))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return records


@pytest.fixture
def dialled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Addresses a connection was attempted to; non-loopback ones are refused on the spot."""
    attempts: list[str] = []
    real = netguard._open_socket

    def fake(target: netguard.Target, *args: Any) -> socket.socket:
        attempts.append(str(target.ip))
        if not target.ip.is_loopback:
            raise ConnectionRefusedError("the test network reaches no further")
        return real(target, *args)

    monkeypatch.setattr(netguard, "_open_socket", fake)
    return attempts


# --------------------------------------------------------------------------- classifier

REFUSED_HOSTS = [
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("::1", "loopback"),
    ("localhost", "loopback"),
    ("api.localhost", "loopback"),
    ("10.0.0.5", "private"),
    ("172.16.3.4", "private"),
    ("192.168.1.1", "private"),
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("fec0::1", "private"),
    ("169.254.169.254", "link-local"),
    ("fe80::1", "link-local"),
    ("100.64.0.1", "shared"),
    ("100.127.255.254", "shared"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("192.0.2.10", "reserved"),
    ("198.18.0.1", "reserved"),
    ("2001:db8::1", "reserved"),
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:10.0.0.5", "private"),
    ("::ffff:169.254.169.254", "link-local"),
    ("2002:a00:5::1", "private"),  # 6to4 around 10.0.0.5
    ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 around 169.254.169.254
    ("2130706433", "number"),  # 127.0.0.1 in decimal
    ("0x7f000001", "number"),
    ("0x7f.0.0.1", "number"),
    ("0177.0.0.1", "number"),  # octal
    ("127.1", "number"),
    ("127.0.0.01", "number"),
    ("3232235777", "number"),  # 192.168.1.1
    ("134744072", "number"),  # 8.8.8.8: public, still no way to write a server
    ("intranet", "full domain name"),
    ("metadata", "full domain name"),
    ("exa mple.org", "valid host name"),
    ("ex%61mple.org", "valid host name"),
    ("-bad-.example.org", "valid host name"),
]


@pytest.mark.parametrize(("host", "why"), REFUSED_HOSTS)
def test_the_classifier_refuses_every_non_public_form(guard_on: None, host: str, why: str) -> None:
    problem = netguard.host_problem(host)
    assert problem is not None, host
    assert why in problem


@pytest.mark.parametrize(
    "host",
    ["mastodon.social", "Mastodon.Social.", "bsky.social", PUBLIC_V4, PUBLIC_V6, "münchen.de"],
)
def test_the_classifier_lets_public_hosts_through(guard_on: None, host: str) -> None:
    assert netguard.host_problem(host) is None


def test_the_setting_lets_loopback_through_and_nothing_else() -> None:
    netguard.configure(allow_loopback=True)
    for host in ("127.0.0.1", "::1", "::ffff:127.0.0.1", "localhost"):
        assert netguard.host_problem(host) is None, host
    for host in ("10.0.0.5", "169.254.169.254", "0.0.0.0", "2130706433", "intranet"):
        assert netguard.host_problem(host) is not None, host


def test_the_setting_is_read_at_start_up_and_on_in_the_demo_only() -> None:
    assert Settings.from_env({}).allow_loopback is False
    assert Settings.from_env({"UNPLUGGED_DEMO": "1"}).allow_loopback is True
    assert Settings.from_env({"UNPLUGGED_ALLOW_LOOPBACK": "1"}).allow_loopback is True
    off = {"UNPLUGGED_DEMO": "1", "UNPLUGGED_ALLOW_LOOPBACK": "0"}
    assert Settings.from_env(off).allow_loopback is False


def test_building_the_runtime_applies_the_setting(tmp_path: Any) -> None:
    from inbox.runtime import build_runtime
    from tests.conftest import make_settings

    rt = build_runtime(make_settings(tmp_path, allow_loopback=False))
    try:
        assert netguard.current_policy().allow_loopback is False
    finally:
        rt.close()
    rt = build_runtime(make_settings(tmp_path, allow_loopback=True))
    try:
        assert netguard.current_policy().allow_loopback is True
    finally:
        rt.close()


# --------------------------------------------------------------------------- resolving


def test_every_record_is_vetted_one_private_answer_refuses_the_name(
    guard_on: None, dns: dict[str, list[str]]
) -> None:
    dns["mixed.example"] = [PUBLIC_V4, "10.1.2.3"]
    dns["mapped.example"] = [PUBLIC_V4, "::ffff:192.168.0.1"]
    dns["fine.example"] = [PUBLIC_V4, PUBLIC_V6]
    with pytest.raises(BlockedAddress, match="non-public address \\(private\\)") as caught:
        netguard.resolve("mixed.example", 443)
    assert "10.1.2.3" not in str(caught.value)  # the internal address is not told
    with pytest.raises(BlockedAddress, match="private"):
        netguard.resolve("mapped.example", 443)
    assert [str(t.ip) for t in netguard.resolve("fine.example", 443)] == [PUBLIC_V4, PUBLIC_V6]


def test_a_name_pointing_at_the_metadata_service_is_refused(
    guard_on: None, dns: dict[str, list[str]]
) -> None:
    dns["metadata.example"] = ["169.254.169.254"]
    with pytest.raises(BlockedAddress, match="link-local"):
        netguard.check_url("https://metadata.example/")


def test_check_url_lets_an_unknown_name_through_but_not_in_clear(
    guard_on: None, dns: dict[str, list[str]]
) -> None:
    assert netguard.check_url("https://not-yet.example") == "not-yet.example"
    with pytest.raises(BlockedAddress, match="without encryption"):
        netguard.check_url("http://not-yet.example")


# --------------------------------------------------------------------------- DNS rebinding


@pytest.fixture
def rebinding(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A resolver that answers a public address first, then 127.0.0.1 ever after."""
    asked: list[str] = []

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        name = str(host)
        asked.append(name)
        try:
            ipaddress.ip_address(name)
            return [_info(name, int(port))]
        except ValueError:
            ip = PUBLIC_V4 if asked.count(name) == 1 else "127.0.0.1"
            return [_info(ip, int(port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return asked


def test_requests_connect_to_the_vetted_address_not_a_second_answer(
    guard_on: None, rebinding: list[str], dialled: list[str]
) -> None:
    with pytest.raises(requests.ConnectionError):
        netguard.guarded_session().get("https://rebind.example/", timeout=2)
    assert dialled == [PUBLIC_V4]
    assert rebinding.count("rebind.example") == 1


def test_httpx_connects_to_the_vetted_address_not_a_second_answer(
    guard_on: None, rebinding: list[str], dialled: list[str]
) -> None:
    with (
        httpx.Client(transport=netguard.GuardedTransport()) as client,
        pytest.raises(httpx.ConnectError),
    ):
        client.get("https://rebind.example/", timeout=2)
    assert dialled == [PUBLIC_V4]
    assert rebinding.count("rebind.example") == 1


def test_a_rebound_answer_is_refused_when_the_name_is_asked_again(
    guard_on: None, rebinding: list[str]
) -> None:
    netguard.resolve("rebind.example", 443)
    with pytest.raises(BlockedAddress, match="loopback"):
        netguard.resolve("rebind.example", 443)


# --------------------------------------------------------------------------- plain http


def test_plain_http_is_refused_without_the_setting(
    guard_on: None, httpserver: HTTPServer, dialled: list[str]
) -> None:
    httpserver.expect_request("/").respond_with_data("internal")
    with pytest.raises(BlockedAddress):
        netguard.guarded_session().get(httpserver.url_for("/"), timeout=2)
    with (
        httpx.Client(transport=netguard.GuardedTransport()) as client,
        pytest.raises(BlockedAddress),
    ):
        client.get(httpserver.url_for("/"), timeout=2)
    assert dialled == []
    assert httpserver.log == []


def test_plain_http_to_a_public_host_is_refused_even_with_the_setting(
    dns: dict[str, list[str]], dialled: list[str]
) -> None:
    netguard.configure(allow_loopback=True)
    dns["plain.example"] = [PUBLIC_V4]
    with pytest.raises(BlockedAddress, match="without encryption"):
        netguard.guarded_session().get("http://plain.example/", timeout=2)
    with (
        httpx.Client(transport=netguard.GuardedTransport()) as client,
        pytest.raises(BlockedAddress, match="without encryption"),
    ):
        client.get("http://plain.example/", timeout=2)
    assert dialled == []


def test_the_setting_lets_plain_http_reach_a_local_test_server(httpserver: HTTPServer) -> None:
    netguard.configure(allow_loopback=True)
    httpserver.expect_request("/ok").respond_with_json({"ok": True})
    assert netguard.guarded_session().get(httpserver.url_for("/ok"), timeout=2).json() == {
        "ok": True
    }
    with httpx.Client(transport=netguard.GuardedTransport()) as client:
        assert client.get(httpserver.url_for("/ok"), timeout=2).json() == {"ok": True}


# --------------------------------------------------------------------------- redirects


@pytest.fixture
def local(httpserver: HTTPServer) -> Iterator[HTTPServer]:
    netguard.configure(allow_loopback=True)
    yield httpserver
    httpserver.clear()


@pytest.mark.parametrize(
    "location",
    ["http://169.254.169.254/latest/meta-data/", "https://169.254.169.254/latest/meta-data/"],
)
def test_a_redirect_to_the_metadata_service_is_refused(
    local: HTTPServer, dialled: list[str], location: str
) -> None:
    local.expect_request("/start").respond_with_response(
        Response(status=302, headers={"Location": location})
    )
    with pytest.raises(BlockedAddress):
        netguard.guarded_session().get(local.url_for("/start"), timeout=2)
    with (
        httpx.Client(transport=netguard.GuardedTransport(), follow_redirects=True) as client,
        pytest.raises(BlockedAddress),
    ):
        client.get(local.url_for("/start"), timeout=2)
    assert "169.254.169.254" not in dialled


def test_a_redirect_to_a_name_resolving_inside_is_refused(
    local: HTTPServer, dns: dict[str, list[str]], dialled: list[str]
) -> None:
    dns["cloud-metadata.example"] = ["169.254.169.254"]
    local.expect_request("/start").respond_with_response(
        Response(status=307, headers={"Location": "https://cloud-metadata.example/"})
    )
    with pytest.raises(BlockedAddress, match="link-local"):
        netguard.guarded_session().get(local.url_for("/start"), timeout=2)
    assert dialled == ["127.0.0.1"]


def test_redirects_stop_after_five_hops(local: HTTPServer) -> None:
    for n in range(10):
        local.expect_request(f"/hop{n}").respond_with_response(
            Response(status=302, headers={"Location": f"/hop{n + 1}"})
        )
    with pytest.raises(requests.TooManyRedirects):
        netguard.guarded_session().get(local.url_for("/hop0"), timeout=2)
    with (
        httpx.Client(
            transport=netguard.GuardedTransport(),
            follow_redirects=True,
            max_redirects=netguard.MAX_REDIRECTS,
        ) as client,
        pytest.raises(httpx.TooManyRedirects),
    ):
        client.get(local.url_for("/hop0"), timeout=2)
    assert len(local.log) == 2 * (netguard.MAX_REDIRECTS + 1)


def test_the_authorization_header_does_not_follow_a_redirect_to_another_host(
    local: HTTPServer,
) -> None:
    seen: list[str | None] = []

    def landing(request: Request) -> Response:
        seen.append(request.headers.get("Authorization"))
        return Response("{}", content_type="application/json")

    # 127.0.0.1 and localhost are two hosts to a client, on one test server.
    start = f"http://127.0.0.1:{local.port}/start"
    local.expect_request("/start").respond_with_response(
        Response(status=302, headers={"Location": f"http://localhost:{local.port}/landing"})
    )
    local.expect_request("/landing").respond_with_handler(landing)
    auth = {"Authorization": "Bearer secret"}
    netguard.guarded_session().get(start, headers=auth, timeout=2)
    with httpx.Client(transport=netguard.GuardedTransport(), follow_redirects=True) as client:
        client.get(start, headers=auth, timeout=2)
    assert seen == [None, None]
    # The same host keeps it (the header is not lost on every redirect).
    local.clear()
    local.expect_request("/start").respond_with_response(
        Response(status=302, headers={"Location": "/landing"})
    )
    local.expect_request("/landing").respond_with_handler(landing)
    netguard.guarded_session().get(start, headers=auth, timeout=2)
    assert seen[-1] == "Bearer secret"


def test_a_guarded_session_ignores_proxies_and_netrc_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, local: HTTPServer
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://10.0.0.9:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://10.0.0.9:3128")
    local.expect_request("/ok").respond_with_json({"direct": True})
    assert netguard.guarded_session().get(local.url_for("/ok"), timeout=2).json() == {
        "direct": True
    }


# --------------------------------------------------------------------------- sockets


def test_connect_pins_plain_mail_to_loopback_and_refuses_it_elsewhere(
    guard_on: None, dns: dict[str, list[str]], dialled: list[str]
) -> None:
    dns["mail.example"] = [PUBLIC_V4]
    with pytest.raises(BlockedAddress, match="without encryption"):
        netguard.connect("mail.example", 143, 2, plain=True)
    with pytest.raises(ConnectionRefusedError):
        netguard.connect("mail.example", 993, 2)
    assert dialled == [PUBLIC_V4]
    with pytest.raises(BlockedAddress, match="loopback"):
        netguard.connect("127.0.0.1", 993, 2)


def test_blocked_cause_finds_the_refusal_under_a_librarys_wrapping() -> None:
    try:
        try:
            raise BlockedAddress("x.example points to a non-public address (private).")
        except BlockedAddress:
            raise RuntimeError("Could not complete request") from None
    except RuntimeError as exc:
        wrapped: BaseException = exc
    # `from None` keeps the context for whoever looks: Mastodon.py raises like this.
    assert netguard.blocked_cause(wrapped) is not None
    assert netguard.blocked_cause(RuntimeError("other")) is None
