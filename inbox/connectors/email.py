"""Email: IMAP in with IMAPClient, SMTP out with the standard library's ``smtplib``.

Reading never changes the mailbox: the folder is opened read-only (EXAMINE)
and bodies are fetched with ``BODY.PEEK[]``, so the artist's mail client still
shows fan mail as unread.

Cursor: ``{"v": 1, "mailbox", "uidvalidity", "last_uid", "last_date", "since"}``.
New mail is ``UID SEARCH UID <last_uid+1>:*`` (filtered client-side: ``n:*``
always matches the newest message). When the server's UIDVALIDITY changed (a
rebuilt or migrated mailbox) UIDs mean nothing any more, so the connector
searches again by date from a day before the last mail it had seen and relies
on Message-IDs (the external ids) to recognise what it already has. On a
failure the call raises and the stored cursor stays as it was.

First sync (no cursor): the mail that arrived in the last ``first_sync_days``
(14 by default), oldest first, ``limit`` per call. While that window takes more
than one call, the cursor keeps its start (``since``, an IMAP date) and each
call asks ``UID SEARCH UID <last_uid+1>:* SINCE <since>``: a message moved in
later with an older date (a higher UID, an INTERNALDATE before the window)
stays out of the backfill as it stayed out of its first page, and a crash
between calls resumes at the stored ``last_uid``. Once the window is read
(``since`` is cleared), new mail is every new UID.

Replies go out over SMTP as ``Re: <subject>`` with ``In-Reply-To`` and
``References`` set so the fan's mail client threads them. The Message-ID is
derived from the idempotency key, and when ``sent_mailbox`` is set the reply
is appended there and looked up before sending, so a retry after a crash
finds the first copy instead of mailing the fan twice.

Credentials (``ChannelConfig.credentials``):

- ``imap_host`` (required), ``imap_port`` (993 for ``ssl``, else 143),
  ``imap_security``: ``ssl`` (default), ``starttls`` or ``none`` (local bridges
  and tests only), ``imap_username`` (default: the channel handle),
  ``imap_password`` (required);
- ``smtp_host`` (default: ``imap_host``), ``smtp_port`` (465 for ``ssl``, 587 for
  ``starttls``, else 25), ``smtp_security`` (default ``starttls``),
  ``smtp_username`` / ``smtp_password`` (default: the IMAP ones);
- ``ca_file`` (optional): a CA bundle for servers with a private certificate.

Both hosts are typed by a person, so they are reached through :mod:`inbox.netguard`:
public addresses only, the socket pinned to the address vetted (no second DNS
answer), and ``none`` (no TLS: the password crosses readable) only to loopback
under ``UNPLUGGED_ALLOW_LOOPBACK``. Errors give the SMTP code or our own words,
never the server's replies.

``ChannelConfig.base_url`` may stand in for the IMAP host as
``imaps://host:port`` or ``imap://host:port``. ``handle`` is the artist's
address. Options: ``mailbox`` (``INBOX``), ``sent_mailbox`` (none),
``first_sync_days`` (14), ``from_name``, ``timeout_s`` (30),
``max_message_bytes`` (25 MB: larger mail is stored with its headers only).
"""

from __future__ import annotations

import hashlib
import imaplib
import logging
import re
import smtplib
import socket
import ssl
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any, ClassVar
from urllib.parse import urlsplit

from imapclient import IMAPClient
from imapclient.datetime_util import format_criteria_date

from inbox import netguard
from inbox.connectors import register
from inbox.connectors.base import (
    AuthError,
    Author,
    ChannelConfig,
    FateUnknown,
    FetchResult,
    IncomingItem,
    PermanentError,
    ReplyTarget,
    SentReply,
    TransientError,
)
from inbox.connectors.email_parse import parse_message

log = logging.getLogger(__name__)

