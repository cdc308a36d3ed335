"""The weekly engagement review: how the conversation with the fans went, week by week.

It lives below the web app because two callers need it: the Review page, the
API and ``unplugged report`` (through :mod:`crm.services.review`), and the
weekly digest the clock sends (:mod:`inbox.digest`), which may not import
``crm``. Everything here is plain SQL over the stored messages and replies,
aggregated in the database; Python only sorts the first response times of
one range of weeks to take their median and 90th percentile.

A week is an ISO week in the workspace's time zone: Monday 00:00 to the next
Monday 00:00 local time, so a week across a daylight-saving change is 167 or
169 hours long. Figures for the asked week come with the week before (the
change) and the 8 weeks ending with it (the trend).

Definitions (the page shows them in words):

* *fan message*: an inbound message, not deleted, not marked spam or scam.
* *needed a reply*: a conversation with a fan message in the week. Its clock
  starts at the first fan message of the week there.
* *replied*: one of ours (an outbound message, not deleted) in that
  conversation at or after the clock's start, at any time since; the first
  response time is the time until the first such one, in all hours or in the
  workspace's business hours.
* *returning fan*: a fan who wrote in the week, after a personal reply
  (ours, in a conversation of theirs or answering one of their messages)
  sent at most 30 days before.
* *new fan*: a fan whose first fan message ever is in the week.
* *superfan gained*: a fan who is a superfan now and whose 10th fan message
  (the superfan bar, :data:`triage.segments.SUPERFAN_MIN_MESSAGES`) came in
  the week. *Lapsed*: a fan of that many messages, a superfan or lapsed now,
  whose 90 days of silence (:data:`triage.segments.LAPSED_AFTER_DAYS`) ran out
  in the week. Segments have no history, so these read the messages.
* *guardrail flag*: a reply whose exact words had gone to at least
  :data:`inbox.outbox.IDENTICAL_WARN_AT` other conversations in the day
  before it: the composer warned, and someone confirmed anyway.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    Select,
    String,
    and_,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from inbox.outbox import IDENTICAL_WARN_AT, IDENTICAL_WINDOW
from models import (
    Channel,
    Conversation,
    ConversationStatus,
    Direction,
    Fan,
    Identity,
    Message,
    Reply,
    ReplyStatus,
    ReviewWeek,
    Segment,
    User,
    Workspace,
)
from triage.segments import LAPSED_AFTER_DAYS, SUPERFAN_MIN_MESSAGES

TREND_WEEKS = 8
# A week's figures are kept (review_weeks) once this long has passed since it ended:
# late answers have had their time.
FINAL_AFTER = timedelta(days=7)
RETURN_WINDOW = timedelta(days=30)
TOP_FANS = 10
SUPPORT_INTENTS = ("complaint", "support")
WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


class BadWeek(ValueError):
    """A week that cannot be read (the message says which form is expected)."""


@dataclass(frozen=True, order=True)
class Week:
    """An ISO week: ``2026-W47``."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Week:
        match = WEEK_RE.match(text.strip())
        if match is None:
            raise BadWeek("week must look like 2026-W47")
        year, number = int(match.group(1)), int(match.group(2))
        try:
            date.fromisocalendar(year, number, 1)
        except ValueError:
            raise BadWeek(f"{year} has no week {number}") from None
        if not 1970 <= year <= 9000:
            raise BadWeek("week must look like 2026-W47")
        return cls(year, number)

    @classmethod
    def of(cls, day: date) -> Week:
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def last_full(cls, now: datetime, zone: ZoneInfo) -> Week:
        """The last week that has ended, in ``zone``."""
        return cls.of(now.astimezone(zone).date()).shifted(-1)

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def shifted(self, weeks: int) -> Week:
        return Week.of(self.monday + timedelta(weeks=weeks))

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) in UTC: local Monday midnight to the next local Monday midnight."""
        start = datetime.combine(self.monday, time.min, tzinfo=zone)
        end = datetime.combine(self.monday + timedelta(days=7), time.min, tzinfo=zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    def __str__(self) -> str:
        return f"{self.year}-W{self.number:02d}"


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class BusinessHours:
    """Working hours: ISO weekdays and a daily local start and end."""

    days: frozenset[int]
    start: time
    end: time

    @classmethod
    def from_setting(cls, value: dict[str, Any] | None) -> BusinessHours | None:
        """The workspace's setting, or None when unset or unreadable (all hours count)."""
        if not value:
            return None
        try:
            days = frozenset(int(d) for d in value["days"])
            start, end = time.fromisoformat(value["start"]), time.fromisoformat(value["end"])
        except (KeyError, TypeError, ValueError):
            return None
        if not days or not days <= set(range(1, 8)) or start >= end:
            return None
        return cls(days, start, end)

    def seconds_between(self, a: datetime, b: datetime, zone: ZoneInfo) -> float:
        """Working seconds in [a, b]: each working day's local hours, DST included."""
        if b <= a:
            return 0.0
        total = 0.0
        day = a.astimezone(zone).date()
        last = b.astimezone(zone).date()
        while day <= last:
            if day.isoweekday() in self.days:
                open_ = datetime.combine(day, self.start, tzinfo=zone).astimezone(UTC)
                close = datetime.combine(day, self.end, tzinfo=zone).astimezone(UTC)
                lo, hi = max(a, open_), min(b, close)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return total


