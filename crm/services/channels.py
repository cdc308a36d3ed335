"""Connecting, reconnecting, pausing and syncing channels."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlparse

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from crm.services.messages import N_, UserError, Words
from inbox import incidents as inbox_incidents
from inbox import netguard
from inbox.credentials import CredentialBox
from inbox.queue import defer
from models import (
    AuditEvent,
    Channel,
    ChannelHealth,
    Direction,
    Fan,
    Identity,
    Incident,
    Message,
    search,
    utcnow,
)
from models.channel import NETWORKS


@dataclass(frozen=True)
class Field:
    """One credential a network's connector reads, as the connect form asks for it.

    ``label`` uses the words of the network's own settings page, ``help`` says in plain
    words what the value is, and ``where`` links to the page where it is found: a person
    connecting an account should not need the README (issue 18). Texts are marked with
    ``N_`` and translated where they are shown.
    """

    name: str
    label: str
    secret: bool = True
    required: bool = True
    help: str = ""
    where: str = ""


X_PORTAL = "https://developer.x.com/en/portal/dashboard"
GOOGLE_CREDENTIALS = "https://console.cloud.google.com/apis/credentials"
META_APPS = "https://developers.facebook.com/apps/"
META_TOKENS = "https://developers.facebook.com/tools/explorer/"

# What each network's connector reads from the credentials (see README: connecting networks).
CREDENTIAL_FIELDS: dict[str, tuple[Field, ...]] = {
    "x": (
        Field(
            "client_id",
            N_("Client ID"),
            secret=False,
            help=N_(
                "In your app's \u201cKeys and tokens\u201d, under OAuth 2.0 Client ID and Client Secret."
            ),
            where=X_PORTAL,
        ),
        Field("client_secret", N_("Client Secret"), required=False, where=X_PORTAL),
        Field(
            "access_token",
            N_("Access Token"),
            help=N_("The token of your own account, made when you authorised the app."),
            where=X_PORTAL,
        ),
        Field(
            "refresh_token",
            N_("Refresh Token"),
            help=N_(
                "Comes with the access token when the app asks for offline access; it lets Unplugged renew the token."
            ),
            where=X_PORTAL,
        ),
    ),
    "bluesky": (
        Field(
            "handle",
            N_("Handle"),
            secret=False,
            help=N_("Your Bluesky handle, for example band.bsky.social."),
        ),
        Field(
            "app_password",
            N_("App password"),
            help=N_(
                "In Bluesky: Settings, Privacy and security, App passwords. Never your main password."
            ),
            where="https://bsky.app/settings/app-passwords",
        ),
    ),
    "mastodon": (
        Field(
            "access_token",
            N_("Your access token"),
            help=N_(
                "On your server: Preferences, Development, New application; open it and copy \u201cYour access token\u201d."
            ),
        ),
    ),
    "youtube": (
        Field(
            "client_id",
            N_("Client ID"),
            secret=False,
            help=N_("In Google Cloud: APIs and services, Credentials, your OAuth client."),
            where=GOOGLE_CREDENTIALS,
        ),
        Field("client_secret", N_("Client secret"), where=GOOGLE_CREDENTIALS),
        Field(
            "refresh_token",
            N_("Refresh token"),
            help=N_(
                "Given once when you sign in with your channel's Google account and allow access."
            ),
            where="https://developers.google.com/oauthplayground/",
        ),
    ),
    "instagram": (
        Field(
            "access_token",
            N_("Access token (long-lived)"),
            help=N_("From your Meta app, for the Instagram professional account you want to read."),
            where=META_TOKENS,
        ),
        Field(
            "app_secret",
            N_("App secret"),
            required=False,
            help=N_("In your Meta app: App settings, Basic. It signs each request."),
            where=META_APPS,
        ),
    ),
    "facebook": (
        Field(
            "page_access_token",
            N_("Page access token"),
            help=N_("From your Meta app, for the Page you want to read."),
            where=META_TOKENS,
        ),
        Field(
            "app_secret",
            N_("App secret"),
            required=False,
            help=N_("In your Meta app: App settings, Basic. It signs each request."),
            where=META_APPS,
        ),
    ),
    "email": (
        Field(
            "imap_host",
            N_("Incoming mail server (IMAP)"),
            secret=False,
            help=N_("As your mail provider gives it, for example imap.example.com."),
        ),
        Field("imap_port", N_("IMAP port"), secret=False, required=False, help=N_("Usually 993.")),
        Field(
            "imap_security",
            N_("IMAP security"),
            secret=False,
            required=False,
            help=N_("ssl (the usual), starttls or none."),
        ),
        Field(
            "imap_username",
            N_("IMAP user name"),
            secret=False,
            required=False,
            help=N_("Leave empty if it is the email address."),
        ),
        Field(
            "imap_password",
            N_("Password"),
            help=N_("Your mailbox password, or an app password if your provider asks for one."),
        ),
        Field(
            "smtp_host",
            N_("Outgoing mail server (SMTP)"),
            secret=False,
            required=False,
            help=N_("Leave empty if it is the incoming server."),
        ),
        Field("smtp_port", N_("SMTP port"), secret=False, required=False, help=N_("Usually 587.")),
        Field(
            "smtp_security",
            N_("SMTP security"),
            secret=False,
            required=False,
            help=N_("starttls (the usual), ssl or none."),
        ),
        Field("smtp_username", N_("SMTP user name"), secret=False, required=False),
        Field("smtp_password", N_("SMTP password"), required=False),
    ),
}


class ChannelError(UserError):
    """A connect request that cannot work; the message (marked ``N_``) is for the person."""


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


@dataclass(frozen=True)
class ChannelProgress:
    """Where a channel's import stands, as the Channels page and ``channel list`` say it.

    ``importing`` from connecting until its first sync has read the backfill window
    (the channel is "pending" all that time; every page it stores is committed, so
    ``messages`` and ``oldest`` grow while it runs), ``up to date`` once a sync
    finished; otherwise the channel's health says what is wrong.
    """

    state: str  # "importing", "up_to_date" or "" (paused, retrying, needs reconnect)
    messages: int
    oldest: datetime | None
    backfill_days: int

    @property
    def importing(self) -> bool:
        return self.state == "importing"


def incidents(session: Session, workspace_id: int) -> list[Incident]:
    """The service's and this workspace's incidents of the last week, newest first."""
    return inbox_incidents.recent(session, workspace_id)


def progress(session: Session, workspace_id: int) -> dict[int, ChannelProgress]:
    """Each channel's :class:`ChannelProgress`, by channel id."""
    stats = channel_stats(session, workspace_id)
    out = {}
    for channel in list_channels(session, workspace_id):
        st = stats.get(channel.id, ChannelStats(0, None, None))
        state = ""
        if channel.sync_enabled and channel.health == ChannelHealth.PENDING:
            state = "importing"
        elif channel.health == ChannelHealth.OK:
            state = "up_to_date"
        days = (channel.options or {}).get("backfill_days", 7)
        out[channel.id] = ChannelProgress(
            state, st.messages, st.oldest, days if isinstance(days, int) else 7
        )
    return out


