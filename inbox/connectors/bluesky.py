"""Bluesky connector: mentions, replies and quotes (and chat DMs) through ``atproto``.

Why it looks the way it does:

* **One login, then the session.** ``createSession`` is rate limited per account
  (30 per 5 minutes, 300 a day), so the connector logs in with the app password
  once and persists ``client.export_session_string()`` in ``state``. Later runs
  restore it; atproto refreshes the access JWT itself (``refreshSession``) shortly
  before its ``exp``. If the server still says the token expired or was revoked
  (a refresh token is single-use, so two processes sharing one session string
  revoke each other's), the connector logs in with the app password once more.
  If that fails too, the account needs a person: :class:`AuthError`.
* **Notifications have no "since".** ``listNotifications`` pages newest first.
  A round walks down from the newest until it meets the mark left by the last
  round (the newest ``indexedAt`` seen, with the URIs seen in the few minutes
  before it, so late-indexed notifications are not lost) and only then moves
  the mark. The first round's mark is the start of the window
  (``backfill_days``), so it walks back page by page until the window's start
  or the end of the list (the page without a ``cursor``), however many calls
  that takes. Each page's ``cursor`` is stored with it: a crash or a
  ``RateLimitExceeded`` mid-walk resumes from the page it had reached.
* **Replies cannot double-post.** The reply's record key is derived from the
  idempotency key (a TID placed just after the parent post's time), so a retry
  finds the first attempt with ``getRecord`` instead of posting again.
* **Posts too** (the Posting page): :meth:`BlueskyConnector.publish` chooses the
  post's record key the same way (a TID at the post's scheduled time, from its
  idempotency key), so a resent post is found, never doubled.
* **Chat DMs** (``chat.bsky.convo.*`` through the ``atproto-proxy`` header): the
  first contact walks ``listConvos`` and each active conversation's
  ``getMessages`` back to the window's start (resumable like the notifications
  walk), then follows ``getLog``; an app password created without DM access is
  remembered and DMs are skipped for a while.

* **Only public servers.** The PDS (``base_url``, and the one the account's DID
  document names, which atproto switches to after login) is reached through
  :class:`inbox.netguard.GuardedTransport`: public addresses only, https only
  (loopback over http under ``UNPLUGGED_ALLOW_LOOPBACK``), each redirect vetted,
  at most five. Errors say the HTTP status in our words, never the server's.

Credentials: ``handle`` (defaults to the channel handle) and ``app_password``
(Settings → Privacy and security → App passwords; tick "Allow access to your
direct messages" for DMs).
Options: ``timeout`` (seconds, default 10), ``backfill_days`` (first sync,
default 3), ``dms`` (default True), ``context`` (look up the post a reply
hangs off, default True).
State: ``session`` (the session string: holds tokens, keep it secret), ``did``,
``chat_forbidden_at``.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

import httpx
import regex
from atproto import Client, models
from atproto_client.client.session import Session, SessionEvent
from atproto_client.exceptions import (
    BadRequestError,
    LoginRequiredError,
    ModelError,
    NetworkError,
    RateLimitExceededError,
    RequestErrorBase,
    RequestException,
    UnauthorizedError,
)
from atproto_client.models.common import XrpcError
from atproto_client.models.utils import get_or_create
from atproto_client.request import Request
from atproto_core.exceptions import AtProtocolError
from atproto_server.exceptions import TokenDecodeError

from inbox import netguard
from inbox.connectors import register
from inbox.connectors.base import (
    AuthError,
    Author,
    ChannelConfig,
    FetchResult,
    IncomingItem,
    MediaFile,
    PermanentError,
    RateLimited,
    ReplyTarget,
    SentReply,
    ThreadContext,
    TransientError,
)
from inbox.images import network_problem

log = logging.getLogger(__name__)

DEFAULT_PDS = "https://bsky.social"
WEB = "https://bsky.app"
CDN = "https://cdn.bsky.app/img/feed_fullsize/plain"
POST_COLLECTION = "app.bsky.feed.post"
KEPT_REASONS = {"mention": "mention", "reply": "reply", "quote": "mention"}
MAX_GRAPHEMES = 300
MAX_BYTES = 3000
DEFAULT_TIMEOUT = 10.0
DEFAULT_BACKFILL_DAYS = 3
# Notifications indexed this close to the mark are checked by URI, not by time alone.
LATE_INDEXING = timedelta(minutes=5)
MAX_RECENT = 500
GET_POSTS_BATCH = 25
DELETION_LOOKUPS = 40  # getPosts requests per deletion check
CHAT_FORBIDDEN_RETRY = timedelta(hours=6)
TOKEN_ERRORS = {"ExpiredToken", "InvalidToken", "AuthenticationRequired", "AuthRequired"}
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
GRAPHEME = regex.compile(r"\X")

T = TypeVar("T")


class MalformedItem(ValueError):
    """One notification or message could not be understood; the rest still can."""


# --------------------------------------------------------------------------- small helpers


def parse_time(value: Any, field: str) -> datetime:
    if not isinstance(value, str) or not value:
        raise MalformedItem(f"{field} missing or not a string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise MalformedItem(f"{field} is not an ISO 8601 time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def rkey_of(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


def did_of(uri: str) -> str:
    return uri.removeprefix("at://").split("/", 1)[0]


def post_url(uri: str, handle: str | None = None) -> str:
    return f"{WEB}/profile/{handle or did_of(uri)}/post/{rkey_of(uri)}"


def shorten(text: str, width: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def grapheme_count(text: str) -> int:
    """What Bluesky counts against its 300 limit: user-perceived characters."""
    return len(GRAPHEME.findall(text))


def tid(micros: int, clock_id: int) -> str:
    """A record key in the TID format: 53 bits of microseconds, 10 bits of clock id."""
    value = ((micros & ((1 << 53) - 1)) << 10) | (clock_id & 0x3FF)
    out = []
    for _ in range(13):
        out.append(TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(out))


def reply_rkey(idempotency_key: str, did: str, parent_created: datetime) -> str:
    """A stable record key for one reply: the same key always names the same record.

    Placed within a second after the parent's creation so it sorts like a
    reply; the low bits come from a hash of the key and the account.
    """
    digest = hashlib.sha256(f"{did}\x00{idempotency_key}".encode()).digest()
    offset = int.from_bytes(digest[:4], "big") % 1_000_000
    clock = int.from_bytes(digest[4:6], "big")
    micros = int(parent_created.timestamp() * 1_000_000) + offset
    return tid(micros, clock)


def post_rkey(idempotency_key: str, did: str, scheduled_at: datetime) -> str:
    """The record key of one scheduled post, the same on every attempt.

    A TID within a second after the post's scheduled time (which a retry reads
    from the same row), the low bits from a hash of the key and the account, so
    two posts scheduled for the same second still get different keys.
    """
    if scheduled_at.tzinfo is None:  # stored as UTC; never the machine's local time
        scheduled_at = scheduled_at.replace(tzinfo=UTC)
    return reply_rkey(f"post\x00{idempotency_key}", did, scheduled_at)


def author_from_profile(profile: Mapping[str, Any]) -> Author:
    did = profile.get("did")
    handle = profile.get("handle")
    if not isinstance(did, str) or not did.startswith("did:"):
        raise MalformedItem("author.did missing or not a DID")
    handle = handle if isinstance(handle, str) else ""
    avatar = profile.get("avatar")
    return Author(
        external_id=did,
        handle=handle,
        name=str(profile.get("displayName") or ""),
        avatar_url=avatar if isinstance(avatar, str) else None,
        profile_url=f"{WEB}/profile/{handle or did}",
        profile=dict(profile),
    )


def media_of(record: Mapping[str, Any], did: str) -> tuple[dict[str, Any], ...]:
    """Images and links the post embeds, as plain dicts with public URLs."""
    embed = obj(record.get("embed"))
    if embed.get("$type") == "app.bsky.embed.recordWithMedia":
        embed = obj(embed.get("media"))
    found: list[dict[str, Any]] = []
    if embed.get("$type") == "app.bsky.embed.images":
        for image in embed.get("images") or []:
            link = obj(obj(obj(image).get("image")).get("ref")).get("$link")
            if isinstance(link, str):
                found.append(
                    {
                        "type": "image",
                        "url": f"{CDN}/{did}/{link}@jpeg",
                        "alt": obj(image).get("alt", ""),
                    }
                )
    elif embed.get("$type") == "app.bsky.embed.external":
        external = obj(embed.get("external"))
        if isinstance(external.get("uri"), str):
            found.append(
                {"type": "link", "url": external["uri"], "title": external.get("title", "")}
            )
    return tuple(found)


def xrpc_error(exc: RequestErrorBase) -> str:
    content = exc.response.content if exc.response is not None else None
    return content.error if isinstance(content, XrpcError) else ""


def retry_after_of(exc: RateLimitExceededError) -> float:
    if exc.retry_after is not None:
        return max(1.0, exc.retry_after)
    if exc.reset_at is not None:
        return max(1.0, (exc.reset_at - datetime.now(UTC)).total_seconds())
    return 60.0


def what_failed(exc: Exception) -> str:
    """A failure in our words: the HTTP status, or the kind of error.

    Never the exception's text: atproto's quotes the server's answer, and the
    PDS is whatever host a person typed (an internal service's reply must not
    reach ``last_error``); httpx's quotes the URL.
    """
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if isinstance(status, int) and status:
        return f"HTTP {status}"
    if isinstance(exc, httpx.HTTPError) or exc.__cause__ is not None:
        return type(exc.__cause__ or exc).__name__
    return type(exc).__name__


def translate(exc: Exception) -> Exception:
    """Map atproto / httpx failures onto the connector exceptions."""
    blocked = netguard.blocked_cause(exc)
    if blocked is not None:
        return PermanentError(f"the Bluesky server cannot be used: {blocked}")
    if isinstance(exc, RateLimitExceededError):
        return RateLimited("Bluesky rate limit (HTTP 429)", retry_after=retry_after_of(exc))
    if isinstance(exc, NetworkError | httpx.HTTPError):
        # Timeouts, refused/reset connections, cut-off bodies, 502/409/413.
        return TransientError(f"Bluesky unreachable ({what_failed(exc)})")
    if isinstance(exc, UnauthorizedError | LoginRequiredError | TokenDecodeError):
        return AuthError(f"Bluesky refused the session ({what_failed(exc)})")
    if isinstance(exc, BadRequestError):
        if xrpc_error(exc) in TOKEN_ERRORS:
            return AuthError(f"Bluesky refused the session ({what_failed(exc)})")
        return PermanentError(f"Bluesky refused the request ({what_failed(exc)})")
    if isinstance(exc, RequestException):
        status = exc.response.status_code if exc.response is not None else 0
        if status >= 500 or status == 0:
            return TransientError(f"Bluesky server error ({what_failed(exc)})")
        return PermanentError(f"Bluesky refused the request ({what_failed(exc)})")
    if isinstance(exc, ModelError | ValueError):
        # Malformed JSON (pydantic's parser raises ValueError) or a body off the lexicon;
        # pydantic's text quotes the body, so only the kind of error is said.
        return TransientError(f"Bluesky sent a malformed response ({type(exc).__name__})")
    return exc


def is_session_failure(exc: Exception) -> bool:
    if isinstance(exc, UnauthorizedError | LoginRequiredError | TokenDecodeError):
        return True
    return isinstance(exc, BadRequestError) and xrpc_error(exc) in TOKEN_ERRORS


# --------------------------------------------------------------------------- cursor


def first_cursor(now: datetime, backfill_days: int) -> dict[str, Any]:
    """The first sync reaches back ``backfill_days`` days (the notifications API keeps less)."""
    return {
        "v": 1,
        "phase": "notifications",
        "mark": {"indexed_at": (now - timedelta(days=backfill_days)).isoformat(), "recent": []},
        "walk": None,
        # The chat's first contact reads back to the same window's start.
        "chat": {"log": None, "since": (now - timedelta(days=backfill_days)).isoformat()},
    }


def load_cursor(cursor: Mapping[str, Any]) -> dict[str, Any]:
    mark = cursor.get("mark")
    if (
        cursor.get("v") != 1
        or not isinstance(mark, dict)
        or not isinstance(mark.get("indexed_at"), str)
    ):
        raise PermanentError(f"unreadable Bluesky cursor: {dict(cursor)!r}")
    walk = cursor.get("walk")
    return {
        "v": 1,
        "phase": cursor.get("phase", "notifications"),
        "mark": {
            "indexed_at": mark["indexed_at"],
            "recent": [list(p) for p in mark.get("recent", [])],
        },
        "walk": dict(walk) if isinstance(walk, dict) else None,
        "chat": dict(obj(cursor.get("chat"))) or {"log": None},
    }


def trim_recent(pairs: Iterable[list[str]], newest: datetime) -> list[list[str]]:
    """URIs indexed within LATE_INDEXING of the newest, newest first, bounded."""
    floor = newest - LATE_INDEXING
    kept = {uri: at for uri, at in pairs if datetime.fromisoformat(at) >= floor}
    ordered = sorted(kept.items(), key=lambda p: p[1], reverse=True)[:MAX_RECENT]
    return [[uri, at] for uri, at in ordered]


# --------------------------------------------------------------------------- connector


class GuardedRequest(Request):
    """atproto's HTTP layer on :class:`inbox.netguard.GuardedTransport`, five redirects at most.

    httpx drops the ``Authorization`` header when a redirect leaves the host. A
    clone (the chat proxy client) gets a transport of its own, as atproto expects.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            transport=netguard.GuardedTransport(),
            max_redirects=netguard.MAX_REDIRECTS,
            **kwargs,
        )
        self._client_kwargs = kwargs


