"""Reading conversations: the filtered inbox, its counts, a thread and its neighbours.

Every list of conversations (the web inbox, the live poll, the JSON API, the
search page) is described by one :class:`InboxFilter`, turned into SQL here.
Lists are keyset-paginated on the sort key, so a page never repeats or skips a
row while new messages arrive, and the "next conversation" after marking one
done is the row that followed it in the very same ordering.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    exists,
    false,
    func,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import Session, joinedload, selectinload

from crm.services import fans, search
from crm.services.messages import N_, UserError
from models import (
    AuditEvent,
    Channel,
    Conversation,
    ConversationStatus,
    Direction,
    Fan,
    Label,
    Message,
    Note,
    Priority,
    Reply,
    Segment,
    User,
    conversation_labels,
)
from models.channel import NETWORKS

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
COUNT_CAP = 100  # the default cap of count_capped (a search's walk reads no further)
SEARCH_COUNT_CAP = 1000  # a saved search's sidebar count reads at most this many matches
VIEW_COUNT_CAP = 10_000  # a view's sidebar count reads at most this many conversations


class AtLeast(int):
    """A count that stopped at its cap: there are this many or more (shown "1,000+")."""


MESSAGE_WINDOW = 300  # a thread shows its latest messages; older ones stay one click away
MAX_SEARCH = 200
# The triage classifier's intents (triage); kept here so the inbox does not load the model.
INTENTS = ("question", "booking", "press", "collab", "support", "praise", "complaint", "other")


class NotFound(LookupError):
    pass


class BadFilter(UserError):
    """A filter value that cannot be understood; the message says which."""


class Sort(enum.StrEnum):
    NEWEST = "newest"  # latest activity first
    PRIORITY = "priority"  # highest priority score first, then latest activity


@dataclass(frozen=True)
class InboxFilter:
    """What a list of conversations contains and in which order.

    Empty tuples mean "any". ``spam`` is False to hide spam (every view but
    Spam), True for spam only, None for both. ``search`` is free text matched
    against messages and fan names (see :func:`search_condition`).
    """

    status: ConversationStatus | None = ConversationStatus.OPEN
    spam: bool | None = False
    networks: tuple[str, ...] = ()
    priorities: tuple[Priority, ...] = ()
    intents: tuple[str, ...] = ()
    segments: tuple[Segment, ...] = ()
    label_ids: tuple[int, ...] = ()
    assignee_id: int | None = None
    unassigned: bool = False
    waiting_for_us: bool | None = None
    active_from: datetime | None = None  # last activity at or after (timezone-aware)
    active_before: datetime | None = None  # last activity strictly before (timezone-aware)
    search: str = ""
    sort: Sort = Sort.NEWEST
    nothing: bool = False  # refinements that exclude each other: an empty list

    def narrowed(self, other: InboxFilter, explicit: Iterable[str]) -> InboxFilter:
        """This filter refined by the ``explicit`` fields of ``other``.

        Multi-valued fields intersect (a view of bookings filtered to X shows
        bookings on X); single values replace.
        """
        changes: dict[str, Any] = {}
        for name in explicit:
            mine, theirs = getattr(self, name), getattr(other, name)
            if isinstance(mine, tuple) and mine:
                both = tuple(v for v in theirs if v in mine)
                changes[name] = both
                if not both:
                    changes["nothing"] = True
            else:
                changes[name] = theirs
        return replace(self, **changes)


class QueryArgs(Protocol):
    """A URL query (werkzeug's MultiDict has this shape)."""

    def getlist(self, key: str) -> list[str]: ...


# URL parameter -> the InboxFilter field it sets.
FILTER_PARAMS = {
    "status": "status",
    "network": "networks",
    "priority": "priorities",
    "intent": "intents",
    "segment": "segments",
    "label": "label_ids",
    "assignee": "assignee_id",
    "waiting": "waiting_for_us",
    "from": "active_from",
    "to": "active_before",
    "q": "search",
    "sort": "sort",
}


def _enum_values(kind: type[enum.StrEnum], values: list[str], param: str) -> tuple[Any, ...]:
    out = []
    for v in values:
        try:
            out.append(kind(v))
        except ValueError:
            raise BadFilter(
                N_("Unknown %(param)s: %(value)s."), param=param, value=v[:40]
            ) from None
    return tuple(dict.fromkeys(out))


def _choices(values: list[str], allowed: Sequence[str], param: str) -> tuple[str, ...]:
    for v in values:
        if v not in allowed:
            raise BadFilter(N_("Unknown %(param)s: %(value)s."), param=param, value=v[:40])
    return tuple(dict.fromkeys(values))


# The largest id a database row can have (a signed 64-bit integer).
MAX_ID = 2**63 - 1


def database_id(raw: str) -> int | None:
    """``raw`` as a row id, or None when it is not one (not digits, 0, or past 2^63 - 1)."""
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None


def _local_day(value: str, zone: ZoneInfo, param: str) -> datetime:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    # A day the calendar arithmetic around it can hold (the filter adds a day to "to").
    if day is None or not 1900 <= day.year <= 9000:
        raise BadFilter(N_("%(param)s must be a date like 2026-03-01."), param=param)
    return datetime.combine(day, time.min, tzinfo=zone)


def parse_filter(
    args: QueryArgs, *, user_id: int, zone: ZoneInfo, base: InboxFilter | None = None
) -> tuple[InboxFilter, list[str]]:
    """The filter the URL asks for, on top of ``base`` (a view), and which fields it set.

    Dates are whole days in the reader's time zone. ``assignee`` is ``me``,
    ``none`` or a user id. Raises :class:`BadFilter` on values it cannot read.
    """
    base = base or InboxFilter()
    values: dict[str, Any] = {}

    def present(param: str) -> list[str]:
        return [v for v in args.getlist(param) if v != ""]

    if raw := present("status"):
        values["status"] = (
            None if raw[0] == "all" else _enum_values(ConversationStatus, raw[:1], "status")[0]
        )
    if raw := present("network"):
        values["networks"] = _choices(raw, NETWORKS, "network")
    if raw := present("priority"):
        values["priorities"] = _enum_values(Priority, raw, "priority")
    if raw := present("intent"):
        values["intents"] = _choices(raw, INTENTS, "intent")
    if raw := present("segment"):
        values["segments"] = _enum_values(Segment, raw, "segment")
    if raw := present("label"):
        label_ids = [database_id(v) for v in raw]
        if None in label_ids:
            raise BadFilter(N_("label must be a label id."))
        values["label_ids"] = tuple(dict.fromkeys(i for i in label_ids if i is not None))
    if raw := present("assignee"):
        if raw[0] == "me":
            values["assignee_id"], values["unassigned"] = user_id, False
        elif raw[0] == "none":
            values["assignee_id"], values["unassigned"] = None, True
        else:
            assignee = database_id(raw[0])
            if assignee is None:
                raise BadFilter(N_("assignee must be me, none or a user id."))
            values["assignee_id"], values["unassigned"] = assignee, False
    if raw := present("waiting"):
        if raw[0] not in {"1", "0"}:
            raise BadFilter(N_("waiting must be 1 or 0."))
        values["waiting_for_us"] = raw[0] == "1"
    if raw := present("from"):
        values["active_from"] = _local_day(raw[0], zone, "from")
    if raw := present("to"):
        values["active_before"] = _local_day(raw[0], zone, "to") + timedelta(days=1)
    if raw := present("q"):
        values["search"] = " ".join(raw[0].split())[:MAX_SEARCH]
    if raw := present("sort"):
        values["sort"] = _enum_values(Sort, raw[:1], "sort")[0]
    explicit = list(values)
    if "assignee_id" in values:
        explicit.append("unassigned")
    requested = replace(InboxFilter(), **values)
    return base.narrowed(requested, explicit), explicit


def search_terms(query: str) -> list[str]:
    """The words a search matches on (as the index reads them), longest first: to highlight."""
    return sorted(set(search.terms(query)), key=len, reverse=True)


def search_condition(session: Session, workspace_id: int, query: str) -> ColumnElement[bool]:
    """``Conversation.id`` among those whose messages or fan name match ``query``.

    The full-text index (:mod:`crm.services.search`: FTS5 on SQLite, tsvector
    on PostgreSQL) does the matching, so search combines with every filter.
    """
    return Conversation.id.in_(search.match_conversation_ids(session, workspace_id, query))


def filter_conditions(
    session: Session, workspace_id: int, flt: InboxFilter
) -> list[ColumnElement[bool]]:
    """The WHERE clauses of ``flt`` on :class:`Conversation` (no joins needed)."""
    c = Conversation
    where: list[ColumnElement[bool]] = [c.workspace_id == workspace_id]
    if flt.nothing:
        where.append(false())
    if flt.status is not None:
        where.append(c.status == flt.status)
    if flt.spam is not None:
        where.append(c.is_spam.is_(flt.spam))
    if flt.spam is False:
        # Muted and blocked fans stay out of the working views, as spam does; their
        # messages are kept (the fan's page shows them).
        quiet = fans.quiet_fan_ids(workspace_id)
        where.append(or_(c.fan_id.is_(None), c.fan_id.not_in(quiet)))
    if flt.networks:
        where.append(
            c.channel_id.in_(
                select(Channel.id).where(
                    Channel.workspace_id == workspace_id, Channel.network.in_(flt.networks)
                )
            )
        )
    if flt.priorities:
        where.append(c.priority.in_(flt.priorities))
    if flt.intents:
        where.append(c.intent.in_(flt.intents))
    if flt.segments:
        where.append(exists().where(Fan.id == c.fan_id, Fan.segment.in_(flt.segments)).correlate(c))
    if flt.label_ids:
        # Few conversations carry a label: start from them rather than test every row.
        cl = conversation_labels
        where.append(c.id.in_(select(cl.c.conversation_id).where(cl.c.label_id.in_(flt.label_ids))))
    if flt.unassigned:
        where.append(c.assignee_id.is_(None))
    elif flt.assignee_id is not None:
        where.append(c.assignee_id == flt.assignee_id)
    if flt.waiting_for_us is not None:
        where.append(c.waiting_for_us.is_(flt.waiting_for_us))
    if flt.active_from is not None:
        where.append(c.last_activity_at >= flt.active_from)
    if flt.active_before is not None:
        where.append(c.last_activity_at < flt.active_before)
    if flt.search:
        where.append(
            search_condition(session, workspace_id, flt.search)
            if search.terms(flt.search)
            else false()
        )
    return where


# --- ordering and keyset cursors -------------------------------------------------------


@dataclass(frozen=True)
class SortKey:
    score: int
    at: datetime
    id: int

    @classmethod
    def of(cls, conv: Conversation) -> SortKey:
        return cls(conv.priority_score, conv.last_activity_at, conv.id)

    def encode(self, sort: Sort) -> str:
        at = self.at.replace(tzinfo=None).isoformat()
        if sort == Sort.PRIORITY:
            return f"p~{self.score}~{at}~{self.id}"
        return f"n~{at}~{self.id}"

    @classmethod
    def decode(cls, cursor: str | None, sort: Sort) -> SortKey | None:
        """The key in a cursor made by :meth:`encode`, or None when it is not one."""
        if not cursor or len(cursor) > 80:
            return None
        parts = cursor.split("~")
        try:
            if sort == Sort.PRIORITY and parts[0] == "p" and len(parts) == 4:
                return cls(int(parts[1]), datetime.fromisoformat(parts[2]), int(parts[3]))
            if sort == Sort.NEWEST and parts[0] == "n" and len(parts) == 3:
                return cls(0, datetime.fromisoformat(parts[1]), int(parts[2]))
        except ValueError:
            return None
        return None


def _order(sort: Sort, descending: bool = True) -> list[Any]:
    c = Conversation
    cols: list[Any] = [c.last_activity_at, c.id]
    if sort == Sort.PRIORITY:
        cols.insert(0, c.priority_score)
    return [col.desc() if descending else col.asc() for col in cols]


def _beyond(sort: Sort, key: SortKey, after: bool = True) -> ColumnElement[bool]:
    """Rows after ``key`` in list order (or before it, for the previous row)."""
    c = Conversation
    if sort == Sort.PRIORITY:
        row, value = (
            tuple_(c.priority_score, c.last_activity_at, c.id),
            tuple_(key.score, key.at, key.id),
        )
    else:
        row, value = tuple_(c.last_activity_at, c.id), tuple_(key.at, key.id)
    return row < value if after else row > value


# --- the list --------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxRow:
    conversation: Conversation
    channel: Channel
    fan: Fan | None
    labels: list[Label] = field(default_factory=list)
    assignee_name: str | None = None
    # In a search, the passage of the matching message around the searched word (a long
    # email's opening rarely holds it); None elsewhere, where the preview is shown.
    passage: str | None = None


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    next_cursor: str | None
    # A search's number of conversations when finding it cost no more than the page
    # (the walk reached the last match); None: more than the rows shown.
    total: int | None = None


SEARCH_CURSOR = "s~"  # a search page continues below a match rank (see search.walk)


def _search_below(cursor: str | None) -> int | None:
    if cursor and cursor.startswith(SEARCH_CURSOR) and cursor[2:].isdigit() and len(cursor) < 24:
        return int(cursor[2:])
    return None


def _searching(flt: InboxFilter) -> bool:
    return bool(flt.search) and not flt.nothing and bool(search.terms(flt.search))


def _walks(flt: InboxFilter) -> bool:
    """A search is listed newest match first, whatever the view's order: a walk over the
    matches that stops at a full page, not a filter that reads all of them."""
    return _searching(flt)


def _search_page(
    session: Session, workspace_id: int, flt: InboxFilter, cursor: str | None, limit: int
) -> InboxPage:
    conditions = filter_conditions(session, workspace_id, replace(flt, search=""))
    walked = search.walk(
        session,
        workspace_id,
        flt.search,
        conditions,
        below=_search_below(cursor),
        limit=limit,
    )
    rows = rows_for(session, workspace_id, walked.ids)
    # A conversation's rank is the id of its newest matching message: its text gives the
    # passage the row shows (one query for the page, by primary key).
    texts: dict[int, str] = {
        conversation_id: text
        for conversation_id, text in session.execute(
            select(Message.conversation_id, Message.text).where(Message.id.in_(walked.ranks))
        )
    }
    rows = [
        replace(row, passage=search.passage(texts.get(row.conversation.id) or "", flt.search))
        for row in rows
    ]
    more = f"{SEARCH_CURSOR}{walked.next_below}" if walked.next_below is not None else None
    return InboxPage(rows, more, walked.total)


def list_inbox(
    session: Session,
    workspace_id: int,
    flt: InboxFilter | None = None,
    *,
    cursor: str | None = None,
    status: ConversationStatus | None = None,
    limit: int = PAGE_SIZE,
) -> InboxPage:
    """One page of ``flt``, in its order, starting after ``cursor``.

    ``status`` is a shorthand for ``InboxFilter(status=...)`` kept for callers
    that only page through one status.
    """
    flt = flt or InboxFilter(status=status or ConversationStatus.OPEN)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    if _walks(flt):
        return _search_page(session, workspace_id, flt, cursor, limit)
    where = filter_conditions(session, workspace_id, flt)
    after = SortKey.decode(cursor, flt.sort)
    if after is not None:
        where.append(_beyond(flt.sort, after))
    ids_q = select(Conversation.id).where(*where).order_by(*_order(flt.sort)).limit(limit + 1)
    ids = list(session.scalars(ids_q))
    more = len(ids) > limit
    ids = ids[:limit]
    rows = rows_for(session, workspace_id, ids)
    next_cursor = SortKey.of(rows[-1].conversation).encode(flt.sort) if more and rows else None
    return InboxPage(rows, next_cursor)


def rows_for(session: Session, workspace_id: int, ids: Sequence[int]) -> list[InboxRow]:
    """Everything a list row shows, for these conversations, in this order.

    Selecting the ids first (a narrow index-only query) and the rows second
    keeps the ordered scan small however wide a row is.
    """
    if not ids:
        return []
    pairs = session.execute(
        select(Conversation, Fan)
        .outerjoin(Fan, Fan.id == Conversation.fan_id)
        .where(Conversation.id.in_(ids), Conversation.workspace_id == workspace_id)
    ).all()
    # A page has 50 rows but only a handful of channels: load each once.
    channel_ids = {c.channel_id for c, _ in pairs}
    channels = {
        ch.id: ch for ch in session.scalars(select(Channel).where(Channel.id.in_(channel_ids)))
    }
    found = {c.id: (c, channels[c.channel_id], f) for c, f in pairs}
    labels = labels_by_conversation(session, list(found))
    assignee_ids = {c.assignee_id for c, _, _ in found.values() if c.assignee_id}
    names = (
        dict(session.execute(select(User.id, User.name).where(User.id.in_(assignee_ids))).all())
        if assignee_ids
        else {}
    )
    rows = []
    for cid in ids:
        if cid in found:
            c, ch, f = found[cid]
            rows.append(InboxRow(c, ch, f, labels.get(cid, []), names.get(c.assignee_id or 0)))
    return rows


def labels_by_conversation(session: Session, ids: Sequence[int]) -> dict[int, list[Label]]:
    out: dict[int, list[Label]] = {}
    if not ids:
        return out
    cl = conversation_labels
    for cid, label in session.execute(
        select(cl.c.conversation_id, Label)
        .join(Label, Label.id == cl.c.label_id)
        .where(cl.c.conversation_id.in_(ids))
        .order_by(Label.name)
    ):
        out.setdefault(cid, []).append(label)
    return out


def count_capped(
    session: Session, workspace_id: int, flt: InboxFilter, cap: int = COUNT_CAP
) -> int:
    """How many conversations ``flt`` holds, counting no further than ``cap``."""
    if _searching(flt):  # the first ``cap`` conversations of the walk, not every match
        conditions = filter_conditions(session, workspace_id, replace(flt, search=""))
        return len(search.walk(session, workspace_id, flt.search, conditions, limit=cap).ids)
    inner = select(Conversation.id).where(*filter_conditions(session, workspace_id, flt)).limit(cap)
    return int(session.scalar(select(func.count()).select_from(inner.subquery())) or 0)


def count_views(
    session: Session, workspace_id: int, views: Mapping[str, InboxFilter]
) -> dict[str, int]:
    """The sidebar counts: the real number of each view (a backlog of 1,498 reads 1,498, not
    "99+"; issue 18). A view without a search counts over the list index, which ends with
    every column a filter tests, up to :data:`VIEW_COUNT_CAP`; a saved search counts its walk
    up to :data:`SEARCH_COUNT_CAP`. Past its cap a count is :class:`AtLeast` ("10,000+"), so
    one page never reads a hundred thousand index entries per view (counting costs 2-3 ms per
    1,000 conversations on the loaded 2-core machine: 23,000 over seven views took 50-75 ms
    against 26 ms for the old cap of 100). Callers keep the counts a few seconds
    (``count_cache``)."""
    out: dict[str, int] = {}
    for key, flt in views.items():
        cap = SEARCH_COUNT_CAP if _searching(flt) else VIEW_COUNT_CAP
        n = count_capped(session, workspace_id, flt, cap)
        out[key] = AtLeast(n) if n >= cap else n
    return out


def neighbours(
    session: Session,
    workspace_id: int,
    flt: InboxFilter,
    conv: Conversation,
    at: SortKey | None = None,
) -> tuple[int | None, int | None]:
    """The conversations before and after ``conv`` in the list ``flt`` describes.

    ``at`` is where ``conv`` stood when the person opened it (a reply since
    then moved it to the top of a newest-first list, but "next" still means
    the row that was below it). ``conv`` need not be in the list any more.
    """
    key = at if at is not None and at.id == conv.id else SortKey.of(conv)
    where = filter_conditions(session, workspace_id, flt)
    base = select(Conversation.id).where(*where, Conversation.id != conv.id)
    nxt = session.scalar(base.where(_beyond(flt.sort, key)).order_by(*_order(flt.sort)).limit(1))
    prev = session.scalar(
        base.where(_beyond(flt.sort, key, after=False))
        .order_by(*_order(flt.sort, descending=False))
        .limit(1)
    )
    return prev, nxt


def next_after(
    session: Session,
    workspace_id: int,
    flt: InboxFilter,
    conv: Conversation,
    at: SortKey | None = None,
) -> int | None:
    """Where to go once ``conv`` left the list: the next row, else the first one left."""
    _prev, nxt = neighbours(session, workspace_id, flt, conv, at)
    if nxt is not None:
        return nxt
    return session.scalar(
        select(Conversation.id)
        .where(*filter_conditions(session, workspace_id, flt), Conversation.id != conv.id)
        .order_by(*_order(flt.sort))
        .limit(1)
    )


def in_filter(session: Session, workspace_id: int, flt: InboxFilter, conversation_id: int) -> bool:
    """Does the list ``flt`` describes contain this conversation?"""
    return (
        session.scalar(
            select(Conversation.id).where(
                *filter_conditions(session, workspace_id, flt), Conversation.id == conversation_id
            )
        )
        is not None
    )


def newer_conversation_ids(
    session: Session, workspace_id: int, after_message_id: int, limit: int = 500
) -> list[int]:
    """Conversations that received a message (either way) after ``after_message_id``.

    Walks the message ids upward from the watermark (the primary key), so the
    cost is the number of new messages, not the size of the table.
    """
    rows = session.scalars(
        select(Message.conversation_id)
        .where(Message.id > after_message_id, Message.workspace_id == workspace_id)
        .order_by(Message.id)
        .limit(limit)
    )
    return list(dict.fromkeys(rows))


def latest_message_id(session: Session, workspace_id: int) -> int:
    """A watermark for live updates: every message stored later has a larger id."""
    return int(
        session.scalar(select(func.max(Message.id)).where(Message.workspace_id == workspace_id))
        or 0
    )


def rows_in_filter(
    session: Session, workspace_id: int, flt: InboxFilter, ids: Sequence[int]
) -> list[InboxRow]:
    """Those of ``ids`` that ``flt`` contains, in its order (for live updates)."""
    if not ids:
        return []
    keep = list(
        session.scalars(
            select(Conversation.id)
            .where(*filter_conditions(session, workspace_id, flt), Conversation.id.in_(ids))
            .order_by(*_order(flt.sort))
        )
    )
    return rows_for(session, workspace_id, keep)


# --- a thread --------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteView:
    note: Note
    author_name: str


@dataclass(frozen=True)
class PastConversation:
    conversation: Conversation
    network: str


@dataclass(frozen=True)
class Thread:
    conversation: Conversation
    channel: Channel
    fan: Fan | None
    messages: list[Message]
    notes: list[NoteView]
    pending_replies: list[Reply]
    labels: list[Label] = field(default_factory=list)
    assignee: User | None = None
    fan_conversations: list[PastConversation] = field(default_factory=list)
    older_hidden: int = 0  # messages before the window shown

    @cached_property
    def _by_id(self) -> dict[int, Message]:
        return {m.id: m for m in self.messages}

    def message_by_id(self, message_id: int | None) -> Message | None:
        """A message shown in this thread, by id (``None`` if not in the window shown)."""
        return self._by_id.get(message_id) if message_id is not None else None

    def answered(self, message: Message) -> Message | None:
        """The fan message an outbound ``message`` answers, if it is shown here.

        In a thread where several fans talk, this is what says which of them we answered.
        """
        parent = self.message_by_id(message.parent_id)
        return parent if parent is not None and parent.direction == Direction.INBOUND else None

    @property
    def latest_inbound(self) -> Message | None:
        """The fan message the conversation's classification comes from."""
        for m in reversed(self.messages):
            if m.direction == Direction.INBOUND and m.deleted_at is None:
                return m
        return None


def get_conversation(session: Session, workspace_id: int, conversation_id: int) -> Conversation:
    conv = session.get(Conversation, conversation_id)
    if conv is None or conv.workspace_id != workspace_id:
        raise NotFound(conversation_id)
    return conv


def load_messages(
    session: Session, conversation_id: int, window: int = MESSAGE_WINDOW
) -> tuple[list[Message], int]:
    """The latest ``window`` messages, oldest first, and how many older ones exist."""
    latest = list(
        session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id)
            .options(joinedload(Message.author))
            .order_by(Message.sent_at.desc(), Message.id.desc())
            .limit(window + 1)
        )
    )
    hidden = 0
    if len(latest) > window:
        total = session.scalar(
            select(func.count()).where(Message.conversation_id == conversation_id)
        )
        hidden = int(total or 0) - window
        latest = latest[:window]
    latest.reverse()
    return latest, hidden