def find_channel(session: Session, workspace_id: int | None, ref: str) -> Channel:
    """A channel by its id or ``network:handle`` (in ``workspace_id`` when given).

    What operators type on the command line; ``LookupError`` when nothing matches,
    ``ChannelError`` when a ``network:handle`` is ambiguous across workspaces.
    """
    ref = ref.strip()
    if ref.isascii() and ref.isdigit() and len(ref) < 10:
        channel = session.get(Channel, int(ref))
        if channel is None or (workspace_id is not None and channel.workspace_id != workspace_id):
            raise LookupError(ref)
        return channel
    network, sep, handle = ref.partition(":")
    if not sep or not handle:
        raise LookupError(ref)
    q = select(Channel).where(Channel.network == network, Channel.handle == handle)
    if workspace_id is not None:
        q = q.where(Channel.workspace_id == workspace_id)
    found = list(session.scalars(q.limit(2)))
    if not found:
        raise LookupError(ref)
    if len(found) > 1:
        raise ChannelError(N_("%(ref)s is a channel of several workspaces: choose one."), ref=ref)
    return found[0]


def messages_since(
    session: Session, channel: Channel, since: datetime | None = None, batch: int = 1000
) -> Iterator[Message]:
    """A channel's stored messages, oldest first (from ``since`` on), read in batches.

    Keyset paging on (sent_at, id), so a channel of a million messages streams in
    constant memory and a message stored meanwhile is neither lost nor repeated.
    """
    after: tuple[datetime, int] | None = None
    while True:
        q = (
            select(Message)
            .where(Message.channel_id == channel.id)
            .options(joinedload(Message.author))
            .order_by(Message.sent_at, Message.id)
            .limit(batch)
        )
        if since is not None:
            q = q.where(Message.sent_at >= since)
        if after is not None:
            q = q.where(
                (Message.sent_at > after[0])
                | ((Message.sent_at == after[0]) & (Message.id > after[1]))
            )
        rows = list(session.scalars(q))
        yield from rows
        if len(rows) < batch:
            return
        after = (rows[-1].sent_at, rows[-1].id)