@register("bluesky")
class BlueskyConnector:
    """Mentions, replies, quotes and chat DMs of one Bluesky account."""

    network: ClassVar[str] = "bluesky"
    # Deletions (``inbox.sync.check_deletions``): notifications drop a deleted post
    # silently, so every sync looks the window's posts up again. Chat messages are
    # not posts (their deletions come with the chat log).
    deletion_check_every: ClassVar[timedelta] = timedelta(0)
    deletion_check_skips: ClassVar[frozenset[str]] = frozenset({"dm"})

    def deletion_check_budget(self) -> tuple[int, int]:
        """(posts per :meth:`find_deleted` request, posts a check covers): 25 a request
        (``getPosts``' maximum) and :data:`DELETION_LOOKUPS` requests, 1,000 posts,
        so a window holding no more is covered at every sync; 40 requests of the
        3,000 per 5 minutes the AppView allows."""
        return GET_POSTS_BATCH, GET_POSTS_BATCH * DELETION_LOOKUPS

    def __init__(self, config: ChannelConfig) -> None:
        self.config = config
        opts = config.options
        self._state: dict[str, Any] = dict(config.state)
        self._backfill_days = int(opts.get("backfill_days", DEFAULT_BACKFILL_DAYS))
        self._dms_enabled = bool(opts.get("dms", True))
        self._context_enabled = bool(opts.get("context", True))
        timeout = float(opts.get("timeout", DEFAULT_TIMEOUT))
        base_url = config.base_url or DEFAULT_PDS
        host = urlsplit(base_url).hostname or ""
        problem = netguard.host_problem(host) if host else "the server URL has no host"
        if problem:
            raise PermanentError(f"the Bluesky server cannot be used: {problem}")
        self.client = Client(
            base_url=base_url, request=GuardedRequest(timeout=httpx.Timeout(timeout))
        )
        self.client.on_session_change(self._remember_session)
        self._ready = False
        self._contexts: dict[str, ThreadContext | None] = {}
        self._chat_members: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------------ session

    @property
    def state(self) -> Mapping[str, Any]:
        return dict(self._state)

    def _login_fingerprint(self) -> str:
        """Names the handle and app password in use, so a reconnect outranks an old session."""
        creds = self.config.credentials
        secret = f"{creds.get('handle') or self.config.handle}\x00{creds.get('app_password') or ''}"
        return hashlib.sha256(secret.encode()).hexdigest()[:16]

    def _remember_session(self, event: SessionEvent, session: Session) -> None:
        self._state["session"] = session.export()
        self._state["login"] = self._login_fingerprint()
        self._state["did"] = session.did
        log.info("Bluesky session %s for channel %s", event.value, self.config.channel_id)

    @property
    def did(self) -> str:
        self._ensure_session()
        return str(self._state.get("did") or self.config.external_id)

    def _ensure_session(self) -> None:
        if self._ready:
            return
        stored = self._state.get("session")
        if (
            isinstance(stored, str)
            and stored
            and self._state.get("login") == self._login_fingerprint()
        ):
            try:
                self.client.login(session_string=stored, fetch_bsky_profile=False)
                self._ready = True
                return
            except (ValueError, AtProtocolError) as exc:
                log.warning(
                    "Stored Bluesky session unusable for channel %s: %s",
                    self.config.channel_id,
                    exc,
                )
        self._password_login()

    def _password_login(self) -> None:
        creds = self.config.credentials
        handle = str(creds.get("handle") or self.config.handle).lstrip("@")
        password = creds.get("app_password")
        if not password:
            raise AuthError("Bluesky needs the account's handle and an app password")
        try:
            self.client.login(handle, str(password), fetch_bsky_profile=False)
        except BadRequestError as exc:
            if xrpc_error(exc) == "AuthFactorTokenRequired":
                raise AuthError(
                    "Bluesky asks for an email code: use an app password, not the main one"
                ) from exc
            raise AuthError(f"Bluesky refused the login ({what_failed(exc)})") from exc
        except Exception as exc:
            mapped = translate(exc)
            if isinstance(mapped, AuthError):
                raise AuthError(
                    f"Bluesky refused the handle or app password ({what_failed(exc)})"
                ) from exc
            raise mapped from exc
        self._ready = True

    def _call(self, func: Callable[[], T], *, relogin: bool = True) -> T:
        """Run one request; a dead session gets one fresh login, everything else is mapped."""
        self._ensure_session()
        for attempt in range(2):
            try:
                return func()
            except Exception as exc:
                if relogin and attempt == 0 and is_session_failure(exc):
                    log.info(
                        "Bluesky session rejected for channel %s (%s); logging in",
                        self.config.channel_id,
                        exc,
                    )
                    self._password_login()
                    continue
                mapped = translate(exc)
                if mapped is exc:
                    raise
                raise mapped from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _query(
        self, nsid: str, params: Any, client: Client | None = None, *, relogin: bool = True
    ) -> dict[str, Any]:
        """An XRPC query whose JSON body we keep raw, so items stay as the network sent them."""
        target = client or self.client
        response = self._call(
            lambda: target.invoke_query(nsid, params=params, output_encoding="application/json"),
            relogin=relogin,
        )
        if not isinstance(response.content, dict):
            raise TransientError(f"Bluesky {nsid} did not answer with a JSON object")
        return response.content

    # ------------------------------------------------------------------ fetch

    def fetch_since(self, cursor: Mapping[str, Any] | None, limit: int = 100) -> FetchResult:
        """One page of notifications, or of chat events (see the module docstring)."""
        state = (
            first_cursor(datetime.now(UTC), self._backfill_days)
            if cursor is None
            else load_cursor(cursor)
        )
        if state["phase"] == "chat":
            if self._chat_allowed():
                return self._fetch_chat_page(state, limit)
            state["phase"] = "notifications"
        return self._fetch_notification_page(state, limit)

    def _fetch_notification_page(self, cursor: dict[str, Any], limit: int) -> FetchResult:
        walk = cursor["walk"]
        params = models.AppBskyNotificationListNotifications.Params(
            limit=max(1, min(100, limit)),
            cursor=walk["page"] if walk else None,
            reasons=sorted(KEPT_REASONS),
        )
        body = self._query("app.bsky.notification.listNotifications", params)
        notifications = body.get("notifications")
        if not isinstance(notifications, list):
            raise TransientError("Bluesky listNotifications answered without a notifications list")

        mark_at = datetime.fromisoformat(cursor["mark"]["indexed_at"])
        known = {uri for uri, _ in cursor["mark"]["recent"]}
        floor = mark_at - LATE_INDEXING if known else mark_at
        items: list[IncomingItem] = []
        malformed: list[tuple[str, Mapping[str, Any]]] = []
        seen_pairs: list[list[str]] = [list(p) for p in walk["recent"]] if walk else []
        walk_top = datetime.fromisoformat(walk["top"]) if walk else None
        reached_mark = False
        for raw in notifications:
            if not isinstance(raw, dict):
                malformed.append(("notification is not a JSON object", {"value": raw}))
                continue
            try:
                indexed_at = parse_time(raw.get("indexedAt"), "indexedAt")
            except MalformedItem as exc:
                malformed.append((f"Bluesky notification: {exc}", raw))
                continue
            if indexed_at <= floor:
                reached_mark = True
                continue
            uri = str(raw.get("uri", ""))
            if uri in known:
                continue
            walk_top = indexed_at if walk_top is None else max(walk_top, indexed_at)
            seen_pairs.append([uri, indexed_at.isoformat()])
            if raw.get("reason") not in KEPT_REASONS:
                continue  # likes, follows...: filtered server-side too, when the server supports it
            try:
                items.append(self.notification_item(raw))
            except MalformedItem as exc:
                malformed.append((f"Bluesky notification: {exc}", raw))
        if self._context_enabled:
            items = self._with_contexts(items)
        items.sort(key=lambda i: i.created_at)

        next_page = body.get("cursor")
        if (
            not reached_mark
            and isinstance(next_page, str)
            and next_page
            and next_page != (walk["page"] if walk else None)
        ):
            # Only the cursor says "more": with ``reasons`` filtered server-side a page
            # may hold fewer notifications than ``limit``, even none.
            top = walk_top or mark_at
            cursor["walk"] = {
                "page": next_page,
                "top": top.isoformat(),
                "recent": trim_recent(seen_pairs, top),
            }
            return FetchResult(items=items, cursor=cursor, has_more=True, malformed=malformed)

        # The walk met the old mark (or the end of the list): move the mark up.
        if walk_top is not None and walk_top > mark_at:
            recent = trim_recent([*cursor["mark"]["recent"], *seen_pairs], walk_top)
            cursor["mark"] = {"indexed_at": walk_top.isoformat(), "recent": recent}
        else:
            cursor["mark"]["recent"] = trim_recent(
                [*cursor["mark"]["recent"], *seen_pairs], mark_at
            )
        cursor["walk"] = None
        more = self._chat_allowed()
        cursor["phase"] = "chat" if more else "notifications"
        return FetchResult(items=items, cursor=cursor, has_more=more, malformed=malformed)

    def notification_item(self, raw: Mapping[str, Any]) -> IncomingItem:
        try:
            note = get_or_create(
                dict(raw), models.AppBskyNotificationListNotifications.Notification
            )
        except ModelError as exc:
            raise MalformedItem(f"not a notification: {' '.join(str(exc).split())[:300]}") from None
        if not isinstance(note, models.AppBskyNotificationListNotifications.Notification):
            raise MalformedItem("not a notification object")
        record = obj(raw.get("record"))
        text = record.get("text")
        if not isinstance(text, str):
            raise MalformedItem("record.text missing or not a string")
        author = author_from_profile(obj(raw.get("author")))
        created_at = parse_time(record.get("createdAt") or raw.get("indexedAt"), "record.createdAt")
        reply = obj(record.get("reply"))
        root_uri = obj(reply.get("root")).get("uri")
        parent_uri = obj(reply.get("parent")).get("uri")
        if reply and not (isinstance(root_uri, str) and isinstance(parent_uri, str)):
            raise MalformedItem("record.reply lacks root.uri or parent.uri")
        langs = record.get("langs")
        return IncomingItem(
            external_id=note.uri,
            text=text,
            created_at=created_at,
            author=author,
            kind=KEPT_REASONS[note.reason],
            thread_id=root_uri if isinstance(root_uri, str) else note.uri,
            parent_id=parent_uri if isinstance(parent_uri, str) else None,
            url=post_url(note.uri, author.handle),
            lang=langs[0]
            if isinstance(langs, list) and langs and isinstance(langs[0], str)
            else None,
            media=media_of(record, author.external_id),
            raw=dict(raw),
        )

    def _with_contexts(self, items: list[IncomingItem]) -> list[IncomingItem]:
        """Attach the post each item hangs off (thread root, or the quoted post)."""
        wanted: dict[str, str] = {}
        for item in items:
            subject = (
                item.thread_id
                if item.thread_id != item.external_id
                else item.raw.get("reasonSubject")
            )
            if isinstance(subject, str) and subject.startswith("at://"):
                wanted[item.external_id] = subject
        missing = sorted({s for s in wanted.values() if s not in self._contexts})
        try:
            for start in range(0, len(missing), GET_POSTS_BATCH):
                for uri, post in self._get_posts(missing[start : start + GET_POSTS_BATCH]).items():
                    text = str(obj(post.get("record")).get("text", ""))
                    handle = obj(post.get("author")).get("handle")
                    self._contexts[uri] = ThreadContext(
                        title=shorten(text), url=post_url(uri, handle)
                    )
        except TransientError as exc:
            # Context is a courtesy; the messages themselves must not wait for it.
            log.warning(
                "Bluesky context lookup failed for channel %s: %s", self.config.channel_id, exc
            )
        out = []
        for item in items:
            context = self._contexts.get(wanted.get(item.external_id, ""))
            out.append(item if context is None else _replace_context(item, context))
        return out

    def _get_posts(self, uris: list[str]) -> dict[str, dict[str, Any]]:
        params = models.AppBskyFeedGetPosts.Params(uris=uris)
        body = self._query("app.bsky.feed.getPosts", params)
        posts = body.get("posts")
        if not isinstance(posts, list):
            raise TransientError("Bluesky getPosts answered without a posts list")
        return {p["uri"]: p for p in posts if isinstance(p, dict) and isinstance(p.get("uri"), str)}

    # chat -------------------------------------------------------------

    def _chat_allowed(self) -> bool:
        if not self._dms_enabled:
            return False
        at = self._state.get("chat_forbidden_at")
        return not (
            isinstance(at, int | float) and time.time() - at < CHAT_FORBIDDEN_RETRY.total_seconds()
        )

    def _chat_client(self) -> Client:
        self._ensure_session()
        return self.client.with_bsky_chat_proxy()

    def _chat_query(self, nsid: str, params: Any) -> dict[str, Any] | None:
        """A chat query, or None when this app password may not read DMs.

        The session was just used for notifications, so a refusal here is about
        DM access (an app password without it), not an expired session: no
        fresh login, which would only burn the createSession budget.
        """
        try:
            return self._query(nsid, params, client=self._chat_client(), relogin=False)
        except AuthError as exc:
            log.warning("Bluesky chat unavailable for channel %s: %s", self.config.channel_id, exc)
            self._state["chat_forbidden_at"] = int(time.time())
            return None

    def _fetch_chat_page(self, cursor: dict[str, Any], limit: int) -> FetchResult:
        chat = cursor["chat"]
        items: list[IncomingItem] = []
        malformed: list[tuple[str, Mapping[str, Any]]] = []
        if not chat.get("log"):
            return self._backfill_chat_page(cursor, limit)

        try:
            body = self._chat_query(
                "chat.bsky.convo.getLog", models.ChatBskyConvoGetLog.Params(cursor=chat["log"])
            )
        except PermanentError as exc:
            # A log cursor the service no longer knows: start over from listConvos.
            log.warning(
                "Bluesky refused the chat log cursor for channel %s: %s",
                self.config.channel_id,
                exc,
            )
            chat["log"] = None
            cursor["phase"] = "notifications"
            return FetchResult(items=[], cursor=cursor, has_more=False)
        if body is None:
            cursor["phase"] = "notifications"
            return FetchResult(items=[], cursor=cursor, has_more=False)
        logs = body.get("logs")
        if not isinstance(logs, list):
            raise TransientError("Bluesky getLog answered without a logs list")
        for entry in logs:
            entry = obj(entry)
            kind = entry.get("$type")
            if kind not in (
                "chat.bsky.convo.defs#logCreateMessage",
                "chat.bsky.convo.defs#logDeleteMessage",
            ):
                continue
            convo_id = str(entry.get("convoId", ""))
            if convo_id and convo_id not in self._chat_members:
                self._load_convo(convo_id)
            try:
                items.append(
                    self.chat_item(
                        convo_id,
                        obj(entry.get("message")),
                        deleted=kind.endswith("logDeleteMessage"),
                    )
                )
            except MalformedItem as exc:
                malformed.append((f"Bluesky chat event: {exc}", entry))
        next_log = body.get("cursor")
        advanced = isinstance(next_log, str) and next_log and next_log != chat["log"]
        if advanced:
            chat["log"] = next_log
        more = bool(advanced and logs)
        cursor["phase"] = "chat" if more else "notifications"
        return FetchResult(items=items, cursor=cursor, has_more=more, malformed=malformed)

    def _backfill_chat_page(self, cursor: dict[str, Any], limit: int) -> FetchResult:
        """First contact with the chat: one request of the walk back to the window's start.

        ``listConvos`` (most recently active first) names the conversations with a
        message in the window; then each one's ``getMessages`` pages (newest first) are
        read back to the window's start. The walk is stored in the cursor after every
        page, so a crash or a rate limit resumes it; at its end the log is followed
        from the newest ``rev`` seen when it began (later messages come from the log,
        and the pipeline knows any it already has).
        """
        chat = cursor["chat"]
        walk = chat.get("walk")
        if not isinstance(walk, dict):
            since = (
                chat.get("since")
                or (datetime.now(UTC) - timedelta(days=self._backfill_days)).isoformat()
            )
            walk = {
                "since": since,
                "listing": True,
                "convos_page": None,
                "queue": [],
                "messages_page": None,
                "log_start": None,
            }
            chat["walk"] = walk
        since = datetime.fromisoformat(walk["since"])
        items: list[IncomingItem] = []
        malformed: list[tuple[str, Mapping[str, Any]]] = []
        page_limit = max(1, min(100, limit))
        if walk["listing"]:
            body = self._chat_query(
                "chat.bsky.convo.listConvos",
                models.ChatBskyConvoListConvos.Params(limit=page_limit, cursor=walk["convos_page"]),
            )
            if body is None:  # no DM access: the walk waits where it is
                cursor["phase"] = "notifications"
                return FetchResult(items=[], cursor=cursor, has_more=False)
            convos = body.get("convos")
            if not isinstance(convos, list):
                raise TransientError("Bluesky listConvos answered without a convos list")
            older = False
            for convo in map(obj, convos):
                self._learn_members(convo)
                rev = convo.get("rev")
                if isinstance(rev, str) and rev > (walk["log_start"] or ""):
                    walk["log_start"] = rev
                try:
                    last_at = parse_time(obj(convo.get("lastMessage")).get("sentAt"), "sentAt")
                except MalformedItem:
                    last_at = None  # no message yet: nothing to read
                if last_at is None or last_at < since:
                    older = older or last_at is not None
                    continue
                if isinstance(convo.get("id"), str) and convo["id"] not in walk["queue"]:
                    walk["queue"].append(convo["id"])
            next_page = _next_page(body, walk["convos_page"], older)
            if next_page:
                walk["convos_page"] = next_page
            else:  # the rest were last active before the window
                walk["listing"] = False
        elif walk["queue"]:
            convo_id = str(walk["queue"][0])
            try:
                body = self._chat_query(
                    "chat.bsky.convo.getMessages",
                    models.ChatBskyConvoGetMessages.Params(
                        convo_id=convo_id, limit=page_limit, cursor=walk["messages_page"]
                    ),
                )
            except PermanentError as exc:  # left or gone since it was listed
                log.warning("Bluesky chat %s skipped in the backfill: %s", convo_id, exc)
                body = {"messages": []}
            if body is None:
                cursor["phase"] = "notifications"
                return FetchResult(items=[], cursor=cursor, has_more=False)
            messages = body.get("messages")
            if not isinstance(messages, list):
                raise TransientError("Bluesky getMessages answered without a messages list")
            older = False
            for message in map(obj, messages):
                try:
                    sent_at = parse_time(message.get("sentAt"), "message.sentAt")
                except MalformedItem as exc:
                    malformed.append((f"Bluesky chat message: {exc}", message))
                    continue
                if sent_at < since:
                    older = True
                    break
                if message.get("$type") != "chat.bsky.convo.defs#messageView":
                    continue  # deleted and system messages: nothing to store
                try:
                    items.append(self.chat_item(convo_id, message, deleted=False))
                except MalformedItem as exc:
                    malformed.append((f"Bluesky chat message: {exc}", message))
            next_page = _next_page(body, walk["messages_page"], older)
            if next_page:
                walk["messages_page"] = next_page
            else:
                walk["queue"] = walk["queue"][1:]
                walk["messages_page"] = None
        items.sort(key=lambda i: i.created_at)
        if walk["listing"] or walk["queue"]:
            cursor["phase"] = "chat"
            return FetchResult(items=items, cursor=cursor, has_more=True, malformed=malformed)
        # The window is read: from now on, the log.
        chat["log"] = walk["log_start"]
        chat["walk"] = None
        chat["since"] = None  # a later first contact (no conversation yet) reads its own window
        cursor["phase"] = "notifications"
        return FetchResult(items=items, cursor=cursor, has_more=False, malformed=malformed)

    def _learn_members(self, convo: Mapping[str, Any]) -> None:
        convo_id = convo.get("id")
        if isinstance(convo_id, str):
            members = {
                m["did"]: m
                for m in convo.get("members") or []
                if isinstance(m, dict) and "did" in m
            }
            self._chat_members[convo_id] = members

    def _load_convo(self, convo_id: str) -> None:
        body = self._chat_query(
            "chat.bsky.convo.getConvo", models.ChatBskyConvoGetConvo.Params(convo_id=convo_id)
        )
        self._learn_members(obj((body or {}).get("convo")) or {"id": convo_id})

    def chat_item(
        self, convo_id: str, message: Mapping[str, Any], *, deleted: bool
    ) -> IncomingItem:
        message_id = message.get("id")
        if not isinstance(message_id, str) or not message_id:
            raise MalformedItem("message.id missing")
        if not convo_id:
            raise MalformedItem("convoId missing")
        sender = obj(message.get("sender")).get("did")
        if not isinstance(sender, str) or not sender.startswith("did:"):
            raise MalformedItem("message.sender.did missing")
        text = message.get("text", "")
        if not isinstance(text, str) or (not deleted and "text" not in message):
            raise MalformedItem("message.text missing or not a string")
        profile = self._chat_members.get(convo_id, {}).get(sender)
        author = author_from_profile(profile) if profile else Author(external_id=sender, handle="")
        return IncomingItem(
            external_id=f"chat:{convo_id}:{message_id}",
            text=text,
            created_at=parse_time(message.get("sentAt"), "message.sentAt"),
            author=author,
            kind="dm",
            thread_id=f"chat:{convo_id}",
            url=f"{WEB}/messages/{convo_id}",
            raw={**message, "convoId": convo_id},
            deleted=deleted,
        )

    # ------------------------------------------------------------------ reply

    def send_reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> SentReply:
        """Reply in the thread (a post with root and parent refs) or in the chat."""
        if not text.strip():
            raise PermanentError("a Bluesky reply needs text")
        if target.kind == "dm":
            return self._send_chat(target, text)
        if grapheme_count(text) > MAX_GRAPHEMES or len(text.encode()) > MAX_BYTES:
            raise PermanentError(
                f"a Bluesky post holds {MAX_GRAPHEMES} characters; this reply has {grapheme_count(text)}"
            )
        parent = self._parent_view(target)
        parent_ref = models.ComAtprotoRepoStrongRef.Main(uri=parent["uri"], cid=parent["cid"])
        root = obj(obj(obj(parent.get("record")).get("reply")).get("root"))
        root_ref = (
            models.ComAtprotoRepoStrongRef.Main(uri=root["uri"], cid=root["cid"])
            if isinstance(root.get("uri"), str) and isinstance(root.get("cid"), str)
            else parent_ref
        )
        parent_created = parse_time(
            obj(parent.get("record")).get("createdAt") or parent.get("indexedAt"),
            "parent createdAt",
        )
        did = self.did
        rkey = reply_rkey(idempotency_key, did, parent_created)

        existing = self._existing_post(did, rkey)
        if existing is not None:
            log.info(
                "Bluesky reply for key %s already exists as %s",
                idempotency_key,
                existing.external_id,
            )
            return existing
        record = models.AppBskyFeedPost.Record(
            text=text,
            created_at=self.client.get_current_time_iso(),
            reply=models.AppBskyFeedPost.ReplyRef(root=root_ref, parent=parent_ref),
            facets=self._call(lambda: self.client.detect_facets(text)) or None,
        )
        try:
            created = self._call(
                lambda: self.client.app.bsky.feed.post.create(did, record, rkey=rkey)
            )
        except PermanentError:
            # A racing retry may have created it between our check and our write.
            existing = self._existing_post(did, rkey)
            if existing is not None:
                return existing
            raise
        record_json = record.model_dump(mode="json", by_alias=True, exclude_none=True)
        return SentReply(
            external_id=created.uri,
            created_at=datetime.now(UTC),
            url=post_url(created.uri, self.config.handle),
            raw={
                "uri": created.uri,
                "cid": created.cid,
                "author": {"did": did, "handle": self.config.handle},
                "record": record_json,
                "reason": "reply",
            },
        )

    # ------------------------------------------------------------------ posting

    def publish(
        self,
        text: str,
        idempotency_key: str,
        scheduled_at: datetime | None = None,
        media: Sequence[MediaFile] = (),
    ) -> SentReply:
        """A post on the artist's own feed (``app.bsky.feed.post`` through createRecord).

        Exactly once: the client chooses the record key (:func:`post_rkey`, from the
        idempotency key and the post's scheduled time), so a retry after a lost
        answer first asks ``getRecord`` for that key and returns the post it finds;
        a racing attempt that wrote it in between makes createRecord refuse, and
        the record is read back the same way.

        Images are uploaded after that check (``com.atproto.repo.uploadBlob``; a blob
        no record references is dropped by the PDS) and embedded as
        ``app.bsky.embed.images`` with their alt text and aspect ratio.
        """
        body = text.strip()
        if not body:
            raise PermanentError("a Bluesky post needs text")
        problem = network_problem("bluesky", [len(m.data) for m in media])
        if problem:
            raise PermanentError(problem)
        if scheduled_at is None:
            raise PermanentError("a Bluesky post needs its scheduled time to choose its record key")
        if grapheme_count(body) > MAX_GRAPHEMES or len(body.encode()) > MAX_BYTES:
            raise PermanentError(
                f"a Bluesky post holds {MAX_GRAPHEMES} characters; this one has {grapheme_count(body)}"
            )
        did = self.did
        rkey = post_rkey(idempotency_key, did, scheduled_at)
        existing = self._existing_post(did, rkey)
        if existing is not None:
            log.info("Bluesky post for key %s already exists as %s", idempotency_key, rkey)
            return existing
        embed = self._images_embed(media) if media else None
        record = models.AppBskyFeedPost.Record(
            text=body,
            created_at=self.client.get_current_time_iso(),
            facets=self._call(lambda: self.client.detect_facets(body)) or None,
            embed=embed,
        )
        try:
            created = self._call(
                lambda: self.client.app.bsky.feed.post.create(did, record, rkey=rkey)
            )
        except PermanentError:
            existing = self._existing_post(did, rkey)
            if existing is not None:
                return existing
            raise
        return SentReply(
            external_id=created.uri,
            created_at=parse_time(record.created_at, "createdAt"),
            url=post_url(created.uri, self.config.handle),
            raw={
                "uri": created.uri,
                "cid": created.cid,
                "author": {"did": did, "handle": self.config.handle},
                "record": record.model_dump(mode="json", by_alias=True, exclude_none=True),
            },
        )

    def _images_embed(self, media: Sequence[MediaFile]) -> models.AppBskyEmbedImages.Main:
        """Each image as a blob on the PDS, then the embed that shows them with alt text."""
        images = []
        for m in media:
            uploaded = self._call(lambda m=m: self.client.upload_blob(m.data))  # type: ignore[misc]
            blob = getattr(uploaded, "blob", None)
            if blob is None:
                raise TransientError("uploadBlob answered without a blob")
            images.append(
                models.AppBskyEmbedImages.Image(
                    alt=m.alt,
                    image=blob,
                    aspect_ratio=models.AppBskyEmbedDefs.AspectRatio(
                        width=m.width, height=m.height
                    ),
                )
            )
        return models.AppBskyEmbedImages.Main(images=images)

    def _parent_view(self, target: ReplyTarget) -> dict[str, Any]:
        """The parent's uri, cid and record: from its raw payload, else from the network."""
        raw = dict(target.parent_raw)
        if (
            isinstance(raw.get("uri"), str)
            and isinstance(raw.get("cid"), str)
            and isinstance(raw.get("record"), dict)
        ):
            return raw
        uri = str(raw.get("uri") or target.parent_external_id)
        posts = self._get_posts([uri])
        if uri not in posts:
            raise PermanentError(f"the Bluesky post {uri} is gone; cannot reply to it")
        return posts[uri]

    def _existing_post(self, did: str, rkey: str) -> SentReply | None:
        try:
            found = self._call(lambda: self.client.app.bsky.feed.post.get(did, rkey))
        except PermanentError as exc:
            cause = exc.__cause__
            if isinstance(cause, RequestErrorBase) and (
                xrpc_error(cause) == "RecordNotFound"
                or getattr(cause.response, "status_code", 0) == 404
            ):
                return None
            raise
        return SentReply(
            external_id=found.uri,
            created_at=parse_time(found.value.created_at, "createdAt"),
            url=post_url(found.uri, self.config.handle),
            raw={
                "uri": found.uri,
                "cid": found.cid,
                "author": {"did": did, "handle": self.config.handle},
                "record": found.value.model_dump(mode="json", by_alias=True, exclude_none=True),
            },
        )

    def _send_chat(self, target: ReplyTarget, text: str) -> SentReply:
        convo_id = target.thread_id.removeprefix("chat:")
        chat = self._chat_client()
        data = models.ChatBskyConvoSendMessage.Data(
            convo_id=convo_id, message=models.ChatBskyConvoDefs.MessageInput(text=text)
        )
        sent = self._call(lambda: chat.chat.bsky.convo.send_message(data))
        return SentReply(
            external_id=f"chat:{convo_id}:{sent.id}",
            created_at=parse_time(sent.sent_at, "sentAt"),
            url=f"{WEB}/messages/{convo_id}",
            raw={
                **sent.model_dump(mode="json", by_alias=True, exclude_none=True),
                "convoId": convo_id,
            },
        )

    # ------------------------------------------------------------------ profile and deletions

    def fetch_profile(self, author_external_id: str) -> Author:
        params = models.AppBskyActorGetProfile.Params(actor=author_external_id)
        try:
            return author_from_profile(self._query("app.bsky.actor.getProfile", params))
        except MalformedItem as exc:
            raise TransientError(f"Bluesky sent a malformed profile: {exc}") from exc

    def find_deleted(self, uris: Iterable[str]) -> list[str]:
        """Which of these posts the network no longer serves (deleted, or hidden from us).

        ``listNotifications`` silently drops deleted posts; this is the check.
        """
        wanted = list(dict.fromkeys(u for u in uris if u.startswith("at://")))
        gone: list[str] = []
        for start in range(0, len(wanted), GET_POSTS_BATCH):
            chunk = wanted[start : start + GET_POSTS_BATCH]
            found = self._get_posts(chunk)
            gone += [u for u in chunk if u not in found]
        return gone


def _replace_context(item: IncomingItem, context: ThreadContext) -> IncomingItem:
    return replace(item, context=context)


def _next_page(body: Mapping[str, Any], current: str | None, older: bool) -> str | None:
    """The cursor to read next in a chat walk, or None when the walk is done: the page
    reached past the window, the server gave no cursor, or it gave the same one again."""
    next_page = body.get("cursor")
    if older or not isinstance(next_page, str) or not next_page or next_page == current:
        return None
    return next_page
