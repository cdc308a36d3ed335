"""Engines and sessions for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(database_url: str, **kwargs: Any) -> Engine:
    """An engine with the pragmas Unplugged relies on.

    SQLite: WAL so the web server reads while a sync writes, foreign keys on
    (off by default in SQLite), a busy timeout instead of instant "database is
    locked" errors, NORMAL synchronous, which WAL keeps crash-safe, and a page
    cache large enough for the indexes a bulk sync updates.
    """
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1] if "///" in database_url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            database_url,
            connect_args={"check_same_thread": False, "timeout": 30},
            **kwargs,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
            # pysqlite opens its own transactions; let SQLAlchemy emit BEGIN so that
            # the pragmas below run outside any transaction.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            # 64 MB of page cache: bulk syncs touch many index pages at once.
            cur.execute("PRAGMA cache_size=-65536")
            cur.execute("PRAGMA temp_store=MEMORY")
            cur.close()

        return engine
    return create_engine(database_url, pool_pre_ping=True, **kwargs)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def take_write_lock(session: Session) -> None:
    """On SQLite, make the session's transaction a writer's from here on.

    pysqlite begins a transaction only at the first INSERT/UPDATE/DELETE, so the
    reads a writer makes first (is this message known? what is ``max(id)``?) see
    the file as it was, and a second process writing meanwhile (``unplugged
    import`` beside ``unplugged serve``) makes them wrong: a message stored twice, an
    id handed out twice. ``BEGIN IMMEDIATE`` takes the write lock first (waiting up
    to the busy timeout), so the reads that follow are the truth until commit.
    PostgreSQL needs nothing: its constraints and row locks serialise writers.
    """
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return
    raw = conn.connection.driver_connection
    if isinstance(raw, sqlite3.Connection) and not raw.in_transaction:
        raw.execute("BEGIN IMMEDIATE")
