"""Telling a teammate that something needs them: a mention, an assignment, an urgent fan.

Notifications are rows the top bar counts and lists. Urgent conversations
notify their assignee once per fan message (the newest inbound message is
what made them urgent), and by email too when that person opted in.
:func:`notify_urgent` is safe to call as often as anyone likes: the sync job
after re-prioritising, the assign action, and the live poll all do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, update
from sqlalchemy.orm import Session

from inbox.mail import send_email
from models import (
    Conversation,
    ConversationStatus,
    Fan,
    Notification,
    NotificationKind,
    Priority,
    User,
    utcnow,
)

EMAILED_KINDS = {NotificationKind.URGENT, NotificationKind.MENTION}
LIST_LIMIT = 50


def notify(
    session: Session,
    *,
    workspace_id: int,
    user_id: int,
    kind: NotificationKind,
    conversation_id: int | None,
    actor_id: int | None = None,
    text: str = "",
) -> Notification:
    """Create one notification, and its email when the person asked for email."""
    note = Notification(
        workspace_id=workspace_id,
        user_id=user_id,
        kind=kind,
        conversation_id=conversation_id,
        actor_id=actor_id,
        text=text[:280],
        created_at=utcnow(),
    )
    session.add(note)
    user = session.get(User, user_id)
    if user is not None and user.notify_by_email and user.is_active and kind in EMAILED_KINDS:
        send_email(session, user.email, _subject(kind, text), _body(kind, text, conversation_id))
        note.emailed_at = utcnow()
    session.flush()
    return note


def _subject(kind: NotificationKind, text: str) -> str:
    prefix = {
        NotificationKind.URGENT: "Urgent",
        NotificationKind.MENTION: "You were mentioned",
        NotificationKind.ASSIGNED: "Assigned to you",
    }[kind]
    return f"[Unplugged] {prefix}: {text[:80]}"


def _body(kind: NotificationKind, text: str, conversation_id: int | None) -> str:
    where = f"conversation #{conversation_id}" if conversation_id else "your inbox"
    return f"{text}\n\nOpen Unplugged to answer ({where}: /c/{conversation_id or ''}).\n"


def _urgent_unnotified() -> list[ColumnElement[bool]]:
    """Conditions: urgent, open, assigned, not spam, and no notice since the fan last wrote."""
    c = Conversation
    n = Notification
    already = (
        exists()
        .where(
            n.user_id == c.assignee_id,
            n.conversation_id == c.id,
            n.kind == NotificationKind.URGENT,
            or_(c.last_inbound_at.is_(None), n.created_at >= c.last_inbound_at),
        )
        .correlate(c)
    )
    return [
        c.priority == Priority.URGENT,
        c.status == ConversationStatus.OPEN,
        c.assignee_id.is_not(None),
        c.is_spam.is_(False),
        ~already,
    ]


def notify_urgent(session: Session, conversation_ids: Sequence[int]) -> int:
    """Notify the assignee of each urgent conversation not yet notified; returns how many."""
    if not conversation_ids:
        return 0
    rows = session.execute(
        select(Conversation, Fan.display_name)
        .outerjoin(Fan, Fan.id == Conversation.fan_id)
        .where(Conversation.id.in_(list(conversation_ids)), and_(*_urgent_unnotified()))
    ).all()
    return _notify_rows(session, rows)


def notify_urgent_for(session: Session, workspace_id: int, user_id: int) -> int:
    """The same, for one person's conversations (cheap: the assignee index)."""
    rows = session.execute(
        select(Conversation, Fan.display_name)
        .outerjoin(Fan, Fan.id == Conversation.fan_id)
        .where(
            Conversation.workspace_id == workspace_id,
            Conversation.assignee_id == user_id,
            and_(*_urgent_unnotified()),
        )
        .limit(50)
    ).all()
    return _notify_rows(session, rows)


def _notify_rows(session: Session, rows: Sequence[tuple[Conversation, str | None]]) -> int:
    for conv, fan_name in rows:
        assert conv.assignee_id is not None
        who = fan_name or "A fan"
        notify(
            session,
            workspace_id=conv.workspace_id,
            user_id=conv.assignee_id,
            kind=NotificationKind.URGENT,
            conversation_id=conv.id,
            text=f"{who}: {conv.last_message_preview}",
        )
    return len(rows)


@dataclass(frozen=True)
class NotificationView:
    notification: Notification
    actor_name: str | None


def unread_count(session: Session, user_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


def recent(session: Session, user_id: int, limit: int = LIST_LIMIT) -> list[NotificationView]:
    return [
        NotificationView(n, actor)
        for n, actor in session.execute(
            select(Notification, User.name)
            .outerjoin(User, User.id == Notification.actor_id)
            .where(Notification.user_id == user_id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    ]


def mark_read(session: Session, user_id: int, notification_id: int | None = None) -> int:
    """Mark one notification (or all of them) read; only the recipient's own."""
    q = (
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if notification_id is not None:
        q = q.where(Notification.id == notification_id)
    return int(session.execute(q).rowcount or 0)  # type: ignore[attr-defined]


def mark_conversation_read(session: Session, user_id: int, conversation_id: int) -> int:
    """Opening a conversation reads its notifications."""
    return int(
        session.execute(
            update(Notification)
            .where(
                Notification.user_id == user_id,
                Notification.conversation_id == conversation_id,
                Notification.read_at.is_(None),
            )
            .values(read_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        or 0
    )
