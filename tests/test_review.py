"""The weekly review's figures on a fixed data set, each worked out by hand.

See tests/test_review_data.py for the messages. In short, in 2026-W13 (Paris):

x        Alice  Mon 10:00, answered 11:30 (owner)          5,400 s   business 5,400 s
x        Bruno  Fri 17:00, answered Mon 30th 10:00 (agent) 230,400 s business 7,200 s
x        Emil   Mon 00:30, answered 09:30 (owner)          32,400 s  business 1,800 s
bluesky  Chloe  Sat and Sun, complaints, never answered
bluesky  Dana   Tue 09:00, answered 10:00 on Bluesky       3,600 s   business 3,600 s (erased)
bluesky  Hugo   Wed 20:00, answered Thu 09:00 (agent)      46,800 s  business 0 s
spam and a scam, a deleted message, Fred after the week's end (Sunday 22:30 UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from inbox import review
from inbox.review import BadWeek, BusinessHours, Week
from inbox.runtime import Runtime
from models import Workspace
from tests.test_review_data import NOW, build

W13 = Week(2026, 13)


@pytest.fixture
def data(rt: Runtime, workspace: Workspace) -> dict[str, int]:
    with rt.session() as s:
        return build(s, workspace.id)


@pytest.fixture
def rv(rt: Runtime, workspace: Workspace, data: dict[str, int]) -> review.Review:
    with rt.session() as s:
        return review.compute(s, workspace.id, W13, now=NOW)


def test_week_across_the_clock_change_is_167_hours_of_paris_time() -> None:
    start, end = W13.bounds(ZoneInfo("Europe/Paris"))
    assert start == datetime(2026, 3, 22, 23, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=167)


def test_weeks_parse_shift_and_default_to_the_last_full_one() -> None:
    assert Week.parse("2026-W47") == Week(2026, 47)
    assert str(Week(2026, 1).shifted(-1)) == "2025-W52"
    assert Week.last_full(NOW, ZoneInfo("Europe/Paris")) == W13
    for bad in ("2026-47", "2026-W54", "W47", "2026-W00"):
        with pytest.raises(BadWeek):
            Week.parse(bad)


def test_inbound_volume_leaves_out_spam_scams_deleted_and_the_next_weeks_messages(
    rv: review.Review,
) -> None:
    this, before = rv.this, rv.summaries[-2]
    assert (this.messages, this.conversations, this.fans) == (7, 6, 5)
    # W12: Gina's Wednesday message and her Sunday 23:30 Paris one, in one conversation.
    assert (before["messages"], before["conversations"], before["fans"]) == (2, 1, 1)


def test_an_erased_fan_still_counts_as_messages_but_not_as_a_fan(rv: review.Review) -> None:
    bsky = rv.networks["bluesky"]
    # Chloe's two complaints, Dana's message (her fan row is gone), Hugo's tenth.
    assert (bsky.messages, bsky.conversations, bsky.fans) == (4, 3, 2)
    assert all(f.name != "Dana" for f in rv.top_fans)


def test_reply_share_and_unanswered(rv: review.Review) -> None:
    this = rv.this
    assert (this.needed_reply, this.replied, this.unanswered) == (6, 5, 1)
    assert this.reply_share == pytest.approx(5 / 6)
    assert rv.summaries[-2]["reply_share"] == 1.0
    x, bsky = rv.networks["x"], rv.networks["bluesky"]
    assert (x.needed_reply, x.replied, bsky.needed_reply, bsky.replied) == (3, 3, 3, 2)


def test_first_response_time_plain_and_in_business_hours(rv: review.Review) -> None:
    this = rv.this
    assert sorted(this.frt) == [3600, 5400, 32400, 46800, 230400]
    assert review.median(this.frt) == 32400
    assert review.p90(this.frt) == 230400
    assert sorted(this.frt_business) == [0, 1800, 3600, 5400, 7200]
    assert review.median(this.frt_business) == 3600
    assert review.p90(this.frt_business) == 7200
    bsky = rv.networks["bluesky"]
    assert review.median(bsky.frt) == 25200  # (3,600 + 46,800) / 2


def test_business_hours_skip_nights_weekends_and_follow_the_clock_change() -> None:
    hours = BusinessHours.from_setting({"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00"})
    assert hours is not None
    paris = ZoneInfo("Europe/Paris")
    # Friday 27 March 17:00 CET to Monday 30 March 10:00 CEST: one hour each side.
    assert (
        hours.seconds_between(
            datetime(2026, 3, 27, 16, tzinfo=UTC), datetime(2026, 3, 30, 8, tzinfo=UTC), paris
        )
        == 7200
    )
    assert BusinessHours.from_setting({"days": [], "start": "09:00", "end": "18:00"}) is None
    assert BusinessHours.from_setting({"days": [1], "start": "18:00", "end": "09:00"}) is None


def test_without_business_hours_only_the_plain_clock_is_kept(
    rt: Runtime, workspace: Workspace, data: dict[str, int]
) -> None:
    with rt.session() as s:
        s.get_one(Workspace, workspace.id).business_hours = None
    with rt.session() as s:
        rv = review.compute(s, workspace.id, W13, now=NOW)
    assert rv.business_hours is None
    assert rv.this.frt_business == []
    assert rv.series("frt_business_median") == [None] * 8
    assert review.median(rv.this.frt) == 32400


def test_new_and_returning_fans(rv: review.Review) -> None:
    # New: Chloe and Emil (Alice wrote in W11, Bruno in February, Hugo in January).
    assert rv.series("new_fans")[-1] == 2
    # Returning: Alice, answered 13 days before; not Bruno, answered 45 days before.
    assert rv.series("returning_fans")[-1] == 1
    # W12: Gina wrote again on Sunday, four days after our answer.
    assert rv.series("returning_fans")[-2] == 1
    assert rv.series("new_fans")[-3:-1] == [1, 1]  # Alice in W11, Gina in W12


def test_superfans_gained_and_lapsed(rv: review.Review) -> None:
    assert rv.series("superfans_gained")[-1] == 1 and rv.gained_names == ["Hugo"]
    assert rv.series("superfans_lapsed")[-1] == 1 and rv.lapsed_names == ["Lou"]
    assert sum(rv.series("superfans_gained")[:-1]) == 0
    assert sum(rv.series("superfans_lapsed")[:-1]) == 0


def test_most_engaged_fans(rv: review.Review) -> None:
    assert [(f.name, f.messages) for f in rv.top_fans] == [
        ("Chloe", 2),
        ("Alice", 1),
        ("Bruno", 1),
        ("Emil", 1),
        ("Hugo", 1),
    ]


def test_intents_sentiment_and_support_cases(rv: review.Review, data: dict[str, int]) -> None:
    week = {k: v[-1] for k, v in rv.intents.items() if v[-1]}
    assert week == {"question": 1, "support": 1, "complaint": 2, "praise": 2, "booking": 1}
    feel = {k: v[-1] for k, v in rv.sentiments.items() if v[-1]}
    assert feel == {"positive": 3, "neutral": 2, "negative": 2}
    assert (rv.series("cases")[-1], rv.series("cases_resolved")[-1]) == (2, 1)
    rows = {(r.conversation_id, r.intent, r.replied, r.resolved) for r in rv.case_rows}
    assert rows == {(data["c2"], "support", True, True), (data["c3"], "complaint", False, False)}


def test_guardrail_flag_is_the_fourth_identical_reply_in_a_day(rv: review.Review) -> None:
    assert rv.series("flags")[-1] == 1
    (flag,) = rv.flag_rows
    assert (flag.author, flag.others) == ("Olive Owner", 3)


def test_team_members_replies_first_responses_and_times(rv: review.Review) -> None:
    rows = {m.name: m for m in rv.members}
    owner, agent, outside = rows["Olive Owner"], rows["Ada Agent"], rows[""]
    assert (owner.replies, owner.first_responses, owner.flags) == (4, 2, 1)
    assert (owner.frt_median_s, owner.frt_p90_s) == (18900, 32400)
    # Bruno's answer went out on Monday 30th: a first response of W13, a reply of W14.
    assert (agent.replies, agent.first_responses) == (1, 2)
    assert (agent.frt_median_s, agent.frt_p90_s) == (138600, 230400)
    assert (outside.user_id, outside.first_responses, outside.frt_median_s) == (None, 1, 3600)


def test_the_trend_covers_eight_weeks_ending_with_the_asked_one(rv: review.Review) -> None:
    assert [str(w) for w in rv.weeks] == [f"2026-W{n:02d}" for n in range(6, 14)]
    # Bruno's February message (W07), Alice's W11, Gina's W12 (two), W13's seven.
    assert rv.series("messages") == [0, 1, 0, 0, 0, 1, 2, 7]


def test_finished_weeks_are_kept_and_read_back_the_same(
    rt: Runtime, workspace: Workspace, data: dict[str, int]
) -> None:
    from sqlalchemy import func, select

    from models import ReviewWeek

    with rt.session() as s:
        first = review.compute(s, workspace.id, W13, now=NOW)
    with rt.session() as s:
        # W06-W12 ended at least 7 days before NOW: kept. W13 is 3 days old: not yet.
        assert s.scalar(select(func.count()).select_from(ReviewWeek)) == 7
        again = review.compute(s, workspace.id, W13, now=NOW)
    assert (first.stored_weeks, again.stored_weeks) == (0, 7)
    assert again.summaries == first.summaries


def test_sandbox_history_has_a_release_a_tour_announcement_and_a_quiet_week() -> None:
    from inbox.sandbox.timeline import rhythm

    assert rhythm(0.5) == pytest.approx(1.0, abs=0.01)  # the last two weeks: ordinary
    assert rhythm(10) == pytest.approx(1.0, abs=0.01)
    assert rhythm(17) == pytest.approx(0.45, abs=0.02)  # two weeks ago: the quiet one
    assert rhythm(24) == pytest.approx(2.6 + 2.2 * 0.5 ** (22 / 3))  # the tour announcement
    assert rhythm(46) == pytest.approx(3.2)  # release day
    assert rhythm(47) == 1.0  # before the release
    week = [sum(rhythm(d + h / 24) for h in range(24 * 7)) / (24 * 7) for d in (7, 14, 21, 42)]
    assert week[1] < week[0] < week[2] < week[3]  # quiet < ordinary < tour < release
