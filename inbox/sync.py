"""Syncing one channel: fetch pages from its connector and feed them to the pipeline.

Each page is stored in its own transaction together with the cursor that
follows it, so a crash between pages resumes from the last stored page and a
crash inside a page stores none of it. A lease on the channel row keeps two
workers from syncing one channel at once; it expires on its own if a worker
dies, so another worker takes over within :data:`LEASE_S` seconds.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from inbox import connectors, incidents
from inbox.connectors.base import (
    AuthError,
    ChannelConfig,
    Connector,
    ConnectorError,
    FetchResult,
    FindsDeleted,
    IncomingItem,
    PermanentError,
    RateLimited,
    RefreshesItems,
    TransientError,
    deleted_marker,
)
from inbox.pipeline import ChannelRef, Classify, IngestReport, ingest
from inbox.runtime import Runtime
from models import AuditEvent, Channel, ChannelHealth, Direction, Message, MessageKind, utcnow

log = logging.getLogger(__name__)
LEASE_S = 90
PAGE_SIZE = 100
MAX_BACKOFF_S = 3600
# Deletions the feed does not report (see check_deletions): how often by default, how far
# back, and how many messages a check asks about by default. A connector that can check
# cheaply says otherwise (`deletion_check_every`, `deletion_check_budget()`).
DELETION_CHECK_EVERY = timedelta(hours=1)
DELETION_WINDOW = timedelta(days=3)  # at least; a channel's backfill window widens it
DEFAULT_BACKFILL_DAYS = 14  # the longest connector default, for channels that set none
# A sync that stopped with pages still to read (a long backfill) comes back this soon.
CONTINUE_AFTER = timedelta(seconds=5)
DELETION_BATCH = 100
DELETION_RETRIES = 2  # a check's call failing in passing is tried again this many times
# Where the deletion sweep stands, kept in the channel's (encrypted) state blob. The sync
# owns this key: a connector's own state never overwrites it (see store_state).
SWEEP_KEY = "deletion_sweep"


@dataclass
class SyncReport:
    channel_id: int
    pages: int = 0
    ingest: IngestReport = field(default_factory=IngestReport)
    skipped_lease: bool = False
    error: str | None = None
    deletions_checked: int = 0  # recent messages asked about (0: not due, or not needed)


def channel_config(rt: Runtime, channel: Channel) -> ChannelConfig:
    return ChannelConfig(
        channel_id=channel.id,
        network=channel.network,
        handle=channel.handle,
        external_id=channel.external_id,
        credentials=rt.box.decrypt(channel.credentials_encrypted),
        base_url=channel.base_url,
        state=rt.box.decrypt(channel.state_encrypted),
        options=dict(channel.options or {}),
    )


def store_state(rt: Runtime, channel: Channel, connector: Connector) -> None:
    """Keep what the connector wants kept (encrypted), after every call, failed ones too:
    a rotated refresh token is single-use, and losing it would force a reconnect."""
    new = dict(connector.state)
    new.pop(SWEEP_KEY, None)  # the sync's, never the connector's (it may echo a stale one)
    if not new:
        return
    old = rt.box.decrypt(channel.state_encrypted)
    if old != {**old, **new}:
        channel.state_encrypted = rt.box.encrypt({**old, **new})


def build_connector(rt: Runtime, channel: Channel) -> Connector:
    return connectors.build(channel.connector, channel_config(rt, channel))


def _state_blob(rt: Runtime, channel_id: int) -> bytes | None:
    with rt.session() as s:
        return s.scalar(select(Channel.state_encrypted).where(Channel.id == channel_id))


def _take_lease(rt: Runtime, channel_id: int, owner: str) -> bool:
    """Hold the channel for this sync. A lease found expired but never released means
    the previous sync's worker died part-way: that is written down for the team."""
    now = utcnow()
    with rt.session() as s:
        left = s.execute(
            select(Channel.workspace_id, Channel.sync_lease_owner, Channel.sync_lease_until).where(
                Channel.id == channel_id
            )
        ).first()
        result = s.execute(
            update(Channel)
            .where(
                Channel.id == channel_id,
                or_(
                    Channel.sync_lease_until.is_(None),
                    Channel.sync_lease_until < now,
                    Channel.sync_lease_owner == owner,
                ),
            )
            .values(sync_lease_owner=owner, sync_lease_until=now + timedelta(seconds=LEASE_S))
            .execution_options(synchronize_session=False)
        )
        taken = bool(result.rowcount)  # type: ignore[attr-defined]
        if taken and left is not None and left.sync_lease_owner not in (None, owner):
            incidents.sync_interrupted(
                s,
                workspace_id=left.workspace_id,
                channel_id=channel_id,
                since=left.sync_lease_until - timedelta(seconds=LEASE_S)
                if left.sync_lease_until
                else None,
            )
        return taken


