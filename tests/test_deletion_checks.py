"""Deletions a network's feed never reports are found by asking about recent messages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
from sqlalchemy import select, update

from inbox import sync
from inbox.connectors import register
from inbox.connectors.base import (
    Author,
    ChannelConfig,
    FetchResult,
    IncomingItem,
    ReplyTarget,
    SentReply,
    deleted_marker,
)
from inbox.runtime import Runtime
from models import Channel, Message, Workspace
from tests import fakes
from tests.helpers import make_channel


class FarSide:
    """What the network serves, what it no longer has, and what it was asked."""

    def __init__(self) -> None:
        self.pages: list[FetchResult] = []
        self.gone: set[str] = set()
        self.edited: dict[str, str] = {}
        self.asked: list[list[str]] = []


FAR = FarSide()


class _Base:
    network: ClassVar[str] = "fake"

    def __init__(self, config: ChannelConfig) -> None:
        self.config = config

    def fetch_since(self, cursor: Mapping[str, Any] | None, limit: int = 100) -> FetchResult:
        return FAR.pages.pop(0) if FAR.pages else FetchResult([], dict(cursor or {}), False)

    def send_reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> SentReply:
        raise NotImplementedError

    def fetch_profile(self, author_external_id: str) -> Author:
        return Author(author_external_id, author_external_id)

    @property
    def state(self) -> Mapping[str, Any]:
        return {}


@register("fake-gone")
class FindsDeletedConnector(_Base):
    def find_deleted(self, external_ids: Iterable[str]) -> list[str]:
        ids = list(external_ids)
        FAR.asked.append(ids)
        return [i for i in ids if i in FAR.gone]


@register("fake-refresh")
class RefreshesConnector(_Base):
    def refresh_items(self, external_ids: Sequence[str]) -> FetchResult:
        FAR.asked.append(list(external_ids))
        items = [deleted_marker(i) for i in external_ids if i in FAR.gone]
        items += [
            replace(_item(i, 0), text=text) for i, text in FAR.edited.items() if i in external_ids
        ]
        return FetchResult(items, None)


NOW = datetime.now(UTC)


def _item(ext: str, hours_ago: float, author: str = "fan") -> IncomingItem:
    return IncomingItem(
        external_id=ext,
        text=f"message {ext}",
        created_at=NOW - timedelta(hours=hours_ago),
        author=Author(external_id=f"id-{author}", handle=author, name=author.title()),
    )


@pytest.fixture(autouse=True)
def _fresh_far_side() -> None:
    FAR.__init__()  # type: ignore[misc]


def _history() -> FetchResult:
    return FetchResult(
        [
            _item("old", hours_ago=24 * 20),  # outside the window: never asked about
            _item("m1", hours_ago=30),
            _item("m2", hours_ago=2),
            _item("ours", hours_ago=1, author="band"),  # the artist's own: not asked about
            _item("m3", hours_ago=0.5),
        ],
        {"page": 1},
    )


def an_hour_passes(rt: Runtime, channel_id: int) -> None:
    with rt.session() as s:
        s.execute(
            update(Channel)
            .where(Channel.id == channel_id)
            .values(deletions_checked_at=NOW - sync.DELETION_CHECK_EVERY - timedelta(minutes=1))
        )


def deleted(rt: Runtime) -> set[str]:
    with rt.session() as s:
        return set(s.scalars(select(Message.external_id).where(Message.deleted_at.is_not(None))))


def test_a_sync_marks_what_the_network_no_longer_serves(rt: Runtime, workspace: Workspace) -> None:
    ch = make_channel(rt, workspace.id, connector="fake-gone")
    FAR.pages.append(_history())
    first = sync.sync_channel(rt, ch.id)
    assert first.deletions_checked == 0  # a first sync reads everything as it is now
    FAR.gone = {"m2", "old"}
    an_hour_passes(rt, ch.id)
    report = sync.sync_channel(rt, ch.id)
    assert report.error is None
    assert FAR.asked == [["m3", "m2", "m1"]]  # newest first, fans' messages of the window
    assert report.deletions_checked == 3
    assert deleted(rt) == {"m2"}


def test_the_check_runs_again_only_when_due_and_skips_what_is_already_deleted(
    rt: Runtime, workspace: Workspace
) -> None:
    ch = make_channel(rt, workspace.id, connector="fake-gone")
    FAR.pages.append(_history())
    FAR.gone = {"m2"}
    sync.sync_channel(rt, ch.id)
    an_hour_passes(rt, ch.id)
    assert sync.sync_channel(rt, ch.id).deletions_checked == 3
    assert sync.sync_channel(rt, ch.id).deletions_checked == 0  # checked a moment ago
    an_hour_passes(rt, ch.id)
    FAR.gone.add("m1")
    sync.sync_channel(rt, ch.id)
    assert FAR.asked[-1] == ["m3", "m1"]
    assert deleted(rt) == {"m1", "m2"}


def test_a_refresh_brings_deletions_and_edits(rt: Runtime, workspace: Workspace) -> None:
    ch = make_channel(rt, workspace.id, connector="fake-refresh")
    FAR.pages.append(_history())
    FAR.gone = {"m3"}
    FAR.edited = {"m1": "message m1 (edited: see you in Lyon)"}
    sync.sync_channel(rt, ch.id)
    an_hour_passes(rt, ch.id)
    sync.sync_channel(rt, ch.id)
    assert deleted(rt) == {"m3"}
    with rt.session() as s:
        m1 = s.scalars(select(Message).where(Message.external_id == "m1")).one()
    assert m1.text == "message m1 (edited: see you in Lyon)" and m1.edited_at is not None


def test_networks_whose_feed_reports_deletions_are_not_asked(
    rt: Runtime, workspace: Workspace
) -> None:
    ch = make_channel(rt, workspace.id, connector=fakes.FakeConnector.network)
    report = sync.sync_channel(rt, ch.id)
    assert report.error is None and report.deletions_checked == 0
