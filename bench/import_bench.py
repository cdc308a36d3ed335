"""import_msgs_per_s: ``unplugged import`` of 100,000 messages on SQLite, beside a bare
``sqlite3.executemany`` of the same rows into an equivalent table, in the same run.

import_classified_msgs_per_s: the same import as ``unplugged import`` runs it on the
embedded default: every message read by the classifier (fast reading) in a pool of
processes while earlier batches are stored, then segments, priorities and the search
index, from the first line to the last priority.

``UNPLUGGED_BENCH_IMPORT_MESSAGES`` sets the number of lines (default 100,000);
``UNPLUGGED_BENCH_PG_URL`` runs the two imports against that PostgreSQL database
(its schema is replaced), the bare insert staying on SQLite."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from cryptography.fernet import Fernet

import models
from crm.services import accounts
from inbox.config import Settings
from inbox.importer import ModelSpec, import_lines
from inbox.queue import JobSpec
from inbox.runtime import build_runtime

N = (
    int(sys.argv[1])
    if len(sys.argv) > 1
    else int(os.environ.get("UNPLUGGED_BENCH_IMPORT_MESSAGES", "100000"))
)
ROUNDS = 3
PG_URL = os.environ.get("UNPLUGGED_BENCH_PG_URL")


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


RAW_COLUMNS = (
    "workspace_id, channel_id, conversation_id, external_id, direction, kind, text, lang, sent_at,"
    " author_identity_id, parent_external_id, url, raw, created_at"
)


def raw_rows(text_lines: list[str]) -> list[tuple[object, ...]]:
    """The same messages as plain tuples: what a bare loader that knew the ids would write."""
    channels: dict[str, int] = {}
    threads: dict[str, int] = {}
    authors: dict[str, int] = {}
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
    rows = []
    for line in text_lines:
        o = json.loads(line)
        channel = channels.setdefault(o["network"] + ":" + o["channel"], len(channels) + 1)
        thread = threads.setdefault(o.get("thread_id") or o["external_id"], len(threads) + 1)
        author = authors.setdefault(o["author"]["external_id"], len(authors) + 1)
        rows.append(
            (
                1,
                channel,
                thread,
                o["external_id"],
                "inbound",
                o.get("kind", "mention"),
                o["text"],
                o.get("lang"),
                o["created_at"],
                author,
                o.get("parent_id"),
                o.get("url"),
                line,
                now,
            )
        )
    return rows


def bench_raw(path: Path, text_lines: list[str]) -> float:
    """The bare figure: parse the same lines, executemany into a table like ``messages``,
    with the same columns and indexes, in one transaction."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(
        """
        CREATE TABLE messages (
          id INTEGER PRIMARY KEY, workspace_id INTEGER NOT NULL, channel_id INTEGER NOT NULL,
          conversation_id INTEGER NOT NULL, external_id VARCHAR(255) NOT NULL,
          direction VARCHAR(24) NOT NULL, kind VARCHAR(24) NOT NULL, text TEXT NOT NULL,
          html TEXT, lang VARCHAR(8), sent_at DATETIME NOT NULL, author_identity_id INTEGER,
          parent_id INTEGER, parent_external_id VARCHAR(255), url VARCHAR(1000), media JSON,
          raw JSON, edited_at DATETIME, deleted_at DATETIME, created_at DATETIME NOT NULL,
          classified_at DATETIME, classifier_version VARCHAR(32), spam BOOLEAN, spam_score FLOAT,
          sentiment VARCHAR(16), toxic BOOLEAN, intent VARCHAR(16), reasons JSON,
          UNIQUE (channel_id, external_id));
        CREATE INDEX ix_messages_conversation_sent ON messages (conversation_id, sent_at);
        CREATE INDEX ix_messages_author ON messages (author_identity_id);
        """
    )
    start = time.perf_counter()
    rows = raw_rows(text_lines)
    with conn:
        conn.executemany(
            f"INSERT INTO messages ({RAW_COLUMNS}) VALUES ({', '.join('?' * 14)})", rows
        )
    elapsed = time.perf_counter() - start
    conn.close()
    return len(rows) / elapsed


def bench_import(tmp: Path, text_lines: list[str], classify: bool = False) -> float:
    settings = Settings(
        database_url=PG_URL or f"sqlite:///{tmp / 'bench.db'}",
        secret_key="bench-secret-for-signing-session-cookies",
        encryption_keys=(Fernet.generate_key().decode(),),
        jobs_mode="inline",
        instance_path=tmp,
    )
    dropping = DroppingQueue()
    rt = build_runtime(settings, queue=dropping)
    if PG_URL:
        with rt.engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    models.Base.metadata.create_all(rt.engine)
    with rt.engine.begin() as conn:
        from models import search

        search.install(conn)
    with rt.session() as s:
        ws_id = accounts.create_workspace(s, "Bench").id
    start = time.perf_counter()
    report = import_lines(
        rt.sessionmaker, ws_id, text_lines, classify=ModelSpec() if classify else None
    )
    elapsed = time.perf_counter() - start
    assert report.created == len(text_lines), (report.created, report.errors[:3])
    rt.close()
    return report.created / elapsed


def main() -> None:
    text_lines = lines(N)
    raw, imp = 0.0, 0.0
    for attempt in range(ROUNDS):  # alternate, keep the best of each: other load only slows
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            raw = max(raw, bench_raw(tmp / f"raw{attempt}.db", text_lines))
            imp = max(imp, bench_import(tmp, text_lines))
    with tempfile.TemporaryDirectory() as d:  # one round: it takes a while
        classified = bench_import(Path(d), text_lines, classify=True)
    print(f"import_msgs_per_s: {imp:.0f} msgs/s")
    print(f"raw_insert_rows_per_s: {raw:.0f} rows/s")
    print(f"import_vs_raw_ratio: {imp / raw:.2f} ratio")
    print(f"import_classified_msgs_per_s: {classified:.0f} msgs/s")
    print(f"import_classified_vs_raw_ratio: {classified / raw:.2f} ratio")


if __name__ == "__main__":
    main()
