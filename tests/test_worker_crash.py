"""A worker killed with SIGKILL in the middle of a sync: a new worker finishes the job.

Runs on the real Redis and PostgreSQL of the CI pass, with real ``unplugged
worker`` processes, as the Procfile runs them. The truth is in the database:
the cursor is stored with each page, the dead worker's lease on the channel
expires, and the new worker's clock queues the sync again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select
from werkzeug import Request, Response

from inbox.queue import RqQueue, defer
from inbox.runtime import Runtime
from models import Channel, Message, Workspace
from tests.conftest import PG_URL, REDIS_URL
from tests.connectors.fake_mastodon import FakeMastodon

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (PG_URL and REDIS_URL), reason="needs the real PostgreSQL and Redis of the .ci/run pass"
    ),
]
ROOT = Path(__file__).resolve().parent.parent
RECOVERY_BUDGET_S = 180


class SlowMastodon(FakeMastodon):
    """Every page of notifications takes a while, so a sync is long enough to be killed."""

    page_delay: float = 0.4

    def _dispatch(self, request: Request) -> Response:
        if request.path == "/api/v1/notifications":
            time.sleep(self.page_delay)
        return super()._dispatch(request)


@pytest.fixture
def slow(httpserver: HTTPServer) -> Iterator[SlowMastodon]:
    instance = SlowMastodon(httpserver)
    yield instance
    httpserver.clear()


def _worker(rt: Runtime) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": rt.settings.database_url,
        "REDIS_URL": REDIS_URL or "",
        "UNPLUGGED_SECRET_KEY": "test-secret-for-signing-session-cookies",
        "UNPLUGGED_ENCRYPTION_KEYS": rt.settings.encryption_keys[0],
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "crm.cli", "worker"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _stored(rt: Runtime) -> int:
    with rt.session() as s:
        return int(s.scalar(select(func.count()).select_from(Message)) or 0)


def test_a_killed_worker_is_replaced_and_the_sync_completes(
    tmp_path: Path, slow: SlowMastodon
) -> None:
    from dataclasses import replace

    from inbox.runtime import build_runtime, set_runtime
    from tests.conftest import _reset_schema, make_settings

    rt = build_runtime(replace(make_settings(tmp_path), jobs_mode="rq", redis_url=REDIS_URL))
    _reset_schema(rt)
    set_runtime(rt)
    assert isinstance(rt.queue, RqQueue)
    rt.queue.connection.flushdb()
    fans = [slow.add_account(f"fan{n}") for n in range(30)]
    posted = [slow.mention(fans[i % 30], f"mention {i}")["id"] for i in range(1600)]
    with rt.session() as s:
        ws = Workspace(name="Band", slug="band")
        s.add(ws)
        s.flush()
        channel = Channel(
            workspace_id=ws.id,
            network="mastodon",
            connector="mastodon",
            handle=f"artist@{slow.domain}",
            external_id=slow.artist["id"],
            base_url=slow.url,
            credentials_encrypted=rt.box.encrypt({"access_token": slow.token}),
            options={"timeout": 5, "context_lookups": 0},
            cursor={"min_id": "1"},
            sync_interval_s=3600,
        )
        s.add(channel)
        s.flush()
        from inbox import jobs

        defer(
            s,
            jobs.sync_channel,
            channel.id,
            queue="sync",
            job_id=f"sync-channel-{channel.id}",
            retries=0,
        )
    first = _worker(rt)
    try:
        deadline = time.monotonic() + 120
        while _stored(rt) < 160 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _stored(rt) >= 160, "the first worker never got going"
        os.killpg(first.pid, signal.SIGKILL)  # mid-sync: pages remain
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    assert _stored(rt) < len(posted)
    second = _worker(rt)
    try:
        while _stored(rt) < len(posted) and time.monotonic() - killed_at < RECOVERY_BUDGET_S:
            time.sleep(1)
        recovered_in = time.monotonic() - killed_at
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        # A warm shutdown lets the job in hand finish first (the classification and
        # re-prioritising jobs the sync queued may still be running on a busy machine).
        second.wait(timeout=90)
    with rt.session() as s:
        ids = s.scalars(select(Message.external_id)).all()
    assert len(ids) == len(set(ids)), "a message was stored twice"
    assert set(ids) == set(posted), f"{len(posted) - len(set(ids))} messages lost"
    assert recovered_in < RECOVERY_BUDGET_S
    print(f"recovered {recovered_in:.0f}s after SIGKILL")
    set_runtime(None)
    rt.close()
