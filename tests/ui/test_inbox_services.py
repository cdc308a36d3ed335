"""The pure parts of the inbox services: filters, cursors, handles, mentions, cleaning, snoozes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from werkzeug.datastructures import MultiDict

from crm.services import accounts, mentions
from crm.services.conversations import BadFilter, InboxFilter, Sort, SortKey, parse_filter
from crm.services.email_html import clean_email_html
from crm.services.snooze import SnoozeError, choices, parse_until
from crm.services.team import Member, members
from inbox.runtime import Runtime
from models import ConversationStatus, Priority, Role

PARIS = ZoneInfo("Europe/Paris")


def parse(query: str, base: InboxFilter | None = None) -> InboxFilter:
    pairs = [p.split("=", 1) for p in query.split("&") if p]
    args: MultiDict[str, str] = MultiDict([(k, v) for k, v in pairs])
    return parse_filter(args, user_id=7, zone=PARIS, base=base)[0]


def test_url_parameters_become_a_filter() -> None:
    flt = parse("network=x&network=bluesky&priority=urgent&assignee=me&waiting=1&sort=priority")
    assert flt.networks == ("x", "bluesky") and flt.priorities == (Priority.URGENT,)
    assert (flt.assignee_id, flt.unassigned, flt.waiting_for_us) == (7, False, True)
    assert flt.sort == Sort.PRIORITY and flt.status == ConversationStatus.OPEN
    assert parse("assignee=none").unassigned and parse("status=all").status is None


def test_dates_are_whole_days_in_the_readers_zone() -> None:
    flt = parse("from=2026-03-01&to=2026-03-01")
    assert flt.active_from == datetime(2026, 3, 1, tzinfo=PARIS)
    assert flt.active_before == datetime(2026, 3, 2, tzinfo=PARIS)
    assert flt.active_from.astimezone(UTC).hour == 23  # the day before, in UTC


@pytest.mark.parametrize(
    "query",
    [
        "network=myspace",
        "priority=panic",
        "segment=vip",
        "from=tomorrow",
        "waiting=maybe",
        "label=tour",
    ],
)
def test_unreadable_filters_are_refused(query: str) -> None:
    with pytest.raises(BadFilter):
        parse(query)


def test_filters_narrow_a_view_and_never_widen_it() -> None:
    view = InboxFilter(intents=("booking", "press"), sort=Sort.PRIORITY)
    assert parse("intent=press&intent=praise", view).intents == ("press",)
    assert parse("intent=praise", view).nothing
    assert parse("network=x", view).intents == ("booking", "press")
    assert parse("sort=newest", view).sort == Sort.NEWEST


def test_a_cursor_round_trips_and_rejects_garbage() -> None:
    key = SortKey(74, datetime(2026, 3, 1, 12, 0, 5, 123), 42)
    assert SortKey.decode(key.encode(Sort.PRIORITY), Sort.PRIORITY) == SortKey(
        74, datetime(2026, 3, 1, 12, 0, 5, 123), 42
    )
    assert SortKey.decode(key.encode(Sort.NEWEST), Sort.NEWEST) == SortKey(
        0, datetime(2026, 3, 1, 12, 0, 5, 123), 42
    )
    for junk in ("", "p~x~y~z", "n~2026-13-01~1", key.encode(Sort.NEWEST) + "~9", "x" * 200):
        assert SortKey.decode(junk, Sort.NEWEST) is None
    assert SortKey.decode(key.encode(Sort.NEWEST), Sort.PRIORITY) is None


def _team() -> list[Member]:
    return [
        Member(1, "Ada Lovelace", "ada@x.org", Role.AGENT, "ada"),
        Member(2, "Olive Owner", "olive@x.org", Role.OWNER, "olive"),
    ]


def test_mentions_find_teammates_once_and_ignore_email_addresses() -> None:
    text = "@Ada, call them. @olive. Not me@ada.org, not @nobody; @ada again"
    assert [m.user_id for m in mentions.mentioned(text, _team())] == [1, 2]
    pieces = mentions.segments("hi @ada!", _team())
    assert [(p.text, p.member is not None) for p in pieces] == [
        ("hi ", False),
        ("@ada", True),
        ("!", False),
    ]


def test_handles_are_first_names_unless_two_people_share_one(rt: Runtime) -> None:
    with rt.session() as s:
        ws = accounts.create_workspace(s, "Twins")
        for email, name in (("a1@x.org", "Ada One"), ("a2@x.org", "Ada Two"), ("bo@x.org", "Bo")):
            user = accounts.create_user(s, email, name, "long enough pw")
            accounts.add_member(s, ws, user, Role.AGENT)
        handles = {m.name: m.handle for m in members(s, ws.id)}
    assert handles == {"Ada One": "adaone", "Ada Two": "adatwo", "Bo": "bo"}


def test_email_html_keeps_formatting_and_drops_everything_active() -> None:
    html = (
        '<div hx-get="/logout" hx-trigger="load" data-hx-post="/x" onclick="x()" style="x">'
        '<p>Hi <b>there</b></p><a href="javascript:alert(1)">bad</a>'
        '<a href="https://ok.example/" target="_blank">ok</a><img src="https://t.example/p.gif">'
        "<script>alert(1)</script><style>p{}</style><form action='/bulk/done'><button>x</button></form>"
        "<table><tr><td colspan=2>cell</td></tr></table></div>"
    )
    clean = clean_email_html(html)
    for banned in (
        "hx-",
        "data-",
        "onclick",
        "style",
        "javascript",
        "<img",
        "<script",
        "<form",
        "<button",
    ):
        assert banned not in clean
    assert "<p>Hi <b>there</b></p>" in clean and '<td colspan="2">cell</td>' in clean
    assert '<a href="https://ok.example/" rel="noopener noreferrer nofollow">ok</a>' in clean


def test_quick_snoozes_fall_on_local_mornings() -> None:
    friday_evening = datetime(2026, 3, 6, 19, 30, tzinfo=UTC)  # 20:30 in Paris
    by_key = {c.key: c.until for c in choices(friday_evening, PARIS)}
    assert by_key["tomorrow"] == datetime(2026, 3, 7, 9, 0, tzinfo=PARIS)
    assert by_key["monday"] == datetime(2026, 3, 9, 9, 0, tzinfo=PARIS)
    assert by_key["reply"] is None


def test_a_typed_snooze_time_is_local_and_in_the_future() -> None:
    now = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)
    assert parse_until("2026-03-07T08:00", PARIS, now) == datetime(2026, 3, 7, 8, 0, tzinfo=PARIS)
    assert parse_until("reply", PARIS, now) is None
    for bad in ("2026-03-01T08:00", "2028-01-01T00:00", "soon", ""):
        with pytest.raises(SnoozeError):
            parse_until(bad, PARIS, now)
