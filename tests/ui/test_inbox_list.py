"""The conversation list: views, counts, sorting, filters, pagination, fragments."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import update

from inbox.runtime import Runtime
from models import Conversation, Workspace
from tests.ui.conftest import HX
from tests.ui.seed import Spec, add_conversation

Login = Callable[[str], tuple[FlaskClient, str]]


def listed(html: str) -> list[int]:
    """Conversation ids in the order the list shows them."""
    return [int(i) for i in re.findall(r'<li class="row[^"]*" id="conversation-(\d+)"', html)]


def test_main_view_is_priority_first_without_spam(ids: dict[str, int], as_user: Login) -> None:
    client, _ = as_user("owner")
    order = listed(client.get("/").get_data(as_text=True))
    # urgent; then high, newest first; then normal; then low
    expected = ["promoter", "ticket", "press", "email", "question", "praise"]
    assert order == [ids[k] for k in expected]
    assert ids["spam"] not in order


def test_newest_first_is_one_click_away(ids: dict[str, int], as_user: Login) -> None:
    client, _ = as_user("owner")
    order = listed(client.get("/?sort=newest").get_data(as_text=True))
    expected = ["promoter", "ticket", "press", "praise", "question", "email"]
    assert order == [ids[k] for k in expected]


def test_needs_reply_puts_the_highest_priority_first(
    ids: dict[str, int], as_user: Login, rt: Runtime
) -> None:
    with rt.session() as s:
        s.execute(
            update(Conversation)
            .where(Conversation.id == ids["question"])
            .values(waiting_for_us=False)
        )
    client, _ = as_user("owner")
    order = listed(client.get("/?view=needs-reply").get_data(as_text=True))
    assert order[0] == ids["promoter"]  # urgent
    assert set(order[1:4]) == {ids["ticket"], ids["press"], ids["email"]}  # high
    assert ids["question"] not in order and ids["spam"] not in order


def test_each_saved_view_holds_what_its_name_says(
    ids: dict[str, int], as_user: Login, users: dict[str, int], rt: Runtime
) -> None:
    with rt.session() as s:
        s.execute(
            update(Conversation)
            .where(Conversation.id == ids["praise"])
            .values(assignee_id=users["owner"])
        )
    client, _ = as_user("owner")

    def view(name: str) -> set[int]:
        return set(listed(client.get(f"/?view={name}").get_data(as_text=True)))

    assert view("booking-press") == {ids["promoter"], ids["press"], ids["email"]}
    assert view("support") == {ids["ticket"]}
    assert view("superfans") == {ids["ticket"], ids["question"]}
    assert view("mine") == {ids["praise"]}
    assert view("spam") == {ids["spam"]}


def test_the_sidebar_counts_every_view(ids: dict[str, int], as_user: Login) -> None:
    client, _ = as_user("owner")
    html = client.get("/").get_data(as_text=True)
    counts = dict(re.findall(r'<span class="count" id="count-([\w-]+)">(\d+)</span>', html))
    assert counts == {
        "inbox": "6",
        "needs-reply": "6",
        "booking-press": "3",
        "support": "1",
        "superfans": "2",
        "mine": "0",
        "spam": "1",
    }


def test_filters_narrow_a_view(ids: dict[str, int], as_user: Login) -> None:
    client, _ = as_user("owner")

    def view(query: str) -> set[int]:
        resp = client.get(f"/?{query}")
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return set(listed(resp.get_data(as_text=True)))

    assert view("network=x") == {ids["promoter"]}
    assert view("network=x&network=bluesky") == {ids["promoter"], ids["press"]}
    assert view("priority=high") == {ids["ticket"], ids["press"], ids["email"]}
    assert view("intent=praise") == {ids["praise"]}
    assert view("segment=industry") == {ids["promoter"], ids["press"], ids["email"]}
    # a view's own criteria still hold: bookings filtered to Bluesky is the press request only
    assert view("view=booking-press&network=bluesky") == {ids["press"]}
    assert view("view=booking-press&intent=praise") == set()
    assert view("assignee=none") == view("") and view("assignee=me") == set()
    assert view("waiting=0") == set()
    assert view("status=done") == set()


def test_date_filters_use_the_readers_days(
    ids: dict[str, int], as_user: Login, rt: Runtime, workspace: Workspace
) -> None:
    old = add_conversation(
        rt,
        workspace.id,
        Spec("old", "x", "old", "Old Fan", "from last year", minutes_ago=60 * 24 * 400),
    )
    client, _ = as_user("owner")
    today = datetime.now(UTC).date()
    recent = set(listed(client.get(f"/?from={today - timedelta(days=1)}").get_data(as_text=True)))
    assert old not in recent and ids["promoter"] in recent
    long_ago = (today - timedelta(days=300)).isoformat()
    assert listed(client.get(f"/?to={long_ago}").get_data(as_text=True)) == [old]


def test_a_filter_it_cannot_read_is_a_clear_400(ids: dict[str, int], as_user: Login) -> None:
    client, _ = as_user("owner")
    resp = client.get("/?network=myspace")
    assert resp.status_code == 400 and "Unknown network" in resp.get_data(as_text=True)
    assert client.get("/?from=yesterday").status_code == 400
    assert client.get("/?view=nope").status_code == 404


def test_pages_follow_each_other_without_repeats(
    as_user: Login, rt: Runtime, workspace: Workspace
) -> None:
    made = [
        add_conversation(
            rt,
            workspace.id,
            Spec(f"f{i}", "mastodon", f"fan{i}", f"Fan {i}", f"hello {i}", minutes_ago=i),
        )
        for i in range(55)
    ]
    client, _ = as_user("owner")
    first = client.get("/").get_data(as_text=True)
    page1 = listed(first)
    assert page1 == made[:50]
    more = re.search(r'<li class="more">\s*<a href="([^"]+)"', first)
    assert more is not None
    url = more.group(1).replace("&amp;", "&")
    fragment = client.get(url, headers=HX).get_data(as_text=True)
    assert "<html" not in fragment  # infinite scroll gets rows only
    assert listed(fragment) == made[50:]
    assert 'class="more"' not in fragment


def test_a_results_fragment_is_the_same_markup_as_the_page(
    ids: dict[str, int], as_user: Login
) -> None:
    client, _ = as_user("owner")
    full = client.get("/?network=x").get_data(as_text=True)
    part = client.get("/?network=x", headers={**HX, "HX-Target": "inbox-results"})
    assert "HX-Request" in part.headers["Vary"] and "<html" not in part.get_data(as_text=True)
    row = re.search(r'<li class="row.*?</li>', part.get_data(as_text=True), re.S)
    assert row is not None and row.group(0) in full


def test_search_matches_message_text_and_fan_names_with_highlights(
    ids: dict[str, int], as_user: Login, rt: Runtime, workspace: Workspace
) -> None:
    evil = add_conversation(
        rt,
        workspace.id,
        Spec("evil", "x", "evil", "<b>Evil</b>", "<script>alert('ticket')</script>", minutes_ago=5),
    )
    client, _ = as_user("owner")
    html = client.get("/?q=ticket").get_data(as_text=True)
    assert set(listed(html)) == {ids["ticket"], evil}
    assert "never arrived" in html and "<mark>ticket</mark>" in html
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;<mark>ticket</mark>" in html
    by_name = set(listed(client.get("/?q=molière").get_data(as_text=True)))
    assert by_name == {ids["promoter"]}
    assert listed(client.get("/?q=ticket&network=mastodon").get_data(as_text=True)) == [
        ids["ticket"]
    ]


def test_a_viewer_sees_the_list_without_triage_controls(
    ids: dict[str, int], as_user: Login
) -> None:
    client, _ = as_user("viewer")
    html = client.get("/").get_data(as_text=True)
    assert ids["promoter"] in listed(html)
    assert 'id="bulk-bar"' not in html and 'name="ids"' not in html
