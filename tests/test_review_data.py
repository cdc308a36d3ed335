"""A fixed, hand-written week for the review tests (figures worked out in test_review.py).

The workspace is in Europe/Paris with business hours Monday-Friday 09:00-18:00.
The week under review is 2026-W13, Monday 23 March to Sunday 29 March 2026: the
clocks go forward on the Sunday, so the week is 167 hours long and ends at
2026-03-29 22:00 UTC. Times below are UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from models import (
    Channel,
    Conversation,
    ConversationStatus,
    Direction,
    Fan,
    Identity,
    Message,
    MessageKind,
    Reply,
    ReplyStatus,
    Segment,
    User,
    Workspace,
)

NOW = datetime(2026, 4, 2, 12, 0, tzinfo=UTC)
HOURS = {"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00"}


def utc(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Builder:
    s: Session
    ws: Workspace
    n: int = 0

    def channel(self, network: str) -> Channel:
        ch = Channel(workspace_id=self.ws.id, network=network, connector=network, handle="band")
        self.s.add(ch)
        self.s.flush()
        return ch

    def fan(self, name: str, ch: Channel, segment: Segment = Segment.NEW) -> Identity:
        fan = Fan(workspace_id=self.ws.id, display_name=name, segment=segment)
        self.s.add(fan)
        self.s.flush()
        ident = Identity(
            workspace_id=self.ws.id,
            fan_id=fan.id,
            network=ch.network,
            external_id=f"id-{name}",
            handle=name.lower(),
        )
        self.s.add(ident)
        self.s.flush()
        return ident

    def conversation(self, ch: Channel, who: Identity | None) -> Conversation:
        self.n += 1
        conv = Conversation(
            workspace_id=self.ws.id,
            channel_id=ch.id,
            fan_id=who.fan_id if who else None,
            external_thread_id=f"t{self.n}",
            kind=MessageKind.MENTION,
        )
        self.s.add(conv)
        self.s.flush()
        return conv

    def fan_says(
        self,
        conv: Conversation,
        who: Identity,
        at: datetime,
        intent: str = "other",
        sentiment: str = "neutral",
        **kw: object,
    ) -> Message:
        return self._message(
            conv, at, Direction.INBOUND, who.id, intent=intent, sentiment=sentiment, **kw
        )

    def we_say(
        self, conv: Conversation, at: datetime, author: User | None = None, text: str = "thanks"
    ) -> Message:
        msg = self._message(conv, at, Direction.OUTBOUND, None, text=text)
        if author is not None:
            self.n += 1
            self.s.add(
                Reply(
                    workspace_id=self.ws.id,
                    conversation_id=conv.id,
                    author_id=author.id,
                    text=text,
                    status=ReplyStatus.SENT,
                    idempotency_key=f"k{self.n}",
                    message_id=msg.id,
                    created_at=at,
                    sent_at=at,
                )
            )
            self.s.flush()
        return msg

    def _message(
        self,
        conv: Conversation,
        at: datetime,
        direction: Direction,
        author_id: int | None,
        text: str = "hello",
        **kw: object,
    ) -> Message:
        self.n += 1
        msg = Message(
            workspace_id=self.ws.id,
            channel_id=conv.channel_id,
            conversation_id=conv.id,
            external_id=f"m{self.n}",
            direction=direction,
            kind=MessageKind.MENTION,
            text=text,
            sent_at=at,
            author_identity_id=author_id,
            **kw,
        )
        self.s.add(msg)
        self.s.flush()
        return msg


def build(s: Session, workspace_id: int) -> dict[str, int]:
    """The data set; returns the ids the tests name."""
    ws = s.get_one(Workspace, workspace_id)
    ws.timezone = "Europe/Paris"
    ws.business_hours = dict(HOURS)
    owner = s.query(User).filter_by(email="owner@example.org").one()
    agent = s.query(User).filter_by(email="agent@example.org").one()
    b = Builder(s, ws)
    x, bsky = b.channel("x"), b.channel("bluesky")
    a, bb, c = b.fan("Alice", x), b.fan("Bruno", x), b.fan("Chloe", bsky)
    d, e, f = b.fan("Dana", bsky), b.fan("Emil", x), b.fan("Fred", x)
    g, h, lapsing = (
        b.fan("Gina", x),
        b.fan("Hugo", bsky, Segment.SUPERFAN),
        b.fan("Lou", x, Segment.LAPSED),
    )
    spammer = b.fan("Spammy", x, Segment.BOT)

    # Before the trend: Lou's 10 messages end on 24 December (90 days later: 24 March);
    # Hugo's first 9 in January; Bruno answered on 10 February (45 days before he writes again).
    c_lou = b.conversation(x, lapsing)
    for day in range(15, 25):
        b.fan_says(c_lou, lapsing, utc(12, day, 12, year=2025))
    c_hugo = b.conversation(bsky, h)
    for day in range(5, 14):
        b.fan_says(c_hugo, h, utc(1, day, 12))
    c_bruno_old = b.conversation(x, bb)
    b.fan_says(c_bruno_old, bb, utc(2, 10, 9))
    b.we_say(c_bruno_old, utc(2, 10, 10))

    # W11: Alice's first message, answered (13 days before she writes again).
    c0 = b.conversation(x, a)
    b.fan_says(c0, a, utc(3, 10, 9))
    b.we_say(c0, utc(3, 10, 10), owner)

    # W12: Gina, Wednesday, answered in an hour; again Sunday 23:30 Paris (22:30 UTC).
    c_gina = b.conversation(x, g)
    b.fan_says(c_gina, g, utc(3, 18, 9))
    b.we_say(c_gina, utc(3, 18, 10), owner, text="see you soon")
    b.fan_says(c_gina, g, utc(3, 22, 22, 30))

    # W13, the week under review.
    c1 = b.conversation(x, a)  # answered in 1h30 on a Monday morning
    b.fan_says(c1, a, utc(3, 23, 9), intent="question", sentiment="positive")
    b.we_say(c1, utc(3, 23, 10, 30), owner, text="Thank you for writing!")
    c2 = b.conversation(x, bb)  # Friday 17:00 Paris, answered Monday 10:00 Paris (CEST)
    b.fan_says(c2, bb, utc(3, 27, 16), intent="support")
    b.fan_says(c2, bb, utc(3, 27, 16, 30), intent="support", deleted_at=utc(3, 27, 17))
    b.we_say(c2, utc(3, 30, 8), agent)
    c2.status = ConversationStatus.DONE
    c3 = b.conversation(bsky, c)  # two complaints at the weekend, never answered
    b.fan_says(c3, c, utc(3, 28, 11), intent="complaint", sentiment="negative")
    b.fan_says(c3, c, utc(3, 29, 10), intent="complaint", sentiment="negative")
    c4 = b.conversation(bsky, d)  # Dana, answered on Bluesky itself, then erased
    b.fan_says(c4, d, utc(3, 24, 8), intent="praise", sentiment="positive")
    b.we_say(c4, utc(3, 24, 9))
    c5 = b.conversation(x, spammer)  # spam and a scam
    c5.is_spam = True
    b.fan_says(c5, spammer, utc(3, 25, 9), spam=True)
    b.fan_says(c5, spammer, utc(3, 25, 10), spam=False, scam=True)
    c6 = b.conversation(x, e)  # Monday 00:30 Paris (Sunday 23:30 UTC), answered 09:30 Paris
    b.fan_says(c6, e, utc(3, 22, 23, 30), intent="booking")
    b.we_say(c6, utc(3, 23, 8, 30), owner, text="Thank you for writing!")
    b.fan_says(c_hugo, h, utc(3, 25, 19), intent="praise", sentiment="positive")  # 10th
    b.we_say(c_hugo, utc(3, 26, 8), agent)  # Wednesday 20:00 -> Thursday 09:00 Paris
    # The same words to Gina's and Lou's threads: the fourth in a day is a confirmed warning.
    b.we_say(c_gina, utc(3, 23, 11), owner, text="Thank you for writing!")
    b.we_say(c_lou, utc(3, 23, 11, 30), owner, text="Thank you for writing!")

    # W14: Monday 00:30 Paris is Sunday 22:30 UTC, after the clocks went forward.
    c7 = b.conversation(x, f)
    b.fan_says(c7, f, utc(3, 29, 22, 30))
    s.flush()
    # Dana asks to be forgotten on Wednesday: her fan row goes (identities with it).
    s.execute(delete(Fan).where(Fan.id == d.fan_id))
    s.flush()
    return {
        "c1": c1.id,
        "c2": c2.id,
        "c3": c3.id,
        "c4": c4.id,
        "c6": c6.id,
        "c_hugo": c_hugo.id,
        "owner": owner.id,
        "agent": agent.id,
        "alice": a.fan_id,
        "chloe": c.fan_id,
    }
