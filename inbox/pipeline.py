"""The sync pipeline: normalise, de-duplicate, thread, resolve identity, classify, store.

Every source of messages goes through :func:`ingest`: each network's sync, the
sandbox, webhooks and ``unplugged import``. It works a batch at a time with a
handful of set-based queries (no query per message), inside the caller's
transaction, so the caller can store the sync cursor in the same commit and a
crash leaves either the whole batch or none of it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from inbox.bulk import (
    EncodedMapping,
    Ready,
    Same,
    execute_many,
    insert_columns,
    insert_rows,
    raw_column,
    time_adapter,
)
from inbox.connectors.base import IncomingItem
from inbox.normalise import BadItem, normalise, preview
from inbox.queue import defer
from models import (
    Channel,
    Conversation,
    ConversationStatus,
    Direction,
    Fan,
    Identity,
    Message,
    utcnow,
)
from models.db import take_write_lock
from models.fan import FanTombstone, tombstone_hash

log = logging.getLogger(__name__)
MESSAGES = cast(Table, Message.__table__)
CONVERSATIONS = cast(Table, Conversation.__table__)
FANS = cast(Table, Fan.__table__)
IDENTITIES = cast(Table, Identity.__table__)
CHUNK = 500  # ids per IN (...) query: well under every backend's parameter limit
T = TypeVar("T")


@dataclass(frozen=True)
class ChannelRef:
    """What the pipeline needs to know about a channel (no ORM object in jobs)."""

    id: int
    workspace_id: int
    network: str
    handle: str
    external_id: str | None = None

    @classmethod
    def of(cls, channel: Channel) -> ChannelRef:
        return cls(
            channel.id, channel.workspace_id, channel.network, channel.handle, channel.external_id
        )

    @cached_property
    def _own_handle(self) -> str:
        return self.handle.lower().lstrip("@")

    @cached_property
    def _own_by_author(self) -> dict[tuple[str, str], bool]:
        return {}

    def is_own(self, item: IncomingItem) -> bool:
        """Is the item written by the channel's own account (an outbound message)?

        Asked several times per item by each stage of a batch, so remembered per author.
        """
        a = item.author
        key = (a.external_id, a.handle)
        found = self._own_by_author.get(key)
        if found is None:
            found = self._own_by_author[key] = self._is_own(a.external_id, a.handle)
        return found

    def _is_own(self, external_id: str, handle: str) -> bool:
        if self.external_id and external_id == self.external_id:
            return True
        own = self._own_handle
        return bool(own) and handle.lower().lstrip("@") == own


class Verdict(Protocol):
    """What the triage classifier says about one message."""

    spam: bool
    spam_score: float
    sentiment: str
    toxic: bool
    intent: str
    intent_score: float
    intent_scores: dict[str, float]
    urgency: float
    time_cue: str | None
    safety: str | None
    scam: bool
    lang: str
    reasons: list[str]
    model_version: str


FAST_SUFFIX = "/fast"


def stored_version(v: Verdict) -> str:
    """The classifier version a message keeps: ``<version>/fast`` when only the linear
    heads read it, so the refinement job (:func:`inbox.jobs.refine_messages`) finds it."""
    fast = getattr(v, "reading", "full") == "fast"
    return f"{v.model_version}{FAST_SUFFIX}" if fast else v.model_version


class Classify(Protocol):
    def __call__(self, items: Sequence[IncomingItem]) -> Sequence[Verdict]: ...


@dataclass
class IngestReport:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    duplicates: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (external id, reason)
    message_ids: list[int] = field(default_factory=list)
    conversation_ids: set[int] = field(default_factory=set)
    fan_ids: set[int] = field(default_factory=set)

    def merge(self, other: IngestReport) -> None:
        self.created += other.created
        self.updated += other.updated
        self.deleted += other.deleted
        self.duplicates += other.duplicates
        self.skipped.extend(other.skipped)
        self.message_ids.extend(other.message_ids)
        self.conversation_ids |= other.conversation_ids
        self.fan_ids |= other.fan_ids


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


@dataclass
class _ConvState:
    id: int
    status: ConversationStatus
    last_activity_at: datetime | None
    last_inbound_at: datetime | None
    message_count: int
    waiting_for_us: bool
    preview: str
    fan_id: int | None
    new: bool = False
    touched: bool = False


def ingest(
    session: Session,
    channel: ChannelRef,
    items: Iterable[IncomingItem],
    classify: Classify | None = None,
    *,
    defer_jobs: bool = True,
) -> IngestReport:
    """Store a batch of items from one channel. Safe to call again with the same items.

    ``classify`` runs the triage classifier inline (the live sync); without it
    the new messages are classified by a job after commit (bulk imports).
    """
    report = IngestReport()
    now = utcnow()
    batch = _normalised(channel, items, report)
    if not batch:
        return report
    take_write_lock(session)  # what is known is read under the lock that writes the rest
    new_items = _split_known(session, channel, batch, report, now)
    if new_items:
        new_fans: set[int] = set()
        identities = _resolve_identities(session, channel, new_items, report, new_fans)
        convs, thread_of = _resolve_threads(session, channel, new_items, identities)
        verdicts = list(classify(new_items)) if classify else [None] * len(new_items)
        _insert_messages(
            session, channel, new_items, identities, thread_of, convs, verdicts, report
        )
        _update_conversations(session, channel, new_items, convs, thread_of, report)
        _update_fans(session, new_items, identities, channel, skip=new_fans)
    if defer_jobs and report.message_ids:
        from inbox import jobs

        defer(session, jobs.index_search, queue="default", job_id="search-index")
        if classify is None:
            for ids in chunks(report.message_ids, 2000):
                defer(session, jobs.classify_messages, list(ids), queue="classify")
        else:
            defer(
                session,
                jobs.after_ingest,
                sorted(report.fan_ids),
                sorted(report.conversation_ids),
                queue="classify",
            )
            # The sync classified with the linear heads (fast, so a backfill of thousands
            # is not held up); the sentence encoder refines them within seconds.
            for ids in chunks(report.message_ids, 500):
                defer(session, jobs.refine_messages, list(ids), queue="classify")
    return report


def _normalised(
    channel: ChannelRef, items: Iterable[IncomingItem], report: IngestReport
) -> list[IncomingItem]:
    batch: dict[str, IncomingItem] = {}
    for item in items:
        try:
            n = normalise(item)
        except (BadItem, AttributeError, TypeError) as exc:
            ext = str(getattr(item, "external_id", "") or "")[:255]
            log.warning(
                "skipping malformed item on channel %s (%s): %s; raw=%r",
                channel.id,
                channel.network,
                exc,
                getattr(item, "raw", None),
            )
            report.skipped.append((ext, str(exc)))
            continue
        if n.external_id in batch:
            report.duplicates += 1
        batch[n.external_id] = n  # the later copy wins: it may carry an edit
    return sorted(batch.values(), key=lambda i: i.created_at)


def _split_known(
    session: Session,
    channel: ChannelRef,
    batch: list[IncomingItem],
    report: IngestReport,
    now: datetime,
) -> list[IncomingItem]:
    """Drop items already stored; reflect edits and deletions of the ones we have."""
    known: dict[str, tuple[int, str, datetime | None, bool, str | None]] = {}
    ext_ids = [i.external_id for i in batch]
    for part in chunks(ext_ids):
        rows = session.execute(
            select(
                Message.external_id,
                Message.id,
                Message.text,
                Message.deleted_at,
                Message.direction,
                Identity.external_id,
            )
            .outerjoin(Identity, Identity.id == Message.author_identity_id)
            .where(Message.channel_id == channel.id, Message.external_id.in_(part))
        )
        for ext, mid, text, deleted_at, direction, writer in rows:
            known[ext] = (mid, text, deleted_at, direction == Direction.OUTBOUND, writer)
    fresh: list[IncomingItem] = []
    edits: list[dict[str, Any]] = []
    deletions: list[dict[str, Any]] = []
    for item in batch:
        row = known.get(item.external_id)
        if row is None:
            if not item.deleted:
                fresh.append(item)
            continue
        mid, text, deleted_at, outbound, author = row
        if item.deleted:
            if deleted_at is None:
                deletions.append({"mid": mid, "at": now})
            else:
                report.duplicates += 1
        elif item.text != text and not outbound and author in (None, item.author.external_id):
            # Only the fan who wrote a message can edit it: never one of the band's own
            # replies, never someone else's words (a forged or mixed-up delivery).
            edits.append({"mid": mid, "new_text": item.text, "at": item.edited_at or now})
        else:
            report.duplicates += 1
    t = MESSAGES
    if edits:
        session.execute(
            update(t)
            .where(t.c.id == bindparam("mid"))
            .values(text=bindparam("new_text"), edited_at=bindparam("at")),
            edits,
        )
        report.updated += len(edits)
    if deletions:
        session.execute(
            update(t).where(t.c.id == bindparam("mid")).values(deleted_at=bindparam("at")),
            deletions,
        )
        report.deleted += len(deletions)
    return fresh


def _resolve_identities(
    session: Session,
    channel: ChannelRef,
    items: list[IncomingItem],
    report: IngestReport,
    new_fans: set[int],
) -> dict[str, tuple[int, int]]:
    """Map author external id -> (identity id, fan id), creating fans for new people.

    New fans are inserted with their message counts already in place (no update
    after the insert); their ids are added to ``new_fans``.
    """
    authors = {i.author.external_id: i for i in items if not channel.is_own(i)}
    found: dict[str, tuple[int, int]] = {}
    ids = list(authors)
    for part in chunks(ids):
        rows = session.execute(
            select(Identity.external_id, Identity.id, Identity.fan_id).where(
                Identity.workspace_id == channel.workspace_id,
                Identity.network == channel.network,
                Identity.external_id.in_(part),
            )
        )
        for ext, iid, fid in rows:
            found[ext] = (iid, fid)
    missing = [ext for ext in ids if ext not in found]
    erased = _erased(session, channel, missing)
    if erased:  # an erased person stays erased: their new messages are not stored
        items[:] = [i for i in items if channel.is_own(i) or i.author.external_id not in erased]
        missing = [ext for ext in missing if ext not in erased]
    if missing:
        stats = _author_stats(items, set(missing))
        fan_rows = [
            {
                "workspace_id": channel.workspace_id,
                "display_name": authors[ext].author.name or authors[ext].author.handle,
                "segment": "new",
                "engagement_score": 0.0,
                "message_count": stats[ext][0],
                "first_seen_at": stats[ext][1],
                "last_seen_at": stats[ext][2],
                "created_at": utcnow(),
            }
            for ext in missing
        ]
        fan_ids = insert_rows(session, FANS, fan_rows)
        identity_rows = []
        for ext, fan_id in zip(missing, fan_ids, strict=True):
            a = authors[ext].author
            identity_rows.append(
                {
                    "workspace_id": channel.workspace_id,
                    "fan_id": fan_id,
                    "network": channel.network,
                    "external_id": ext,
                    "handle": a.handle,
                    "display_name": a.name,
                    "avatar_url": a.avatar_url,
                    "profile_url": a.profile_url,
                    "profile": dict(a.profile) if a.profile else None,
                    "created_at": utcnow(),
                }
            )
        identity_ids = insert_rows(session, IDENTITIES, identity_rows)
        for ext, iid, fid in zip(missing, identity_ids, fan_ids, strict=True):
            found[ext] = (iid, fid)
        new_fans.update(fan_ids)
    report.fan_ids.update(fid for _, fid in found.values())
    return found


def _erased(session: Session, channel: ChannelRef, external_ids: list[str]) -> set[str]:
    """Authors whose fan was erased (a tombstone: network + hash of the id, see models/fan.py)."""
    if not external_ids:
        return set()
    hashes = {tombstone_hash(channel.network, ext): ext for ext in external_ids}
    gone: set[str] = set()
    for part in chunks(list(hashes)):
        gone.update(
            hashes[h]
            for h in session.scalars(
                select(FanTombstone.key_hash).where(
                    FanTombstone.workspace_id == channel.workspace_id,
                    FanTombstone.network == channel.network,
                    FanTombstone.key_hash.in_(part),
                )
            )
        )
    return gone


def _author_stats(
    items: list[IncomingItem], authors: set[str]
) -> dict[str, tuple[int, datetime, datetime]]:
    """(messages, first, last) per author, for fans created with their counts in place."""
    stats: dict[str, tuple[int, datetime, datetime]] = {}
    for item in items:  # oldest first
        ext = item.author.external_id
        if ext in authors:
            count, first, _ = stats.get(ext, (0, item.created_at, item.created_at))
            stats[ext] = (count + 1, first, item.created_at)
    return stats


def _resolve_threads(
    session: Session,
    channel: ChannelRef,
    items: list[IncomingItem],
    identities: dict[str, tuple[int, int]],
) -> tuple[dict[str, _ConvState], dict[str, str]]:
    """Give every item its conversation (thread key -> state), creating new ones."""
    # A reply whose parent is stored joins the parent's conversation, whatever thread
    # key the network gave it (Facebook names only the direct parent of a reply).
    parent_ids = [i.parent_id for i in items if i.parent_id]
    parent_thread: dict[str, str] = {}
    for part in chunks(list(set(parent_ids))):
        rows = session.execute(
            select(Message.external_id, Conversation.external_thread_id)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Message.channel_id == channel.id, Message.external_id.in_(part))
        )
        parent_thread.update({ext: key for ext, key in rows})
    thread_of: dict[str, str] = {}
    for item in items:  # oldest first, so in-batch parents come before their replies
        if item.parent_id and item.parent_id in thread_of:
            key = thread_of[item.parent_id]
        elif item.parent_id and item.parent_id in parent_thread:
            key = parent_thread[item.parent_id]
        else:
            key = item.thread_id or item.external_id
        thread_of[item.external_id] = key
    keys = sorted(set(thread_of.values()))
    convs: dict[str, _ConvState] = {}
    for part in chunks(keys):
        rows = session.execute(
            select(
                Conversation.external_thread_id,
                Conversation.id,
                Conversation.status,
                Conversation.last_activity_at,
                Conversation.last_inbound_at,
                Conversation.message_count,
                Conversation.waiting_for_us,
                Conversation.last_message_preview,
                Conversation.fan_id,
            ).where(
                Conversation.channel_id == channel.id,
                Conversation.external_thread_id.in_(part),
            )
        )
        for row in rows:
            r: Any = row
            convs[r[0]] = _ConvState(r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8])
    missing = [k for k in keys if k not in convs]
    if missing:
        by_thread: dict[str, list[IncomingItem]] = {}
        for item in items:  # oldest first
            key = thread_of[item.external_id]
            if key in by_thread:
                by_thread[key].append(item)
            else:
                by_thread[key] = [item]
        first_fan: dict[str, int | None] = {}
        for key in missing:
            first_fan[key] = next(
                (
                    ident[1]
                    for item in by_thread[key]
                    if (ident := identities.get(item.author.external_id)) is not None
                ),
                None,
            )
        new_states: dict[str, _ConvState] = {}
        for key in missing:
            summary = _ConvState(
                0, ConversationStatus.OPEN, None, None, 0, False, "", first_fan.get(key), new=True
            )
            for item in by_thread[key]:
                _roll_in(summary, item, not channel.is_own(item))
            new_states[key] = summary
        firsts = [by_thread[key][0] for key in missing]
        states = [new_states[key] for key in missing]
        columns: dict[str, list[Any] | Same] = {
            "workspace_id": Same(channel.workspace_id),
            "channel_id": Same(channel.id),
            "fan_id": [state.fan_id for state in states],
            "external_thread_id": missing,
            "kind": [first.kind for first in firsts],
            "subject": [first.subject for first in firsts],
            "context": [asdict(first.context) if first.context else None for first in firsts],
            "status": Same(ConversationStatus.OPEN),
            "priority": Same("normal"),
            "priority_score": Same(50),
            "is_spam": Same(False),
            "waiting_for_us": [state.waiting_for_us for state in states],
            "message_count": [state.message_count for state in states],
            "last_message_preview": [state.preview for state in states],
            "last_activity_at": [state.last_activity_at for state in states],
            "last_inbound_at": [state.last_inbound_at for state in states],
            "created_at": Same(utcnow()),
        }
        new_ids = insert_columns(session, CONVERSATIONS, len(missing), columns)
        for key, cid in zip(missing, new_ids, strict=True):
            new_states[key].id = cid
            convs[key] = new_states[key]
    return convs, thread_of


def _insert_messages(
    session: Session,
    channel: ChannelRef,
    items: list[IncomingItem],
    identities: dict[str, tuple[int, int]],
    thread_of: dict[str, str],
    convs: dict[str, _ConvState],
    verdicts: Sequence[Verdict | None],
    report: IngestReport,
) -> None:
    conv_ids = {key: state.id for key, state in convs.items()}
    now = utcnow()
    own = [channel.is_own(item) for item in items]
    sqlite = session.connection().dialect.name == "sqlite"
    idents = [
        None if mine else identities.get(item.author.external_id)
        for item, mine in zip(items, own, strict=True)
    ]
    columns: dict[str, list[Any] | Same] = {
        "workspace_id": Same(channel.workspace_id),
        "channel_id": Same(channel.id),
        "conversation_id": [conv_ids[thread_of[item.external_id]] for item in items],
        "external_id": [item.external_id for item in items],
        "direction": [Direction.OUTBOUND if mine else Direction.INBOUND for mine in own],
        "kind": [item.kind for item in items],
        "text": [item.text for item in items],
        "html": [item.html for item in items],
        "lang": [item.lang for item in items],
        "sent_at": [item.created_at for item in items],
        "author_identity_id": [ident[0] if ident else None for ident in idents],
        "parent_external_id": [item.parent_id for item in items],
        "url": [item.url for item in items],
        "media": [[dict(m) for m in item.media] or None for item in items],
        "raw": _raw_column(items, sqlite),
        "edited_at": [item.edited_at for item in items],
        "created_at": Same(now),
    }
    judged = [None if mine else verdict for verdict, mine in zip(verdicts, own, strict=True)]
    columns.update(_verdict_columns(items, judged, now))
    ids = insert_columns(session, MESSAGES, len(items), columns)
    report.message_ids.extend(ids)
    report.created += len(ids)
    report.conversation_ids.update(conv_ids.values())
    if any(i.parent_id for i in items):
        _link_parents(session, channel, min(ids))


def _raw_column(items: list[IncomingItem], sqlite: bool) -> list[Any]:
    """The payloads to store; an import's lines go into SQLite as the text they were."""
    if sqlite and all(type(item.raw) is EncodedMapping for item in items):
        return Ready(cast(EncodedMapping, item.raw).text for item in items)
    return [raw_column(item.raw, pre_encoded=sqlite) for item in items]