def _release_lease(rt: Runtime, channel_id: int, owner: str) -> None:
    """Let go of the channel, waiting out a database restart so the next sync need not
    wait for the lease to expire."""

    def release() -> None:
        with rt.session() as s:
            s.execute(
                update(Channel)
                .where(Channel.id == channel_id, Channel.sync_lease_owner == owner)
                .values(sync_lease_owner=None, sync_lease_until=None)
                .execution_options(synchronize_session=False)
            )

    incidents.outlast_database(rt.engine, rt.outages, release)


def backoff_seconds(failures: int, retry_after: float | None, base: int) -> float:
    """Honour the network's own Retry-After; otherwise back off exponentially."""
    if retry_after is not None:
        return max(1.0, retry_after)
    return float(min(MAX_BACKOFF_S, base * 2 ** max(0, failures - 1)))


def sync_channel(
    rt: Runtime,
    channel_id: int,
    *,
    classify: Classify | None = None,
    max_pages: int = 50,
    connector: Connector | None = None,
) -> SyncReport:
    """Fetch everything new on a channel. Returns quickly if another sync holds it."""
    report = SyncReport(channel_id)
    owner = secrets.token_hex(8)
    if not _take_lease(rt, channel_id, owner):
        report.skipped_lease = True
        return report
    try:
        with rt.session() as s:
            channel = s.get(Channel, channel_id)
            if channel is None or not channel.sync_enabled:
                return report
            own_connector = connector is None
            if connector is None:
                connector = build_connector(rt, channel)
            cursor: dict[str, Any] | None = channel.cursor
        state_seen = _state_blob(rt, channel_id)
        more = False
        for _ in range(max_pages):
            if own_connector and _state_blob(rt, channel_id) != state_seen:
                # Another job (a reply being sent) changed the connector's state while we
                # were paging: rebuild from the stored state rather than overwrite it.
                with rt.session() as s:
                    connector = build_connector(rt, s.get_one(Channel, channel_id))
            result = connector.fetch_since(cursor, PAGE_SIZE)

            def store_page(
                result: FetchResult = result, connector: Connector = connector
            ) -> tuple[IngestReport, bytes | None]:
                with rt.session() as s:
                    channel = s.get_one(Channel, channel_id)
                    if channel.sync_lease_owner != owner:
                        raise TransientError("lost the sync lease to another worker")
                    page = ingest(s, ChannelRef.of(channel), result.items, classify)
                    for reason, raw in result.malformed:
                        log.warning(
                            "channel %s: malformed item skipped: %s; raw=%r",
                            channel.label,
                            reason,
                            raw,
                        )
                        page.skipped.append(("", reason))
                    channel.cursor = result.cursor
                    store_state(rt, channel, connector)
                    channel.sync_lease_until = utcnow() + timedelta(seconds=LEASE_S)
                    return page, channel.state_encrypted

            # A page already read is stored even if the database restarts meanwhile.
            page, state_seen = incidents.outlast_database(rt.engine, rt.outages, store_page)
            report.pages += 1
            report.ingest.merge(page)
            cursor = result.cursor
            more = result.has_more
            if not more:
                break
        if own_connector and _state_blob(rt, channel_id) != state_seen:
            with rt.session() as s:
                connector = build_connector(rt, s.get_one(Channel, channel_id))
        report.deletions_checked = check_deletions(rt, channel_id, connector, owner, report)
        _record_success(rt, channel_id, more=more)
    except ConnectorError as exc:
        report.error = str(exc)
        _record_failure(rt, channel_id, exc, connector)
    finally:
        _release_lease(rt, channel_id, owner)
    return report