def pending_replies(session: Session, conversation_id: int) -> list[Reply]:
    return list(
        session.scalars(
            select(Reply)
            .where(
                Reply.conversation_id == conversation_id,
                Reply.status.in_(["queued", "sending", "failed", "unknown"]),
            )
            .order_by(Reply.created_at)
        )
    )


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
    messages, hidden = load_messages(session, conv.id)
    notes = [
        NoteView(note, name or "")
        for note, name in session.execute(
            select(Note, User.name)
            .outerjoin(User, User.id == Note.author_id)
            .where(Note.conversation_id == conv.id)
            .order_by(Note.created_at, Note.id)
        )
    ]
    past: list[PastConversation] = []
    if fan is not None:
        past = [
            PastConversation(c, network)
            for c, network in session.execute(
                select(Conversation, Channel.network)
                .join(Channel, Channel.id == Conversation.channel_id)
                .where(Conversation.fan_id == fan.id, Conversation.id != conv.id)
                .order_by(Conversation.last_activity_at.desc())
                .limit(10)
            )
        ]
    return Thread(
        conversation=conv,
        channel=channel,
        fan=fan,
        messages=messages,
        notes=notes,
        pending_replies=pending_replies(session, conv.id),
        labels=labels_by_conversation(session, [conv.id]).get(conv.id, []),
        assignee=session.get(User, conv.assignee_id) if conv.assignee_id else None,
        fan_conversations=past,
        older_hidden=hidden,
    )


