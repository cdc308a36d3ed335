"""A fake connector for tests of the outbox and sync: records what it is asked."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from inbox.connectors import register
from inbox.connectors.base import (
    Author,
    ChannelConfig,
    ConnectorError,
    FetchResult,
    ReplyTarget,
    SentReply,
)


class FakeNetwork:
    """The far side: what was posted, what to serve, what to fail with."""

    def __init__(self) -> None:
        self.sent: list[tuple[ReplyTarget, str, str]] = []
        self.pages: list[FetchResult] = []
        self.fail_with: ConnectorError | None = None

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


NETWORK = FakeNetwork()


@register("fake")
class FakeConnector:
    network: ClassVar[str] = "fake"

    def __init__(self, config: ChannelConfig) -> None:
        self.config = config

    def fetch_since(self, cursor: Mapping[str, Any] | None, limit: int = 100) -> FetchResult:
        if NETWORK.fail_with is not None:
            raise NETWORK.fail_with
        if not NETWORK.pages:
            return FetchResult([], dict(cursor or {}), False)
        return NETWORK.pages.pop(0)

    def send_reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> SentReply:
        if NETWORK.fail_with is not None:
            raise NETWORK.fail_with
        for _target, _text, key in NETWORK.sent:
            if key == idempotency_key:
                return SentReply(f"sent-{key}", datetime.now(UTC))
        NETWORK.sent.append((target, text, idempotency_key))
        return SentReply(f"sent-{idempotency_key}", datetime.now(UTC), url="https://fake/1")

    def fetch_profile(self, author_external_id: str) -> Author:
        return Author(author_external_id, author_external_id)

    @property
    def state(self) -> Mapping[str, Any]:
        return {}
