"""Sidebar counts, reused for a few seconds.

Every inbox page and every live poll shows a count per saved view. At a million
messages the seven capped counts cost more than the rest of the page, yet a
count is a glance that the live poll refreshes every few seconds anyway. So a
page reuses the counts computed for the same person less than ``ttl`` seconds
ago, and any committed write to a table the counts depend on, made through this
process's engine (a triage action, a classification, a new saved view), drops
them all: one's own triage shows in the very next count. Writes from other
processes (rq workers, other web processes) show within ``ttl`` seconds, as they
would through the poll.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy import Engine, event

# The tables whose rows decide which view a conversation falls in.
WATCHED = ("conversations", "conversation_labels", "fans", "saved_views")
_WRITE = re.compile(
    r"^\s*(?:INSERT|UPDATE|DELETE)\b[^;]*?\b(?:" + "|".join(WATCHED) + r")\b",
    re.IGNORECASE | re.DOTALL,
)
DEFAULT_TTL = 5.0  # seconds; the live poll's own interval


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

    def clear(self) -> None:
        with self._lock:
            self._entries = {}
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
                self.clear()

        @event.listens_for(engine, "rollback")
        def _on_rollback(conn: Any) -> None:
            conn.info.pop("counts_stale", None)
