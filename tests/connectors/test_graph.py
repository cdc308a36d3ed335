"""The shared Graph API client: error mapping, usage headers, paging, timestamps."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from fake_graph import FakeGraph
from pytest_httpserver import HTTPServer
from pytest_socket import SocketConnectBlockedError, socket_allow_hosts

from inbox.connectors.base import (
    AuthError,
    PermanentError,
    RateLimited,
    TransientError,
)
from inbox.connectors.graph import (
    DEFAULT_RATE_LIMIT_WAIT_S,
    GraphClient,
    GraphErrorInfo,
    Usage,
    error_for,
    parse_page,
    parse_time,
    retry_after_from,
)


def _info(code: int | None, subcode: int | None = None, transient: bool = False) -> GraphErrorInfo:
    body = {"error": {"message": "m", "type": "OAuthException", "code": code, "fbtrace_id": "x"}}
    if subcode is not None:
        body["error"]["error_subcode"] = subcode
    if transient:
        body["error"]["is_transient"] = True
    info = GraphErrorInfo.from_body(body)
    assert info is not None
    return info


@pytest.mark.parametrize(
    ("status", "code", "subcode", "expected"),
    [
        (400, 190, 463, AuthError),  # token expired
        (400, 190, 460, AuthError),  # password changed
        (401, None, None, AuthError),
        (400, 102, None, AuthError),
        (403, 10, None, AuthError),  # permission removed: reconnect
        (403, 200, None, AuthError),
        (400, 4, None, RateLimited),  # app
        (400, 17, None, RateLimited),  # user
        (400, 32, None, RateLimited),  # page
        (400, 613, None, RateLimited),
        (400, 80001, None, RateLimited),  # pages BUC
        (400, 80002, None, RateLimited),  # instagram BUC
        (400, 80009, None, RateLimited),
        (429, None, None, RateLimited),
        (500, 1, None, TransientError),
        (503, 2, None, TransientError),
        (502, None, None, TransientError),
        (400, 100, 33, PermanentError),  # object does not exist
        (404, None, None, PermanentError),
    ],
)
def test_graph_errors_map_to_connector_errors(
    status: int, code: int | None, subcode: int | None, expected: type[Exception]
) -> None:
    info = _info(code, subcode) if code is not None else None
    error = error_for(status, info, {}, "GET x")
    assert type(error) is expected
    if code is not None:
        assert f"code {code}" in str(error)


def test_an_error_graph_marks_transient_is_transient() -> None:
    assert type(error_for(400, _info(99, transient=True), {}, "GET x")) is TransientError


def test_retry_after_takes_the_longest_estimate_of_all_usage_headers() -> None:
    headers = {
        "X-App-Usage": json.dumps({"call_count": 100, "total_cputime": 10, "total_time": 10}),
        "X-Business-Use-Case-Usage": json.dumps(
            {
                "111": [
                    {"type": "pages", "call_count": 95, "estimated_time_to_regain_access": 3},
                    {"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 25},
                ],
                "222": [
                    {"type": "instagram", "call_count": 5, "estimated_time_to_regain_access": 0}
                ],
            }
        ),
        "Retry-After": "60",
    }
    assert retry_after_from({k.lower(): v for k, v in headers.items()} | headers) == 25 * 60


def test_retry_after_falls_back_to_retry_after_header_then_a_default() -> None:
    later = datetime.now(UTC) + timedelta(seconds=300)
    assert 290 <= retry_after_from({"Retry-After": format_datetime(later, usegmt=True)}) <= 300
    assert retry_after_from({"Retry-After": "45"}) == 45
    assert retry_after_from({"X-App-Usage": "{not json"}) == DEFAULT_RATE_LIMIT_WAIT_S
    assert retry_after_from({}) == DEFAULT_RATE_LIMIT_WAIT_S


def test_usage_reports_the_highest_percentage() -> None:
    usage = Usage.from_headers(
        {"x-app-usage": json.dumps({"call_count": 12, "total_cputime": 80, "total_time": 30})}
    )
    assert usage.percent == 80 and usage.regain_after_s is None


def test_time_paged_edges_continue_from_paging_next_without_its_token() -> None:
    page = parse_page(
        {
            "data": [{"id": "1"}],
            "paging": {
                "previous": "https://graph.facebook.com/v21.0/1/feed?since=1&access_token=SECRET",
                "next": "https://graph.facebook.com/v21.0/1/feed?until=1718000000"
                "&__paging_token=abc&access_token=SECRET&appsecret_proof=P",
            },
        }
    )
    assert page.next_params == {"until": "1718000000", "__paging_token": "abc"}


def test_last_page_has_no_next() -> None:
    page = parse_page({"data": [], "paging": {"cursors": {"before": "a", "after": "b"}}})
    assert not page.has_next
    with pytest.raises(TransientError):
        parse_page({"paging": {}})


def test_parse_time_accepts_graph_and_webhook_forms() -> None:
    iso = parse_time("2024-06-10T06:00:00+0000")
    assert iso == datetime(2024, 6, 10, 6, 0, tzinfo=UTC)
    assert parse_time(1718000000) == datetime.fromtimestamp(1718000000, UTC)
    assert parse_time(1718000000123) == datetime.fromtimestamp(1718000000.123, UTC)
    for bad in ("2024-06-10T06:00:00", "soon", None, True, ""):
        with pytest.raises(ValueError):
            parse_time(bad)


def test_client_sends_the_token_in_a_header_and_signs_with_appsecret_proof(
    httpserver: HTTPServer,
) -> None:
    socket_allow_hosts(["127.0.0.1", "localhost", "::1"], allow_unix_socket=True)
    graph = FakeGraph(httpserver)
    page = graph.page()
    client = GraphClient(graph.token, base_url=graph.base_url, app_secret="s3cr3t", timeout=2.0)

    body = client.get(page["id"], {"fields": "id,name"})

    assert body == {"id": page["id"], "name": "The Band"}
    _, _, args, _ = graph.requests[-1]
    assert "access_token" not in args
    expected = hmac.new(b"s3cr3t", graph.token.encode(), hashlib.sha256).hexdigest()
    assert args["appsecret_proof"] == expected
    assert client.server_time is not None


def test_a_200_with_an_error_object_is_still_an_error(httpserver: HTTPServer) -> None:
    socket_allow_hosts(["127.0.0.1", "localhost", "::1"], allow_unix_socket=True)
    httpserver.expect_request("/v21.0/me").respond_with_json(
        {
            "error": {
                "message": "Invalid OAuth 2.0 Access Token",
                "type": "OAuthException",
                "code": 190,
            }
        }
    )
    client = GraphClient("t", base_url=httpserver.url_for("/v21.0"), timeout=2.0)
    with pytest.raises(AuthError):
        client.get("me")


def test_a_json_body_that_is_not_an_object_is_transient(httpserver: HTTPServer) -> None:
    socket_allow_hosts(["127.0.0.1", "localhost", "::1"], allow_unix_socket=True)
    httpserver.expect_request("/v21.0/me").respond_with_json(["unexpected"])
    client = GraphClient("t", base_url=httpserver.url_for("/v21.0"), timeout=2.0)
    with pytest.raises(TransientError, match="malformed"):
        client.get("me")


def test_unreachable_server_is_transient() -> None:
    socket_allow_hosts(["127.0.0.1", "localhost", "::1"], allow_unix_socket=True)
    client = GraphClient("t", base_url="http://127.0.0.1:9/v21.0", timeout=0.5)
    with pytest.raises(TransientError):
        client.get("me")


def test_requests_to_real_hosts_are_blocked_in_this_suite() -> None:
    socket_allow_hosts(["127.0.0.1", "localhost", "::1"], allow_unix_socket=True)
    client = GraphClient("t", base_url="https://93.184.216.34/v21.0", timeout=0.5)
    with pytest.warns(UserWarning, match="93.184.216.34"), pytest.raises(SocketConnectBlockedError):
        client.get("me")
