"""Reading and triaging conversations: the queries behind the inbox and the thread."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload, selectinload

from models import (
    AuditEvent,
    Channel,
    Conversation,
    ConversationStatus,
    Fan,
    Message,
    Note,
    Reply,
)

PAGE_SIZE = 50


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class InboxRow:
    conversation: Conversation
    channel: Channel
    fan: Fan | None


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    next_cursor: str | None


def _cursor_parts(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    try:
        ts, cid = cursor.rsplit("_", 1)
        return datetime.fromisoformat(ts), int(cid)
    except ValueError:
        return None


def inbox_query(
    workspace_id: int,
    status: ConversationStatus = ConversationStatus.OPEN,
    include_spam: bool = False,
) -> Select[Conversation, Channel, Fan]:
    q = (
        select(Conversation, Channel, Fan)
        .join(Channel, Channel.id == Conversation.channel_id)
        .outerjoin(Fan, Fan.id == Conversation.fan_id)
        .where(Conversation.workspace_id == workspace_id, Conversation.status == status)
    )
    if not include_spam:
        q = q.where(Conversation.is_spam.is_(False))
    return q


def list_inbox(
    session: Session,
    workspace_id: int,
    *,
    cursor: str | None = None,
    status: ConversationStatus = ConversationStatus.OPEN,
    limit: int = PAGE_SIZE,
) -> InboxPage:
    """Newest activity first, keyset-paginated (stable while new messages arrive)."""
    q = inbox_query(workspace_id, status)
    after = _cursor_parts(cursor)
    if after is not None:
        ts, cid = after
        q = q.where(
            (Conversation.last_activity_at < ts)
            | ((Conversation.last_activity_at == ts) & (Conversation.id < cid))
        )
    q = q.order_by(Conversation.last_activity_at.desc(), Conversation.id.desc()).limit(limit + 1)
    rows = [InboxRow(c, ch, f) for c, ch, f in session.execute(q)]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1].conversation
        next_cursor = f"{last.last_activity_at.replace(tzinfo=None).isoformat()}_{last.id}"
    return InboxPage(rows, next_cursor)


@dataclass(frozen=True)
class Thread:
    conversation: Conversation
    channel: Channel
    fan: Fan | None
    messages: list[Message]
    notes: list[Note]
    pending_replies: list[Reply]


def get_conversation(session: Session, workspace_id: int, conversation_id: int) -> Conversation:
    conv = session.get(Conversation, conversation_id)
    if conv is None or conv.workspace_id != workspace_id:
        raise NotFound(conversation_id)
    return conv


def load_thread(session: Session, workspace_id: int, conversation_id: int) -> Thread:
    conv = get_conversation(session, workspace_id, conversation_id)
    channel = session.get_one(Channel, conv.channel_id)
    fan = (
        session.scalar(
            select(Fan).where(Fan.id == conv.fan_id).options(selectinload(Fan.identities))
        )
        if conv.fan_id
        else None
    )
    messages = list(
        session.scalars(
            select(Message)
            .where(Message.conversation_id == conv.id)
            .options(joinedload(Message.author))
            .order_by(Message.sent_at, Message.id)
        )
    )
    notes = list(
        session.scalars(
            select(Note).where(Note.conversation_id == conv.id).order_by(Note.created_at)
        )
    )
    pending = list(
        session.scalars(
            select(Reply)
            .where(
                Reply.conversation_id == conv.id, Reply.status.in_(["queued", "sending", "failed"])
            )
            .order_by(Reply.created_at)
        )
    )
    return Thread(conv, channel, fan, messages, notes, pending)


def set_status(
    session: Session,
    conv: Conversation,
    status: ConversationStatus,
    user_id: int,
    snooze_until: datetime | None = None,
) -> None:
    conv.status = status
    conv.snooze_until = snooze_until if status == ConversationStatus.SNOOZED else None
    session.add(
        AuditEvent(
            workspace_id=conv.workspace_id,
            user_id=user_id,
            action=f"conversation.{status.value}",
            subject_type="conversation",
            subject_id=conv.id,
        )
    )
