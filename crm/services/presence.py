"""Collision detection: who else has this conversation open, and who is writing a reply.

Each open thread sends a heartbeat every few seconds (:func:`heartbeat`),
which upserts one row per person and conversation in the database, so it
works however many web processes serve the team. A heartbeat older than
:data:`FRESH_FOR` no longer counts: a closed tab simply goes quiet.

:func:`replies_since` is the last line of defence: before a reply is queued,
the composer's "opened at" time tells whether a teammate answered meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from models import ConversationPresence, PresenceState, Reply, User, utcnow

FRESH_FOR = timedelta(seconds=20)
HEARTBEAT_SECONDS = 5


@dataclass(frozen=True)
class Present:
    user_id: int
    name: str
    state: PresenceState
    seen_at: datetime

    @property
    def typing(self) -> bool:
        return self.state == PresenceState.TYPING


def heartbeat(
    session: Session,
    workspace_id: int,
    conversation_id: int,
    user_id: int,
    state: PresenceState = PresenceState.VIEWING,
    now: datetime | None = None,
) -> None:
    """Record that ``user_id`` has the conversation open (and whether they are typing)."""
    now = now or utcnow()
    values = {
        "conversation_id": conversation_id,
        "user_id": user_id,
        "workspace_id": workspace_id,
        "state": state,
        "seen_at": now,
    }
    dialect = session.get_bind().dialect.name
    if dialect in {"sqlite", "postgresql"}:
        ins = (sqlite_insert if dialect == "sqlite" else pg_insert)(ConversationPresence)
        session.execute(
            ins.values(**values).on_conflict_do_update(
                index_elements=["conversation_id", "user_id"],
                set_={"state": state, "seen_at": now},
            )
        )
        return
    done = session.execute(
        update(ConversationPresence)
        .where(
            ConversationPresence.conversation_id == conversation_id,
            ConversationPresence.user_id == user_id,
        )
        .values(state=state, seen_at=now)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        session.add(ConversationPresence(**values))


def others(
    session: Session, conversation_id: int, user_id: int, now: datetime | None = None
) -> list[Present]:
    """Teammates other than ``user_id`` with the conversation open right now, typists first."""
    since = (now or utcnow()) - FRESH_FOR
    rows = session.execute(
        select(ConversationPresence, User.name)
        .join(User, User.id == ConversationPresence.user_id)
        .where(
            ConversationPresence.conversation_id == conversation_id,
            ConversationPresence.seen_at >= since,
            ConversationPresence.user_id != user_id,
        )
    ).all()
    found = [Present(p.user_id, name, p.state, p.seen_at) for p, name in rows]
    return sorted(found, key=lambda p: (not p.typing, p.name))


def viewers_by_conversation(
    session: Session, conversation_ids: Sequence[int], user_id: int, now: datetime | None = None
) -> dict[int, list[Present]]:
    """For a page of the list: who else is in each of these conversations."""
    if not conversation_ids:
        return {}
    since = (now or utcnow()) - FRESH_FOR
    out: dict[int, list[Present]] = {}
    for p, name in session.execute(
        select(ConversationPresence, User.name)
        .join(User, User.id == ConversationPresence.user_id)
        .where(
            ConversationPresence.conversation_id.in_(list(conversation_ids)),
            ConversationPresence.seen_at >= since,
            ConversationPresence.user_id != user_id,
        )
    ):
        out.setdefault(p.conversation_id, []).append(Present(p.user_id, name, p.state, p.seen_at))
    return out


@dataclass(frozen=True)
class OtherReply:
    author_name: str
    text: str
    created_at: datetime


def replies_since(
    session: Session, conversation_id: int, since: datetime, user_id: int
) -> list[OtherReply]:
    """Replies teammates queued in this conversation after ``since`` (not failed ones)."""
    return [
        OtherReply(name or "", r.text, r.created_at)
        for r, name in session.execute(
            select(Reply, User.name)
            .outerjoin(User, User.id == Reply.author_id)
            .where(
                Reply.conversation_id == conversation_id,
                Reply.created_at > since,
                Reply.author_id != user_id,
                Reply.status != "failed",
            )
            .order_by(Reply.created_at)
        )
    ]
