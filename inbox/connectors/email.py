"""Email: IMAP in, SMTP out, with the standard library's ``imaplib`` and ``smtplib``.

Reading never changes the mailbox: the folder is opened read-only (EXAMINE)
and bodies are fetched with ``BODY.PEEK[]``, so the artist's mail client still
shows fan mail as unread.

Cursor: ``{"v": 1, "mailbox", "uidvalidity", "last_uid", "last_date"}``. New
mail is ``UID SEARCH UID <last_uid+1>:*`` (filtered client-side: ``n:*``
always matches the newest message). When the server's UIDVALIDITY changed (a
rebuilt or migrated mailbox) UIDs mean nothing any more, so the connector
searches again by date from a day before the last mail it had seen and relies
on Message-IDs (the external ids) to recognise what it already has. On a
failure the call raises and the stored cursor stays as it was.

First sync (no cursor): the mail that arrived in the last ``first_sync_days``
(14 by default), oldest first, ``limit`` per call.

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

``ChannelConfig.base_url`` may stand in for the IMAP host as
``imaps://host:port`` or ``imap://host:port``. ``handle`` is the artist's
address. Options: ``mailbox`` (``INBOX``), ``sent_mailbox`` (none),
``first_sync_days`` (14), ``from_name``, ``timeout_s`` (30),
``max_message_bytes`` (25 MB: larger mail is stored with its headers only).
"""

from __future__ import annotations

import base64
import hashlib
import imaplib
import logging
import re
import smtplib
import ssl
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any, ClassVar
from urllib.parse import urlsplit

