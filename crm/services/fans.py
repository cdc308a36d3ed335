"""Fans as people: the list, one fan's profile and timeline, and their data rights.

The views, the API and the CLI call these. A fan is one person with identities on
several networks (:mod:`crm.services.identity` links them); everything here reads
across all of a fan's identities. Fans merged into another (``merged_into_id``)
are not listed: their person is the fan they were merged into.

Privacy: :func:`export_fan` is everything stored about a person, as one JSON
document; :func:`erase_fan` removes it (identities, their messages, the
conversations they opened with everything hanging off them, notes, the
full-text rows through the index's delete triggers) after the finished weeks'
review figures have been stored, so those stay as anonymous counts. Each
erased account leaves a tombstone (network + a hash of its id) that the sync
checks, unless the team lets the person come back.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    delete,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session

from crm.services.identity import open_merges, starts_with
from crm.services.messages import N_, UserError
from models import (
    AuditEvent,
    Channel,
    Conversation,
    Direction,
    Fan,
    Identity,
    Label,
    Message,
    Note,
    Reply,
    ReplyStatus,
    Segment,
    TriageCorrection,
    User,
    WebhookEvent,
    Workspace,
    conversation_labels,
    utcnow,
)
from models.fan import FanField, FanFieldValue, FanMerge, FanNote, FanTombstone, tombstone_hash

PAGE = 50
TIMELINE_PAGE = 25
EXPORT_LIMIT = 50_000  # rows of the CSV export
SORTS: dict[str, tuple[Any, ...]] = {
    "recent": (Fan.last_seen_at.desc(), Fan.id.desc()),
    "engaged": (Fan.engagement_score.desc(), Fan.id.desc()),
    "messages": (Fan.message_count.desc(), Fan.id.desc()),
    "first_seen": (Fan.first_seen_at.asc(), Fan.id.asc()),
    "name": (Fan.display_name.asc(), Fan.id.asc()),
}
ENGAGEMENT = {"high": (60.0, 101.0), "medium": (30.0, 60.0), "low": (0.0, 30.0)}
LAST_CONTACT = ("7", "30", "90", "older")
NETWORKS = ("x", "bluesky", "mastodon", "instagram", "facebook", "youtube", "email", "sandbox")
QUIET = ("muted", "blocked")
MAX_TEXT = 200
LANG_SAMPLE = 20  # a fan's first messages per account that say which languages they write


class FanError(UserError):
    """A request about a fan that cannot be done (the message says why)."""


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class FanFilter:
    segment: str = ""
    network: str = ""
    engagement: str = ""
    last_contact: str = ""
    label: str = ""
    lang: str = ""
    location: str = ""
    q: str = ""
    sort: str = "recent"
    offset: int = 0

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> FanFilter:
        """Read a filter from a query string; anything unknown is a :class:`FanError`."""

        def pick(name: str, allowed: tuple[str, ...] | list[str]) -> str:
            value = (args.get(name) or "").strip()
            if value and value not in allowed:
                raise FanError(N_("Unknown %(name)s: %(value)s"), name=name, value=value[:40])
            return value

        offset = (args.get("offset") or "0").strip()
        if not offset.isdigit() or len(offset) > 7:
            raise FanError(N_("offset must be a number."))
        return cls(
            segment=pick("segment", [s.value for s in Segment]),
            network=pick("network", NETWORKS),
            engagement=pick("engagement", tuple(ENGAGEMENT)),
            last_contact=pick("last_contact", LAST_CONTACT),
            label=(args.get("label") or "").strip()[:64],
            lang=(args.get("lang") or "").strip().lower()[:8],
            location=(args.get("location") or "").strip()[:MAX_TEXT],
            q=(args.get("q") or "").strip()[:MAX_TEXT],
            sort=pick("sort", tuple(SORTS)) or "recent",
            offset=int(offset),
        )

    def args(self, **changes: Any) -> dict[str, str]:
        """The query string of this filter (with ``changes``), without empty values."""
        values = {**self.__dict__, **changes}
        return {k: str(v) for k, v in values.items() if v not in ("", 0, "recent")}


@dataclass(frozen=True)
class FanRow:
    fan: Fan
    networks: list[str]
    handles: list[str]


@dataclass(frozen=True)
class FanPage:
    rows: list[FanRow]
    more: bool
    filter: FanFilter


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _conditions(
    workspace_id: int, flt: FanFilter, now: datetime, dialect: str = "sqlite"
) -> list[ColumnElement[bool]]:
    """The WHERE of a fans list. Rare filters (label, location, search) are read from
    their own side first, as a list of fan ids, rather than tested fan by fan."""
    where: list[ColumnElement[bool]] = [
        Fan.workspace_id == workspace_id,
        Fan.merged_into_id.is_(None),
    ]
    if flt.segment:
        where.append(Fan.segment == Segment(flt.segment))
    if flt.engagement:
        low, high = ENGAGEMENT[flt.engagement]
        where.append(and_(Fan.engagement_score >= low, Fan.engagement_score < high))
    if flt.last_contact:
        if flt.last_contact == "older":
            where.append(Fan.last_seen_at < now - timedelta(days=90))
        else:
            where.append(Fan.last_seen_at >= now - timedelta(days=int(flt.last_contact)))
    if flt.network:
        where.append(exists().where(Identity.fan_id == Fan.id, Identity.network == flt.network))
    if flt.location:
        where.append(
            Fan.id.in_(
                select(Identity.fan_id).where(
                    Identity.workspace_id == workspace_id,
                    func.lower(Identity.profile["location"].as_string()).like(
                        _like(flt.location.lower()), escape="\\"
                    ),
                )
            )
        )
    if flt.lang:
        # A fan's languages are those of their first messages on each account (a busy
        # fan's thousands are not all read to find that they never write in German).
        first = (
            select(Message.lang)
            .where(Message.author_identity_id == Identity.id)
            .limit(LANG_SAMPLE)
            .correlate(Identity)
        )
        where.append(
            exists().where(
                Identity.fan_id == Fan.id, literal(flt.lang).in_(first.scalar_subquery())
            )
        )
    if flt.label:
        where.append(
            Fan.id.in_(
                select(Conversation.fan_id)
                .join(conversation_labels, conversation_labels.c.conversation_id == Conversation.id)
                .join(Label, Label.id == conversation_labels.c.label_id)
                .where(Label.workspace_id == workspace_id, Label.name == flt.label)
            )
        )
    if flt.q:
        where.append(Fan.id.in_(_matching_fan_ids(workspace_id, flt.q, dialect)))
    return where


def _matching_fan_ids(workspace_id: int, q: str, dialect: str) -> Any:
    """Fans with a handle that starts with ``q`` (``hugo79`` finds ``@Hugo79``,
    ``hugo79.bsky.social``, ``hugo79@mastodon.social``) or a name word that does."""
    text_ = q.lower().strip().lstrip("@")
    handle = func.lower(Identity.handle)
    by_handle = select(Identity.fan_id).where(
        Identity.workspace_id == workspace_id,
        or_(
            starts_with(handle, text_, dialect),
            starts_with(handle, "@" + text_, dialect),
        ),
    )
    words = re.findall(r"\w+", text_)
    if not words:
        return by_handle
    by_name: Any
    if dialect == "sqlite":
        match = " ".join(f'"{w}"*' for w in words)
        by_name = (
            select(literal_column("rowid"))
            .select_from(text("fan_fts"))
            .where(text("fan_fts MATCH :fan_words").bindparams(fan_words=match))
        )
    else:
        query = " & ".join(f"{w}:*" for w in words)
        config: Any = literal_column("'unplugged'")
        by_name = select(Fan.id).where(
            Fan.workspace_id == workspace_id,
            # The expression of ix_fans_fulltext, literally (bound values would miss it).
            func.to_tsvector(
                config,
                func.translate(Fan.display_name, literal_column("'<>'"), literal_column("'  '")),
            ).op("@@")(func.to_tsquery(config, query)),
        )
    return by_handle.union(by_name)


def _rows(session: Session, fans: list[Fan]) -> list[FanRow]:
    ids = [f.id for f in fans]
    nets: dict[int, list[str]] = {}
    handles: dict[int, list[str]] = {}
    if ids:
        for fid, network, handle in session.execute(
            select(Identity.fan_id, Identity.network, Identity.handle)
            .where(Identity.fan_id.in_(ids))
            .order_by(Identity.id)
        ):
            if network not in nets.setdefault(fid, []):
                nets[fid].append(network)
            if handle:
                handles.setdefault(fid, []).append(handle)
    return [FanRow(f, nets.get(f.id, []), handles.get(f.id, [])) for f in fans]


def list_fans(
    session: Session,
    workspace_id: int,
    flt: FanFilter,
    *,
    limit: int = PAGE,
    now: datetime | None = None,
) -> FanPage:
    """One page of fans as filtered and sorted."""
    dialect = session.get_bind().dialect.name
    stmt = (
        select(Fan)
        .where(*_conditions(workspace_id, flt, now or utcnow(), dialect))
        .order_by(*SORTS[flt.sort])
        .offset(flt.offset)
        .limit(limit + 1)
    )
    fans = list(session.scalars(stmt))
    return FanPage(_rows(session, fans[:limit]), len(fans) > limit, flt)


def find_fans(session: Session, workspace_id: int, q: str, limit: int = 5) -> list[FanRow]:
    """Fans whose handle or name contains ``q``, most engaged first: for the search page."""
    q = q.strip()
    if len(q.lstrip("@")) < 2:
        return []
    return list_fans(session, workspace_id, FanFilter(q=q, sort="engaged"), limit=limit).rows


def inert(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def export_csv(session: Session, workspace_id: int, flt: FanFilter) -> Iterator[str]:
    """The fans list as filtered (every page, up to :data:`EXPORT_LIMIT`) as CSV lines."""
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerow(
        [
            "id",
            "name",
            "segment",
            "engagement",
            "messages",
            "networks",
            "handles",
            "first_seen",
            "last_contact",
        ]
    )
    yield buf.getvalue()
    done = 0
    offset = 0
    while done < EXPORT_LIMIT:
        page = list_fans(
            session, workspace_id, FanFilter(**{**flt.__dict__, "offset": offset}), limit=1000
        )
        buf.seek(0)
        buf.truncate()
        for r in page.rows:
            f = r.fan
            out.writerow(
                [
                    f.id,
                    inert(f.display_name),
                    f.segment.value,
                    f"{f.engagement_score:.1f}",
                    f.message_count,
                    " ".join(r.networks),
                    inert(" ".join(r.handles)),
                    f.first_seen_at.isoformat() if f.first_seen_at else "",
                    f.last_seen_at.isoformat() if f.last_seen_at else "",
                ]
            )
        done += len(page.rows)
        yield buf.getvalue()
        if not page.more:
            break
        offset += 1000


# ---------------------------------------------------------------------------
# One fan


@dataclass(frozen=True)
class Answer:
    by: str
    at: datetime
    conversation_id: int


@dataclass(frozen=True)
class TimelineItem:
    message: Message
    network: str
    mine: bool  # written by this fan (else the team's reply in their conversation)
    handle: str = ""  # the account it was written from
    # The teammate who wrote a team reply (through the reply that sent it); empty for
    # one written on the network itself, outside Unplugged.
    by: str = ""


@dataclass(frozen=True)
class Timeline:
    items: list[TimelineItem]
    next_cursor: str | None


@dataclass
class Profile:
    fan: Fan
    identities: list[Identity]
    locations: list[str]
    languages: list[tuple[str, int]]
    last_contact: datetime | None
    answers: list[Answer]
    notes: list[tuple[FanNote, str]]
    labels: list[Label]
    fields: list[tuple[FanField, str]]
    conversations: list[tuple[Conversation, str]]
    merges: list[FanMerge] = field(default_factory=list)


def get_fan(session: Session, workspace_id: int, fan_id: int) -> Fan:
    """A fan of the workspace; a fan merged into another answers as that one."""
    fan = session.get(Fan, fan_id)
    seen = 0
    while fan is not None and fan.merged_into_id and seen < 20:
        fan, seen = session.get(Fan, fan.merged_into_id), seen + 1
    if fan is None or fan.workspace_id != workspace_id:
        raise NotFound(fan_id)
    return fan


def bio_of(identity: Identity) -> str:
    p = identity.profile if isinstance(identity.profile, dict) else {}
    for key in ("bio", "description", "note", "about", "biography"):
        value = p.get(key)
        if isinstance(value, str) and value.strip():
            return value[:1000]
    return ""


def location_of(identity: Identity) -> str:
    p = identity.profile if isinstance(identity.profile, dict) else {}
    value = p.get("location")
    return value.strip()[:MAX_TEXT] if isinstance(value, str) else ""


def _identity_ids(session: Session, fan_id: int) -> list[int]:
    return list(session.scalars(select(Identity.id).where(Identity.fan_id == fan_id)))


def profile(session: Session, workspace_id: int, fan_id: int, latest: int | None = 10) -> Profile:
    """Everything the fan page shows beside the timeline (``latest``: how many of
    the latest; ``None`` for all, as the export wants)."""
    fan = get_fan(session, workspace_id, fan_id)
    identities = list(
        session.scalars(select(Identity).where(Identity.fan_id == fan.id).order_by(Identity.id))
    )
    ids = [i.id for i in identities]
    languages: list[tuple[str, int]] = []
    if ids:
        languages = [
            (str(lang), int(n))
            for lang, n in session.execute(
                select(Message.lang, func.count())
                .where(Message.author_identity_id.in_(ids), Message.lang.is_not(None))
                .group_by(Message.lang)
                .order_by(func.count().desc())
                .limit(3)
            )
        ]
    conversations = [
        (c, network)
        for c, network in session.execute(
            select(Conversation, Channel.network)
            .join(Channel, Channel.id == Conversation.channel_id)
            .where(Conversation.fan_id == fan.id)
            .order_by(Conversation.last_activity_at.desc())
            .limit(latest)
        )
    ]
    answers = [
        Answer(name or "", at, cid)
        for name, at, cid in session.execute(
            select(User.name, Reply.sent_at, Reply.conversation_id)
            .outerjoin(User, User.id == Reply.author_id)
            .where(
                Reply.conversation_id.in_(
                    select(Conversation.id).where(Conversation.fan_id == fan.id)
                ),
                Reply.status == ReplyStatus.SENT,
                Reply.sent_at.is_not(None),
            )
            .order_by(Reply.sent_at.desc())
            .limit(10)
        )
        if at is not None
    ]
    last_answer = answers[0].at if answers else None
    contacts = [d for d in (fan.last_seen_at, last_answer) if d is not None]
    labels = list(
        session.scalars(
            select(Label)
            .join(conversation_labels, conversation_labels.c.label_id == Label.id)
            .join(Conversation, Conversation.id == conversation_labels.c.conversation_id)
            .where(Conversation.fan_id == fan.id)
            .distinct()
            .order_by(Label.name)
        )
    )
    values = dict(
        session.execute(
            select(FanFieldValue.field_id, FanFieldValue.value).where(
                FanFieldValue.fan_id == fan.id
            )
        ).all()
    )
    fields = [
        (f, values.get(f.id, ""))
        for f in session.scalars(
            select(FanField).where(FanField.workspace_id == workspace_id).order_by(FanField.name)
        )
    ]
    notes = [
        (n, name or "")
        for n, name in session.execute(
            select(FanNote, User.name)
            .outerjoin(User, User.id == FanNote.author_id)
            .where(FanNote.fan_id == fan.id)
            .order_by(FanNote.created_at, FanNote.id)
        )
    ]
    return Profile(
        fan=fan,
        identities=identities,
        locations=sorted({loc for i in identities if (loc := location_of(i))}),
        languages=languages,
        last_contact=max(contacts, key=_aware) if contacts else None,
        answers=answers,
        notes=notes,
        labels=labels,
        fields=fields,
        conversations=conversations,
        merges=open_merges(session, workspace_id, fan.id),
    )


def _aware(d: datetime) -> datetime:
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def _cursor(m: Message) -> str:
    return f"{_aware(m.sent_at).isoformat()}~{m.id}"


def parse_cursor(text: str | None) -> tuple[datetime, int] | None:
    if not text:
        return None
    at, sep, mid = text.rpartition("~")
    try:
        if not sep or not mid.isdigit():
            raise ValueError
        return datetime.fromisoformat(at), int(mid)
    except ValueError:
        raise FanError(N_("Bad timeline cursor.")) from None


def timeline(
    session: Session,
    workspace_id: int,
    fan_id: int,
    before: tuple[datetime, int] | None = None,
    limit: int = TIMELINE_PAGE,
) -> Timeline:
    """The fan's messages on every network and the team's replies to them, newest first.

    Two indexed reads (their messages by author, the replies in their conversations
    by conversation and time), each stopped after a page, merged here.
    """
    fan = get_fan(session, workspace_id, fan_id)
    ids = _identity_ids(session, fan.id)
    conv_ids = list(session.scalars(select(Conversation.id).where(Conversation.fan_id == fan.id)))
    order = (Message.sent_at.desc(), Message.id.desc())

    def older(stmt: Any) -> Any:
        if before is None:
            return stmt
        at, mid = before
        return stmt.where(or_(Message.sent_at < at, and_(Message.sent_at == at, Message.id < mid)))

    found: list[Message] = []
    for iid in ids:  # one index walk per account (ix_messages_author_sent)
        found += session.scalars(
            older(select(Message).where(Message.author_identity_id == iid))
            .order_by(*order)
            .limit(limit + 1)
        )
    if conv_ids:
        found += session.scalars(
            older(
                select(Message).where(
                    Message.conversation_id.in_(conv_ids),
                    Message.direction == Direction.OUTBOUND,
                )
            )
            .order_by(*order)
            .limit(limit + 1)
        )
    unique = {m.id: m for m in found}
    ordered = sorted(unique.values(), key=lambda m: (_aware(m.sent_at), m.id), reverse=True)
    page = ordered[:limit]
    networks = dict(
        session.execute(
            select(Channel.id, Channel.network).where(Channel.workspace_id == workspace_id)
        ).all()
    )
    handles = (
        dict(
            session.execute(select(Identity.id, Identity.handle).where(Identity.id.in_(ids))).all()
        )
        if ids
        else {}
    )
    outbound = [m for m in page if m.direction == Direction.OUTBOUND]
    writers = (
        dict(
            session.execute(
                select(Reply.message_id, User.name)
                .join(User, User.id == Reply.author_id)
                .where(  # through ix_replies_conversation_id
                    Reply.conversation_id.in_(sorted({m.conversation_id for m in outbound})),
                    Reply.message_id.in_([m.id for m in outbound]),
                )
            ).all()
        )
        if outbound
        else {}
    )
    items = [
        TimelineItem(
            m,
            networks.get(m.channel_id, ""),
            m.author_identity_id in handles,
            handles.get(m.author_identity_id or 0, ""),
            writers.get(m.id, ""),
        )
        for m in page
    ]
    more = len(ordered) > limit
    return Timeline(items, _cursor(page[-1]) if more and page else None)


# ---------------------------------------------------------------------------
# Team actions on a fan


def _audit(
    session: Session,
    workspace_id: int,
    user_id: int | None,
    action: str,
    fan_id: int,
    data: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEvent(
            workspace_id=workspace_id,
            user_id=user_id,
            action=action,
            subject_type="fan",
            subject_id=fan_id,
            data=data,
        )
    )


def add_note(session: Session, workspace_id: int, fan_id: int, user_id: int, text: str) -> FanNote:
    text = text.strip()
    if not text:
        raise FanError(N_("A note cannot be empty."))
    if len(text) > 5000:
        raise FanError(N_("A note is at most 5000 characters."))
    fan = get_fan(session, workspace_id, fan_id)
    note = FanNote(workspace_id=workspace_id, fan_id=fan.id, author_id=user_id, text=text)
    session.add(note)
    session.flush()
    return note


def set_quiet(
    session: Session, workspace_id: int, fan_id: int, user_id: int, mode: str, on: bool
) -> Fan:
    """Mute or block a fan (or lift it): their messages are kept, out of the main views."""
    if mode not in QUIET:
        raise FanError(N_("Unknown mode."))
    fan = get_fan(session, workspace_id, fan_id)
    setattr(fan, f"{mode}_at", utcnow() if on else None)
    _audit(session, workspace_id, user_id, f"fan.{mode}" if on else f"fan.un{mode}", fan.id)
    session.flush()
    return fan


def quiet_fan_ids(workspace_id: int) -> Any:
    """Fans muted or blocked, as a subquery a list of conversations can leave out."""
    return select(Fan.id).where(
        Fan.workspace_id == workspace_id,
        or_(Fan.muted_at.is_not(None), Fan.blocked_at.is_not(None)),
    )


def define_field(session: Session, workspace_id: int, name: str) -> FanField:
    name = " ".join(name.split())
    if not name or len(name) > 64:
        raise FanError(N_("A field name is 1 to 64 characters."))
    existing = session.scalar(
        select(FanField).where(FanField.workspace_id == workspace_id, FanField.name == name)
    )
    if existing is not None:
        return existing
    row = FanField(workspace_id=workspace_id, name=name)
    session.add(row)
    session.flush()
    return row


def set_field(session: Session, workspace_id: int, fan_id: int, field_id: int, value: str) -> None:
    fan = get_fan(session, workspace_id, fan_id)
    fld = session.get(FanField, field_id)
    if fld is None or fld.workspace_id != workspace_id:
        raise FanError(N_("No such field."))
    value = value.strip()
    if len(value) > 500:
        raise FanError(N_("A field value is at most 500 characters."))
    row = session.get(FanFieldValue, (fan.id, fld.id))
    if not value:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(FanFieldValue(fan_id=fan.id, field_id=fld.id, value=value))
    else:
        row.value = value
    session.flush()


# ---------------------------------------------------------------------------
# Data rights


def _iso(d: datetime | None) -> str | None:
    return _aware(d).isoformat() if d else None


def _people(session: Session, fan: Fan) -> list[int]:
    """The fan and every fan merged into it (their rows hold no identities, but exist)."""
    out, frontier = [fan.id], [fan.id]
    while frontier:
        frontier = list(session.scalars(select(Fan.id).where(Fan.merged_into_id.in_(frontier))))
        out += frontier
    return out


def export_fan(
    session: Session, workspace_id: int, fan_id: int, user_id: int | None
) -> dict[str, Any]:
    """Everything stored about one person, as a JSON-ready document (audited)."""
    fan = get_fan(session, workspace_id, fan_id)
    prof = profile(session, workspace_id, fan.id, latest=None)
    ids = [i.id for i in prof.identities]
    networks = dict(
        session.execute(
            select(Channel.id, Channel.network).where(Channel.workspace_id == workspace_id)
        ).all()
    )
    messages = (
        list(
            session.scalars(
                select(Message)
                .where(Message.author_identity_id.in_(ids))
                .order_by(Message.sent_at, Message.id)
            )
        )
        if ids
        else []
    )
    conv_notes = list(
        session.scalars(
            select(Note)
            .join(Conversation, Conversation.id == Note.conversation_id)
            .where(Conversation.fan_id == fan.id)
            .order_by(Note.created_at)
        )
    )
    doc = {
        "fan": {
            "id": fan.id,
            "display_name": fan.display_name,
            "segment": fan.segment.value,
            "segment_reasons": list(fan.segment_reasons or []),
            "engagement_score": fan.engagement_score,
            "message_count": fan.message_count,
            "first_seen_at": _iso(fan.first_seen_at),
            "last_seen_at": _iso(fan.last_seen_at),
            "muted": fan.muted_at is not None,
            "blocked": fan.blocked_at is not None,
        },
        "identities": [
            {
                "network": i.network,
                "external_id": i.external_id,
                "handle": i.handle,
                "display_name": i.display_name,
                "avatar_url": i.avatar_url,
                "profile_url": i.profile_url,
                "profile": i.profile,
                "first_seen_at": _iso(i.created_at),
            }
            for i in prof.identities
        ],
        "messages": [
            {
                "network": networks.get(m.channel_id, ""),
                "conversation_id": m.conversation_id,
                "sent_at": _iso(m.sent_at),
                "kind": m.kind.value,
                "text": m.text,
                "url": m.url,
                "lang": m.lang,
                "deleted": m.deleted_at is not None,
            }
            for m in messages
        ],
        "conversations": [
            {
                "id": c.id,
                "network": network,
                "subject": c.subject,
                "status": c.status.value,
                "last_activity_at": _iso(c.last_activity_at),
            }
            for c, network in prof.conversations
        ],
        "notes": [{"text": n.text, "by": name, "at": _iso(n.created_at)} for n, name in prof.notes]
        + [{"text": n.text, "at": _iso(n.created_at)} for n in conv_notes],
        "fields": {f.name: v for f, v in prof.fields if v},
        "labels": [label.name for label in prof.labels],
        "exported_at": _iso(utcnow()),
    }
    _audit(session, workspace_id, user_id, "fan.exported", fan.id, {"messages": len(messages)})
    session.flush()
    return doc


@dataclass(frozen=True)
class Erasure:
    fans: int
    identities: int
    messages: int
    conversations: int
    weeks_kept: int


def _keep_weeks(session: Session, workspace_id: int, message_ids: list[int]) -> int:
    """Store each finished week the person wrote in, before their messages go."""
    from inbox import review

    if not message_ids:
        return 0
    ws = session.get_one(Workspace, workspace_id)
    zone = review.zone_of(ws.timezone)
    now = datetime.now(UTC)
    days: set[Any] = set()
    for part in range(0, len(message_ids), 900):
        days |= {
            _aware(d).astimezone(zone).date()
            for d in session.scalars(
                select(Message.sent_at).where(Message.id.in_(message_ids[part : part + 900]))
            )
        }
    weeks = sorted({review.Week.of(d) for d in days}, reverse=True)
    covered: set[Any] = set()
    counted = 0
    for week in weeks:
        _, end = week.bounds(zone)
        if now < end + review.FINAL_AFTER or week in covered:
            continue
        review.compute(session, workspace_id, week, now=now)  # stores it and the 7 before
        covered |= {week.shifted(-i) for i in range(review.TREND_WEEKS)}
        counted += 1
    return counted


def erase_fan(
    session: Session,
    workspace_id: int,
    fan_id: int,
    user_id: int | None,
    *,
    allow_return: bool = False,
) -> Erasure:
    """Remove a person: identities, messages, conversations they opened, notes, index rows.

    Finished weeks' review figures are stored first, so they stay as counts. Unless
    ``allow_return``, each account leaves a tombstone the sync checks.
    """
    fan = get_fan(session, workspace_id, fan_id)
    people = _people(session, fan)
    identities = list(session.scalars(select(Identity).where(Identity.fan_id.in_(people))))
    iids = [i.id for i in identities]
    opened = list(session.scalars(select(Conversation.id).where(Conversation.fan_id.in_(people))))
    # A thread the person opened where others wrote too is theirs as well: it stays, without
    # the person's messages, and goes to the first other fan who wrote in it.
    others: dict[int, int] = {}
    for part in range(0, len(opened), 900):
        for cid, other in session.execute(
            select(Message.conversation_id, Identity.fan_id)
            .join(Identity, Identity.id == Message.author_identity_id)
            .where(
                Message.conversation_id.in_(opened[part : part + 900]),
                Message.direction == Direction.INBOUND,
                Identity.fan_id.not_in(people),
            )
            .order_by(Message.sent_at, Message.id)
        ):
            others.setdefault(cid, other)
    conv_ids = [c for c in opened if c not in others]
    msg_ids = (
        list(session.scalars(select(Message.id).where(Message.author_identity_id.in_(iids))))
        if iids
        else []
    )
    all_msgs = set(msg_ids)
    for part in range(0, len(conv_ids), 900):
        all_msgs |= set(
            session.scalars(
                select(Message.id).where(Message.conversation_id.in_(conv_ids[part : part + 900]))
            )
        )
    weeks = _keep_weeks(session, workspace_id, sorted(all_msgs))
    # Other people's threads the person wrote in: their previews are recomputed after.
    touched: set[int] = set()
    for part in range(0, len(msg_ids), 900):
        touched |= set(
            session.scalars(
                select(Message.conversation_id).where(Message.id.in_(msg_ids[part : part + 900]))
            )
        )
    touched -= set(conv_ids)
    touched |= set(others)
    # The team's answers to this person in other people's threads name them too.
    answers: list[int] = []
    for part in range(0, len(msg_ids), 900):
        answers += session.scalars(
            select(Message.id).where(
                Message.parent_id.in_(msg_ids[part : part + 900]),
                Message.direction == Direction.OUTBOUND,
            )
        )
    gone = sorted(all_msgs | set(answers))
    for part in range(0, len(gone), 900):
        chunk = gone[part : part + 900]
        session.execute(delete(TriageCorrection).where(TriageCorrection.message_id.in_(chunk)))
        session.execute(delete(Reply).where(Reply.in_reply_to_id.in_(chunk)))
        session.execute(delete(Reply).where(Reply.message_id.in_(chunk)))
    for part in range(0, len(gone), 900):
        session.execute(delete(Message).where(Message.id.in_(gone[part : part + 900])))
    for part in range(0, len(conv_ids), 900):
        session.execute(
            delete(Conversation).where(Conversation.id.in_(conv_ids[part : part + 900]))
        )
    for conv in session.scalars(select(Conversation).where(Conversation.id.in_(sorted(touched)))):
        if conv.id in others:
            conv.fan_id = others[conv.id]
        latest = session.scalar(
            select(Message.text)
            .where(Message.conversation_id == conv.id)
            .order_by(Message.sent_at.desc(), Message.id.desc())
            .limit(1)
        )
        conv.last_message_preview = (latest or "")[:280]
        conv.message_count = int(
            session.scalar(select(func.count()).where(Message.conversation_id == conv.id)) or 0
        )
    for ident in identities:
        ext = ident.external_id
        if len(ext) >= 6:  # stored webhook bodies that carried this account
            session.execute(delete(WebhookEvent).where(WebhookEvent.body.contains(ext)))
        if not allow_return:
            key = tombstone_hash(ident.network, ext)
            known = session.scalar(
                select(FanTombstone.id).where(
                    FanTombstone.workspace_id == workspace_id,
                    FanTombstone.network == ident.network,
                    FanTombstone.key_hash == key,
                )
            )
            if known is None:
                session.add(
                    FanTombstone(workspace_id=workspace_id, network=ident.network, key_hash=key)
                )
    # Earlier audit entries about this person keep ids only; merges recorded handles none.
    session.execute(delete(FanMerge).where(FanMerge.merged_fan_id.in_(people)))
    session.execute(delete(FanMerge).where(FanMerge.fan_id.in_(people)))
    session.execute(delete(Identity).where(Identity.id.in_(iids)))
    session.execute(delete(Fan).where(Fan.id.in_(people)))
    result = Erasure(len(people), len(iids), len(gone), len(conv_ids), weeks)
    _audit(
        session,
        workspace_id,
        user_id,
        "fan.erased",
        fan.id,
        {
            "identities": result.identities,
            "messages": result.messages,
            "conversations": result.conversations,
            "may_return": allow_return,
        },
    )
    session.flush()
    return result
