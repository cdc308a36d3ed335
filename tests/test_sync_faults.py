"""The sync engine against a network that fails about 30% of its requests.

5,000 mentions arrive over 50 rounds on a local Mastodon instance that answers
timeouts, 429s, 5xx, cut-off and malformed bodies at random. Every round runs
the real sync (connector, pipeline, classifier, store). At the end every
message is stored exactly once and the cursor skipped nothing.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select
from werkzeug import Request, Response

from inbox import sync, triage
from inbox.runtime import Runtime
from models import Channel, ChannelHealth, Message, Workspace
from tests.connectors.fake_mastodon import FakeMastodon

pytestmark = pytest.mark.slow


class FlakyMastodon(FakeMastodon):
    """Fails a request with probability ``rate``, choosing the kind of failure at random."""

    rng: random.Random
    rate: float = 0.0
    failed: int = 0
    answered: int = 0

    def _dispatch(self, request: Request) -> Response:
        self.answered += 1
        if self.rate and self.rng.random() < self.rate:
            self.failed += 1
            fault = self.rng.choice(["timeout", "429", "500", "502", "503", "cut", "malformed"])
            response = self._fault(fault)
            if response is not None:
                return response
        return super()._dispatch(request)


@pytest.fixture
def flaky(httpserver: HTTPServer) -> Iterator[FlakyMastodon]:
    instance = FlakyMastodon(httpserver, slow_seconds=0.5)
    instance.rng = random.Random(2026)
    yield instance
    httpserver.clear()


def test_every_message_is_stored_exactly_once_through_a_flaky_network(
    rt: Runtime, workspace: Workspace, flaky: FlakyMastodon
) -> None:
    fans = [flaky.add_account(f"fan{n}") for n in range(40)]
    with rt.session() as s:
        channel = Channel(
            workspace_id=workspace.id,
            network="mastodon",
            connector="mastodon",
            handle=f"artist@{flaky.domain}",
            external_id=flaky.artist["id"],
            base_url=flaky.url,
            credentials_encrypted=rt.box.encrypt({"access_token": flaky.token}),
            options={"timeout": 0.3, "context_lookups": 0},
            cursor={"min_id": "1"},
        )
        s.add(channel)
        s.flush()
        channel_id = channel.id
    posted: list[str] = []
    rng = random.Random(7)
    flaky.rate = 0.3
    errors = 0
    for _round in range(50):
        for _ in range(100):
            status = flaky.mention(rng.choice(fans), f"message {len(posted)} from the crowd")
            posted.append(status["id"])
        report = sync.sync_channel(rt, channel_id, classify=triage.classify_items, max_pages=10)
        errors += report.error is not None
    rounds_requests = flaky.answered
    flaky.rate = 0.0
    for _ in range(40):  # the network calms down: catch up
        report = sync.sync_channel(rt, channel_id, classify=triage.classify_items, max_pages=50)
        with rt.session() as s:
            stored = s.scalar(select(func.count()).select_from(Message)) or 0
        if stored >= len(posted):
            break
    # The faults really happened: about 30% of the requests made while they were on.
    assert errors >= 10 and flaky.failed >= 10
    assert 0.15 <= flaky.failed / rounds_requests <= 0.45
    with rt.session() as s:
        ids = s.scalars(select(Message.external_id)).all()
        channel = s.get_one(Channel, channel_id)
        assert channel.health == ChannelHealth.OK
        assert all(m.classified_at is not None for m in s.scalars(select(Message)))
    assert len(ids) == len(set(ids)) == 5000  # nothing doubled
    assert set(ids) == set(posted)  # nothing lost, no cursor skipped
