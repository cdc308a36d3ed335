"""GET /api/v1/reports/weekly: the Review page's figures for a token, in the OpenAPI document."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from crm.services import api_tokens
from inbox.runtime import Runtime
from models import User, Workspace
from tests.test_review_data import build


def _token(rt: Runtime, workspace: Workspace) -> dict[str, str]:
    with rt.session() as s:
        build(s, workspace.id)
        user = s.scalars(select(User).where(User.email == "viewer@example.org")).one()
        return {"Authorization": f"Bearer {api_tokens.create(s, user, workspace.id, 'tests')}"}


def test_weekly_report_gives_the_measures_and_tables(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    headers = _token(rt, workspace)
    resp = client.get("/api/v1/reports/weekly?week=2026-W13", headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    doc = resp.get_json()
    assert doc["week"] == "2026-W13" and doc["start"].startswith("2026-03-22T23:00:00")
    m = {x["key"]: x for x in doc["measures"]}
    assert (m["messages"]["value"], m["messages"]["previous"], m["messages"]["change"]) == (7, 2, 5)
    assert m["frt_business_median"]["value"] == 3600
    assert m["returning_fans"]["trend"][-2:] == [1, 1]
    assert {r[0] for r in doc["tables"]["networks"]["rows"]} == {"x", "bluesky"}


def test_weekly_report_refuses_a_bad_week_and_a_missing_token(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    headers = _token(rt, workspace)
    bad = client.get("/api/v1/reports/weekly?week=2026-W60", headers=headers)
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_request"
    assert client.get("/api/v1/reports/weekly").status_code == 401


def test_weekly_report_is_in_the_openapi_document(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    op = doc["paths"]["/api/v1/reports/weekly"]["get"]
    assert op["parameters"][0]["name"] == "week"
    assert op["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/WeeklyReport"
    }
    assert "measures" in doc["components"]["schemas"]["WeeklyReport"]["properties"]
