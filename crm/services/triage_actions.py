"""What a teammate does to one conversation: assign, label, snooze, close, spam, correct.

Each action checks what it is given, changes the conversation, and leaves an
audit event; the web views, bulk triage and the JSON API all call these, so
the rules live in one place. None of them sends anything to a fan.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crm.services import corrections, labels, team
from crm.services.conversations import INTENTS, set_status
from crm.services.messages import N_, UserError
from crm.services.snooze import MAX_SNOOZE
from inbox import notifications
from inbox import triage as reprioritise
from models import (
    AuditEvent,
    Conversation,
    ConversationStatus,
    Direction,
    Fan,
    Label,
    Message,
    NotificationKind,
    Priority,
    Segment,
    User,
    conversation_labels,
    utcnow,
)
from triage.reasons import INTENT_WORDS, set_by

# Where a corrected priority sorts: the middle of the band the classifier uses for it.
PRIORITY_SCORES = {Priority.URGENT: 95, Priority.HIGH: 75, Priority.NORMAL: 50, Priority.LOW: 20}


def _set_by(session: Session, user_id: int) -> str:
    user = session.get(User, user_id)
    return set_by(user.name if user is not None else None)


class ActionError(UserError):
    """The action cannot be done as asked; the message is for the person."""


def _audit(
    session: Session, conv: Conversation, user_id: int, action: str, data: dict[str, Any] | None
) -> None:
    session.add(
        AuditEvent(
            workspace_id=conv.workspace_id,
            user_id=user_id,
            action=action,
            subject_type="conversation",
            subject_id=conv.id,
            data=data,
        )
    )


def mark_done(session: Session, conv: Conversation, user_id: int) -> None:
    set_status(session, conv, ConversationStatus.DONE, user_id)


def reopen(session: Session, conv: Conversation, user_id: int) -> None:
    set_status(session, conv, ConversationStatus.OPEN, user_id)


def snooze(session: Session, conv: Conversation, user_id: int, until: datetime | None) -> None:
    """Snooze until ``until`` (UTC), or until the fan writes again when None."""
    now = utcnow()
    if until is not None and (until <= now or until - now > MAX_SNOOZE):
        raise ActionError(N_("A snooze must end in the future, within a year."))
    set_status(session, conv, ConversationStatus.SNOOZED, user_id, snooze_until=until)
    refresh_reasons(session, conv)


def refresh_reasons(session: Session, conv: Conversation) -> None:
    """Recompute the conversation's priority and reasons from what is true now.

    Called after every action that changes what the reasons say (a reply, a
    correction, an assignment, a snooze), so "question still unanswered" or
    "booking request" never outlive the facts.
    """
    session.flush()
    reprioritise.refresh_conversations(session, [conv.id])


def assign(session: Session, conv: Conversation, actor_id: int, assignee_id: int | None) -> None:
    """Give the conversation to a teammate who can triage (or to nobody)."""
    if assignee_id is not None:
        member = team.member(session, conv.workspace_id, assignee_id)
        if member is None or not member.can_triage:
            raise ActionError(N_("Conversations can only go to teammates who can reply."))
    if conv.assignee_id == assignee_id:
        return
    previous, conv.assignee_id = conv.assignee_id, assignee_id
    _audit(session, conv, actor_id, "conversation.assigned", {"from": previous, "to": assignee_id})
    session.flush()
    if assignee_id is not None and assignee_id != actor_id:
        notifications.notify(
            session,
            workspace_id=conv.workspace_id,
            user_id=assignee_id,
            kind=NotificationKind.ASSIGNED,
            conversation_id=conv.id,
            actor_id=actor_id,
            text=conv.last_message_preview,
        )
    refresh_reasons(session, conv)  # which also tells the new assignee if it is urgent


def add_label(session: Session, conv: Conversation, user_id: int, name: str) -> Label:
    try:
        label = labels.get_or_create(session, conv.workspace_id, name)
    except labels.LabelError as exc:
        raise ActionError(exc.message, **exc.params) from None
    cl = conversation_labels
    present = session.scalar(
        select(cl.c.label_id).where(cl.c.conversation_id == conv.id, cl.c.label_id == label.id)
    )
    if present is None:
        session.execute(cl.insert().values(conversation_id=conv.id, label_id=label.id))
        _audit(session, conv, user_id, "conversation.labelled", {"label": label.name})
    return label


def remove_label(session: Session, conv: Conversation, user_id: int, label_id: int) -> None:
    label = labels.get(session, conv.workspace_id, label_id)
    if label is None:
        raise ActionError(N_("That label does not exist."))
    cl = conversation_labels
    gone = session.execute(
        delete(cl).where(cl.c.conversation_id == conv.id, cl.c.label_id == label_id)
    )
    if gone.rowcount:  # type: ignore[attr-defined]
        _audit(session, conv, user_id, "conversation.unlabelled", {"label": label.name})


def latest_inbound(session: Session, conv: Conversation) -> Message | None:
    """The fan message the classification of the conversation comes from."""
    return session.scalar(
        select(Message)
        .where(
            Message.conversation_id == conv.id,
            Message.direction == Direction.INBOUND,
            Message.deleted_at.is_(None),
        )
        .order_by(Message.sent_at.desc(), Message.id.desc())
        .limit(1)
    )


def _record_correction(
    session: Session, conv: Conversation, user_id: int, field: str, old: Any, new: Any
) -> Message | None:
    """Record a teammate's correction against the fan's latest message (what the
    classifier judged), and return that message."""
    message = latest_inbound(session, conv)
    corrections.record_correction(
        session,
        workspace_id=conv.workspace_id,
        user_id=user_id,
        conversation_id=conv.id,
        message_id=message.id if message else None,
        field=field,
        old=old,
        new=new,
    )
    return message


def set_spam(session: Session, conv: Conversation, user_id: int, spam: bool) -> None:
    """Mark spam or not spam; a change against the classifier is recorded as a correction."""
    if conv.is_spam == spam:
        return
    message = _record_correction(session, conv, user_id, "spam", conv.is_spam, spam)
    conv.is_spam = spam
    if message is not None:
        message.spam = spam
        refresh_reasons(session, conv)
        conv.is_spam = spam
    _audit(session, conv, user_id, "conversation.spam" if spam else "conversation.not_spam", None)


def correct_intent(session: Session, conv: Conversation, user_id: int, intent: str) -> None:
    if intent not in INTENTS:
        raise ActionError(N_("Unknown intent."))
    if conv.intent == intent:
        return
    message = _record_correction(session, conv, user_id, "intent", conv.intent, intent)
    if message is not None:
        old_words = INTENT_WORDS.get(message.intent or "")
        kept = [r for r in (message.reasons or []) if r != old_words]
        new_words = INTENT_WORDS.get(intent)
        message.intent = intent
        message.reasons = ([new_words] if new_words else []) + kept
    conv.intent = intent
    refresh_reasons(session, conv)


def correct_priority(
    session: Session, conv: Conversation, user_id: int, priority: Priority
) -> None:
    if conv.priority == priority:
        return
    _record_correction(session, conv, user_id, "priority", conv.priority.value, priority.value)
    conv.priority = priority
    conv.priority_score = PRIORITY_SCORES[priority]
    conv.priority_set_by_id, conv.priority_set_at = user_id, utcnow()
    conv.priority_reasons = [_set_by(session, user_id)]
    session.flush()
    if priority == Priority.URGENT:
        notifications.notify_urgent(session, [conv.id])


def correct_segment(session: Session, conv: Conversation, user_id: int, segment: str) -> None:
    """A teammate's word on who the fan is. It sticks (recomputing no longer
    overrides it) and teaches: calling a fan a bot marks their latest message
    spam for the next retraining, and taking a fan out of "bot" marks it not spam.
    """
    try:
        chosen = Segment(segment)
    except ValueError:
        raise ActionError(N_("Unknown segment.")) from None
    fan = session.get(Fan, conv.fan_id) if conv.fan_id else None
    if fan is None:
        raise ActionError(N_("This conversation has no fan to correct."))
    if fan.segment == chosen and fan.segment_set_by_id is not None:
        return
    was = fan.segment
    fan.segment = chosen
    fan.segment_set_by_id, fan.segment_set_at = user_id, utcnow()
    fan.segment_reasons = [_set_by(session, user_id)]
    session.add(
        AuditEvent(
            workspace_id=conv.workspace_id,
            user_id=user_id,
            action="fan.segment_set",
            subject_type="fan",
            subject_id=fan.id,
            data={"from": was.value, "to": chosen.value},
        )
    )
    if (chosen == Segment.BOT) != (was == Segment.BOT):
        _record_correction(
            session, conv, user_id, "spam", was == Segment.BOT, chosen == Segment.BOT
        )
    session.flush()
    others = session.scalars(
        select(Conversation.id).where(
            Conversation.workspace_id == conv.workspace_id, Conversation.fan_id == fan.id
        )
    ).all()
    reprioritise.refresh_conversations(session, list(others))