def check_deletions(
    rt: Runtime, channel_id: int, connector: Connector, owner: str, report: SyncReport
) -> int:
    """Ask the network which of the window's fan messages are gone (and, for a refresh,
    which were edited). Returns how many messages were asked about.

    Only for connectors whose feed never reports deletions (they offer
    :class:`FindsDeleted` or :class:`RefreshesItems`). Deleted messages are marked
    deleted (the thread says "deleted on <network>", and a reply never answers one);
    a refresh also brings edits.

    **How often**: once per ``connector.deletion_check_every`` (default
    :data:`DELETION_CHECK_EVERY`, an hour); a connector that can check cheaply says
    ``timedelta(0)``: the check then runs at every sync, that is once per sync
    interval (the channel's ``sync_interval_s``, ``UNPLUGGED_SYNC_INTERVAL``).

    **How much**: ``connector.deletion_check_budget()`` gives (ids per call, ids per
    check), default (:data:`DELETION_BATCH`, :data:`DELETION_BATCH`). The fans'
    messages of the channel's window (:func:`deletion_window`), newest first, are swept in that
    order: each check goes on where the last one stopped (the position is kept in
    the channel's state under :data:`SWEEP_KEY`) and starts again at the newest once
    it reaches the end of the window. When the window holds no more than one
    check's worth, every check covers all of it, so a deletion is seen at the next
    check; otherwise within ceil(window / per check) checks.

    **Failures**: the calls are made one batch at a time; a batch failing in passing
    is tried again (:data:`DELETION_RETRIES`), a rate limit never is. When one fails
    for good, what the earlier batches found is stored, the sweep keeps its place
    after them, and the error is raised so the sync backs off as the network asked
    (a 429's ``Retry-After``). The next check resumes at the batch that failed.
    """
    if not isinstance(connector, FindsDeleted | RefreshesItems):
        return 0
    every, per_call, per_check = _deletion_plan(connector)
    now = utcnow()
    with rt.session() as s:
        channel = s.get_one(Channel, channel_id)
        checked = channel.deletions_checked_at
        if checked is None:
            # A first sync has just read everything as it is now: the clock starts here.
            channel.deletions_checked_at = now
            return 0
        if now - checked < every or per_check <= 0:
            return 0
        position = _Sweep.load(rt.box.decrypt(channel.state_encrypted).get(SWEEP_KEY))
        window = deletion_window(channel.options)
        skips = _deletion_skips(connector)
        batch, position_after = _sweep_batch(
            s, channel_id, now - window, position, per_check, skips
        )
    items: list[IncomingItem] = []
    asked = 0
    reached = position
    try:
        for start in range(0, len(batch), per_call):
            chunk = batch[start : start + per_call]
            ids = [ext for ext, _ in chunk]
            items += _ask_about(connector, channel_id, ids)
            asked += len(ids)
            reached = chunk[-1][1]
    except ConnectorError:
        _finish_check(rt, channel_id, owner, connector, items, reached, None, report)
        raise
    _finish_check(rt, channel_id, owner, connector, items, position_after, now, report)
    return asked


