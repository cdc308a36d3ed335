"""Out-of-range and malformed input is a 4xx that changes nothing, never a 500."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from inbox.runtime import Runtime
from models import AuditEvent

Login = Callable[[str], tuple[FlaskClient, str]]
HUGE = str(2**64)


@pytest.mark.parametrize(
    "path",
    [
        f"/c/{HUGE}",
        f"/c/{2**63}",
        f"/?assignee={HUGE}",
        f"/?label={HUGE}",
        "/?to=9999-12-31",
        "/?from=0001-01-01",
        f"/?cursor=p:{HUGE}:2026-01-01T00:00:00:{HUGE}&sort=priority",
        f"/?cursor=n:2026-01-01T00:00:00:{HUGE}",
    ],
)
def test_out_of_range_values_in_the_url_are_refused_not_crashed(
    ids: dict[str, int], as_user: Login, path: str
) -> None:
    client, _ = as_user("owner")
    resp = client.get(path)
    assert resp.status_code in (200, 400, 404, 422), (path, resp.status_code)


@pytest.mark.parametrize("field", ["assignee", "label_id"])
def test_out_of_range_form_fields_change_nothing(
    ids: dict[str, int], as_user: Login, rt: Runtime, field: str
) -> None:
    client, csrf = as_user("owner")
    with rt.session() as s:
        before = s.scalar(select(func.count()).select_from(AuditEvent))
    action = "assign" if field == "assignee" else "labels/remove"
    resp = client.post(f"/c/{ids['ticket']}/{action}", data={field: HUGE, "csrf_token": csrf})
    assert resp.status_code in (303, 400, 404, 422)
    with rt.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_the_thread_page_refuses_a_huge_id_in_its_forms(
    ids: dict[str, int], as_user: Login
) -> None:
    client, csrf = as_user("owner")
    resp = client.post(f"/c/{HUGE}/assign", data={"assignee": "1", "csrf_token": csrf})
    assert resp.status_code == 404
    assert (
        client.post("/notifications/read", data={"id": HUGE, "csrf_token": csrf}).status_code < 500
    )


@pytest.mark.parametrize("error", [OverflowError, RecursionError])
def test_input_no_check_caught_is_a_400_not_a_500(app: Flask, error: type[Exception]) -> None:
    def boom() -> str:
        raise error("unreadable")

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/v1/boom", "api_boom", boom)
    client = app.test_client()
    page = client.get("/boom")
    assert page.status_code == 400 and "out of range" in page.get_data(as_text=True)
    api = client.get("/api/v1/boom")
    assert api.status_code == 400 and "error" in (api.get_json() or {})