from inbox.connectors import register
from inbox.connectors.base import (
    AuthError,
    Author,
    ChannelConfig,
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
MAX_REFERENCES = 20
FETCH_CHUNK_BYTES = (
    32 * 1024 * 1024
)  # fetch and parse at most this much mail at once  # keep the thread's first id and the most recent ones
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_UID = re.compile(rb"\bUID (\d+)")
_FLAGS = re.compile(rb"\bFLAGS \(([^)]*)\)")
_INTERNALDATE = re.compile(rb'\bINTERNALDATE "([^"]+)"')
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")
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
                since = self._resync_since(previous if resync else None)
                uids = self._search(imap, "SINCE", _imap_date(since))
                floor = 0
            else:
                floor = int(previous["last_uid"])
                uids = [u for u in self._search(imap, "UID", f"{floor + 1}:*") if u > floor]
            uids.sort()
            batch = uids[:limit]
            items, malformed, last_date = self._read(imap, batch)
        if batch:
            last_uid = max(batch)
        elif previous is not None and not resync:
            last_uid = floor
        else:
            # Nothing in the window: start after what the mailbox held when opened.
            last_uid = max(0, (uidnext or 1) - 1)
        prev_date = previous.get("last_date") if previous and not resync else None
        new_cursor = {
            "v": CURSOR_VERSION,
            "mailbox": self.mailbox,
            "uidvalidity": uidvalidity,
            "last_uid": last_uid,
            "last_date": last_date.isoformat() if last_date else prev_date,
        }
        return FetchResult(
            items=items, cursor=new_cursor, has_more=len(uids) > limit, malformed=malformed
        )

    def _resync_since(self, previous: Mapping[str, Any] | None) -> datetime:
        now = datetime.now(UTC)
        if previous and previous.get("last_date"):
            try:
                return datetime.fromisoformat(previous["last_date"]) - timedelta(days=1)
            except (TypeError, ValueError):
                pass
        return now - self.first_sync

    def _read(
        self, imap: imaplib.IMAP4, uids: Sequence[int]
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
        sent_raw = {
            "message_id": message_id,
            "to": str(msg["To"]),
            "subject": str(msg["Subject"]),
            "in_reply_to": msg.get("In-Reply-To"),
            "references": _split_ids(str(msg.get("References") or "")),
            "body_text": body,
        }
        if self.sent_mailbox and self._already_in_sent(message_id):
            log.info("reply %s already sent (found in %s)", message_id, self.sent_mailbox)
            return SentReply(external_id=message_id, created_at=datetime.now(UTC), raw=sent_raw)
        self._smtp_send(msg)
        sent_at = datetime.now(UTC)
        if self.sent_mailbox:
            self._append_to_sent(msg)
        return SentReply(external_id=message_id, created_at=sent_at, raw=sent_raw)

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
                client = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=self.timeout, context=self._tls_context()
                )
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
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
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentError(f"SMTP server {s.host} does not support {exc}") from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise AuthError(f"SMTP login failed for {s.username}: {exc}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(400 <= c < 500 for c in codes):
                raise TransientError(f"SMTP recipients deferred: {exc.recipients}") from exc
            raise PermanentError(f"SMTP refused the recipient: {exc.recipients}") from exc
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise TransientError(f"SMTP temporary failure {exc.smtp_code}: {exc}") from exc
            raise PermanentError(f"SMTP rejected the reply ({exc.smtp_code}): {exc}") from exc
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
            return bool(self._search(imap, "HEADER", "Message-ID", _imap_quote(message_id)))

    def _append_to_sent(self, msg: EmailMessage) -> None:
        """Keep a copy where the artist's mail client shows sent mail. The mail
        already left, so a failure here is logged, never raised."""
        assert self.sent_mailbox is not None
        mailbox = _imap_quote(_encode_mailbox(self.sent_mailbox))
        try:
            with self._imap_session() as imap:
                for attempt in range(2):
                    typ, data = imap.append(
                        mailbox, r"(\Seen)", imaplib.Time2Internaldate(time.time()), msg.as_bytes()
                    )
                    if typ == "OK":
                        return
                    if attempt == 0 and b"TRYCREATE" in b" ".join(
                        d for d in data if isinstance(d, bytes)
                    ):
                        imap.create(mailbox)  # first reply ever: make the folder
                        continue
                    log.warning("could not append reply to %s: %r", self.sent_mailbox, data)
                    return
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
    def _imap_session(self) -> Iterator[imaplib.IMAP4]:
        s = self.imap
        try:
            imap: imaplib.IMAP4
            if s.security == "ssl":
                imap = imaplib.IMAP4_SSL(
                    s.host, s.port, ssl_context=self._tls_context(), timeout=self.timeout
                )
            else:
                imap = imaplib.IMAP4(s.host, s.port, timeout=self.timeout)
        except ssl.SSLCertVerificationError as exc:
            raise PermanentError(f"IMAP server certificate not trusted: {exc}") from exc
        except (OSError, imaplib.IMAP4.error) as exc:
            raise TransientError(f"IMAP {s.host}:{s.port} unavailable: {exc}") from exc
        try:
            try:
                if s.security == "starttls":
                    _starttls(imap, self._tls_context())
                imap.login(s.username, s.password)
            except imaplib.IMAP4.abort as exc:
                raise TransientError(f"IMAP connection dropped during login: {exc}") from exc
            except imaplib.IMAP4.error as exc:
                if b"UNAVAILABLE" in str(exc).encode() or "UNAVAILABLE" in str(exc):
                    raise TransientError(f"IMAP login temporarily refused: {exc}") from exc
                raise AuthError(f"IMAP login failed for {s.username}: {exc}") from exc
            except ssl.SSLCertVerificationError as exc:
                raise PermanentError(f"IMAP server certificate not trusted: {exc}") from exc
            except OSError as exc:
                raise TransientError(f"IMAP {s.host}:{s.port} failed: {exc}") from exc
            try:
                yield imap
            except imaplib.IMAP4.abort as exc:
                raise TransientError(f"IMAP connection lost: {exc}") from exc
            except imaplib.IMAP4.error as exc:
                raise TransientError(f"IMAP command failed: {exc}") from exc
            except OSError as exc:
                raise TransientError(f"IMAP connection failed: {exc}") from exc
        finally:
            with suppress(Exception):
                imap.logout()

    def _examine(self, imap: imaplib.IMAP4, mailbox: str) -> tuple[int, int | None]:
        """Open ``mailbox`` read-only; its UIDVALIDITY and UIDNEXT."""
        typ, data = imap.select(_imap_quote(_encode_mailbox(mailbox)), readonly=True)
        if typ != "OK":
            raise PermanentError(f"cannot open mailbox {mailbox!r}: {_text(data)}")
        validity = _untagged_int(imap, "UIDVALIDITY")
        if validity is None:
            raise TransientError(f"server sent no UIDVALIDITY for {mailbox!r}")
        return validity, _untagged_int(imap, "UIDNEXT")

    def _search(self, imap: imaplib.IMAP4, *criteria: str) -> list[int]:
        typ, data = imap.uid("SEARCH", *criteria)
        if typ != "OK":
            raise TransientError(f"IMAP UID SEARCH {' '.join(criteria)} failed: {_text(data)}")
        uids: list[int] = []
        for chunk in data:
            if isinstance(chunk, bytes):
                uids.extend(int(tok) for tok in chunk.split() if tok.isdigit())
        return uids

    def _fetch_chunks(self, imap: imaplib.IMAP4, uids: Sequence[int]) -> Iterator[list[_Fetched]]:
        """The messages in UID order, in FETCHes of at most ``FETCH_CHUNK_BYTES``.

        Messages over ``max_message_bytes`` come with their headers only.
        """
        if not uids:
            return
        sizes = self._sizes(imap, uids)
        chunk: list[int] = []
        total = 0
        for uid in [*uids, None]:
            size = min(sizes.get(uid, 0), self.max_message_bytes) if uid is not None else 0
            if chunk and (uid is None or total + size > FETCH_CHUNK_BYTES):
                small = [u for u in chunk if sizes.get(u, 0) <= self.max_message_bytes]
                large = [u for u in chunk if sizes.get(u, 0) > self.max_message_bytes]
                fetched = self._fetch_parts(imap, small, "BODY.PEEK[]", headers_only=False)
                fetched += self._fetch_parts(imap, large, "BODY.PEEK[HEADER]", headers_only=True)
                by_uid = {f.uid: f for f in fetched}
                yield [by_uid[u] for u in chunk if u in by_uid]
                chunk, total = [], 0
            if uid is not None:
                chunk.append(uid)
                total += size

    def _sizes(self, imap: imaplib.IMAP4, uids: Sequence[int]) -> dict[int, int]:
        typ, data = imap.uid("FETCH", _uid_set(uids), "(UID RFC822.SIZE)")
        if typ != "OK":
            raise TransientError(f"IMAP FETCH sizes failed: {_text(data)}")
        sizes: dict[int, int] = {}
        for chunk in data:
            line = chunk[0] if isinstance(chunk, tuple) else chunk
            if not isinstance(line, bytes):
                continue
            uid, size = _UID.search(line), _SIZE.search(line)
            if uid and size:
                sizes[int(uid.group(1))] = int(size.group(1))
        return sizes

    def _fetch_parts(
        self,
        imap: imaplib.IMAP4,
        uids: Sequence[int],
        item: str,
        *,
        headers_only: bool,
    ) -> list[_Fetched]:
        if not uids:
            return []
        typ, data = imap.uid("FETCH", _uid_set(uids), f"(UID FLAGS INTERNALDATE {item})")
        if typ != "OK":
            raise TransientError(f"IMAP FETCH failed: {_text(data)}")
        wanted = set(uids)
        out: list[_Fetched] = []
        for meta, body in _fetch_records(data):
            uid_match = _UID.search(meta)
            if not uid_match:
                log.warning("FETCH response without a UID: %.200r", meta)
                continue
            uid = int(uid_match.group(1))
            if uid not in wanted:
                continue  # an unsolicited update for another message
            flags_match = _FLAGS.search(meta)
            date_match = _INTERNALDATE.search(meta)
            out.append(
                _Fetched(
                    uid=uid,
                    flags=tuple(flags_match.group(1).decode().split()) if flags_match else (),
                    internal_date=_parse_internaldate(date_match.group(1)) if date_match else None,
                    body=body,
                    headers_only=headers_only,
                )
            )
        if len(out) < len(wanted):
            missing = sorted(wanted - {f.uid for f in out})
            # Expunged between SEARCH and FETCH: gone, nothing to store.
            log.info("messages %s vanished before they could be fetched", missing)
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
        }
    except (KeyError, TypeError, ValueError) as exc:
        log.error("unreadable email cursor %r (%s): resyncing by date", cursor, exc)
        return {"mailbox": "", "uidvalidity": -1, "last_uid": 0, "last_date": None}


def _fetch_records(data: Sequence[Any]) -> Iterator[tuple[bytes, bytes]]:
    """(metadata, literal) per message of an imaplib FETCH answer.

    imaplib gives ``(b'1 (UID 7 ... BODY[] {123}', literal)`` then a trailing
    ``b' FLAGS (...))'`` or ``b')'``; servers may put UID or FLAGS after the
    literal, so the trailer is part of the metadata.
    """
    index = 0
    while index < len(data):
        chunk = data[index]
        index += 1
        if not isinstance(chunk, tuple) or len(chunk) < 2:
            continue
        meta = bytes(chunk[0])
        if index < len(data) and isinstance(data[index], bytes):
            meta += b" " + data[index]
            index += 1
        yield meta, bytes(chunk[1])


def _parse_internaldate(raw: bytes) -> datetime | None:
    """``17-Jul-1996 02:44:25 -0700`` as an aware datetime, without the C locale."""
    match = re.match(
        rb"\s*(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})", raw
    )
    if not match:
        return None
    day, mon, year, hh, mm, ss, sign, zh, zm = match.groups()
    try:
        month = _MONTHS.index(mon.decode().title()) + 1
        as_if_utc = datetime(int(year), month, int(day), int(hh), int(mm), int(ss), tzinfo=UTC)
    except ValueError:
        return None
    offset = timedelta(hours=int(zh), minutes=int(zm))
    return as_if_utc - offset if sign == b"+" else as_if_utc + offset


def _starttls(imap: imaplib.IMAP4, context: ssl.SSLContext) -> None:
    """Upgrade to TLS; a server that cannot is misconfigured, not down."""
    if "STARTTLS" not in imap.capabilities:  # imaplib would call this an abort
        raise PermanentError("IMAP server does not offer STARTTLS")
    try:
        imap.starttls(ssl_context=context)
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as exc:
        raise PermanentError(f"IMAP server refused STARTTLS: {exc}") from exc


def _imap_date(when: datetime) -> str:
    return f"{when.day:02d}-{_MONTHS[when.month - 1]}-{when.year}"


def _uid_set(uids: Sequence[int]) -> str:
    return ",".join(str(u) for u in uids)


def _untagged_int(imap: imaplib.IMAP4, name: str) -> int | None:
    _, values = imap.response(name)
    for value in values or []:
        if isinstance(value, bytes) and value.strip().isdigit():
            return int(value)
    return None


def _text(data: Any) -> str:
    if isinstance(data, list):
        return " ".join(
            d.decode("utf-8", "replace") if isinstance(d, bytes) else str(d) for d in data
        )
    return str(data)


def _imap_quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _encode_mailbox(name: str) -> str:
    """A mailbox name in IMAP's modified UTF-7 (RFC 3501 5.1.3): "Envoyés" is
    ``Envoy&AOk-s`` on the wire."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode()
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


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


def _split_ids(value: str) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value)
