"""The pipeline's door to the triage classifier, whatever model it holds today.

It adapts :class:`~inbox.connectors.base.IncomingItem` to the classifier's
input, keeps one loaded model per process, and recomputes a conversation's
priority from its latest fan message, the fan's segment and how long the fan
has been waiting.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox.connectors.base import IncomingItem
from inbox.pipeline import FAST_SUFFIX, Classify, chunks, stored_version
from models import (
    Conversation,
    Direction,
    Fan,
    Identity,
    Message,
    Priority,
    Segment,
    User,
    utcnow,
)
from triage.artifact import ArtifactError
from triage.classifier import Classification, MessageInput, Model, load_model
from triage.priority import PriorityContext, score_priority
from triage.reasons import set_by

log = logging.getLogger(__name__)
INDUSTRY_INTENTS = {"booking", "press", "collab"}


class StoredColumns(Protocol):
    """A stored message's classification columns: a :class:`Message`, or a row that
    selected :data:`VERDICT_COLUMNS`."""

    @property
    def spam(self) -> bool | None: ...
    @property
    def toxic(self) -> bool | None: ...
    @property
    def intent(self) -> str | None: ...
    @property
    def intent_score(self) -> float | None: ...
    @property
    def intent_scores(self) -> dict[str, float] | None: ...
    @property
    def sentiment(self) -> str | None: ...
    @property
    def urgency(self) -> float | None: ...
    @property
    def time_cue(self) -> str | None: ...
    @property
    def safety(self) -> str | None: ...


# What priority reads of a stored message, for queries that select columns, not messages.
VERDICT_COLUMNS = (
    Message.spam,
    Message.toxic,
    Message.intent,
    Message.intent_score,
    Message.intent_scores,
    Message.sentiment,
    Message.urgency,
    Message.time_cue,
    Message.safety,
)


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
    safety: str | None = None
    intent_scores: dict[str, float] | None = None

    @classmethod
    def of(cls, m: StoredColumns) -> StoredVerdict:
        return cls(
            spam=bool(m.spam),
            toxic=bool(m.toxic),
            intent=m.intent or "other",
            intent_score=float(m.intent_score or 0.0),
            sentiment=m.sentiment or "neutral",
            urgency=0.5 if m.urgency is None else float(m.urgency),  # 0.5: usual
            time_cue=m.time_cue,
            safety=m.safety,
            intent_scores=m.intent_scores,
        )


def _inputs(items: Sequence[IncomingItem]) -> list[MessageInput]:
    return [
        MessageInput(text=i.text, author=i.author.name or i.author.handle, lang=i.lang)
        for i in items
    ]


def classify_items(items: Sequence[IncomingItem]) -> list[Classification]:
    """Classify with the model that ships with Unplugged (the fast reading; see
    :func:`classify_messages` for the refinement)."""
    return load_model().classify(_inputs(items), fast=True)


def model_for(workspace_id: int) -> Model:
    """The workspace's active model: its own retrained version, else the shipped one.

    A workspace model must carry this installation's signature; one that does
    not (altered, copied from elsewhere) is refused and the shipped model used.
    """
    from inbox import learning
    from inbox.runtime import get_runtime

    rt = get_runtime()
    with rt.session() as s:
        version = learning.active_version(s, workspace_id)
        path = learning.model_path(rt, version)
    if path is None:
        return load_model()
    try:
        return load_model(path, key=learning.model_key(rt.settings.secret_key))
    except ArtifactError:
        log.exception("workspace %s: model %s refused; using the shipped model", workspace_id, path)
        return load_model()


def for_workspace(workspace_id: int) -> Classify:
    """A classifier bound to the workspace's active model, for the pipeline.

    It reads fast (the linear heads): a sync stores a page of hundreds in
    milliseconds, and the refinement job gives each message the full reading
    within seconds (:func:`classify_messages` with ``refine=True``)."""
    model = model_for(workspace_id)

    def classify(items: Sequence[IncomingItem]) -> list[Classification]:
        return model.classify(_inputs(items), fast=True)

    return classify


def classify_messages(
    session: Session, message_ids: Sequence[int], *, fast: bool = False, refine: bool = False
) -> set[int]:
    """Classify stored messages that have no classification yet; returns their conversations.

    ``fast`` reads with the linear heads alone (a bulk import's first pass);
    ``refine`` instead re-reads the messages that only had the fast reading,
    with the full one (the sentence encoder). A person's correction is never
    overwritten: corrected fields live on the conversation and in corrections.
    """
    pending = (
        Message.classifier_version.like(f"%{FAST_SUFFIX}")
        if refine
        else Message.classified_at.is_(None)
    )
    models: dict[int, Model] = {}
    touched: set[int] = set()
    now = utcnow()
    for part in chunks(list(message_ids), 1000):
        rows = session.execute(
            select(Message, Identity.display_name, Identity.handle)
            .outerjoin(Identity, Identity.id == Message.author_identity_id)
            .where(
                Message.id.in_(part),
                Message.direction == Direction.INBOUND,
                pending,
            )
        ).all()
        if not rows:
            continue
        by_workspace: dict[int, list[Any]] = {}
        for row in rows:
            by_workspace.setdefault(row[0].workspace_id, []).append(row)
        for ws, group in by_workspace.items():
            if ws not in models:
                models[ws] = model_for(ws)
            verdicts = models[ws].classify(
                [
                    MessageInput(text=m.text, author=name or handle or "", lang=m.lang)
                    for m, name, handle in group
                ],
                fast=fast and not refine,
            )
            for (m, _, _), v in zip(group, verdicts, strict=True):
                m.classified_at = now
                m.classifier_version = stored_version(v)
                m.spam, m.spam_score, m.toxic = v.spam, float(v.spam_score), v.toxic
                m.sentiment, m.intent, m.reasons = v.sentiment, v.intent, list(v.reasons)
                m.intent_score, m.urgency = float(v.intent_score), float(v.urgency)
                m.intent_scores = dict(v.intent_scores) or None
                m.time_cue = v.time_cue[:64] if v.time_cue else None
                m.safety, m.scam = (v.safety[:32] if v.safety else None), v.scam
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
        setters = _names(session, {c.priority_set_by_id for c in convs})
        for conv in convs:
            msg = latest.get(conv.id)
            if msg is None:
                continue
            if conv.priority_set_by_id and conv.priority_set_at:
                if msg.created_at <= conv.priority_set_at:
                    # A teammate's priority stands until the fan writes again.
                    conv.priority_reasons = [set_by(setters.get(conv.priority_set_by_id))]
                    continue
                conv.priority_set_by_id = conv.priority_set_at = None
            fan = fans.get(conv.fan_id) if conv.fan_id else None
            verdict = StoredVerdict.of(msg)
            ctx = PriorityContext(
                segment=fan.segment.value if fan else None,
                waiting_hours=_waiting_hours(conv, now),
                unanswered_question=conv.waiting_for_us and verdict.intent == "question",
                industry=bool(fan and fan.segment == Segment.INDUSTRY),
            )
            priority, score, reasons = score_priority(verdict, ctx)
            conv.priority = Priority(priority)
            conv.priority_score, conv.priority_reasons = score, reasons
            conv.intent = verdict.intent
            conv.is_spam = bool(verdict.spam)
    session.flush()
    # The assignee of a conversation that just became urgent hears about it now,
    # not when they next open the app.
    from inbox import notifications

    notifications.notify_urgent(session, list(conversation_ids))


def _names(session: Session, user_ids: set[int | None]) -> dict[int, str]:
    """Teammates' names by id, for "set by ..." reasons (no query when nobody set anything)."""
    wanted = {i for i in user_ids if i}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(wanted))).all())