def remove(session: Session, channel: Channel, user_id: int | None) -> int:
    """Remove a channel and everything stored from it; returns how many messages went.

    Its conversations, messages, replies, notes and notifications go with it (the
    schema cascades). The fans stay (they may write on other networks), their
    counts and segments recomputed without these messages. The credentials go too:
    nothing of the account is left to sync.
    """
    from inbox import jobs

    counts = dict(
        session.execute(
            select(Identity.fan_id, func.count(Message.id))
            .join(Identity, Identity.id == Message.author_identity_id)
            .where(Message.channel_id == channel.id, Message.direction == Direction.INBOUND)
            .group_by(Identity.fan_id)
        ).all()
    )
    total = int(session.scalar(select(func.count()).where(Message.channel_id == channel.id)) or 0)
    workspace_id, channel_id, label = channel.workspace_id, channel.id, channel.label
    conn = session.connection()
    search.before_bulk_delete(conn)
    session.delete(channel)
    session.flush()
    search.after_bulk_delete(conn)
    for fan in session.scalars(select(Fan).where(Fan.id.in_(sorted(counts)))):
        fan.message_count = max(0, fan.message_count - int(counts[fan.id]))
    session.add(
        AuditEvent(
            workspace_id=workspace_id,
            user_id=user_id,
            action="channel.removed",
            subject_type="channel",
            subject_id=channel_id,
            data={"channel": label, "messages": total},
        )
    )
    if counts:
        defer(session, jobs.after_ingest, sorted(counts), [], queue="classify")
    return total


def get_channel(session: Session, workspace_id: int, channel_id: int) -> Channel:
    channel = session.get(Channel, channel_id)
    if channel is None or channel.workspace_id != workspace_id:
        raise LookupError(channel_id)
    return channel


def _check(network: str, handle: str, credentials: Mapping[str, str], base_url: str | None) -> None:
    if network not in NETWORKS:
        raise ChannelError(N_("Unknown network %(network)r."), network=network)
    if not handle.strip() or len(handle) > 255:
        raise ChannelError(N_("The account's handle is needed."))
    missing = [
        f.label for f in CREDENTIAL_FIELDS[network] if f.required and not credentials.get(f.name)
    ]
    if missing:
        raise ChannelError(N_("Missing: %(fields)s."), fields=Words(*missing))
    if base_url:
        if len(base_url) > 2000:
            raise ChannelError(N_("The server URL is too long."))
        parsed = urlparse(base_url)
        if parsed.scheme not in {"https", "http"} or not parsed.netloc:
            raise ChannelError(N_("The server URL must start with https://"))
        _check_server(N_("The server URL cannot be used: %(why)s"), base_url)
    elif network == "mastodon" and handle.lstrip("@").count("@") == 1:
        # No URL: the connector reaches the instance the handle names.
        _check_server(
            N_("The handle's server cannot be used: %(why)s"),
            "https://" + handle.lstrip("@").split("@", 1)[1],
        )
    if network == "email":
        _check_mail_servers(credentials)


def _check_server(message: str, url: str, **params: object) -> None:
    """Refuse a server that is not public (or not encrypted), in words for the form.

    Unplugged would connect there from inside its own network with the account's
    token or password (see :mod:`inbox.netguard`); every connection is vetted
    again, but the person should hear it now, where the address was typed.
    """
    try:
        netguard.check_url(url, schemes=("https", "imaps"))
    except netguard.BlockedAddress as exc:
        raise ChannelError(message, why=str(exc), **params) from None


