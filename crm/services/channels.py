"""Connecting, reconnecting, pausing and syncing channels."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlparse

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox.credentials import CredentialBox
from inbox.queue import defer
from models import AuditEvent, Channel, ChannelHealth, Message, utcnow
from models.channel import NETWORKS


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    secret: bool = True
    required: bool = True


# What each network's connector reads from the credentials (see README: connecting networks).
CREDENTIAL_FIELDS: dict[str, tuple[Field, ...]] = {
    "x": (
        Field("client_id", "OAuth 2.0 client id", secret=False),
        Field("client_secret", "OAuth 2.0 client secret", required=False),
        Field("access_token", "Access token"),
        Field("refresh_token", "Refresh token (offline.access)"),
    ),
    "bluesky": (
        Field("handle", "Handle", secret=False),
        Field("app_password", "App password (Settings → Privacy and security → App passwords)"),
    ),
    "mastodon": (Field("access_token", "Access token"),),
    "youtube": (
        Field("client_id", "OAuth client id", secret=False),
        Field("client_secret", "OAuth client secret"),
        Field("refresh_token", "Refresh token"),
    ),
    "instagram": (
        Field("access_token", "Long-lived access token"),
        Field("app_secret", "App secret (for appsecret_proof)", required=False),
    ),
    "facebook": (
        Field("page_access_token", "Page access token"),
        Field("app_secret", "App secret (for appsecret_proof)", required=False),
    ),
    "email": (
        Field("imap_host", "IMAP host", secret=False),
        Field("imap_port", "IMAP port (default 993)", secret=False, required=False),
        Field(
            "imap_security", "IMAP security: ssl, starttls or none", secret=False, required=False
        ),
        Field(
            "imap_username", "IMAP user name (default: the address)", secret=False, required=False
        ),
        Field("imap_password", "IMAP password or app password"),
        Field("smtp_host", "SMTP host (default: the IMAP host)", secret=False, required=False),
        Field("smtp_port", "SMTP port (default 587)", secret=False, required=False),
        Field(
            "smtp_security", "SMTP security: starttls, ssl or none", secret=False, required=False
        ),
        Field("smtp_username", "SMTP user name", secret=False, required=False),
        Field("smtp_password", "SMTP password", required=False),
    ),
}


class ChannelError(ValueError):
    """A connect request that cannot work; the message is for the person."""


def list_channels(session: Session, workspace_id: int) -> list[Channel]:
    return list(
        session.scalars(
            select(Channel)
            .where(Channel.workspace_id == workspace_id)
            .order_by(Channel.network, Channel.handle)
        )
    )


@dataclass(frozen=True)
class ChannelStats:
    messages: int
    oldest: datetime | None
    newest: datetime | None


def channel_stats(session: Session, workspace_id: int) -> dict[int, ChannelStats]:
    """Messages stored per channel and the time span they cover: the backfill's progress,
    which grows page by page as a first sync commits."""
    rows = session.execute(
        select(
            Message.channel_id, func.count(), func.min(Message.sent_at), func.max(Message.sent_at)
        )
        .where(Message.workspace_id == workspace_id)
        .group_by(Message.channel_id)
    )
    return {cid: ChannelStats(int(n), lo, hi) for cid, n, lo, hi in rows}


def get_channel(session: Session, workspace_id: int, channel_id: int) -> Channel:
    channel = session.get(Channel, channel_id)
    if channel is None or channel.workspace_id != workspace_id:
        raise LookupError(channel_id)
    return channel


def _check(network: str, handle: str, credentials: Mapping[str, str], base_url: str | None) -> None:
    if network not in NETWORKS:
        raise ChannelError(f"Unknown network {network!r}.")
    if not handle.strip() or len(handle) > 255:
        raise ChannelError("The account's handle is needed.")
    missing = [
        f.label for f in CREDENTIAL_FIELDS[network] if f.required and not credentials.get(f.name)
    ]
    if missing:
        raise ChannelError("Missing: " + ", ".join(missing) + ".")
    if base_url:
        parsed = urlparse(base_url)
        if parsed.scheme not in {"https", "http"} or not parsed.netloc:
            raise ChannelError("The server URL must start with https://")


def connect(
    session: Session,
    box: CredentialBox,
    workspace_id: int,
    user_id: int,
    network: str,
    handle: str,
    credentials: Mapping[str, str],
    *,
    base_url: str | None = None,
    backfill_days: int = 7,
    sync_interval_s: int = 120,
) -> Channel:
    """Connect an account (or reconnect it with new credentials) and queue its first sync."""
    handle = handle.strip()
    credentials = {k: v.strip() for k, v in credentials.items() if isinstance(v, str) and v.strip()}
    _check(network, handle, credentials, base_url)
    if not 1 <= backfill_days <= 90:
        raise ChannelError("Backfill must be between 1 and 90 days.")
    channel = session.scalar(
        select(Channel).where(
            Channel.workspace_id == workspace_id,
            Channel.network == network,
            Channel.handle == handle,
        )
    )
    if channel is None:
        channel = Channel(
            workspace_id=workspace_id,
            network=network,
            connector=network,
            handle=handle,
            display_name=handle,
        )
        session.add(channel)
    channel.connector = network
    channel.credentials_encrypted = box.encrypt(credentials)
    channel.base_url = base_url or None
    channel.options = {**(channel.options or {}), "backfill_days": backfill_days}
    channel.health = ChannelHealth.PENDING
    channel.sync_interval_s = max(30, sync_interval_s)
    channel.sync_enabled = True
    channel.consecutive_failures = 0
    channel.next_sync_at = None
    session.flush()
    session.add(
        AuditEvent(
            workspace_id=workspace_id,
            user_id=user_id,
            action="channel.connected",
            subject_type="channel",
            subject_id=channel.id,
            data={"network": network, "handle": handle},
        )
    )
    sync_now(session, channel)
    return channel


def sync_now(session: Session, channel: Channel) -> None:
    from inbox import jobs

    channel.next_sync_at = utcnow()
    defer(
        session,
        jobs.sync_channel,
        channel.id,
        queue="sync",
        job_id=f"sync-channel-{channel.id}",
        retries=0,
    )


def set_paused(session: Session, channel: Channel, paused: bool, user_id: int) -> None:
    channel.sync_enabled = not paused
    if paused:
        channel.health = ChannelHealth.PAUSED
    elif channel.health == ChannelHealth.PAUSED:
        channel.health = ChannelHealth.PENDING
        channel.next_sync_at = utcnow()
    session.add(
        AuditEvent(
            workspace_id=channel.workspace_id,
            user_id=user_id,
            action="channel.paused" if paused else "channel.resumed",
            subject_type="channel",
            subject_id=channel.id,
        )
    )
