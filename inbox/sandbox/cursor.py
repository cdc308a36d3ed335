"""Where a sandbox sync stopped, as the JSON cursor the pipeline stores.

``{"t": <ISO time>, "id": <external id>, "origin": <ISO>, "live_from": <ISO>}``

* ``t`` is the last generated instant: everything at or before it has been
  delivered; with ``id``, items at exactly ``t`` are delivered up to that
  external id (so a page boundary between two items of the same microsecond
  loses nothing and repeats nothing);
* ``origin`` and ``live_from`` are fixed at the first sync (now minus the
  history, now minus an hour) and then travel with the cursor, so the history's
  shape never changes when the same window is generated again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

LIVE_WINDOW = timedelta(hours=1)  # the live rate covers the last hour before the first sync
# Sorts after every external id: "everything at t is delivered".
_AFTER_ALL_IDS = "\U0010ffff"


class BadCursor(ValueError):
    """A stored cursor that cannot be understood; the message says which part."""


@dataclass(frozen=True, slots=True)
class Position:
    t: datetime
    last_id: str | None
    origin: datetime
    live_from: datetime

    @classmethod
    def start(cls, now: datetime, history_days: float) -> Position:
        origin = now - timedelta(days=history_days)
        return cls(origin, None, origin, max(origin, now - LIVE_WINDOW))

    @classmethod
    def parse(cls, cursor: Mapping[str, Any], now: datetime) -> Position:
        if not isinstance(cursor, Mapping):
            raise BadCursor(f"sandbox cursor must be an object, not {type(cursor).__name__}")
        t = _time(cursor, "t")
        if t is None:
            raise BadCursor("sandbox cursor has no 't' (the last generated instant)")
        last_id = cursor.get("id")
        if last_id is not None and not isinstance(last_id, str):
            raise BadCursor(f"sandbox cursor 'id' must be a string, not {last_id!r}")
        origin = _time(cursor, "origin") or t
        live_from = _time(cursor, "live_from") or max(origin, min(t, now - LIVE_WINDOW))
        return cls(t, last_id, origin, live_from)

    @property
    def key(self) -> tuple[datetime, str]:
        """Items whose (created_at, external_id) sort after this are not delivered yet."""
        return self.t, self.last_id if self.last_id is not None else _AFTER_ALL_IDS

    def after(self, t: datetime, last_id: str | None) -> Position:
        return Position(t, last_id, self.origin, self.live_from)

    def dump(self) -> dict[str, Any]:
        out: dict[str, Any] = {"t": self.t.isoformat()}
        if self.last_id is not None:
            out["id"] = self.last_id
        out["origin"] = self.origin.isoformat()
        out["live_from"] = self.live_from.isoformat()
        return out


def _time(cursor: Mapping[str, Any], name: str) -> datetime | None:
    value = cursor.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadCursor(f"sandbox cursor {name!r} must be an ISO 8601 string, not {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadCursor(f"sandbox cursor {name!r} is not an ISO 8601 time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