CURSOR_VERSION = 1
SECURITY_MODES = ("ssl", "starttls", "none")
MAX_REFERENCES = 20  # keep the thread's first id and the most recent ones
FETCH_CHUNK_BYTES = 32 * 1024 * 1024  # fetch and parse at most this much mail at once
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_IMAP_DATE = re.compile(r"\d{2}-(?:" + "|".join(_MONTHS) + r")-\d{4}")
_RE_PREFIX = re.compile(r"^\s*(re|aw|sv|antw|ref)\s*:", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Server:
    host: str
    port: int
    security: str
    username: str
    password: str


@dataclass(frozen=True, slots=True)
class _Fetched:
    uid: int
    flags: tuple[str, ...]
    internal_date: datetime | None
    body: bytes
    headers_only: bool = False


# --- connections through inbox.netguard -------------------------------------------------


def _socket_timeout(timeout: float | None) -> Any:
    return socket._GLOBAL_DEFAULT_TIMEOUT if timeout is None else timeout  # type: ignore[attr-defined]


class _PinnedIMAP4(imaplib.IMAP4):
    """imaplib's client on a vetted, pinned socket; ``plain`` when no STARTTLS will follow."""

    def __init__(self, host: str, port: int, *, plain: bool, timeout: float) -> None:
        self._plain = plain
        super().__init__(host, port, timeout=timeout)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        return netguard.connect(self.host, self.port, _socket_timeout(timeout), plain=self._plain)


class _PinnedIMAP4SSL(imaplib.IMAP4_SSL):
    """imaplib's TLS client on a vetted, pinned socket (the certificate names the host)."""

    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock = netguard.connect(self.host, self.port, _socket_timeout(timeout))
        return self.ssl_context.wrap_socket(sock, server_hostname=self.host)


class _PinnedIMAPClient(IMAPClient):
    """IMAPClient over the pinned imaplib clients above; INTERNALDATEs keep their zone."""

    def __init__(self, server: _Server, context: ssl.SSLContext, timeout: float) -> None:
        self._plain = server.security == "none"
        ssl_on = server.security == "ssl"
        super().__init__(server.host, server.port, ssl=ssl_on, ssl_context=context, timeout=timeout)
        self.normalise_times = False
        self._imap.debug = 0  # IMAPClient logs every line at DEBUG: fans' mail stays out of logs

    def _create_IMAP4(self) -> imaplib.IMAP4:
        timeout = self._timeout.connect
        if self.ssl:
            return _PinnedIMAP4SSL(
                self.host, self.port, ssl_context=self.ssl_context, timeout=timeout
            )
        return _PinnedIMAP4(self.host, self.port, plain=self._plain, timeout=timeout)


class _PinnedSMTP(smtplib.SMTP):
    """smtplib's client on a vetted, pinned socket; ``plain`` when no STARTTLS will follow."""

    def __init__(self, host: str, port: int, *, plain: bool, timeout: float) -> None:
        self._plain = plain
        super().__init__(host, port, timeout=timeout)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return netguard.connect(host, port, timeout, self.source_address, plain=self._plain)


class _PinnedSMTPSSL(smtplib.SMTP_SSL):
    """smtplib's TLS client on a vetted, pinned socket."""

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = netguard.connect(host, port, timeout, self.source_address)
        return self.context.wrap_socket(sock, server_hostname=host)


@register("email")
class EmailConnector:
    network: ClassVar[str] = "email"

    def __init__(self, config: ChannelConfig) -> None:
        self.config = config
        creds = config.credentials
        opts = config.options
        self.address = config.handle.strip()
        if "@" not in self.address:
            raise PermanentError(f"email channel handle {self.address!r} is not an address")
        try:
            self.imap = _imap_server(creds, config.base_url, self.address)
            self.smtp = _smtp_server(creds, self.imap)
            self.first_sync = timedelta(days=float(opts.get("first_sync_days", 14)))
            self.timeout = float(opts.get("timeout_s", 30.0))
            self.max_message_bytes = int(opts.get("max_message_bytes", 25 * 1024 * 1024))
        except (TypeError, ValueError) as exc:
            raise PermanentError(f"invalid email channel settings: {exc}") from exc
        self.ca_file: str | None = creds.get("ca_file") or None
        self.mailbox = str(opts.get("mailbox") or "INBOX")
        self.sent_mailbox: str | None = opts.get("sent_mailbox") or None
        self.from_name = str(opts.get("from_name") or "")

    @property
    def state(self) -> Mapping[str, Any]:
        return {}

    # -- reading --------------------------------------------------------------

    def fetch_since(self, cursor: Mapping[str, Any] | None, limit: int = 100) -> FetchResult:
        with self._imap_session() as imap:
            uidvalidity, uidnext = self._examine(imap, self.mailbox)
            previous = _read_cursor(cursor)
            resync = previous is not None and (
                previous["uidvalidity"] != uidvalidity or previous["mailbox"] != self.mailbox
            )
            if previous is None or resync:
                if resync:
                    log.warning(
                        "UIDVALIDITY of %s changed (%s -> %s): resyncing by date",
                        self.mailbox,
                        previous["uidvalidity"] if previous else None,
                        uidvalidity,
                    )
                start = _imap_date(self._resync_since(previous if resync else None))
                uids = self._search(imap, "SINCE", start)
                window: str | None = start
                floor = 0
            else:
                floor = int(previous["last_uid"])
                window = previous.get("since")  # a window still being read
                criteria = ("UID", f"{floor + 1}:*", *(("SINCE", window) if window else ()))
                uids = [u for u in self._search(imap, *criteria) if u > floor]
            uids.sort()
            batch = uids[:limit]
            more = len(uids) > limit
            items, malformed, last_date = self._read(imap, batch)
        if batch:
            last_uid = max(batch)
        elif previous is not None and not resync:
            last_uid = floor
        else:
            # Nothing in the window: start after what the mailbox held when opened.
            last_uid = max(0, (uidnext or 1) - 1)
        if not more and window and uidnext:
            # The window is read: every older UID the search left out is outside it (an
            # old mail moved in later), so forward sync starts after all of them.
            last_uid = max(last_uid, uidnext - 1)
        prev_date = previous.get("last_date") if previous and not resync else None
        new_cursor = {
            "v": CURSOR_VERSION,
            "mailbox": self.mailbox,
            "uidvalidity": uidvalidity,
            "last_uid": last_uid,
            "last_date": last_date.isoformat() if last_date else prev_date,
            # The window's start, kept until its last page is read.
            "since": window if more else None,
        }
        return FetchResult(items=items, cursor=new_cursor, has_more=more, malformed=malformed)

    def _resync_since(self, previous: Mapping[str, Any] | None) -> datetime:
        now = datetime.now(UTC)
        if previous and previous.get("last_date"):
            try:
                return datetime.fromisoformat(previous["last_date"]) - timedelta(days=1)
            except (TypeError, ValueError):
                pass
        return now - self.first_sync

    def _read(
        self, imap: IMAPClient, uids: Sequence[int]
    ) -> tuple[list[IncomingItem], list[tuple[str, Mapping[str, Any]]], datetime | None]:
        """Fetch and parse ``uids`` a chunk at a time, so a mailbox of large
        attachments never sits in memory all at once."""
        items: list[IncomingItem] = []
        malformed: list[tuple[str, Mapping[str, Any]]] = []
        seen: set[str] = set()
        last_date: datetime | None = None
        for chunk in self._fetch_chunks(imap, uids):
            for fetched in chunk:
                if fetched.internal_date and (
                    last_date is None or fetched.internal_date > last_date
                ):
                    last_date = fetched.internal_date
                self._parse_one(fetched, items, malformed, seen)
        items.sort(key=lambda i: i.created_at)
        return items, malformed, last_date

    def _parse_one(
        self,
        f: _Fetched,
        items: list[IncomingItem],
        malformed: list[tuple[str, Mapping[str, Any]]],
        seen: set[str],
    ) -> None:
        meta: dict[str, Any] = {
            "uid": f.uid,
            "mailbox": self.mailbox,
            "flags": list(f.flags),
            "internal_date": f.internal_date.isoformat() if f.internal_date else None,
        }
        if f.headers_only:
            meta["body_omitted"] = "message larger than max_message_bytes"
        try:
            item = parse_message(f.body, internal_date=f.internal_date, extra_raw=meta)
        except Exception as exc:  # any parser failure is this message's, not the batch's
            log.warning("unparsable message uid %s in %s: %s", f.uid, self.mailbox, exc)
            source = f.body[:65536].decode("utf-8", "replace")
            malformed.append((f"unparsable email: {exc}", {**meta, "source": source}))
            return
        if item.external_id in seen:
            return  # the same mail twice in one folder
        seen.add(item.external_id)
        items.append(item)

    # -- replying -------------------------------------------------------------

    def send_reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> SentReply:
        body = text.strip()
        if not body:
            raise PermanentError("empty reply")
        msg = self.build_reply(target, body, idempotency_key)
        message_id = str(msg["Message-ID"])
        sent_raw = _sent_raw(msg, body)
        if self.sent_mailbox and self._already_in_sent(message_id):
            log.info("reply %s already sent (found in %s)", message_id, self.sent_mailbox)
            return SentReply(external_id=message_id, created_at=datetime.now(UTC), raw=sent_raw)
        self._smtp_send(msg)
        sent_at = datetime.now(UTC)
        if self.sent_mailbox:
            self._append_to_sent(msg)
        return SentReply(external_id=message_id, created_at=sent_at, raw=sent_raw)

    def find_sent_reply(
        self, target: ReplyTarget, text: str, idempotency_key: str
    ) -> SentReply | None:
        """The reply's Message-ID (fixed by the key before the first attempt) looked
        up in the Sent folder. Without a Sent folder nothing records what SMTP took,
        so an earlier attempt's fate is unknown."""
        if not self.sent_mailbox:
            raise FateUnknown("no Sent folder is configured: an earlier attempt cannot be seen")
        msg = self.build_reply(target, text.strip(), idempotency_key)
        message_id = str(msg["Message-ID"])
        if not self._already_in_sent(message_id):
            return None
        raw = _sent_raw(msg, text.strip())
        return SentReply(external_id=message_id, created_at=datetime.now(UTC), raw=raw)

    def build_reply(self, target: ReplyTarget, body: str, idempotency_key: str) -> EmailMessage:
        """The reply as a message: threaded headers, a Message-ID fixed by the key."""
        parent = target.parent_raw
        recipient = _recipient(parent, target.parent_author)
        parent_id = parent.get("message_id") or target.parent_external_id
        parent_id = parent_id if _looks_like_msgid(parent_id) else None
        references = [r for r in parent.get("references") or [] if _looks_like_msgid(r)]
        if parent_id and parent_id not in references:
            references.append(parent_id)
        if len(references) > MAX_REFERENCES:
            references = references[:1] + references[-(MAX_REFERENCES - 1) :]
        subject = str(parent.get("subject") or target.subject or "")
        msg = EmailMessage()
        msg["From"] = formataddr((self.from_name, self.address)) if self.from_name else self.address
        msg["To"] = recipient
        msg["Subject"] = reply_subject(subject)
        msg["Date"] = format_datetime(datetime.now(UTC))
        msg["Message-ID"] = self.message_id_for(idempotency_key)
        if parent_id:
            msg["In-Reply-To"] = parent_id
        if references:
            msg["References"] = " ".join(references)
        msg.set_content(body)
        return msg

    def message_id_for(self, idempotency_key: str) -> str:
        digest = hashlib.sha256(f"{self.config.channel_id}:{idempotency_key}".encode()).hexdigest()
        domain = self.address.rsplit("@", 1)[1]
        return f"<{digest[:32]}.unplugged@{domain}>"

    def _smtp_send(self, msg: EmailMessage) -> None:
        s = self.smtp
        try:
            client: smtplib.SMTP
            if s.security == "ssl":
                client = _PinnedSMTPSSL(
                    s.host, s.port, timeout=self.timeout, context=self._tls_context()
                )
            else:
                plain = s.security == "none"
                client = _PinnedSMTP(s.host, s.port, plain=plain, timeout=self.timeout)
            try:
                if s.security == "starttls":
                    client.starttls(context=self._tls_context())
                if s.username:
                    client.login(s.username, s.password)
                refused = client.send_message(msg)
            finally:
                # Once DATA was accepted the mail is out: a failing QUIT must not
                # turn into an error that makes the outbox send it again.
                with suppress(smtplib.SMTPException, OSError):
                    client.quit()
                client.close()
            if refused:
                log.warning("SMTP refused some recipients of %s: %s", msg["Message-ID"], refused)
        except netguard.BlockedAddress as exc:
            raise PermanentError(f"the SMTP host cannot be used: {exc}") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentError(f"SMTP server {s.host} does not support {exc}") from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise AuthError(f"SMTP login failed for {s.username} ({exc.smtp_code})") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            who = ", ".join(f"{rcpt} ({code})" for rcpt, (code, _) in exc.recipients.items())
            if all(400 <= c < 500 for c in codes):
                raise TransientError(f"SMTP recipients deferred: {who}") from exc
            raise PermanentError(f"SMTP refused the recipient: {who}") from exc
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise TransientError(f"SMTP temporary failure ({exc.smtp_code})") from exc
            raise PermanentError(f"SMTP rejected the reply ({exc.smtp_code})") from exc
        except ssl.SSLCertVerificationError as exc:
            raise PermanentError(f"SMTP server certificate not trusted: {exc}") from exc
        except (smtplib.SMTPException, OSError) as exc:  # disconnects, timeouts, refused
            raise TransientError(f"SMTP {s.host}:{s.port} unavailable: {exc}") from exc

    def _already_in_sent(self, message_id: str) -> bool:
        assert self.sent_mailbox is not None
        with self._imap_session() as imap:
            try:
                self._examine(imap, self.sent_mailbox)
            except PermanentError:
                return False  # no Sent folder yet: nothing was appended to it
            return bool(self._search(imap, "HEADER", "Message-ID", message_id))

    def _append_to_sent(self, msg: EmailMessage) -> None:
        """Keep a copy where the artist's mail client shows sent mail. The mail
        already left, so a failure here is logged, never raised."""
        mailbox = self.sent_mailbox
        assert mailbox is not None
        try:
            with self._imap_session() as imap:
                if not imap.folder_exists(mailbox):
                    imap.create_folder(mailbox)  # first reply ever: make the folder
                imap.append(mailbox, msg.as_bytes(), (r"\Seen",), datetime.now(UTC))
        except (AuthError, TransientError, PermanentError) as exc:
            log.warning("could not append reply to %s: %s", self.sent_mailbox, exc)

    def fetch_profile(self, author_external_id: str) -> Author:
        """Mail has no profiles: the address is all there is."""
        address = author_external_id.strip().lower()
        return Author(external_id=address, handle=address, profile_url=f"mailto:{address}")

    # -- IMAP plumbing ----------------------------------------------------------

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)

    @contextmanager
    def _imap_session(self) -> Iterator[IMAPClient]:
        s = self.imap
        try:
            imap = _PinnedIMAPClient(s, self._tls_context(), self.timeout)
        except netguard.BlockedAddress as exc:
            raise PermanentError(f"the IMAP host cannot be used: {exc}") from None
        except ssl.SSLCertVerificationError as exc:
            raise PermanentError(f"IMAP server certificate not trusted: {exc}") from exc
        except imaplib.IMAP4.error as exc:  # its text is the server's greeting
            raise TransientError(f"IMAP {s.host}:{s.port} refused the connection") from exc
        except OSError as exc:
            raise TransientError(f"IMAP {s.host}:{s.port} unavailable: {exc}") from exc
        try:
            try:
                if s.security == "starttls":
                    _starttls(imap, self._tls_context())
                imap.login(s.username, s.password)
            except imaplib.IMAP4.abort as exc:
                raise TransientError("IMAP connection dropped during login") from exc
            except imaplib.IMAP4.error as exc:
                if "UNAVAILABLE" in str(exc):
                    raise TransientError("IMAP login temporarily refused (UNAVAILABLE)") from exc
                raise AuthError(f"IMAP login failed for {s.username}") from exc
            except ssl.SSLCertVerificationError as exc:
                raise PermanentError(f"IMAP server certificate not trusted: {exc}") from exc
            except OSError as exc:
                raise TransientError(f"IMAP {s.host}:{s.port} failed: {exc}") from exc
            try:
                yield imap
            except imaplib.IMAP4.abort as exc:
                raise TransientError("IMAP connection lost") from exc
            except imaplib.IMAP4.error as exc:
                raise TransientError("IMAP command failed") from exc
            except OSError as exc:
                raise TransientError(f"IMAP connection failed: {exc}") from exc
        finally:
            with suppress(Exception):
                imap.logout()

    def _examine(self, imap: IMAPClient, mailbox: str) -> tuple[int, int | None]:
        """Open ``mailbox`` read-only (EXAMINE); its UIDVALIDITY and UIDNEXT."""
        try:
            status = imap.select_folder(mailbox, readonly=True)
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as exc:
            raise PermanentError(f"cannot open mailbox {mailbox!r}") from exc
        if status.get(b"UIDVALIDITY") is None:
            raise TransientError(f"server sent no UIDVALIDITY for {mailbox!r}")
        uidnext = status.get(b"UIDNEXT")
        return int(status[b"UIDVALIDITY"]), int(uidnext) if uidnext is not None else None

    def _search(self, imap: IMAPClient, *criteria: str) -> list[int]:
        return [int(uid) for uid in imap.search(list(criteria))]

    def _fetch_chunks(self, imap: IMAPClient, uids: Sequence[int]) -> Iterator[list[_Fetched]]:
        """The messages in UID order, in FETCHes of at most ``FETCH_CHUNK_BYTES``.

        Messages over ``max_message_bytes`` come with their headers only.
        """
        if not uids:
            return
        sizes = {
            uid: int(data[b"RFC822.SIZE"])
            for uid, data in imap.fetch(uids, ["RFC822.SIZE"]).items()
            if b"RFC822.SIZE" in data
        }
        chunk: list[int] = []
        total = 0
        for uid in [*uids, None]:
            size = min(sizes.get(uid, 0), self.max_message_bytes) if uid is not None else 0
            if chunk and (uid is None or total + size > FETCH_CHUNK_BYTES):
                small = [u for u in chunk if sizes.get(u, 0) <= self.max_message_bytes]
                large = [u for u in chunk if sizes.get(u, 0) > self.max_message_bytes]
                fetched = self._fetch_parts(imap, small, headers_only=False)
                fetched += self._fetch_parts(imap, large, headers_only=True)
                by_uid = {f.uid: f for f in fetched}
                yield [by_uid[u] for u in chunk if u in by_uid]
                chunk, total = [], 0
            if uid is not None:
                chunk.append(uid)
                total += size

    def _fetch_parts(
        self, imap: IMAPClient, uids: Sequence[int], *, headers_only: bool
    ) -> list[_Fetched]:
        """Bodies (or headers) with ``BODY.PEEK``, so the mail stays unread."""
        if not uids:
            return []
        part = "HEADER" if headers_only else ""
        answer = imap.fetch(uids, ["FLAGS", "INTERNALDATE", f"BODY.PEEK[{part}]"])
        out: list[_Fetched] = []
        for uid in uids:
            data = answer.get(uid, {})
            body = data.get(f"BODY[{part}]".encode())
            if body is None:
                continue  # expunged between SEARCH and FETCH: gone, nothing to store
            date = data.get(b"INTERNALDATE")
            out.append(
                _Fetched(
                    uid=uid,
                    flags=tuple(f.decode("utf-8", "replace") for f in data.get(b"FLAGS", ())),
                    internal_date=date.astimezone(UTC) if isinstance(date, datetime) else None,
                    body=bytes(body),
                    headers_only=headers_only,
                )
            )
        if len(out) < len(uids):
            log.info("messages %s vanished before they could be fetched", len(uids) - len(out))
        return out


