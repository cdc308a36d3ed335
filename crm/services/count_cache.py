"""Sidebar counts, reused for a few seconds.

Every inbox page and every live poll shows a count per saved view. At a million
messages the seven capped counts cost more than the rest of the page, yet a
count is a glance that the live poll refreshes every few seconds anyway. So a
page reuses the counts computed for the same person less than ``ttl`` seconds
ago. A committed write to a table the counts depend on, made through this
process's engine, drops the writer's own counts when the request named its
writer (:func:`writing_as`: one's own triage shows in the very next count), and
every count otherwise (a classification job in the embedded worker, the command
line). Teammates' writes, like writes from other processes (rq workers, other web
processes), show within ``ttl`` seconds, as they would through the poll: with fifty
people triaging, dropping everyone's counts at each write meant recounting on
almost every page.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Engine, event

# The tables whose rows decide which view a conversation falls in.
WATCHED = ("conversations", "conversation_labels", "fans", "saved_views")
_WRITE = re.compile(
    r"^\s*(?:INSERT|UPDATE|DELETE)\b[^;]*?\b(?:" + "|".join(WATCHED) + r")\b",
    re.IGNORECASE | re.DOTALL,
)
DEFAULT_TTL = 5.0  # seconds; the live poll's own interval

# The start of the cache keys of the person whose writes this context commits.
_writer: ContextVar[tuple[Hashable, ...] | None] = ContextVar("count_writer", default=None)


def writing_as(*key_prefix: Hashable) -> None:
    """Name the person writing in this context (the start of their cache keys), or
    nobody (no arguments): their writes then drop their own counts only."""
    _writer.set(key_prefix or None)


def writes_watched_table(statement: str) -> bool:
    return bool(_WRITE.match(statement))


class CountCache:
    """Counts per key for ``ttl`` seconds, emptied when a watched table changes."""

    def __init__(self, ttl: float = DEFAULT_TTL, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, dict[str, int]]] = {}
        self._generation = 0  # bumped by every clear()

    def get(self, key: Hashable, compute: Callable[[], dict[str, int]]) -> dict[str, int]:
        """The counts under ``key``, computed again when missing or stale."""
        now = self._clock()
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and now - hit[0] < self.ttl:
            return dict(hit[1])
        with self._lock:
            generation = self._generation
        counts = compute()
        with self._lock:
            # A write committed while computing emptied the cache: keep the
            # counts for this page but do not store what may predate it.
            if self._generation == generation:
                self._entries[key] = (now, dict(counts))
        return counts

    def clear(self, key_prefix: tuple[Hashable, ...] | None = None) -> None:
        """Drop every count, or those whose key starts with ``key_prefix``."""
        with self._lock:
            if key_prefix is None:
                self._entries = {}
            else:
                n = len(key_prefix)
                self._entries = {
                    k: v
                    for k, v in self._entries.items()
                    if not (isinstance(k, tuple) and k[:n] == key_prefix)
                }
            self._generation += 1

    def watch(self, engine: Engine) -> None:
        """Empty the cache whenever a transaction that wrote a watched table commits."""

        @event.listens_for(engine, "before_cursor_execute")
        def _note_write(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if writes_watched_table(statement):
                conn.info["counts_stale"] = True

        @event.listens_for(engine, "commit")
        def _on_commit(conn: Any) -> None:
            if conn.info.pop("counts_stale", False):
                self.clear(_writer.get())

        @event.listens_for(engine, "rollback")
        def _on_rollback(conn: Any) -> None:
            conn.info.pop("counts_stale", None)