def _check_mail_servers(credentials: Mapping[str, str]) -> None:
    """The IMAP and SMTP hosts, as the email connector will reach them."""
    imap_security = (credentials.get("imap_security") or "ssl").lower()
    smtp_security = (credentials.get("smtp_security") or "starttls").lower()
    imap_host = credentials.get("imap_host", "")
    for host, port, security, label in (
        (imap_host, credentials.get("imap_port"), imap_security, "IMAP"),
        (
            credentials.get("smtp_host") or imap_host,
            credentials.get("smtp_port"),
            smtp_security,
            "SMTP",
        ),
    ):
        if security not in {"ssl", "starttls", "none"}:
            raise ChannelError(
                N_("%(protocol)s security must be ssl, starttls or none."), protocol=label
            )
        if port and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
            raise ChannelError(
                N_("The %(protocol)s port must be a number from 1 to 65535."), protocol=label
            )
        if not host or "/" in host or "@" in host:
            if host:
                raise ChannelError(
                    N_("The %(protocol)s host must be a server name, like mail.example.org."),
                    protocol=label,
                )
            continue
        # "none" sends the password readable: only to loopback, under the setting.
        scheme = "imap" if security == "none" else "imaps"
        netloc = f"[{host}]" if ":" in host else host
        _check_server(
            N_("The %(protocol)s host cannot be used: %(why)s"),
            f"{scheme}://{netloc}:{port or 993}",
            protocol=label,
        )


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
        raise ChannelError(N_("Backfill must be between 1 and 90 days."))
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


SYNC_REQUESTED = "channel.sync_requested"
SYNC_SHOWN_FOR = timedelta(minutes=10)


def request_sync(session: Session, channel: Channel, user_id: int) -> None:
    """Queue a sync ("Sync now" on the Channels page) and remember who asked, when, and
    how many messages the channel held, so the page can say it started and then how it
    ended (:func:`sync_states`) without a table of its own."""
    held = channel_stats(session, channel.workspace_id).get(channel.id)
    session.add(
        AuditEvent(
            workspace_id=channel.workspace_id,
            user_id=user_id,
            action=SYNC_REQUESTED,
            subject_type="channel",
            subject_id=channel.id,
            data={"messages": held.messages if held else 0},
        )
    )
    sync_now(session, channel)


@dataclass(frozen=True)
class SyncState:
    """How the last "Sync now" of a channel went: ``running``, ``done`` (with the
    messages it brought) or ``failed`` (with the channel's last error)."""

    state: str
    requested_at: datetime
    new_messages: int = 0
    error: str = ""

    @property
    def running(self) -> bool:
        return self.state == "running"


def sync_states(
    session: Session, workspace_id: int, now: datetime | None = None
) -> dict[int, SyncState]:
    """The state of each channel's latest "Sync now" of the last ten minutes, by channel id.

    A sync ended when the channel's ``last_synced_at`` (success) or ``last_error_at``
    (failure) is later than the request; until then it is running.
    """
    since = (now or utcnow()) - SYNC_SHOWN_FOR
    latest: dict[int, AuditEvent] = {}
    for event in session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.workspace_id == workspace_id,
            AuditEvent.action == SYNC_REQUESTED,
            AuditEvent.created_at >= since,
        )
        .order_by(AuditEvent.created_at, AuditEvent.id)
    ):
        if event.subject_id is not None:
            latest[event.subject_id] = event
    if not latest:
        return {}
    stats = channel_stats(session, workspace_id)
    out: dict[int, SyncState] = {}
    for channel in session.scalars(select(Channel).where(Channel.id.in_(list(latest)))):
        event = latest[channel.id]
        asked = event.created_at
        before = int((event.data or {}).get("messages", 0))
        if channel.last_synced_at is not None and channel.last_synced_at >= asked:
            held = stats.get(channel.id)
            gained = max(0, (held.messages if held else 0) - before)
            out[channel.id] = SyncState("done", asked, new_messages=gained)
        elif channel.last_error_at is not None and channel.last_error_at >= asked:
            out[channel.id] = SyncState("failed", asked, error=channel.last_error or "")
        else:
            out[channel.id] = SyncState("running", asked)
    return out


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
