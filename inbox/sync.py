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
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update

from inbox import connectors
from inbox.connectors.base import (
    AuthError,
    ChannelConfig,
    Connector,
    ConnectorError,
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
from models import AuditEvent, Channel, ChannelHealth, Direction, Message, utcnow

log = logging.getLogger(__name__)
LEASE_S = 90
PAGE_SIZE = 100
MAX_BACKOFF_S = 3600
# Deletions the feed does not report: how often, how far back, how many messages a time.
# Fans mostly delete soon after posting, so the newest messages are the ones asked about.
DELETION_CHECK_EVERY = timedelta(hours=1)
DELETION_WINDOW = timedelta(days=3)
DELETION_BATCH = 100


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
    now = utcnow()
    with rt.session() as s:
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
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _release_lease(rt: Runtime, channel_id: int, owner: str) -> None:
    with rt.session() as s:
        s.execute(
            update(Channel)
            .where(Channel.id == channel_id, Channel.sync_lease_owner == owner)
            .values(sync_lease_owner=None, sync_lease_until=None)
            .execution_options(synchronize_session=False)
        )


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
        for _ in range(max_pages):
            if own_connector and _state_blob(rt, channel_id) != state_seen:
                # Another job (a reply being sent) changed the connector's state while we
                # were paging: rebuild from the stored state rather than overwrite it.
                with rt.session() as s:
                    connector = build_connector(rt, s.get_one(Channel, channel_id))
            result = connector.fetch_since(cursor, PAGE_SIZE)
            with rt.session() as s:
                channel = s.get_one(Channel, channel_id)
                if channel.sync_lease_owner != owner:
                    raise TransientError("lost the sync lease to another worker")
                page = ingest(s, ChannelRef.of(channel), result.items, classify)
                for reason, raw in result.malformed:
                    log.warning(
                        "channel %s: malformed item skipped: %s; raw=%r", channel.label, reason, raw
                    )
                    page.skipped.append(("", reason))
                channel.cursor = result.cursor
                store_state(rt, channel, connector)
                state_seen = channel.state_encrypted
                channel.sync_lease_until = utcnow() + timedelta(seconds=LEASE_S)
            report.pages += 1
            report.ingest.merge(page)
            cursor = result.cursor
            if not result.has_more:
                break
        if own_connector and _state_blob(rt, channel_id) != state_seen:
            with rt.session() as s:
                connector = build_connector(rt, s.get_one(Channel, channel_id))
        report.deletions_checked = check_deletions(rt, channel_id, connector, owner, report)
        _record_success(rt, channel_id)
    except ConnectorError as exc:
        report.error = str(exc)
        _record_failure(rt, channel_id, exc, connector)
    finally:
        _release_lease(rt, channel_id, owner)
    return report


def check_deletions(
    rt: Runtime, channel_id: int, connector: Connector, owner: str, report: SyncReport
) -> int:
    """Ask the network which recent fan messages are gone, once per ``DELETION_CHECK_EVERY``.

    Only for connectors whose feed never reports deletions (they offer
    :class:`FindsDeleted` or :class:`RefreshesItems`). Deleted messages are marked
    deleted (the thread says "deleted on <network>", and a reply never answers one);
    a refresh also brings edits. Returns how many messages were asked about.
    """
    if not isinstance(connector, FindsDeleted | RefreshesItems):
        return 0
    now = utcnow()
    with rt.session() as s:
        channel = s.get_one(Channel, channel_id)
        checked = channel.deletions_checked_at
        if checked is None:
            # A first sync has just read everything as it is now: the clock starts here.
            channel.deletions_checked_at = now
            return 0
        if now - checked < DELETION_CHECK_EVERY:
            return 0
        recent = list(
            s.scalars(
                select(Message.external_id)
                .where(
                    Message.channel_id == channel_id,
                    Message.direction == Direction.INBOUND,
                    Message.deleted_at.is_(None),
                    Message.sent_at >= now - DELETION_WINDOW,
                )
                .order_by(Message.sent_at.desc())
                .limit(DELETION_BATCH)
            )
        )
    items: list[IncomingItem] = []
    if recent and isinstance(connector, RefreshesItems):
        result = connector.refresh_items(recent)
        items = result.items
        for reason, raw in result.malformed:
            log.warning("channel %s: refreshed item skipped: %s; raw=%r", channel_id, reason, raw)
    elif recent and isinstance(connector, FindsDeleted):
        items = [deleted_marker(ext) for ext in connector.find_deleted(recent)]
    with rt.session() as s:
        channel = s.get_one(Channel, channel_id)
        if channel.sync_lease_owner != owner:
            raise TransientError("lost the sync lease to another worker")
        if items:
            report.ingest.merge(ingest(s, ChannelRef.of(channel), items))
        channel.deletions_checked_at = now
        store_state(rt, channel, connector)
    return len(recent)


def _record_success(rt: Runtime, channel_id: int) -> None:
    with rt.session() as s:
        channel = s.get_one(Channel, channel_id)
        now = utcnow()
        channel.health = ChannelHealth.OK
        channel.last_synced_at = now
        channel.consecutive_failures = 0
        channel.next_sync_at = now + timedelta(seconds=channel.sync_interval_s)


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
