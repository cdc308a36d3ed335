"""webhook_ack_p99_ms: a signed Meta webhook verified, stored and acknowledged.

Requests go through the whole Flask app (WSGI) to SQLite; processing is a job
and is not part of the acknowledgement, so the queue here only counts jobs.
Printed beside it: the bare time of the one INSERT the view makes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from cryptography.fernet import Fernet

import models
from bench.import_bench import DroppingQueue
from crm.app import create_app
from inbox.config import Settings
from inbox.runtime import build_runtime

SECRET = "bench-app-secret"
N = 2000


def payload(i: int) -> bytes:
    return json.dumps(
        {
            "object": "instagram",
            "entry": [
                {
                    "id": "17841400000000001",
                    "time": 1767000000 + i,
                    "changes": [
                        {
                            "field": "comments",
                            "value": {
                                "from": {"id": str(1000 + i % 300), "username": f"fan{i % 300}"},
                                "media": {"id": "123", "media_product_type": "FEED"},
                                "id": str(17865799348089039 + i),
                                "text": f"love this one {i}",
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        settings = Settings(
            database_url=f"sqlite:///{tmp / 'hooks.db'}",
            secret_key="bench-secret-for-signing-session-cookies",
            encryption_keys=(Fernet.generate_key().decode(),),
            jobs_mode="inline",
            instance_path=tmp,
        )
        settings = replace(settings, meta_app_secret=SECRET)
        queue = DroppingQueue()
        rt = build_runtime(settings, queue=queue)
        models.Base.metadata.create_all(rt.engine)
        client = create_app(runtime=rt).test_client()
        bodies = [payload(i) for i in range(N)]
        sigs = [
            "sha256=" + hmac.new(SECRET.encode(), b, hashlib.sha256).hexdigest() for b in bodies
        ]
        times = []
        for body, sig in zip(bodies, sigs, strict=True):
            start = time.perf_counter()
            resp = client.post(
                "/webhooks/meta",
                data=body,
                headers={"X-Hub-Signature-256": sig, "Content-Type": "application/json"},
            )
            times.append((time.perf_counter() - start) * 1000)
            assert resp.status_code == 200
        assert queue.jobs == N
        rt.close()
        conn = sqlite3.connect(tmp / "raw.db")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(
            "CREATE TABLE webhook_events (id INTEGER PRIMARY KEY, source TEXT,"
            " body_sha256 TEXT UNIQUE, body TEXT, received_at TEXT)"
        )
        raw = []
        for body in bodies:
            start = time.perf_counter()
            with conn:
                conn.execute(
                    "INSERT INTO webhook_events (source, body_sha256, body, received_at)"
                    " VALUES (?, ?, ?, datetime('now'))",
                    ("meta", hashlib.sha256(body).hexdigest(), body.decode()),
                )
            raw.append((time.perf_counter() - start) * 1000)
    print(f"webhook_ack_p99_ms: {p99(times):.2f} ms")
    print(f"webhook_insert_sql_p99_ms: {p99(raw):.2f} ms")


if __name__ == "__main__":
    main()
