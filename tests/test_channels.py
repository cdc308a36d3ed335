"""Connecting channels, their health in the settings, and what a revoked token does."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from crm.app import create_app
from inbox import sync
from inbox.connectors.base import AuthError, RateLimited
from inbox.queue import JobSpec
from inbox.runtime import Runtime, build_runtime
from models import Channel, ChannelHealth, Workspace, utcnow
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
    assert "Missing: Your access token." in resp.get_data(as_text=True)
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
    """While the first sync imports, the rows say how far back it reached and poll for more;
    once it is done they say "up to date" and stop polling."""
    from inbox.pipeline import ingest
    from tests.helpers import item

    ch = make_channel(rt, workspace.id, connector="fake", options={"backfill_days": 14})
    with rt.session() as s:
        ingest(s, ch, [item("1"), item("2", minutes=3), item("3", minutes=9)], defer_jobs=False)
    login(client)
    page = client.get("/settings/channels").get_data(as_text=True)
    assert "importing… 3 messages back to Mar 1, 2026" in page
    assert "reaching back 14 days" in page
    assert 'hx-get="/settings/channels/rows" hx-trigger="every 5s"' in page
    with rt.session() as s:
        ingest(s, ch, [item("0", minutes=-60 * 24)], defer_jobs=False)  # an older page arrives
    rows = client.get("/settings/channels/rows", headers={"HX-Request": "true"})
    html = rows.get_data(as_text=True)
    assert rows.status_code == 200 and html.lstrip().startswith('<tbody id="channel-rows"')
    assert "importing… 4 messages back to Feb 28, 2026" in html
    with rt.session() as s:
        s.get_one(Channel, ch.id).health = ChannelHealth.OK
    done = client.get("/settings/channels/rows", headers={"HX-Request": "true"})
    html = done.get_data(as_text=True)
    assert "up to date" in html and "importing" not in html and "hx-trigger" not in html


def test_an_agent_cannot_poll_the_channel_rows(client: FlaskClient, workspace: Workspace) -> None:
    login(client, "agent@example.org")
    assert client.get("/settings/channels/rows").status_code == 403


class RecordingQueue:
    """Keeps the jobs a request queues instead of running them (no network is reached)."""

    def __init__(self) -> None:
        self.jobs: list[JobSpec] = []

    def submit(self, job: JobSpec) -> None:
        self.jobs.append(job)

    def close(self) -> None:
        return None


def test_connecting_from_the_form_queues_the_first_sync_at_once(
    rt: Runtime, workspace: Workspace
) -> None:
    queue = RecordingQueue()
    recording = build_runtime(rt.settings, queue=queue)
    app = create_app(runtime=recording)
    client = app.test_client()
    csrf = login(client)
    resp = client.post(
        "/settings/channels",
        data={
            "csrf_token": csrf,
            "network": "mastodon",
            "handle": "band@mastodon.example",
            "base_url": "https://mastodon.example",
            "mastodon-access_token": "token",
        },
    )
    assert resp.status_code == 302
    with rt.session() as s:
        channel = s.scalars(select(Channel)).one()
        assert channel.health == ChannelHealth.PENDING and channel.next_sync_at is not None
    assert [(j.func, j.args, j.queue) for j in queue.jobs] == [
        ("inbox.jobs.sync_channel", (channel.id,), "sync")
    ]
    page = client.get("/settings/channels").get_data(as_text=True)
    assert "importing… 0 messages" in page
    recording.close()


def test_removing_a_channel_from_the_page_says_what_goes_then_removes_it_and_its_messages(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    from inbox.pipeline import ingest
    from models import Message
    from tests.helpers import item

    ch = make_channel(rt, workspace.id, connector="fake", handle="oldband")
    with rt.session() as s:
        ingest(s, ch, [item("1"), item("2", minutes=3)], defer_jobs=False)
    csrf = login(client)
    page = client.get("/settings/channels").get_data(as_text=True)
    assert f'href="/settings/channels/{ch.id}/remove"' in page
    confirm = client.get(f"/settings/channels/{ch.id}/remove").get_data(as_text=True)
    assert "Its 2 messages go" in confirm and "oldband" in confirm
    # A post that did not come from that page (no confirmation) deletes nothing.
    unconfirmed = client.post(f"/settings/channels/{ch.id}/remove", data={"csrf_token": csrf})
    assert unconfirmed.status_code == 302 and unconfirmed.location.endswith("/remove")
    with rt.session() as s:
        assert s.get(Channel, ch.id) is not None
    done = client.post(
        f"/settings/channels/{ch.id}/remove", data={"csrf_token": csrf, "confirm": "1"}
    )
    assert done.status_code == 302
    with rt.session() as s:
        assert s.get(Channel, ch.id) is None
        assert s.scalars(select(Message)).all() == []
    assert "oldband" not in client.get("/settings/channels").get_data(as_text=True)


def test_the_connect_form_shows_the_picked_networks_fields_only(
    client: FlaskClient, workspace: Workspace
) -> None:
    """One network at a time, each input tied to its label, in plain words, no server settings."""
    login(client)
    start = client.get("/settings/channels").get_data(as_text=True)
    assert 'href="/settings/channels?network=bluesky#connect-title"' in start
    assert "<fieldset" not in start  # nothing to fill in before a network is picked
    page = client.get("/settings/channels?network=bluesky").get_data(as_text=True)
    assert page.count("<fieldset") == 1 and 'id="fields-bluesky"' in page
    assert 'id="x-access_token"' not in page and 'id="email-imap_host"' not in page
    for field in ("handle", "bluesky-handle", "bluesky-app_password", "backfill_days"):
        assert f'<label for="{field}">' in page and f'id="{field}"' in page
    assert "Never your main password" in page
    assert 'href="https://bsky.app/settings/app-passwords"' in page
    assert "_SECRET" not in page and "UNPLUGGED_" not in page


def test_sync_now_says_it_started_then_how_it_ended(
    client: FlaskClient, rt: Runtime, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The button answers with the rows at once ("running", polling), then the result."""
    from crm.services import channels as svc

    ch = make_channel(rt, workspace.id, connector="fake")
    with rt.session() as s:
        s.get_one(Channel, ch.id).health = ChannelHealth.OK
    csrf = login(client)
    monkeypatch.setattr(svc, "sync_now", lambda session, channel: None)  # the job waits
    resp = client.post(
        f"/settings/channels/{ch.id}/sync",
        data={"csrf_token": csrf},
        headers={"HX-Request": "true", "HX-Target": "channel-rows"},
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and html.lstrip().startswith('<tbody id="channel-rows"')
    assert "running…" in html and 'hx-trigger="every' in html
    from inbox.pipeline import ingest
    from tests.helpers import item

    with rt.session() as s:  # the sync runs: two messages, then it is recorded as done
        ingest(s, ch, [item("a"), item("b", minutes=2)], defer_jobs=False)
        s.get_one(Channel, ch.id).last_synced_at = utcnow()
    done = client.get("/settings/channels/rows").get_data(as_text=True)
    assert "Sync done: 2 new messages." in done and "hx-trigger" not in done
    client.post(f"/settings/channels/{ch.id}/sync", data={"csrf_token": csrf})
    with rt.session() as s:
        row = s.get_one(Channel, ch.id)
        row.last_error, row.last_error_at = "AuthError: token revoked", utcnow()
    failed = client.get("/settings/channels/rows").get_data(as_text=True)
    assert "Sync failed: AuthError: token revoked" in failed
