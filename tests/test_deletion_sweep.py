"""The deletion check sized to the window: a sweep that goes on where it stopped.

A connector that can check cheaply (Mastodon) asks at every sync and says how many
messages a check may cover; the check walks the window newest first, keeps its place
across syncs and failures, and starts again at the newest after the oldest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
from sqlalchemy import select

from inbox import sync
from inbox.connectors import register
from inbox.connectors.base import (
    Author,
    ChannelConfig,
    FetchResult,
    IncomingItem,
    RateLimited,
    ReplyTarget,
    SentReply,
    TransientError,
    deleted_marker,
)
from inbox.runtime import Runtime
from models import Channel, Message, Workspace, utcnow
from tests.helpers import make_channel

NOW = datetime.now(UTC)


class Network:
    """What the far side serves, what it was asked, and how it should misbehave."""

    def __init__(self) -> None:
        self.pages: list[FetchResult] = []
        self.gone: set[str] = set()
        self.asked: list[list[str]] = []
        self.budget: tuple[int, int] = (2, 4)
        self.fail_on_call: int | None = None  # 1-based index of the refresh call that 429s
        self.blip_on_call: int | None = None  # ... that fails in passing (a 503)
        self.calls = 0
        self.echo_state: dict[str, Any] = {}


NET = Network()


@register("fake-sweep")
class SweepingConnector:
    """Checks at every sync, within a budget, like the Mastodon connector."""

    network: ClassVar[str] = "fake"
    deletion_check_every: ClassVar[timedelta] = timedelta(0)

    def __init__(self, config: ChannelConfig) -> None:
        self.config = config

    def fetch_since(self, cursor: Mapping[str, Any] | None, limit: int = 100) -> FetchResult:
        return NET.pages.pop(0) if NET.pages else FetchResult([], dict(cursor or {}), False)

    def send_reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> SentReply:
        raise NotImplementedError

    def fetch_profile(self, author_external_id: str) -> Author:
        return Author(author_external_id, author_external_id)

    @property
    def state(self) -> Mapping[str, Any]:
        # A connector that echoes the state it was built with, stale sweep included.
        return {**self.config.state, **NET.echo_state}

    def deletion_check_budget(self) -> tuple[int, int]:
        return NET.budget

    def refresh_items(self, external_ids: Sequence[str]) -> FetchResult:
        NET.calls += 1
        if NET.fail_on_call == NET.calls:
            raise RateLimited("slow down", retry_after=30)
        if NET.blip_on_call == NET.calls:
            raise TransientError("503")
        NET.asked.append(list(external_ids))
        return FetchResult([deleted_marker(i) for i in external_ids if i in NET.gone], None)


@pytest.fixture(autouse=True)
def _fresh_network() -> None:
    NET.__init__()  # type: ignore[misc]


def _item(n: int, hours_ago: float) -> IncomingItem:
    return IncomingItem(
        external_id=f"m{n}",
        text=f"message {n}",
        created_at=NOW - timedelta(hours=hours_ago),
        author=Author(external_id="id-fan", handle="fan", name="Fan"),
    )


def _channel_with_ten_messages(rt: Runtime, workspace: Workspace) -> int:
    """m0 (newest) .. m9 (oldest) in the window, plus one outside it."""
    ch = make_channel(rt, workspace.id, connector="fake-sweep")
    history = [_item(n, hours_ago=1 + n) for n in range(10)]
    history.append(_item(99, hours_ago=24 * 20))  # older than the window: never asked about
    NET.pages.append(FetchResult(history, {"page": 1}))
    first = sync.sync_channel(rt, ch.id)
    assert first.error is None and first.deletions_checked == 0  # the clock starts here
    return ch.id


def _deleted(rt: Runtime) -> set[str]:
    with rt.session() as s:
        return set(s.scalars(select(Message.external_id).where(Message.deleted_at.is_not(None))))


def test_each_sync_goes_on_where_the_last_check_stopped_and_wraps_to_the_newest(
    rt: Runtime, workspace: Workspace
) -> None:
    channel_id = _channel_with_ten_messages(rt, workspace)
    checked = [sync.sync_channel(rt, channel_id).deletions_checked for _ in range(3)]
    assert checked == [4, 4, 4]
    assert NET.asked == [
        ["m0", "m1"],
        ["m2", "m3"],  # first check: the newest four, two a call
        ["m4", "m5"],
        ["m6", "m7"],  # second: the next four
        ["m8", "m9"],
        ["m0", "m1"],  # third: the last two, then from the newest again
    ]
    asked = {i for call in NET.asked for i in call}
    assert asked == {f"m{n}" for n in range(10)}  # the whole window within ceil(10/4) syncs


def test_a_window_within_one_checks_budget_is_covered_at_every_sync(
    rt: Runtime, workspace: Workspace
) -> None:
    NET.budget = (20, 800)
    channel_id = _channel_with_ten_messages(rt, workspace)
    NET.gone = {"m7"}
    report = sync.sync_channel(rt, channel_id)
    assert report.deletions_checked == 10 and _deleted(rt) == {"m7"}
    NET.gone.add("m2")
    assert sync.sync_channel(rt, channel_id).deletions_checked == 9  # m7 is deleted already
    assert _deleted(rt) == {"m2", "m7"}  # found at the very next sync


def test_a_rate_limit_mid_check_keeps_what_was_found_and_resumes_at_the_failed_batch(
    rt: Runtime, workspace: Workspace
) -> None:
    channel_id = _channel_with_ten_messages(rt, workspace)
    NET.gone = {"m1", "m3"}
    NET.fail_on_call = 2
    report = sync.sync_channel(rt, channel_id)
    assert report.error is not None and "slow down" in report.error
    assert _deleted(rt) == {"m1"}  # the first batch's finding is stored
    with rt.session() as s:
        channel = s.get_one(Channel, channel_id)
        wait = channel.next_sync_at - utcnow() if channel.next_sync_at else None
    assert wait is not None and timedelta(seconds=25) < wait <= timedelta(seconds=30)

    sync.sync_channel(rt, channel_id)
    assert NET.asked == [["m0", "m1"], ["m2", "m3"], ["m4", "m5"]]  # resumed at m2
    assert _deleted(rt) == {"m1", "m3"}


def test_a_call_failing_in_passing_is_tried_again_and_the_check_goes_on(
    rt: Runtime, workspace: Workspace
) -> None:
    channel_id = _channel_with_ten_messages(rt, workspace)
    NET.gone = {"m3"}
    NET.blip_on_call = 2
    report = sync.sync_channel(rt, channel_id)
    assert report.error is None and report.deletions_checked == 4
    assert NET.asked == [["m0", "m1"], ["m2", "m3"]]
    assert _deleted(rt) == {"m3"}


def test_a_connector_echoing_stale_state_does_not_move_the_sweep(
    rt: Runtime, workspace: Workspace
) -> None:
    channel_id = _channel_with_ten_messages(rt, workspace)
    NET.echo_state = {sync.SWEEP_KEY: {"sent_at": NOW.isoformat(), "id": 1}, "token": "t2"}
    sync.sync_channel(rt, channel_id)
    sync.sync_channel(rt, channel_id)
    assert NET.asked[2] == ["m4", "m5"]
    with rt.session() as s:
        state = rt.box.decrypt(s.get_one(Channel, channel_id).state_encrypted)
    assert state["token"] == "t2"  # the connector's own state is still kept


def test_no_check_when_the_connector_has_no_budget_left(rt: Runtime, workspace: Workspace) -> None:
    channel_id = _channel_with_ten_messages(rt, workspace)
    NET.budget = (20, 0)
    assert sync.sync_channel(rt, channel_id).deletions_checked == 0
    assert NET.asked == []


def test_the_window_is_the_channels_backfill_window_at_least_three_days(
    rt: Runtime, workspace: Workspace
) -> None:
    NET.budget = (20, 800)
    ch = make_channel(rt, workspace.id, connector="fake-sweep", options={"backfill_days": 10})
    NET.pages.append(FetchResult([_item(1, 1), _item(2, 24 * 8), _item(3, 24 * 12)], {"page": 1}))
    sync.sync_channel(rt, ch.id)
    NET.gone = {"m2"}
    assert sync.sync_channel(rt, ch.id).deletions_checked == 2  # m3 is outside 10 days
    assert _deleted(rt) == {"m2"}  # eight days old, and still noticed
    assert sync.deletion_window({"backfill_days": 1}) == sync.DELETION_WINDOW
    assert sync.deletion_window({"backfill_days": "x"}) == timedelta(days=14)


def test_a_backfill_longer_than_one_sync_stays_importing_and_comes_back_soon(
    rt: Runtime, workspace: Workspace
) -> None:
    ch = make_channel(rt, workspace.id, connector="fake-sweep")
    with rt.session() as s:
        assert s.get_one(Channel, ch.id).health == "pending"
    NET.pages += [FetchResult([_item(n, n)], {"page": n}, has_more=n < 4) for n in range(1, 5)]
    report = sync.sync_channel(rt, ch.id, max_pages=2)
    assert report.pages == 2 and report.error is None
    with rt.session() as s:
        channel = s.get_one(Channel, ch.id)
        assert channel.health == "pending"  # the Channels page still says "importing"
        assert channel.next_sync_at is not None
        assert channel.next_sync_at - utcnow() <= sync.CONTINUE_AFTER
    sync.sync_channel(rt, ch.id, max_pages=2)
    with rt.session() as s:
        channel = s.get_one(Channel, ch.id)
        assert channel.health == "ok"  # the window is read: up to date
        assert channel.next_sync_at is not None
        assert channel.next_sync_at - utcnow() > sync.CONTINUE_AFTER