def _ask_about(connector: Connector, channel_id: int, ids: list[str]) -> list[IncomingItem]:
    """One call of a deletion check, tried again up to :data:`DELETION_RETRIES` times
    on a passing failure (a 5xx, a timeout, a cut-off answer); never on a rate limit."""
    for attempt in range(DELETION_RETRIES + 1):
        try:
            if isinstance(connector, RefreshesItems):
                result = connector.refresh_items(ids)
                for reason, raw in result.malformed:
                    log.warning(
                        "channel %s: refreshed item skipped: %s; raw=%r", channel_id, reason, raw
                    )
                return result.items
            if isinstance(connector, FindsDeleted):
                return [deleted_marker(ext) for ext in connector.find_deleted(ids)]
            return []
        except RateLimited:
            raise
        except TransientError:
            if attempt == DELETION_RETRIES:
                raise
    return []  # not reached: the last attempt returns or raises


@dataclass(frozen=True)
class _Sweep:
    """Where a deletion sweep stands: the last message asked about (newest-first order)."""

    sent_at: datetime
    message_id: int

    @classmethod
    def load(cls, value: Any) -> _Sweep | None:
        if not isinstance(value, dict):
            return None
        try:
            sent_at = datetime.fromisoformat(str(value["sent_at"]))
            message_id = int(value["id"])
        except (KeyError, TypeError, ValueError):
            return None  # unreadable: start again at the newest
        return cls(sent_at if sent_at.tzinfo else sent_at.replace(tzinfo=UTC), message_id)

    def dump(self) -> dict[str, Any]:
        return {"sent_at": self.sent_at.isoformat(), "id": self.message_id}


def _deletion_plan(connector: Connector) -> tuple[timedelta, int, int]:
    """(how often, ids per call, ids per check) for a connector, with the defaults."""
    every = getattr(connector, "deletion_check_every", DELETION_CHECK_EVERY)
    if not isinstance(every, timedelta):
        every = DELETION_CHECK_EVERY
    budget = getattr(connector, "deletion_check_budget", None)
    per_call, per_check = budget() if callable(budget) else (DELETION_BATCH, DELETION_BATCH)
    return every, max(1, int(per_call)), max(0, int(per_check))


def _deletion_skips(connector: Connector) -> frozenset[str]:
    """Message kinds the connector's check cannot ask about (``deletion_check_skips``):
    X's lookup knows tweets, not DM events, whose ids would come back "not found"."""
    skips: object = getattr(connector, "deletion_check_skips", frozenset())
    return frozenset(str(k) for k in skips) if isinstance(skips, frozenset | set) else frozenset()


def deletion_window(options: dict[str, Any] | None) -> timedelta:
    """How far back deletions are looked for: the channel's backfill window (what the
    inbox shows of its history), at least :data:`DELETION_WINDOW`."""
    days = (options or {}).get("backfill_days", DEFAULT_BACKFILL_DAYS)
    if not isinstance(days, int | float) or isinstance(days, bool) or not 0 < days <= 366:
        days = DEFAULT_BACKFILL_DAYS
    return max(DELETION_WINDOW, timedelta(days=float(days)))


def _sweep_batch(
    s: Session,
    channel_id: int,
    since: datetime,
    position: _Sweep | None,
    size: int,
    skips: frozenset[str] = frozenset(),
) -> tuple[list[tuple[str, _Sweep]], _Sweep | None]:
    """The next ``size`` fan messages of the window after ``position`` (newest first),
    wrapping to the newest at the end; and where the sweep stands after them (None:
    a pass is complete, the next check starts at the newest). Messages of a kind in
    ``skips`` are not asked about."""
    window = (
        select(Message.external_id, Message.sent_at, Message.id)
        .where(
            Message.channel_id == channel_id,
            Message.direction == Direction.INBOUND,
            Message.deleted_at.is_(None),
            Message.sent_at >= since,
        )
        .order_by(Message.sent_at.desc(), Message.id.desc())
    )
    if skips:
        window = window.where(Message.kind.not_in([k for k in MessageKind if k.value in skips]))
    tail_query = window
    if position is not None:
        tail_query = window.where(
            or_(
                Message.sent_at < position.sent_at,
                and_(Message.sent_at == position.sent_at, Message.id < position.message_id),
            )
        )
    tail = [(ext, _Sweep(sent, mid)) for ext, sent, mid in s.execute(tail_query.limit(size))]
    if len(tail) == size:
        return tail, tail[-1][1]
    # The end of the window: go on from the newest, up to where this check began.
    seen = {ext for ext, _ in tail}
    wrapped = [
        (ext, _Sweep(sent, mid))
        for ext, sent, mid in s.execute(window.limit(size - len(tail)))
        if ext not in seen
    ]
    return tail + wrapped, (wrapped[-1][1] if wrapped else None)


