"""The pipeline's door to the triage classifier, whatever model it holds today.

It adapts :class:`~inbox.connectors.base.IncomingItem` to the classifier's
input, keeps one loaded model per process, and recomputes a conversation's
priority from its latest fan message, the fan's segment and how long the fan
has been waiting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.triage.classifier import Classification, MessageInput, load_model
from crm.triage.priority import PriorityContext, score_priority
from inbox.connectors.base import IncomingItem
from inbox.pipeline import chunks
from models import (
    Conversation,
    Direction,
    Fan,
    Identity,
    Message,
    Priority,
    Segment,
    utcnow,
)

INDUSTRY_INTENTS = {"booking", "press", "collab"}


@dataclass(frozen=True)
class StoredVerdict:
    """A stored message's classification, in the shape priority scoring reads."""

    spam: bool
    toxic: bool
    intent: str
    intent_score: float
    sentiment: str
    urgency: float
    time_cue: str | None

    @classmethod
    def of(cls, m: Message) -> StoredVerdict:
        return cls(
            spam=bool(m.spam),
            toxic=bool(m.toxic),
            intent=m.intent or "other",
            intent_score=float(m.intent_score or 0.0),
            sentiment=m.sentiment or "neutral",
            urgency=float(m.urgency or 0.0),
            time_cue=m.time_cue,
        )


def classify_items(items: Sequence[IncomingItem]) -> list[Classification]:
    model = load_model()
    return model.classify(
        [
            MessageInput(text=i.text, author=i.author.name or i.author.handle, lang=i.lang)
            for i in items
        ]
    )


def classify_messages(session: Session, message_ids: Sequence[int]) -> set[int]:
    """Classify stored messages that have no classification yet; returns their conversations."""
    model = load_model()
    touched: set[int] = set()
    now = utcnow()
    for part in chunks(list(message_ids), 1000):
        rows = session.execute(
            select(Message, Identity.display_name, Identity.handle)
            .outerjoin(Identity, Identity.id == Message.author_identity_id)
            .where(
                Message.id.in_(part),
                Message.direction == Direction.INBOUND,
                Message.classified_at.is_(None),
            )
        ).all()
        if not rows:
            continue
        verdicts = model.classify(
            [
                MessageInput(text=m.text, author=name or handle or "", lang=m.lang)
                for m, name, handle in rows
            ]
        )
        for (m, _, _), v in zip(rows, verdicts, strict=True):
            m.classified_at = now
            m.classifier_version = v.model_version
            m.spam, m.spam_score, m.toxic = v.spam, float(v.spam_score), v.toxic
            m.sentiment, m.intent, m.reasons = v.sentiment, v.intent, list(v.reasons)
            m.intent_score, m.urgency = float(v.intent_score), float(v.urgency)
            m.time_cue = v.time_cue[:64] if v.time_cue else None
            m.lang = m.lang or v.lang
            touched.add(m.conversation_id)
    session.flush()
    return touched


def _waiting_hours(conv: Conversation, now: datetime) -> float:
    if not conv.waiting_for_us or conv.last_inbound_at is None:
        return 0.0
    return max(0.0, (now - conv.last_inbound_at).total_seconds() / 3600)


def refresh_conversations(session: Session, conversation_ids: Sequence[int]) -> None:
    """Set each conversation's priority, intent and spam flag from its latest fan message."""
    now = utcnow()
    for part in chunks(list(conversation_ids)):
        convs = session.scalars(select(Conversation).where(Conversation.id.in_(part))).all()
        fans = {
            f.id: f
            for f in session.scalars(
                select(Fan).where(Fan.id.in_({c.fan_id for c in convs if c.fan_id}))
            )
        }
        latest: dict[int, Message] = {}
        for m in session.scalars(
            select(Message)
            .where(
                Message.conversation_id.in_([c.id for c in convs]),
                Message.direction == Direction.INBOUND,
                Message.classified_at.is_not(None),
                Message.deleted_at.is_(None),
            )
            .order_by(Message.sent_at)
        ):
            latest[m.conversation_id] = m
        for conv in convs:
            msg = latest.get(conv.id)
            if msg is None:
                continue
            fan = fans.get(conv.fan_id) if conv.fan_id else None
            verdict = StoredVerdict.of(msg)
            ctx = PriorityContext(
                segment=fan.segment.value if fan else None,
                waiting_hours=_waiting_hours(conv, now),
                unanswered_question=conv.waiting_for_us and verdict.intent == "question",
                industry=bool(fan and fan.segment == Segment.INDUSTRY)
                or verdict.intent in INDUSTRY_INTENTS,
            )
            priority, score, reasons = score_priority(verdict, ctx)
            conv.priority = Priority(priority)
            conv.priority_score, conv.priority_reasons = score, reasons
            conv.intent = verdict.intent
            conv.is_spam = bool(verdict.spam)
    session.flush()
    # The assignee of a conversation that just became urgent hears about it now,
    # not when they next open the app.
    from crm.services import notifications

    notifications.notify_urgent(session, list(conversation_ids))