def _bio(profile: object) -> str:
    """The self-description in a network's profile payload, whatever the network calls it."""
    if not isinstance(profile, dict):
        return ""
    for key in ("bio", "description", "note", "about", "biography"):
        value = profile.get(key)
        if isinstance(value, str):
            return value[:500]
    return ""


def refresh_fans(session: Session, fan_ids: Sequence[int]) -> None:
    """Recompute each fan's segment and engagement from everything they wrote, on every network."""
    from sqlalchemy import case, distinct, func

    from triage.segments import FanStats, industry_evidence, segment_fan

    now = utcnow()
    sentiment = case(
        (Message.sentiment == "positive", 1.0), (Message.sentiment == "negative", -1.0), else_=0.0
    )
    for part in chunks(sorted(set(fan_ids))):
        fans = {f.id: f for f in session.scalars(select(Fan).where(Fan.id.in_(part)))}
        inbound = {
            row[0]: row[1:]
            for row in session.execute(
                select(
                    Identity.fan_id,
                    func.count(Message.id),
                    func.avg(case((Message.spam.is_(True), 1.0), else_=0.0)),
                    func.avg(case((Message.toxic.is_(True), 1.0), else_=0.0)),
                    func.avg(sentiment),
                    func.sum(case((Message.intent.in_(sorted(INDUSTRY_INTENTS)), 1), else_=0)),
                    func.count(distinct(Message.conversation_id)),
                )
                .join(Identity, Identity.id == Message.author_identity_id)
                .where(
                    Identity.fan_id.in_(part),
                    Message.direction == Direction.INBOUND,
                    Message.deleted_at.is_(None),
                )
                .group_by(Identity.fan_id)
            )
        }
        answered = dict(
            session.execute(
                select(Conversation.fan_id, func.count(distinct(Conversation.id)))
                .join(Message, Message.conversation_id == Conversation.id)
                .where(Conversation.fan_id.in_(part), Message.direction == Direction.OUTBOUND)
                .group_by(Conversation.fan_id)
            ).all()
        )
        networks: dict[int, list[str]] = {}
        who: dict[int, list[tuple[str, str, str, str]]] = {}
        for fan_id, network, handle, name, profile in session.execute(
            select(
                Identity.fan_id,
                Identity.network,
                Identity.handle,
                Identity.display_name,
                Identity.profile,
            ).where(Identity.fan_id.in_(part))
        ):
            networks.setdefault(fan_id, []).append(network)
            who.setdefault(fan_id, []).append((network, handle or "", name or "", _bio(profile)))
        markers = _names(session, {f.segment_set_by_id for f in fans.values()})
        for fan_id, fan in fans.items():
            count, spam, toxic, mood, industry, conversations = inbound.get(
                fan_id, (0, 0.0, 0.0, 0.0, 0, 0)
            )
            stats = FanStats(
                message_count=int(count or 0),
                first_seen=fan.first_seen_at,
                last_seen=fan.last_seen_at,
                conversations=int(conversations or 0),
                artist_replies=int(answered.get(fan_id, 0)),
                spam_share=float(spam or 0.0),
                toxic_share=float(toxic or 0.0),
                avg_sentiment=float(mood or 0.0),
                industry_messages=int(industry or 0),
                networks=tuple(networks.get(fan_id, ())),
                industry_evidence=industry_evidence(who.get(fan_id, ())),
                marked=fan.segment.value if fan.segment_set_by_id else None,
                marked_by=markers.get(fan.segment_set_by_id) if fan.segment_set_by_id else None,
            )
            result = segment_fan(stats, now)
            fan.segment = Segment(result.segment)
            fan.engagement_score = float(result.engagement)
            fan.segment_reasons = list(result.reasons)
    session.flush()