def _verdict_columns(
    items: list[IncomingItem], verdicts: Sequence[Verdict | None], now: datetime
) -> dict[str, list[Any] | Same]:
    """The classification columns of new messages (all NULL when they wait for a job)."""
    names = (
        "classified_at",
        "classifier_version",
        "spam",
        "spam_score",
        "sentiment",
        "toxic",
        "intent",
        "intent_score",
        "intent_scores",
        "urgency",
        "time_cue",
        "safety",
        "scam",
        "reasons",
    )
    if all(v is None for v in verdicts):
        return {name: Same(None) for name in names}
    rows = [
        (
            now,
            stored_version(v),
            v.spam,
            float(v.spam_score),
            v.sentiment,
            v.toxic,
            v.intent,
            float(v.intent_score),
            dict(v.intent_scores) or None,
            float(v.urgency),
            v.time_cue[:64] if v.time_cue else None,
            v.safety[:32] if v.safety else None,
            bool(v.scam),
            list(v.reasons),
        )
        if v is not None
        else (None,) * len(names)
        for v in verdicts
    ]
    columns: dict[str, list[Any] | Same] = {
        name: list(values) for name, values in zip(names, zip(*rows, strict=True), strict=True)
    }
    columns["lang"] = [
        item.lang or (v.lang if v is not None else None)
        for item, v in zip(items, verdicts, strict=True)
    ]
    return columns


