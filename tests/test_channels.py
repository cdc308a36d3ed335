"""Connecting channels, their health in the settings, and what a revoked token does."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from inbox import sync
from inbox.connectors.base import AuthError, RateLimited
from inbox.runtime import Runtime
from models import Channel, ChannelHealth, Workspace
from tests import fakes
from tests.conftest import login
from tests.helpers import make_channel


def test_connecting_a_channel_stores_its_credentials_encrypted(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    csrf = login(client)
    resp = client.post(
        "/settings/channels",
        data={
            "csrf_token": csrf,
            "network": "bluesky",
            "handle": "band.bsky.social",
            "bluesky-handle": "band.bsky.social",
            "bluesky-app_password": "abcd-efgh-ijkl-mnop",
            "backfill_days": "3",
        },
    )
    assert resp.status_code == 302
    with rt.session() as s:
        ch = s.scalars(select(Channel)).one()
        assert ch.credentials_encrypted and b"abcd-efgh" not in ch.credentials_encrypted
        assert rt.box.decrypt(ch.credentials_encrypted)["app_password"] == "abcd-efgh-ijkl-mnop"
        assert ch.options == {"backfill_days": 3}
    page = client.get("/settings/channels").get_data(as_text=True)
    assert "band.bsky.social" in page and "abcd-efgh" not in page


def test_missing_credentials_are_named(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    csrf = login(client)
    resp = client.post(
        "/settings/channels",
        data={"csrf_token": csrf, "network": "mastodon", "handle": "band@mastodon.social"},
    )
    assert resp.status_code == 422
    assert "Missing: Access token." in resp.get_data(as_text=True)
    with rt.session() as s:
        assert s.scalars(select(Channel)).all() == []


def test_agents_cannot_open_the_channel_settings(client: FlaskClient, workspace: Workspace) -> None:
    login(client, "agent@example.org")
    assert client.get("/settings/channels").status_code == 403


def test_a_revoked_token_marks_the_channel_needs_reconnect_without_retrying(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    fakes.NETWORK.reset()
    ch = make_channel(rt, workspace.id, connector="fake")
    fakes.NETWORK.fail_with = AuthError("401 token revoked")
    calls = []
    for _ in range(3):
        report = sync.sync_channel(rt, ch.id)
        calls.append(report.error)
    with rt.session() as s:
        channel = s.get_one(Channel, ch.id)
        assert channel.health == ChannelHealth.NEEDS_RECONNECT
        assert channel.next_sync_at is None  # the scheduler will not pick it up again
    from inbox.scheduler import tick

    assert ch.id not in tick(rt).syncs
    login(client)
    page = client.get("/settings/channels").get_data(as_text=True)
    assert "Needs reconnect" in page and "401 token revoked" in page
    fakes.NETWORK.reset()


def test_a_rate_limit_waits_as_long_as_the_network_says(rt: Runtime, workspace: Workspace) -> None:
    fakes.NETWORK.reset()
    ch = make_channel(rt, workspace.id, connector="fake")
    fakes.NETWORK.fail_with = RateLimited("429", retry_after=900)
    sync.sync_channel(rt, ch.id)
    with rt.session() as s:
        channel = s.get_one(Channel, ch.id)
        assert channel.health == ChannelHealth.DEGRADED
        assert channel.next_sync_at is not None and channel.last_error_at is not None
        wait = (channel.next_sync_at - channel.last_error_at).total_seconds()
        assert 899 <= wait <= 901
    fakes.NETWORK.reset()


def test_the_channels_page_shows_how_far_a_backfill_has_come(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    from inbox.pipeline import ingest
    from tests.helpers import item

    ch = make_channel(rt, workspace.id, connector="fake", options={"backfill_days": 14})
    with rt.session() as s:
        ingest(s, ch, [item("1"), item("2", minutes=3), item("3", minutes=9)], defer_jobs=False)
    login(client)
    page = client.get("/settings/channels").get_data(as_text=True)
    assert (
        '<td class="progress">\n          3<br><span class="muted">since 01 Mar 2026</span>' in page
    )
    assert "fetching history (14 days)" in page
