"""Realistic inbox data for the UI tests, stored through the real sync pipeline.

Messages go in with :func:`inbox.pipeline.ingest` on channels served by the
fake connector (so replies "send"), then get the classification the triage
model would have given them, so lists, views and priorities look as in life.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from inbox.connectors.base import Author, IncomingItem
from inbox.pipeline import ChannelRef, ingest
from inbox.runtime import Runtime
from models import Channel, Conversation, Fan, Message, Priority, Segment
from models.search import catch_up
from tests import fakes  # noqa: F401 - registers the "fake" connector

SCORES = {"urgent": 92, "high": 74, "normal": 50, "low": 18}


@dataclass(frozen=True)
class Spec:
    key: str
    network: str
    author: str
    name: str
    text: str
    minutes_ago: int
    intent: str = "question"
    priority: str = "normal"
    segment: str = "regular"
    reasons: tuple[str, ...] = ()
    spam: bool = False
    subject: str | None = None
    html: str | None = None
    media: tuple[dict[str, Any], ...] = ()
    url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


FANS: tuple[Spec, ...] = (
    Spec("promoter", "x", "lyonlive", "Salle Molière (booking)",
         "Hi! We'd love to book you for 14 March in Lyon, 600 capacity. Who handles dates?",
         minutes_ago=35, intent="booking", priority="urgent", segment="industry",
         reasons=("booking request", "industry contact", "waiting 2 hours")),
    Spec("ticket", "mastodon", "marie", "Marie Dubois",
         "My ticket for Friday never arrived and the show is tomorrow, can you help?",
         minutes_ago=50, intent="support", priority="high", segment="superfan",
         reasons=("needs help", "mentions a lost ticket", "superfan", "upset fan")),
    Spec("press", "bluesky", "zine.bsky.social", "Night Owl Zine",
         "Could we interview you about the new record for our spring issue?",
         minutes_ago=90, intent="press", priority="high", segment="industry",
         reasons=("press request",)),
    Spec("praise", "instagram", "tom_w", "Tom W",
         "Last night in Nantes was unreal. That encore!", minutes_ago=130,
         intent="praise", priority="low", segment="regular", reasons=("compliment",)),
    Spec("question", "youtube", "leafy", "Leafy Green",
         "What guitar tuning do you use on Velvet? Been trying for weeks.", minutes_ago=200,
         intent="question", priority="normal", segment="superfan", reasons=("asks a question",)),
    Spec("spam", "x", "cheapfollows", "Cheap Follows",
         "Boost your music! 10k followers for $5, DM now", minutes_ago=15,
         intent="other", priority="low", segment="bot", reasons=("looks like spam: money offer + 'free'",), spam=True),
    Spec("email", "email", "booker@festival.example", "Festival Bookings",
         "Dear band, please find our offer attached.", minutes_ago=300, intent="booking",
         priority="high", segment="industry", reasons=("booking request",),
         subject="Offer: Summer Festival 2026",
         html='<p>Dear band,</p><p hx-get="/logout" hx-trigger="load">Please find our '
         '<a href="https://festival.example/offer" hx-post="/bulk/done">offer</a>.</p>'
         '<script>alert(1)</script><img src="https://tracker.example/p.png">',
         media=({"type": "image", "url": "https://festival.example/poster.jpg"},
                {"type": "link", "url": "javascript:alert(1)"})),
)  # fmt: skip


def _channel(rt: Runtime, workspace_id: int, network: str) -> ChannelRef:
    with rt.session() as s:
        ch = s.scalar(
            select(Channel).where(Channel.workspace_id == workspace_id, Channel.network == network)
        )
        if ch is None:
            ch = Channel(
                workspace_id=workspace_id,
                network=network,
                connector="fake",
                handle="band",
                external_id="id-band",
                display_name="Les Lumières Basses",
            )
            s.add(ch)
            s.flush()
        return ChannelRef.of(ch)


def add_conversation(
    rt: Runtime, workspace_id: int, spec: Spec, now: datetime | None = None
) -> int:
    """Store one fan message as a new conversation, classified as ``spec`` says."""
    now = now or datetime.now(UTC)
    channel = _channel(rt, workspace_id, spec.network)
    item = IncomingItem(
        external_id=f"{spec.key}-{spec.minutes_ago}-{now.timestamp()}",
        text=spec.text,
        created_at=now - timedelta(minutes=spec.minutes_ago),
        author=Author(external_id=f"id-{spec.author}", handle=spec.author, name=spec.name,
                      profile_url=f"https://{spec.network}.example/{spec.author}"),
        kind="email" if spec.network == "email" else "mention",
        subject=spec.subject,
        html=spec.html,
        media=spec.media,
        url=spec.url or f"https://{spec.network}.example/post/{spec.key}",
    )  # fmt: skip
    with rt.session() as s:
        report = ingest(s, channel, [item], defer_jobs=False)
        cid = next(iter(report.conversation_ids))
        classify(s, cid, spec)
        catch_up(s.connection())  # what the sync's index job does
    return cid


def classify(s: Any, cid: int, spec: Spec) -> None:
    conv = s.get(Conversation, cid)
    conv.intent, conv.priority = spec.intent, Priority(spec.priority)
    conv.priority_score, conv.priority_reasons = SCORES[spec.priority], list(spec.reasons)
    conv.is_spam = spec.spam
    s.execute(
        update(Message)
        .where(Message.conversation_id == cid)
        .values(
            classified_at=datetime.now(UTC),
            classifier_version="test",
            intent=spec.intent,
            sentiment="neutral",
            spam=spec.spam,
            spam_score=0.9 if spec.spam else 0.02,
            toxic=False,
            reasons=list(spec.reasons),
        )
    )
    if conv.fan_id:
        fan = s.get(Fan, conv.fan_id)
        fan.segment = Segment(spec.segment)
        fan.engagement_score = 80.0 if spec.segment == "superfan" else 20.0


def seed_inbox(rt: Runtime, workspace_id: int) -> dict[str, int]:
    """The standard inbox: a promoter, a ticket problem, press, praise, a question, spam, an email."""
    return {spec.key: add_conversation(rt, workspace_id, spec) for spec in FANS}


def fan_writes(rt: Runtime, workspace_id: int, network: str, author: str, text: str) -> None:
    """A fan already in a conversation writes again (a new message in their thread)."""
    channel = _channel(rt, workspace_id, network)
    with rt.session() as s:
        conv = s.scalars(
            select(Conversation)
            .join(Fan, Fan.id == Conversation.fan_id)
            .where(Conversation.channel_id == channel.id)
            .order_by(Conversation.id)
        ).first()
        thread = conv.external_thread_id if conv else None
    item = IncomingItem(
        external_id=f"again-{datetime.now(UTC).timestamp()}",
        text=text,
        created_at=datetime.now(UTC),
        author=Author(external_id=f"id-{author}", handle=author, name=author.title()),
        thread_id=thread,
    )
    with rt.session() as s:
        ingest(s, channel, [item], defer_jobs=False)
        catch_up(s.connection())