def _finish_check(
    rt: Runtime,
    channel_id: int,
    owner: str,
    connector: Connector,
    items: list[IncomingItem],
    position: _Sweep | None,
    checked_at: datetime | None,
    report: SyncReport,
) -> None:
    """Store what a check found and where its sweep stands, in one transaction.

    ``checked_at`` is None when the check stopped early: the clock is not reset,
    so the next sync goes on with the rest.
    """
    with rt.session() as s:
        channel = s.get_one(Channel, channel_id)
        if channel.sync_lease_owner != owner:
            raise TransientError("lost the sync lease to another worker")
        if items:
            report.ingest.merge(ingest(s, ChannelRef.of(channel), items))
        if checked_at is not None:
            channel.deletions_checked_at = checked_at
        store_state(rt, channel, connector)
        state = rt.box.decrypt(channel.state_encrypted)
        sweep = position.dump() if position is not None else None
        if state.get(SWEEP_KEY) != sweep:
            if sweep is None:
                state.pop(SWEEP_KEY, None)
            else:
                state[SWEEP_KEY] = sweep
            channel.state_encrypted = rt.box.encrypt(state)


def _record_success(rt: Runtime, channel_id: int, *, more: bool = False) -> None:
    """A sync that read all there was: the channel is up to date until its next interval.

    One that stopped with pages still to read (``more``: a backfill longer than one
    sync's pages) comes back in :data:`CONTINUE_AFTER`, and a channel still on its
    first import stays "pending", so the Channels page keeps saying "importing"
    until the window is read, not "up to date" halfway through it.
    """
    with rt.session() as s:
        channel = s.get_one(Channel, channel_id)
        now = utcnow()
        if not (more and channel.health == ChannelHealth.PENDING):
            channel.health = ChannelHealth.OK
        channel.last_synced_at = now
        channel.consecutive_failures = 0
        channel.next_sync_at = now + (
            CONTINUE_AFTER if more else timedelta(seconds=channel.sync_interval_s)
        )


def _record_failure(
    rt: Runtime, channel_id: int, exc: ConnectorError, connector: Connector | None
) -> None:
    """Channel health after a failed sync. A revoked token stops retries until reconnected."""
    with rt.session() as s:
        channel = s.get_one(Channel, channel_id)
        if connector is not None:
            store_state(rt, channel, connector)
        now = utcnow()
        channel.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        channel.last_error_at = now
        channel.consecutive_failures += 1
        if isinstance(exc, AuthError):
            if channel.health != ChannelHealth.NEEDS_RECONNECT:
                s.add(
                    AuditEvent(
                        workspace_id=channel.workspace_id,
                        action="channel.needs_reconnect",
                        subject_type="channel",
                        subject_id=channel.id,
                        data={"error": str(exc)[:500]},
                    )
                )
            channel.health = ChannelHealth.NEEDS_RECONNECT
            channel.next_sync_at = None  # no retry storm: a person must reconnect
            log.warning("channel %s needs reconnecting: %s", channel.label, exc)
            return
        retry_after = exc.retry_after if isinstance(exc, TransientError) else None
        if isinstance(exc, PermanentError):
            retry_after = None
        delay = backoff_seconds(
            channel.consecutive_failures, retry_after, min(channel.sync_interval_s, 60)
        )
        channel.health = ChannelHealth.DEGRADED
        channel.next_sync_at = now + timedelta(seconds=delay)
        level = logging.INFO if isinstance(exc, RateLimited) else logging.WARNING
        log.log(level, "channel %s sync failed (%s); next try in %.0fs", channel.label, exc, delay)
