"""The Review page, its week switcher and CSV exports, on the hand-computed week."""

from __future__ import annotations

import csv
import io
import re

from flask.testing import FlaskClient

from inbox.runtime import Runtime
from models import Workspace
from tests.conftest import login
from tests.test_review_data import build


def _page(client: FlaskClient, rt: Runtime, workspace: Workspace, query: str) -> str:
    with rt.session() as s:
        build(s, workspace.id)
    login(client, "viewer@example.org")
    resp = client.get("/review" + query)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return resp.get_data(as_text=True)


def test_review_page_shows_the_weeks_figures_to_a_viewer(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    html = _page(client, rt, workspace, "?week=2026-W13")
    assert re.search(r'data-measure="messages">7<', html)
    assert re.search(r'data-measure="reply_share">83 %<', html)
    assert re.search(r'data-measure="frt_median">9 h 0 min<', html)
    assert re.search(r'data-measure="frt_business_median">1 h 0 min<', html)
    # The unanswered conversations link to the inbox, filtered.
    assert "/?status=all&amp;waiting=1&amp;from=2026-03-23&amp;to=2026-03-29" in html
    assert 'href="/review?week=2026-W12"' in html and "<svg" in html
    assert "review.css" in html and "What each figure means" in html


def test_review_page_in_french(client: FlaskClient, rt: Runtime, workspace: Workspace) -> None:
    from models import User

    with rt.session() as s:
        build(s, workspace.id)
        s.query(User).filter_by(email="viewer@example.org").one().locale = "fr"
    login(client, "viewer@example.org")
    html = client.get("/review?week=2026-W13").get_data(as_text=True)
    assert "Revue de la semaine" in html and "Part des réponses" in html


def test_a_bad_week_is_a_400_with_the_expected_form(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    login(client, "viewer@example.org")
    resp = client.get("/review?week=2026-W99")
    assert resp.status_code == 400
    assert "2026-W47" in resp.get_data(as_text=True)


def test_every_table_exports_as_csv(client: FlaskClient, rt: Runtime, workspace: Workspace) -> None:
    _page(client, rt, workspace, "?week=2026-W13")
    resp = client.get("/review/networks.csv?week=2026-W13")
    assert resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
    assert rows[0][:3] == ["network", "messages", "conversations"]
    assert {r[0]: r[1] for r in rows[1:]} == {"bluesky": "4", "x": "3"}
    for name in ("summary", "trend", "members", "fans", "intents", "sentiment", "cases", "flags"):
        assert client.get(f"/review/{name}.csv?week=2026-W13").status_code == 200
    assert client.get("/review/nope.csv").status_code == 404


def test_an_agent_opts_in_to_the_digest_and_a_manager_sets_the_clock(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    from models import User

    token = login(client, "agent@example.org")
    assert "Email me every week" in client.get("/review").get_data(as_text=True)
    resp = client.post("/review/digest", data={"on": "1", "csrf_token": token})
    assert resp.status_code == 303
    with rt.session() as s:
        assert s.query(User).filter_by(email="agent@example.org").one().weekly_digest
    refused = client.post(
        "/review/settings",
        data={
            "days": ["1"],
            "digest_weekday": "1",
            "digest_hour": "9",
            "start": "09:00",
            "end": "18:00",
            "csrf_token": token,
        },
    )
    assert refused.status_code == 403
    client.get("/logout")
    token = login(client, "owner@example.org")
    form = {
        "days": ["1", "2", "3", "4", "5"],
        "start": "10:00",
        "end": "19:00",
        "digest_weekday": "5",
        "digest_hour": "17",
        "csrf_token": token,
    }
    assert client.post("/review/settings", data=form).status_code == 303
    with rt.session() as s:
        ws = s.get_one(Workspace, workspace.id)
        assert ws.business_hours == {"days": [1, 2, 3, 4, 5], "start": "10:00", "end": "19:00"}
        assert (ws.digest_weekday, ws.digest_hour) == (5, 17)
    bad = {**form, "start": "19:00", "end": "10:00"}
    client.post("/review/settings", data=bad)
    page = client.get("/review").get_data(as_text=True)
    assert "Business hours need a start before their end" in page
    with rt.session() as s:
        assert s.get_one(Workspace, workspace.id).business_hours["start"] == "10:00"
