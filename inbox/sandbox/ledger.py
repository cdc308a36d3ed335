"""The sandbox's memory between calls: replies sent, and fan answers waiting to arrive.

It lives in the channel's ``state`` (a JSON document the caller stores and
hands back), under its own key so it never clobbers other state. Two parts:

* ``sent``: the artist's replies by idempotency key, so sending the same key
  again returns the same reply instead of posting (and being answered) twice;
* ``pending``: fan answers to those replies, fully rendered, each with the
  instant it becomes visible. A fetch delivers an answer once it is due and
  drops it from the list, so it arrives exactly once.

State comes back from the database and may have been edited or truncated, so
loading validates every entry; a bad one is reported, never fatal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from inbox.connectors.base import KINDS, Author, IncomingItem, SentReply

STATE_KEY = "sandbox"
MAX_SENT = 2000  # idempotency memory; the oldest keys are forgotten beyond this


class BadEntry(ValueError):
    """A state entry that cannot be used; the message says why."""


@dataclass
class ReplyLedger:
    sent: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def load(
        cls, state: Mapping[str, Any]
    ) -> tuple[ReplyLedger, list[tuple[str, Mapping[str, Any]]]]:
        """The ledger in ``state``, and the entries that had to be dropped (reason, entry)."""
        ledger = cls()
        problems: list[tuple[str, Mapping[str, Any]]] = []
        mine = state.get(STATE_KEY) if isinstance(state, Mapping) else None
        if mine is None:
            return ledger, problems
        if not isinstance(mine, Mapping):
            return ledger, [
                ("sandbox state is not an object; starting afresh", {"state": repr(mine)[:200]})
            ]
        sent = mine.get("sent", {})
        if isinstance(sent, Mapping):
            for key, entry in sent.items():
                if (
                    isinstance(key, str)
                    and isinstance(entry, Mapping)
                    and isinstance(entry.get("id"), str)
                ):
                    ledger.sent[key] = dict(entry)
                else:
                    problems.append(("sent reply entry without an id", {"key": str(key)}))
        pending = mine.get("pending", [])
        if isinstance(pending, list):
            for entry in pending:
                try:
                    item_from_json(entry)
                except BadEntry as exc:
                    problems.append((f"pending fan answer dropped: {exc}", _as_mapping(entry)))
                else:
                    ledger.pending.append(dict(entry))
        return ledger, problems

    def dump(self) -> dict[str, Any]:
        return {STATE_KEY: {"sent": dict(self.sent), "pending": list(self.pending)}}

    def reply_for(self, key: str) -> SentReply | None:
        entry = self.sent.get(key)
        if entry is None:
            return None
        return SentReply(
            external_id=entry["id"],
            created_at=_parse_time(entry.get("at")) or datetime.now(UTC),
            url=entry.get("url"),
            raw=entry.get("raw") or {},
        )

    def record(
        self,
        key: str,
        reply: SentReply,
        answer: IncomingItem | None,
        more: Sequence[IncomingItem] = (),
    ) -> None:
        """Remember a sent reply (or post), and the fans' answers to deliver each at its
        ``created_at``: ``answer`` to a reply, ``more`` under a post."""
        self.sent[key] = {
            "id": reply.external_id,
            "at": reply.created_at.isoformat(),
            "url": reply.url,
            "raw": dict(reply.raw),
            "answer": answer.external_id if answer else None,
        }
        while len(self.sent) > MAX_SENT:
            del self.sent[next(iter(self.sent))]
        if answer is not None:
            self.pending.append(item_to_json(answer))
        self.pending.extend(item_to_json(item) for item in more)

    def due(self, until: datetime) -> list[IncomingItem]:
        """Answers visible at ``until``, oldest first."""
        ready = [item for item in map(item_from_json, self.pending) if item.created_at <= until]
        return sorted(ready, key=lambda i: (i.created_at, i.external_id))

    def delivered(self, external_ids: set[str]) -> None:
        self.pending = [e for e in self.pending if e.get("external_id") not in external_ids]


def item_to_json(item: IncomingItem) -> dict[str, Any]:
    return {
        "external_id": item.external_id,
        "text": item.text,
        "created_at": item.created_at.isoformat(),
        "author": {
            "external_id": item.author.external_id,
            "handle": item.author.handle,
            "name": item.author.name,
            "profile_url": item.author.profile_url,
        },
        "kind": item.kind,
        "thread_id": item.thread_id,
        "parent_id": item.parent_id,
        "url": item.url,
        "subject": item.subject,
        "lang": item.lang,
        "raw": dict(item.raw),
    }


def item_from_json(entry: object) -> IncomingItem:
    """An item stored by :func:`item_to_json`, checked field by field."""
    if not isinstance(entry, Mapping):
        raise BadEntry("not an object")
    external_id = _text(entry, "external_id", required=True)
    created_at = _parse_time(entry.get("created_at"))
    if created_at is None:
        raise BadEntry("created_at is not an ISO 8601 time")
    author = entry.get("author")
    if not isinstance(author, Mapping):
        raise BadEntry("author is missing")
    kind = entry.get("kind")
    if kind not in KINDS:
        raise BadEntry(f"unknown kind {kind!r}")
    raw = entry.get("raw")
    return IncomingItem(
        external_id=external_id or "",
        text=_text(entry, "text", required=True) or "",
        created_at=created_at,
        author=Author(
            external_id=_text(author, "external_id", required=True) or "",
            handle=_text(author, "handle") or "",
            name=_text(author, "name") or "",
            profile_url=_text(author, "profile_url"),
        ),
        kind=str(kind),
        thread_id=_text(entry, "thread_id"),
        parent_id=_text(entry, "parent_id"),
        url=_text(entry, "url"),
        subject=_text(entry, "subject"),
        lang=_text(entry, "lang"),
        raw=dict(raw) if isinstance(raw, Mapping) else {},
    )


def _text(entry: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    value = entry.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise BadEntry(f"{name} is not a {'non-empty ' if required else ''}string")
    return value


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _as_mapping(entry: object) -> Mapping[str, Any]:
    return entry if isinstance(entry, Mapping) else {"entry": repr(entry)[:200]}