def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def p90(values: Sequence[float]) -> float | None:
    """The nearest-rank 90th percentile: the smallest value at or above 90% of them."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[math.ceil(0.9 * len(ordered)) - 1])


# ---------------------------------------------------------------------------
# Results


@dataclass
class Figures:
    """One scope's conversation figures for the asked week (the workspace, a network)."""

    messages: int = 0
    conversations: int = 0
    fans: int = 0
    needed_reply: int = 0
    replied: int = 0
    frt: list[float] = field(default_factory=list)  # seconds, all hours
    frt_business: list[float] = field(default_factory=list)

    @property
    def unanswered(self) -> int:
        return self.needed_reply - self.replied

    @property
    def reply_share(self) -> float | None:
        return self.replied / self.needed_reply if self.needed_reply else None


@dataclass(frozen=True)
class MemberRow:
    user_id: int | None  # None: replies written outside Unplugged
    name: str
    replies: int
    first_responses: int
    frt_median_s: float | None
    frt_p90_s: float | None
    flags: int


@dataclass(frozen=True)
class FanRow:
    fan_id: int
    name: str
    messages: int
    conversations: int
    segment: str


@dataclass(frozen=True)
class CaseRow:
    conversation_id: int
    intent: str
    network: str
    replied: bool
    resolved: bool


@dataclass(frozen=True)
class FlagRow:
    reply_id: int
    conversation_id: int
    author: str
    sent_at: datetime
    others: int  # other conversations that got the same words in the day before


@dataclass
class Review:
    workspace_id: int
    week: Week
    zone: ZoneInfo
    start: datetime
    end: datetime
    business_hours: BusinessHours | None
    weeks: list[Week]  # the trend, oldest first; the asked week last
    # Per week of ``weeks``: every measure's value (see :func:`summary`), with
    # "intents" and "sentiments" as {label: messages}.
    summaries: list[dict[str, Any]]
    this: Figures  # the asked week, with its response times
    networks: dict[str, Figures]  # the asked week, per network
    members: list[MemberRow]
    top_fans: list[FanRow]
    case_rows: list[CaseRow]
    flag_rows: list[FlagRow]
    gained_names: list[str]
    lapsed_names: list[str]
    stored_weeks: int = 0  # how many weeks of the trend were read from review_weeks

    def series(self, key: str) -> list[Any]:
        return [s.get(key) for s in self.summaries]

    def _by_label(self, key: str) -> dict[str, list[int]]:
        labels = sorted({k for s in self.summaries for k in s.get(key, {})})
        return {k: [int(s.get(key, {}).get(k, 0)) for s in self.summaries] for k in labels}

    @property
    def intents(self) -> dict[str, list[int]]:
        return self._by_label("intents")

    @property
    def sentiments(self) -> dict[str, list[int]]:
        return self._by_label("sentiments")


