"""import_msgs_per_s: ``unplugged import`` of 100,000 messages on SQLite, beside a bare
``sqlite3.executemany`` of the same rows into an equivalent table, in the same run."""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet

import models
from crm.config import Settings
from crm.runtime import build_runtime
from crm.services import accounts
from inbox.importer import import_lines
from inbox.queue import JobSpec

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000


class DroppingQueue:
    """Jobs the import queues (classification) are counted, not run: the figure is the import."""

    def __init__(self) -> None:
        self.jobs = 0

    def submit(self, job: JobSpec) -> None:
        self.jobs += 1

    def close(self) -> None:
        return None


def lines(n: int) -> list[str]:
    from inbox.sandbox import generate_import_lines

    return [json.dumps(obj, ensure_ascii=False) for obj in generate_import_lines(n, seed=7)]


def raw_rows(text_lines: list[str]) -> list[tuple[object, ...]]:
    rows = []
    for line in text_lines:
        o = json.loads(line)
        rows.append(
            (
                o["network"] + ":" + o["channel"],
                o["external_id"],
                o.get("kind", "mention"),
                o["text"],
                o["created_at"],
                o["author"]["external_id"],
                o.get("thread_id"),
                o.get("parent_id"),
                o.get("url"),
            )
        )
    return rows


def bench_raw(path: Path, text_lines: list[str]) -> float:
    """The bare figure: parse the same lines, executemany into one equivalent table."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE messages (id INTEGER PRIMARY KEY, channel TEXT, external_id TEXT, kind TEXT,"
        " text TEXT, sent_at TEXT, author TEXT, thread_id TEXT, parent_id TEXT, url TEXT,"
        " UNIQUE (channel, external_id))"
    )
    start = time.perf_counter()
    rows = raw_rows(text_lines)
    with conn:
        conn.executemany(
            "INSERT INTO messages (channel, external_id, kind, text, sent_at, author, thread_id,"
            " parent_id, url) VALUES (?,?,?,?,?,?,?,?,?)",
            rows,
        )
    elapsed = time.perf_counter() - start
    conn.close()
    return len(rows) / elapsed


def bench_import(tmp: Path, text_lines: list[str]) -> float:
    settings = Settings(
        database_url=f"sqlite:///{tmp / 'bench.db'}",
        secret_key="bench",
        encryption_keys=(Fernet.generate_key().decode(),),
        jobs_mode="inline",
        instance_path=tmp,
    )
    dropping = DroppingQueue()
    rt = build_runtime(settings, queue=dropping)
    models.Base.metadata.create_all(rt.engine)
    with rt.session() as s:
        ws_id = accounts.create_workspace(s, "Bench").id
    start = time.perf_counter()
    report = import_lines(rt.sessionmaker, ws_id, text_lines)
    elapsed = time.perf_counter() - start
    assert report.created == len(text_lines), (report.created, report.errors[:3])
    rt.close()
    return report.created / elapsed


def main() -> None:
    text_lines = lines(N)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        raw = bench_raw(tmp / "raw.db", text_lines)
        imp = bench_import(tmp, text_lines)
    print(f"import_msgs_per_s: {imp:.0f} msgs/s")
    print(f"raw_insert_rows_per_s: {raw:.0f} rows/s")
    print(f"import_vs_raw_ratio: {imp / raw:.2f} ratio")


if __name__ == "__main__":
    main()
