"""Waking snoozed conversations whose time has come.

The scheduler's tick calls :func:`wake_due` so snoozes end on time whether or
not anyone is looking, and the inbox's own requests call it too so a page never
shows a conversation still asleep past its time. Waking is idempotent, so it
does not matter who gets there first. Choosing a snooze time is the web app's
business (``crm/services/snooze.py``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import Conversation, ConversationStatus, utcnow


def wake_due(session: Session, workspace_id: int | None = None, now: datetime | None = None) -> int:
    """Reopen conversations whose snooze time has passed; returns how many."""
    now = now or utcnow()
    where = [
        Conversation.snooze_until <= now,  # the index: only snoozed rows have a time
        Conversation.status == ConversationStatus.SNOOZED,
    ]
    if workspace_id is not None:
        where.append(Conversation.workspace_id == workspace_id)
    if session.scalar(select(Conversation.id).where(*where).limit(1)) is None:
        return 0
    result = session.execute(
        update(Conversation)
        .where(*where)
        .values(status=ConversationStatus.OPEN, snooze_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