def thread_version(session: Session, conversation_id: int) -> str:
    """Changes whenever the thread's visible messages or pending replies change."""
    last = session.scalar(
        select(func.max(Message.id)).where(Message.conversation_id == conversation_id)
    )
    pending = session.execute(
        select(Reply.id, Reply.status)
        .where(Reply.conversation_id == conversation_id, Reply.status != "sent")
        .order_by(Reply.id)
    ).all()
    edited = session.scalar(
        select(func.max(func.coalesce(Message.edited_at, Message.deleted_at))).where(
            Message.conversation_id == conversation_id
        )
    )
    sig = ",".join(f"{rid}:{status}" for rid, status in pending)
    return f"{last or 0}|{sig}|{edited.isoformat() if edited else ''}"


def set_status(
    session: Session,
    conv: Conversation,
    status: ConversationStatus,
    user_id: int,
    snooze_until: datetime | None = None,
) -> None:
    """Open, snooze or close a conversation, with an audit trail entry."""
    conv.status = status
    conv.snooze_until = snooze_until if status == ConversationStatus.SNOOZED else None
    session.add(
        AuditEvent(
            workspace_id=conv.workspace_id,
            user_id=user_id,
            action=f"conversation.{status.value}",
            subject_type="conversation",
            subject_id=conv.id,
            data={"snooze_until": snooze_until.isoformat()} if snooze_until else None,
        )
    )