# -- helpers ----------------------------------------------------------------------


def _imap_server(creds: Mapping[str, Any], base_url: str | None, handle: str) -> _Server:
    host = creds.get("imap_host")
    port = creds.get("imap_port")
    security = str(creds.get("imap_security") or "").lower()
    if base_url:
        parts = urlsplit(base_url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname:
            raise PermanentError(f"email base URL must be imap:// or imaps://, not {base_url!r}")
        host = parts.hostname
        port = parts.port or port
        security = security or ("ssl" if parts.scheme == "imaps" else "starttls")
    security = security or "ssl"
    if security not in SECURITY_MODES:
        raise PermanentError(f"imap_security must be one of {SECURITY_MODES}")
    if not host:
        raise PermanentError("email channel needs an imap_host")
    password = creds.get("imap_password")
    if not password:
        raise AuthError("email channel has no imap_password")
    return _Server(
        host=str(host),
        port=int(port or (993 if security == "ssl" else 143)),
        security=security,
        username=str(creds.get("imap_username") or handle),
        password=str(password),
    )


def _smtp_server(creds: Mapping[str, Any], imap: _Server) -> _Server:
    security = str(creds.get("smtp_security") or "starttls").lower()
    if security not in SECURITY_MODES:
        raise PermanentError(f"smtp_security must be one of {SECURITY_MODES}")
    default_port = {"ssl": 465, "starttls": 587, "none": 25}[security]
    return _Server(
        host=str(creds.get("smtp_host") or imap.host),
        port=int(creds.get("smtp_port") or default_port),
        security=security,
        username=str(creds.get("smtp_username") or imap.username),
        password=str(creds.get("smtp_password") or imap.password),
    )


def _read_cursor(cursor: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        if cursor.get("v") != CURSOR_VERSION:
            raise ValueError(f"version {cursor.get('v')!r}")
        return {
            "mailbox": str(cursor["mailbox"]),
            "uidvalidity": int(cursor["uidvalidity"]),
            "last_uid": int(cursor["last_uid"]),
            "last_date": cursor.get("last_date"),
            "since": _checked_imap_date(cursor.get("since")),
        }
    except (KeyError, TypeError, ValueError) as exc:
        log.error("unreadable email cursor %r (%s): resyncing by date", cursor, exc)
        return {"mailbox": "", "uidvalidity": -1, "last_uid": 0, "last_date": None}


def _starttls(imap: IMAPClient, context: ssl.SSLContext) -> None:
    """Upgrade to TLS; a server that cannot is misconfigured, not down."""
    if not imap.has_capability("STARTTLS"):
        raise PermanentError("IMAP server does not offer STARTTLS")
    try:
        imap.starttls(ssl_context=context)
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as exc:
        raise PermanentError("IMAP server refused STARTTLS") from exc


def _imap_date(when: datetime) -> str:
    return format_criteria_date(when).decode()


def _checked_imap_date(value: Any) -> str | None:
    """A stored window start, checked before it goes into an IMAP command."""
    if value is None:
        return None
    if not isinstance(value, str) or not _IMAP_DATE.fullmatch(value):
        raise ValueError(f"since {value!r} is not an IMAP date")
    return value


def reply_subject(subject: str) -> str:
    """``Re: <subject>``, without stacking prefixes (``Re: Re: ...``)."""
    clean = " ".join(subject.split())
    if not clean:
        return "Re: your message"
    return clean if _RE_PREFIX.match(clean) else f"Re: {clean}"


def _recipient(parent: Mapping[str, Any], author: Author | None) -> str:
    for key in ("reply_to", "from"):
        value = parent.get(key)
        if isinstance(value, str) and "@" in value:
            return value
    if author is not None and "@" in author.handle:
        return str(Address(display_name=author.name, addr_spec=author.handle))
    raise PermanentError("cannot tell whom to reply to: the message has no sender address")


def _looks_like_msgid(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("<") and value.endswith(">")


def _sent_raw(msg: EmailMessage, body: str) -> dict[str, Any]:
    """What is stored of a reply we sent: its threading headers and its text."""
    return {
        "message_id": str(msg["Message-ID"]),
        "to": str(msg["To"]),
        "subject": str(msg["Subject"]),
        "in_reply_to": msg.get("In-Reply-To"),
        "references": re.findall(r"<[^<>\s]+>", str(msg.get("References") or "")),
        "body_text": body,
    }
