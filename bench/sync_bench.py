"""sync_msgs_per_s: 20,000 messages from a local fake network (the sandbox, which
plays realistic traffic in seven networks' styles) through the whole pipeline:
fetch, normalise, thread, identity, classify, store, on SQLite.

Beside it, ``sync_fetch_only_msgs_per_s``: the same fetches with nothing stored,
so the pipeline's own cost can be read off.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import func, select

import models
from bench.import_bench import DroppingQueue
from crm.services import accounts
from inbox import connectors, sync, triage
from inbox.config import Settings
from inbox.connectors.base import ChannelConfig
from inbox.runtime import build_runtime
from inbox.sandbox.artist import DEFAULT_DEMO_CHANNELS
from models import Channel, Message

TARGET = 20_000
HISTORY_DAYS = 2


def options(network_share: float) -> dict[str, object]:
    per_day = TARGET * network_share / HISTORY_DAYS
    return {
        "seed": 99,
        "history_days": HISTORY_DAYS,
        "history_per_day": per_day,
        "live_per_hour": 0,
    }


def main() -> None:
    shares = {c.network: c.history_per_day for c in DEFAULT_DEMO_CHANNELS}
    total = sum(shares.values())
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        settings = Settings(
            database_url=f"sqlite:///{tmp / 'sync.db'}",
            secret_key="bench-secret-for-signing-session-cookies",
            encryption_keys=(Fernet.generate_key().decode(),),
            jobs_mode="inline",
            instance_path=tmp,
        )
        rt = build_runtime(settings, queue=DroppingQueue())
        models.Base.metadata.create_all(rt.engine)
        triage.classify_items([])  # load the model before the clock starts, as a worker has
        ids = []
        with rt.session() as s:
            ws = accounts.create_workspace(s, "Bench")
            for demo in DEFAULT_DEMO_CHANNELS:
                ch = Channel(
                    workspace_id=ws.id,
                    network=demo.network,
                    connector="sandbox",
                    handle=demo.handle,
                    external_id=demo.account_id,
                    options=options(shares[demo.network] / total),
                )
                s.add(ch)
                s.flush()
                ids.append(ch.id)
        start = time.perf_counter()
        for cid in ids:
            report = sync.sync_channel(rt, cid, classify=triage.classify_items, max_pages=10_000)
            assert report.error is None, report.error
        elapsed = time.perf_counter() - start
        with rt.session() as s:
            stored = s.scalar(select(func.count()).select_from(Message)) or 0
        fetch_start = time.perf_counter()
        fetched = 0
        for demo in DEFAULT_DEMO_CHANNELS:
            conn = connectors.build(
                "sandbox",
                ChannelConfig(
                    channel_id=0,
                    network=demo.network,
                    handle=demo.handle,
                    external_id=demo.account_id,
                    credentials={},
                    options=options(shares[demo.network] / total),
                ),
            )
            cursor = None
            while True:
                page = conn.fetch_since(cursor, sync.PAGE_SIZE)
                fetched += len(page.items)
                cursor = page.cursor
                if not page.has_more:
                    break
        fetch_elapsed = time.perf_counter() - fetch_start
        rt.close()
    assert stored >= TARGET * 0.9, stored
    print(f"sync_msgs_per_s: {stored / elapsed:.0f} msgs/s")
    print(f"sync_fetch_only_msgs_per_s: {fetched / fetch_elapsed:.0f} msgs/s")


if __name__ == "__main__":
    main()
