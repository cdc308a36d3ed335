"""Two processes write to one SQLite file at once, as ``unplugged serve`` and an
``unplugged import`` (or a second server) do on the embedded default.

Their pages overlap: half of each process's messages are the other's too. WAL and
the busy timeout must make them take turns: neither fails with "database is
locked", every message is stored once, every queued reply is kept.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from sqlalchemy import func, select

from crm.services import accounts
from inbox.runtime import build_runtime
from models import Channel, Message, Reply, Role
from tests.conftest import PASSWORD, _reset_schema, make_settings

ROOT = Path(__file__).resolve().parent.parent


def test_two_sqlite_writers_take_turns_and_store_everything_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    rt = build_runtime(replace(make_settings(tmp_path), database_url=url))
    _reset_schema(rt)
    with rt.session() as s:
        ws = accounts.create_workspace(s, "Band")
        owner = accounts.create_user(s, "owner@example.org", "Olive Owner", PASSWORD)
        accounts.add_member(s, ws, owner, Role.OWNER)
        channel = Channel(workspace_id=ws.id, network="x", connector="x", handle="band")
        s.add(channel)
        s.flush()
        channel_id = channel.id
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "UNPLUGGED_SECRET_KEY": "test-secret-for-signing-session-cookies",
        "UNPLUGGED_ENCRYPTION_KEYS": rt.settings.encryption_keys[0],
    }
    ranges = [(0, 600), (300, 900)]
    writers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.sqlite_writer", url, str(channel_id), str(a), str(b)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for a, b in ranges
    ]
    results = []
    for writer in writers:
        out, err = writer.communicate(timeout=600)
        assert writer.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    with rt.session() as s:
        ids = s.scalars(select(Message.external_id)).all()
        replies = s.scalar(select(func.count()).select_from(Reply))
    assert len(ids) == len(set(ids)) == 900, "a message lost or stored twice"
    assert sum(r["created"] for r in results) == 900
    assert sum(r["created"] + r["duplicates"] for r in results) == 1200
    assert replies == sum(r["replies"] for r in results) > 0
    rt.close()
