"""Small builders shared by tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from inbox.connectors.base import Author, IncomingItem
from inbox.pipeline import ChannelRef
from inbox.runtime import Runtime
from models import Channel

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def item(
    ext: str, text: str = "hello!", *, author: str = "fan1", minutes: int = 0, **kw: Any
) -> IncomingItem:
    return IncomingItem(
        external_id=ext,
        text=text,
        created_at=T0 + timedelta(minutes=minutes),
        author=Author(external_id=f"id-{author}", handle=author, name=author.title()),
        **kw,
    )


def own(ext: str, text: str = "thank you!", *, minutes: int = 0, **kw: Any) -> IncomingItem:
    return IncomingItem(
        external_id=ext,
        text=text,
        created_at=T0 + timedelta(minutes=minutes),
        author=Author(external_id="id-band", handle="band", name="The Band"),
        **kw,
    )


def make_channel(
    rt: Runtime,
    workspace_id: int,
    network: str = "x",
    connector: str = "x",
    handle: str = "band",
    **kw: Any,
) -> ChannelRef:
    with rt.session() as s:
        ch = Channel(
            workspace_id=workspace_id,
            network=network,
            connector=connector,
            handle=handle,
            external_id="id-band",
            **kw,
        )
        s.add(ch)
        s.flush()
        return ChannelRef.of(ch)
