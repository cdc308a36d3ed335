"""A scheduled post leaves within a minute of its time, through a real ``unplugged worker``
(rq on a Redis of the test's own) and its clock, onto the Mastodon fake, once."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from crm.services import accounts, posting
from inbox.runtime import build_runtime, set_runtime
from models import Channel, Post, PostStatus, Role, utcnow
from tests.conftest import PASSWORD, _reset_schema, make_settings
from tests.connectors.fake_mastodon import FakeMastodon
from tests.own_services import OwnRedis, kill_worker, start_worker

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not OwnRedis.available(), reason="needs redis-server"),
]


def test_a_scheduled_post_goes_out_within_a_minute_with_a_real_worker(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    redis = OwnRedis().start()
    fake = FakeMastodon(httpserver)
    rt = build_runtime(replace(make_settings(tmp_path), jobs_mode="rq", redis_url=redis.url))
    _reset_schema(rt)
    set_runtime(rt)
    worker = None
    try:
        with rt.session() as s:
            ws = accounts.create_workspace(s, "Band")
            owner = accounts.create_user(s, "owner@example.org", "Olive Owner", PASSWORD)
            accounts.add_member(s, ws, owner, Role.OWNER)
            ch = Channel(
                workspace_id=ws.id,
                network="mastodon",
                connector="mastodon",
                handle=f"artist@{fake.domain}",
                external_id=fake.artist["id"],
                base_url=fake.url,
                credentials_encrypted=rt.box.encrypt({"access_token": fake.token}),
                options={"timeout": 5},
                sync_enabled=False,
            )
            s.add(ch)
            s.flush()
            due = utcnow() + timedelta(seconds=15)
            post_id = posting.schedule(s, ws.id, owner.id, "Doors at 8!", [ch.id], due).id
        worker = start_worker(rt, tmp_path / "worker.log")
        deadline = due + timedelta(seconds=60)
        status = PostStatus.SCHEDULED
        while utcnow() < deadline:
            with rt.session() as s:
                status = s.get_one(Post, post_id).status
                sent_at = s.get_one(Post, post_id).sent_at
            if status == PostStatus.SENT:
                break
            time.sleep(0.5)
        assert status == PostStatus.SENT, (tmp_path / "worker.log").read_text()[-3000:]
        assert sent_at is not None and due <= sent_at <= due + timedelta(seconds=60)
        own = [
            st
            for st in fake.statuses.values()
            if st["account"]["id"] == fake.artist["id"] and "Doors at 8!" in str(st["content"])
        ]
        assert len(own) == 1
        print(f"sent {(sent_at - due).total_seconds():.1f} s after its time")
    finally:
        if worker is not None:
            kill_worker(worker)
        set_runtime(None)
        rt.close()
        redis.kill()