# ---------------------------------------------------------------------------
# One week's queries. Each reads the week's range through ix_messages_review.


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _moment(value: str | datetime) -> datetime:
    """A stored time read without SQLAlchemy's per-value conversion (a tenth of a week's
    counting over a million messages): SQLite hands back its ISO text, PostgreSQL a datetime."""
    return _aware(datetime.fromisoformat(value) if isinstance(value, str) else value)


def _fan_message(m: Any, workspace_id: int, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(
        m.workspace_id == workspace_id,
        m.sent_at >= start,
        m.sent_at < end,
        m.direction == Direction.INBOUND,
        m.deleted_at.is_(None),
        or_(m.spam.is_(None), m.spam.is_(False)),
        or_(m.scam.is_(None), m.scam.is_(False)),
    )


def _by_author(m: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    """:func:`_fan_message` for a lookup by author: without the workspace (the author's
    is), so the database walks the author index rather than the workspace's time range."""
    return and_(
        m.sent_at >= start,
        m.sent_at < end,
        m.direction == Direction.INBOUND,
        m.deleted_at.is_(None),
        or_(m.spam.is_(None), m.spam.is_(False)),
        or_(m.scam.is_(None), m.scam.is_(False)),
    )


def _chunks(ids: Sequence[int], size: int = 900) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


@dataclass
class _Clock:
    conversation_id: int
    network: str
    started: datetime
    answered: datetime | None = None
    answer_id: int | None = None


@dataclass
class _Week:
    """What one week's counting found; :func:`summary` turns it into measure values."""

    total: Figures
    networks: dict[str, Figures]
    clocks: dict[int, _Clock]
    intents: dict[str, int]
    sentiments: dict[str, int]
    new_fans: int = 0
    returning_fans: int = 0
    gained: list[int] = field(default_factory=list)
    lapsed: list[int] = field(default_factory=list)
    flags: list[tuple[int, int, int | None, datetime, int]] = field(default_factory=list)
    cases: list[CaseRow] = field(default_factory=list)
    per_fan: dict[int, tuple[int, int]] = field(default_factory=dict)


@dataclass
class _Volumes:
    total: Figures
    networks: dict[str, Figures]
    clocks: dict[int, _Clock]
    intents: dict[str, int]
    sentiments: dict[str, int]
    fans: set[int]
    cases: dict[int, str]  # conversation -> its complaint or support intent
    per_fan: dict[int, tuple[int, int]]  # fan -> (messages, conversations)
    spans: dict[int, tuple[datetime, datetime]]  # fan -> their first and last of the week


def _volumes(session: Session, workspace_id: int, start: datetime, end: datetime) -> _Volumes:
    """One pass over the week's fan messages, grouped by channel, conversation, author,
    intent and sentiment: every count, who wrote where, and where each clock starts."""
    m = Message
    networks = dict(
        session.execute(
            select(Channel.id, Channel.network).where(Channel.workspace_id == workspace_id)
        ).all()
    )
    total = Figures()
    nets: dict[str, Figures] = defaultdict(Figures)
    intents: dict[str, int] = defaultdict(int)
    sentiments: dict[str, int] = defaultdict(int)
    clocks: dict[int, _Clock] = {}
    fans: set[int] = set()
    net_convs: dict[str, set[int]] = defaultdict(set)
    net_fans: dict[str, set[int]] = defaultdict(set)
    cases: dict[int, str] = {}  # conversation -> its complaint or support intent
    per_fan: dict[int, list[Any]] = defaultdict(lambda: [0, set()])  # messages, conversations
    spans: dict[int, tuple[datetime, datetime]] = {}  # fan -> first and last of the week
    for channel_id, cid, fid, intent, sentiment, raw_first, raw_last, count in session.execute(
        select(
            m.channel_id,
            m.conversation_id,
            Identity.fan_id,
            m.intent,
            m.sentiment,
            type_coerce(func.min(m.sent_at), String),  # read raw: see _moment
            type_coerce(func.max(m.sent_at), String),
            func.count(),
        )
        .select_from(m)
        .outerjoin(Identity, Identity.id == m.author_identity_id)
        .where(_fan_message(m, workspace_id, start, end))
        .group_by(m.channel_id, m.conversation_id, Identity.fan_id, m.intent, m.sentiment)
    ):
        network = networks[channel_id]
        total.messages += count
        nets[network].messages += count
        intents[intent or "other"] += count
        sentiments[sentiment or "neutral"] += count
        if intent in SUPPORT_INTENTS:
            cases[cid] = min(cases.get(cid, intent), intent)
        first, last = _moment(raw_first), _moment(raw_last)
        if fid is not None:
            per_fan[fid][0] += count
            per_fan[fid][1].add(cid)
            lo, hi = spans.get(fid, (first, last))
            spans[fid] = (min(lo, first), max(hi, last))
            fans.add(fid)
            net_fans[network].add(fid)
        clock = clocks.get(cid)
        if clock is None:
            clocks[cid] = _Clock(cid, network, first)
        elif first < clock.started:
            clock.started = first
        net_convs[network].add(cid)
    total.conversations, total.fans = len(clocks), len(fans)
    for network, convs in net_convs.items():
        nets[network].conversations, nets[network].fans = len(convs), len(net_fans[network])
    return _Volumes(
        total,
        dict(nets),
        clocks,
        dict(intents),
        dict(sentiments),
        fans,
        cases,
        {fid: (n, len(convs)) for fid, (n, convs) in per_fan.items()},
        spans,
    )


def _answer(
    session: Session, workspace_id: int, start: datetime, clocks: dict[int, _Clock]
) -> None:
    """Our first answer after each clock's start: ours, not deleted, at any time since."""
    if not clocks:
        return
    o = Message
    for cid, at, mid in session.execute(
        select(o.conversation_id, o.sent_at, o.id)
        .where(
            o.workspace_id == workspace_id,
            o.sent_at >= start,
            o.direction == Direction.OUTBOUND,
            o.deleted_at.is_(None),
        )
        .order_by(o.sent_at, o.id)
    ):
        clock = clocks.get(cid)
        if clock is None or clock.answered is not None:
            continue
        at = _aware(at)
        if at >= clock.started:
            clock.answered, clock.answer_id = at, mid


def _personal_reply_queries(
    workspace_id: int, start: datetime, end: datetime
) -> tuple[Select[int | None, datetime], Select[int, datetime]]:
    """Ours in [start, end) to a fan: in a conversation of theirs, or answering their message."""
    o, p = aliased(Message), aliased(Message)
    ours = and_(
        o.workspace_id == workspace_id,
        o.sent_at >= start,
        o.sent_at < end,
        o.direction == Direction.OUTBOUND,
        o.deleted_at.is_(None),
    )
    by_thread = (
        select(Conversation.fan_id, o.sent_at)
        .join(Conversation, Conversation.id == o.conversation_id)
        .where(ours, Conversation.fan_id.is_not(None))
    )
    by_parent = (
        select(Identity.fan_id, o.sent_at)
        .join(p, p.id == o.parent_id)
        .join(Identity, Identity.id == p.author_identity_id)
        .where(ours)
    )
    return by_thread, by_parent


def _returning(
    session: Session,
    workspace_id: int,
    start: datetime,
    end: datetime,
    spans: dict[int, tuple[datetime, datetime]],
) -> int:
    """Fans who wrote in [start, end) at most 30 days after a personal reply.

    With their first and last message of the week (``spans``), a fan returned
    exactly when a reply to them falls in [first - 30 days, last): before the
    first, the first message came within 30 days; inside the week, a later
    message of the same week came within 7.
    """
    by_thread, by_parent = _personal_reply_queries(workspace_id, start - RETURN_WINDOW, end)
    back: set[int] = set()
    for q in (by_thread, by_parent):
        for fid, at in session.execute(q):
            span = spans.get(fid) if fid is not None else None
            if fid is not None and span and span[0] - RETURN_WINDOW <= _aware(at) < span[1]:
                back.add(fid)
    return len(back)


def _new_fans(
    session: Session, workspace_id: int, start: datetime, end: datetime, fans: set[int]
) -> int:
    """Fans of the week (``fans``) with no fan message before it.

    Each check stops at the first earlier message found (the author index reads
    a fan's messages oldest first), so it costs about one row per fan.
    """
    i, m = aliased(Identity), aliased(Message)
    earlier = (
        select(m.id)
        .join(i, i.id == m.author_identity_id)
        .where(
            i.fan_id == Fan.id,
            _by_author(m, datetime(1970, 1, 1, tzinfo=UTC), start),
        )
        .limit(1)
    )
    new = 0
    for chunk in _chunks(sorted(fans)):
        new += int(
            session.scalar(select(func.count()).where(Fan.id.in_(chunk), ~earlier.exists())) or 0
        )
    return new


def _nth_message(workspace_id: int, start: datetime, end: datetime, n: int) -> ScalarSelect[int]:
    """The id of the current fan's n-th fan message in [start, end) (any n-th: NULL when
    they wrote fewer), read through the author index: at most about n rows."""
    i, m = aliased(Identity), aliased(Message)
    return (
        select(m.id)
        .join(i, i.id == m.author_identity_id)
        .where(i.fan_id == Fan.id, _by_author(m, start, end))
        .limit(1)
        .offset(n - 1)
        .scalar_subquery()
    )


def _superfans(
    session: Session, workspace_id: int, start: datetime, end: datetime, fans: set[int]
) -> tuple[list[int], list[int]]:
    """Fans who crossed the superfan bar in the week, and those whose silence lapsed them.

    Gained: a superfan of the week's ``fans`` with fewer than 10 fan messages
    before it and 10 by its end. Lapsed: a superfan or lapsed fan of 10
    messages or more who wrote in the week 90 days before (so the silence ran
    out in this one) and not since, up to this week's end.
    """
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    quiet = timedelta(days=LAPSED_AFTER_DAYS)
    bar = SUPERFAN_MIN_MESSAGES
    below: list[int] = []  # superfans of the week under the bar when it began
    for chunk in _chunks(sorted(fans)):
        below.extend(
            session.scalars(
                select(Fan.id).where(
                    Fan.id.in_(chunk),
                    Fan.segment == Segment.SUPERFAN,
                    _nth_message(workspace_id, epoch, start, bar).is_(None),
                )
            )
        )
    gained: list[int] = []
    for chunk in _chunks(below):
        gained.extend(
            session.scalars(
                select(Fan.id).where(
                    Fan.id.in_(chunk), _nth_message(workspace_id, epoch, end, bar).is_not(None)
                )
            )
        )
    then = (
        select(Identity.fan_id)
        .join(Message, Message.author_identity_id == Identity.id)
        .where(_fan_message(Message, workspace_id, start - quiet, end - quiet))
    )
    lapsed = session.scalars(
        select(Fan.id)
        .where(
            Fan.id.in_(then),
            Fan.segment.in_([Segment.SUPERFAN, Segment.LAPSED]),
            _nth_message(workspace_id, end - quiet, end, 1).is_(None),
            _nth_message(workspace_id, epoch, end, bar).is_not(None),
        )
        .order_by(Fan.id)
    ).all()
    return sorted(gained), list(lapsed)


def _flags(
    session: Session, workspace_id: int, start: datetime, end: datetime
) -> list[tuple[int, int, int | None, datetime, int]]:
    """Replies of [start, end) whose words had gone to IDENTICAL_WARN_AT+ other conversations
    in the day before (what :func:`inbox.outbox.identical_recent_count` warned about).

    Replies are few (people write them): each text's replies are walked in time
    order with a one-day window, the same on every database.
    """
    by_text: dict[str, list[tuple[datetime, int, int, int | None]]] = defaultdict(list)
    for rid, cid, uid, at, text in session.execute(
        select(Reply.id, Reply.conversation_id, Reply.author_id, Reply.created_at, Reply.text)
        .where(
            Reply.workspace_id == workspace_id,
            Reply.created_at >= start - IDENTICAL_WINDOW,
            Reply.created_at < end,
            Reply.status != ReplyStatus.FAILED,
        )
        .order_by(Reply.created_at, Reply.id)
    ):
        by_text[text.strip()].append((_aware(at), rid, cid, uid))
    out: list[tuple[int, int, int | None, datetime, int]] = []
    for sent in by_text.values():
        if len(sent) <= IDENTICAL_WARN_AT:
            continue
        window: dict[int, int] = defaultdict(int)  # conversation -> replies in the window
        lo = 0
        for at, rid, cid, uid in sent:
            while sent[lo][0] < at - IDENTICAL_WINDOW:
                old = sent[lo][2]
                window[old] -= 1
                if not window[old]:
                    del window[old]
                lo += 1
            others = len(window) - (1 if cid in window else 0)
            if start <= at < end and others >= IDENTICAL_WARN_AT:
                out.append((rid, cid, uid, at, others))
            window[cid] += 1
    return sorted(out, key=lambda f: (f[3], f[0]))


def _cases(session: Session, cases: dict[int, str], clocks: dict[int, _Clock]) -> list[CaseRow]:
    """The week's complaint and support conversations, replied and resolved (done)."""
    done: set[int] = set()
    for chunk in _chunks(sorted(cases)):
        done.update(
            session.scalars(
                select(Conversation.id).where(
                    Conversation.id.in_(chunk), Conversation.status == ConversationStatus.DONE
                )
            )
        )
    return [
        CaseRow(
            cid,
            intent,
            clocks[cid].network if cid in clocks else "",
            cid in clocks and clocks[cid].answered is not None,
            cid in done,
        )
        for cid, intent in sorted(cases.items())
    ]


def _count_week(
    session: Session,
    workspace_id: int,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    hours: BusinessHours | None,
) -> _Week:
    v = _volumes(session, workspace_id, start, end)
    total, nets, clocks, fans = v.total, v.networks, v.clocks, v.fans
    _answer(session, workspace_id, start, clocks)
    for c in clocks.values():
        for f in (total, nets[c.network]):
            f.needed_reply += 1
            if c.answered is not None:
                f.replied += 1
                f.frt.append((c.answered - c.started).total_seconds())
                if hours is not None:
                    f.frt_business.append(hours.seconds_between(c.started, c.answered, zone))
    week = _Week(total, nets, clocks, v.intents, v.sentiments, per_fan=v.per_fan)
    week.new_fans = _new_fans(session, workspace_id, start, end, fans)
    week.returning_fans = _returning(session, workspace_id, start, end, v.spans)
    week.gained, week.lapsed = _superfans(session, workspace_id, start, end, fans)
    week.flags = _flags(session, workspace_id, start, end)
    week.cases = _cases(session, v.cases, clocks)
    return week


def summary(week: _Week, hours: BusinessHours | None) -> dict[str, Any]:
    """A week's measure values: what the trend shows and review_weeks keeps."""
    t = week.total
    return {
        "messages": t.messages,
        "conversations": t.conversations,
        "fans": t.fans,
        "needed_reply": t.needed_reply,
        "replied": t.replied,
        "reply_share": t.reply_share,
        "unanswered": t.unanswered,
        "frt_median": median(t.frt),
        "frt_p90": p90(t.frt),
        "frt_business_median": median(t.frt_business) if hours else None,
        "frt_business_p90": p90(t.frt_business) if hours else None,
        "new_fans": week.new_fans,
        "returning_fans": week.returning_fans,
        "superfans_gained": len(week.gained),
        "superfans_lapsed": len(week.lapsed),
        "cases": len(week.cases),
        "cases_resolved": sum(c.resolved for c in week.cases),
        "flags": len(week.flags),
        "intents": dict(sorted(week.intents.items())),
        "sentiments": dict(sorted(week.sentiments.items())),
    }


# ---------------------------------------------------------------------------
# Names for the asked week's lists


def _names(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = [u for u in set(user_ids) if u is not None]
    if not ids:
        return {}
    return {
        uid: name or email
        for uid, name, email in session.execute(
            select(User.id, User.name, User.email).where(User.id.in_(ids))
        )
    }


def _fan_names(session: Session, fan_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    ids = list(set(fan_ids))
    out: dict[int, tuple[str, str]] = {}
    for chunk in _chunks(ids):
        for fid, name, segment in session.execute(
            select(Fan.id, Fan.display_name, Fan.segment).where(Fan.id.in_(chunk))
        ):
            out[fid] = (name or "", str(segment))
    handles: dict[int, str] = {}
    for chunk in _chunks([f for f, (n, _) in out.items() if not n]):
        for fid, handle in session.execute(
            select(Identity.fan_id, Identity.handle).where(Identity.fan_id.in_(chunk))
        ):
            if handle:
                handles.setdefault(fid, handle)
    return {f: (n or handles.get(f, f"#{f}"), s) for f, (n, s) in out.items()}


def _top_fans(session: Session, per_fan: dict[int, tuple[int, int]]) -> list[FanRow]:
    """The week's most engaged fans: most fan messages, then most conversations."""
    top = sorted(per_fan.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))[:TOP_FANS]
    names = _fan_names(session, [fid for fid, _ in top])
    return [FanRow(fid, names[fid][0], n, convs, names[fid][1]) for fid, (n, convs) in top]


def _answer_authors(session: Session, message_ids: Sequence[int]) -> dict[int, int | None]:
    """Which teammate's reply each answering message is (None: sent outside Unplugged)."""
    out: dict[int, int | None] = {i: None for i in message_ids}
    for chunk in _chunks(list(message_ids)):
        for mid, uid in session.execute(
            select(Reply.message_id, Reply.author_id).where(Reply.message_id.in_(chunk))
        ):
            if mid is not None:
                out[mid] = uid
    return out


def _members(
    session: Session, workspace_id: int, start: datetime, end: datetime, week: _Week
) -> tuple[list[MemberRow], dict[int, str]]:
    """Per teammate: replies sent in the week, first responses to the week's conversations."""
    sent: dict[int | None, int] = {
        uid: count
        for uid, count in session.execute(
            select(Reply.author_id, func.count())
            .where(
                Reply.workspace_id == workspace_id,
                Reply.status == ReplyStatus.SENT,
                Reply.sent_at >= start,
                Reply.sent_at < end,
            )
            .group_by(Reply.author_id)
        )
    }
    answered = [c for c in week.clocks.values() if c.answer_id is not None]
    authors = _answer_authors(session, [c.answer_id for c in answered if c.answer_id])
    times: dict[int | None, list[float]] = defaultdict(list)
    for c in answered:
        assert c.answered is not None and c.answer_id is not None
        times[authors.get(c.answer_id)].append((c.answered - c.started).total_seconds())
    flagged: dict[int | None, int] = defaultdict(int)
    for f in week.flags:
        flagged[f[2]] += 1
    people = set(sent) | set(times) | set(flagged)
    names = _names(session, people)
    rows = [
        MemberRow(
            uid,
            names.get(uid, "") if uid is not None else "",
            int(sent.get(uid, 0)),
            len(times.get(uid, [])),
            median(times.get(uid, [])),
            p90(times.get(uid, [])),
            flagged.get(uid, 0),
        )
        for uid in people
    ]
    return sorted(rows, key=lambda r: (r.user_id is None, -r.replies, r.name)), names


# ---------------------------------------------------------------------------
# The review


def compute(
    session: Session, workspace_id: int, week: Week | None = None, *, now: datetime | None = None
) -> Review:
    """The review of ``week`` (default: the last full week) for one workspace.

    The asked week is always counted. The weeks of its trend are read from
    ``review_weeks`` when they were stored finished (:data:`FINAL_AFTER` after
    their end, in the same time zone), else counted and, once finished, stored:
    commit the session to keep them.
    """
    ws = session.get_one(Workspace, workspace_id)
    zone = zone_of(ws.timezone)
    now = now or datetime.now(UTC)
    week = week or Week.last_full(now, zone)
    hours = BusinessHours.from_setting(ws.business_hours)
    weeks = [week.shifted(i - TREND_WEEKS + 1) for i in range(TREND_WEEKS)]
    names = [str(w) for w in weeks]
    stored = {
        row.week: row
        for row in session.scalars(
            select(ReviewWeek).where(
                ReviewWeek.workspace_id == workspace_id,
                ReviewWeek.week.in_(names),
                ReviewWeek.timezone == zone.key,
            )
        )
    }
    summaries: list[dict[str, Any]] = []
    kept = 0
    for w in weeks[:-1]:
        start, end = w.bounds(zone)
        row = stored.get(str(w))
        if row is not None and _aware(row.computed_at) >= end + FINAL_AFTER:
            summaries.append(dict(row.figures))
            kept += 1
            continue
        figures = summary(_count_week(session, workspace_id, start, end, zone, hours), hours)
        summaries.append(figures)
        _store(session, workspace_id, w, zone, figures, row, now, end)

    start, end = week.bounds(zone)
    this = _count_week(session, workspace_id, start, end, zone, hours)
    summaries.append(summary(this, hours))
    _store(session, workspace_id, week, zone, summaries[-1], stored.get(str(week)), now, end)
    members, people = _members(session, workspace_id, start, end, this)
    fan_names = _fan_names(session, this.gained + this.lapsed)
    return Review(
        workspace_id=workspace_id,
        week=week,
        zone=zone,
        start=start,
        end=end,
        business_hours=hours,
        weeks=weeks,
        summaries=summaries,
        this=this.total,
        networks=dict(sorted(this.networks.items())),
        members=members,
        top_fans=_top_fans(session, this.per_fan),
        case_rows=this.cases,
        flag_rows=[
            FlagRow(rid, cid, people.get(uid, "") if uid else "", at, count)
            for rid, cid, uid, at, count in this.flags
        ],
        gained_names=sorted(fan_names[f][0] for f in this.gained),
        lapsed_names=sorted(fan_names[f][0] for f in this.lapsed),
        stored_weeks=kept,
    )


def _store(
    session: Session,
    workspace_id: int,
    week: Week,
    zone: ZoneInfo,
    figures: dict[str, Any],
    row: ReviewWeek | None,
    now: datetime,
    end: datetime,
) -> None:
    """Keep a finished week's figures (two requests storing the same week: one wins)."""
    if now < end + FINAL_AFTER:
        return
    if row is not None:
        row.figures, row.computed_at = figures, now
        return
    try:
        with session.begin_nested():
            session.add(
                ReviewWeek(
                    workspace_id=workspace_id,
                    week=str(week),
                    timezone=zone.key,
                    figures=figures,
                    computed_at=now,
                )
            )
    except IntegrityError:
        pass