def _link_parents(session: Session, channel: ChannelRef, first_new_id: int) -> None:
    """Point new replies at their parent message once both are stored."""
    parent = MESSAGES.alias("parent")
    msg = MESSAGES
    session.execute(
        update(msg)
        .where(
            msg.c.channel_id == channel.id,
            msg.c.id >= first_new_id,
            msg.c.parent_id.is_(None),
            msg.c.parent_external_id.is_not(None),
        )
        .values(
            parent_id=select(parent.c.id)
            .where(
                parent.c.channel_id == msg.c.channel_id,
                parent.c.external_id == msg.c.parent_external_id,
            )
            .scalar_subquery()
        )
    )


def _roll_in(state: _ConvState, item: IncomingItem, inbound: bool) -> None:
    """Add one message (oldest first) to a conversation's summary."""
    state.message_count += 1
    if state.last_activity_at is None or item.created_at >= state.last_activity_at:
        state.last_activity_at = item.created_at
        state.waiting_for_us = inbound
        state.preview = preview(item.text)
    if inbound:
        if state.last_inbound_at is None or item.created_at > state.last_inbound_at:
            state.last_inbound_at = item.created_at
        if state.status != ConversationStatus.OPEN and not state.new:
            state.status = ConversationStatus.OPEN


def _update_conversations(
    session: Session,
    channel: ChannelRef,
    items: list[IncomingItem],
    convs: dict[str, _ConvState],
    thread_of: dict[str, str],
    report: IngestReport,
) -> None:
    """Roll the new messages into each conversation's summary row.

    A fan writing again reopens a conversation that was done or snoozed: that is
    the moment the team needs to see it.
    """
    for item in items:  # oldest first
        state = convs[thread_of[item.external_id]]
        if state.new:  # inserted with its summary already
            continue
        state.touched = True
        _roll_in(state, item, not channel.is_own(item))
    touched = [s for s in convs.values() if s.touched]
    db_time = time_adapter(session)
    execute_many(
        session,
        "UPDATE conversations SET status = ?,"
        " snooze_until = CASE WHEN ? THEN NULL ELSE snooze_until END,"
        " last_activity_at = ?, last_inbound_at = ?, message_count = ?, waiting_for_us = ?,"
        " last_message_preview = ? WHERE id = ?",
        [
            (
                s.status.value,
                s.status == ConversationStatus.OPEN,
                db_time(s.last_activity_at),
                db_time(s.last_inbound_at),
                s.message_count,
                s.waiting_for_us,
                s.preview,
                s.id,
            )
            for s in touched
        ],
    )
    report.conversation_ids.update(s.id for s in convs.values() if s.touched)


def _update_fans(
    session: Session,
    items: list[IncomingItem],
    identities: dict[str, tuple[int, int]],
    channel: ChannelRef,
    skip: set[int],
) -> None:
    per_fan: dict[int, tuple[int, datetime, datetime]] = {}
    for item in items:
        ident = identities.get(item.author.external_id)
        if ident is None or ident[1] in skip or channel.is_own(item):
            continue
        count, first, last = per_fan.get(ident[1], (0, item.created_at, item.created_at))
        per_fan[ident[1]] = (count + 1, min(first, item.created_at), max(last, item.created_at))
    if not per_fan:
        return
    db_time = time_adapter(session)
    execute_many(
        session,
        "UPDATE fans SET message_count = message_count + ?,"
        " first_seen_at = CASE WHEN first_seen_at IS NULL OR first_seen_at > ? THEN ?"
        " ELSE first_seen_at END,"
        " last_seen_at = CASE WHEN last_seen_at IS NULL OR last_seen_at < ? THEN ?"
        " ELSE last_seen_at END WHERE id = ?",
        [
            (
                n,
                db_time(a),
                db_time(a),
                db_time(b),
                db_time(b),
                fan_id,
            )
            for fan_id, (n, a, b) in per_fan.items()
        ],
    )
