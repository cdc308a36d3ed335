"""YouTube: comments and replies on the artist's channel, through google-api-python-client.

Credentials (``ChannelConfig.credentials``), either
    ``client_id``, ``client_secret``, ``refresh_token``  an OAuth client and the
        artist's consent for ``https://www.googleapis.com/auth/youtube.force-ssl``
        (needed to reply); optional ``access_token`` and ``token_uri``
        (default ``https://oauth2.googleapis.com/token``), or
    ``api_key``  read-only monitoring of public comments; replies are refused.

``ChannelConfig.external_id`` is the channel id (``UC...``); with OAuth it is
looked up once (``channels.list(mine=true)``) when missing. ``base_url`` replaces
``https://youtube.googleapis.com/`` (tests). The discovery document ships with
the library, so building the client makes no request.

Options: ``timeout`` (seconds, default 20), ``backfill_days`` (7),
``watch_days`` (3, see the recheck below), ``daily_quota`` (10000),
``reply_reserve`` (500 units that polling leaves for replies), ``quota_costs``
(units per call, see :data:`QUOTA_COSTS`).

**Quota.** Google counts units per project per day, Pacific time. The budget
(units used, the Pacific day) lives in ``state["quota"]``; a call that would go
over it raises :class:`RateLimited` until the next Pacific midnight without
reaching Google. Polling stops ``reply_reserve`` units early so a full day of
polling never blocks a reply. A ``quotaExceeded`` from Google (another app on
the same project) closes the budget for the day.

**Cursor.** ``commentThreads.list(allThreadsRelatedToChannelId, order=time)``
pages newest first and has no "since". A *scan* pages from the top until it
reaches threads whose latest activity is older than the ``watermark`` (the
newest comment time of the previous scan) minus a 15 minute overlap, for
comments that show up late. Ids and versions seen inside that overlap are kept
in the cursor, so an item is returned once per version. One page per call: the
cursor carries the scan's page token and the newest time seen so far, and the
watermark only moves when the scan is complete, so a scan interrupted by an
error resumes at the same page and nothing between the old watermark and the
new one is skipped. (A call that raises leaves the caller with its old cursor,
which repeats at most one page; repeated items are the same versions and the
pipeline de-duplicates them by id.) An expired page token restarts the scan.

Threads are ordered by their top-level comment, so a new reply on an older
thread would be missed by a scan that stopped before it. The connector watches
every thread active in the deletion window (``watch_days``, 3 days like the
sync's own deletion checks; at least the 50 most recently active, at most
500) and re-reads them by id (the *recheck*), 50 a call, one call before each
scan, most recently active first, so a pass over the window takes one scan per
50 threads and costs one unit each: a changed ``totalReplyCount`` fetches that
thread's replies, a thread that has disappeared is reported ``deleted=True``.
Threads quiet for longer than the window (beyond the 50 most recent) are not
watched.

**First sync** (the backfill): the scan's lower bound is ``backfill_days``
ago, and it walks back along ``nextPageToken`` until it meets a thread older
than that or YouTube has no next page, however many pages that takes: there is
no page cap that could stop it short of the window and still call it done. A
page ends the walk only by those two signs, never by holding fewer threads
than ``maxResults`` asked for. The walk is one page per call with the page
token in the cursor, so it spans as many syncs as it needs and resumes after a
crash at the page after the last one stored. When the day's quota runs out the
call raises :class:`RateLimited` until the next Pacific midnight, the cursor
stays at its page, and the walk continues then; the backfill is only finished
(``backfill`` leaves the cursor) when the window start is reached. A page token
YouTube no longer accepts the next day restarts the walk from the top with the
same window start (what is read again is de-duplicated by the pipeline).

**Replies**: ``comments.insert`` with the thread id as ``parentId``. YouTube
has no idempotency key, so sent keys are kept in ``state["replies"]`` and a key
whose first attempt ended without an answer (timeout, 5xx) is kept in
``state["reply_attempts"]``; retrying it first looks for the artist's reply with
the same text in the thread before posting. This relies on ``state`` being
saved after a failed ``send_reply`` too.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from typing import Any, ClassVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import google.auth.exceptions
import google.oauth2.credentials
import google_auth_httplib2
import httplib2
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import HttpRequest

from inbox import netguard
from inbox.connectors import register
from inbox.connectors.base import (
    AuthError,
    Author,
    ChannelConfig,
    FetchResult,
    IncomingItem,
    PermanentError,
    RateLimited,
    ReplyTarget,
    SentReply,
    ThreadContext,
    TransientError,
    deleted_marker,
)

PACIFIC = ZoneInfo("America/Los_Angeles")
DEFAULT_DAILY_QUOTA = 10_000
DEFAULT_REPLY_RESERVE = 500
# Units per call, as the brief for issue 4 states them (list 1, insert 50).
# Override per channel with options["quota_costs"] if Google's price list changes.
QUOTA_COSTS: Mapping[str, int] = {
    "commentThreads.list": 1,
    "comments.list": 1,
    "comments.insert": 50,
    "videos.list": 1,
    "channels.list": 1,
}
MAX_COMMENT_CHARS = 10_000
OVERLAP = timedelta(minutes=15)
WATCH_LIMIT = 50  # commentThreads.list accepts up to 50 ids in one call
# Threads rechecked for new replies and deletions: every thread active in the last
# WATCH_DAYS (the sync's deletion window, inbox.sync.DELETION_WINDOW), and at least the
# WATCH_LIMIT most recently active, at most WATCH_MAX (a recheck pass costs one unit
# per 50, spread one call per scan).
WATCH_DAYS = 3.0
WATCH_MAX = 500
SEEN_LIMIT = 5_000
VIDEO_CACHE_LIMIT = 500
SENT_LIMIT = 200
MAX_REPLY_PAGES = 20  # per thread and call: 2,000 replies
# an endpoint URL (bandit B105)
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"  # nosec B105
DEFAULT_RETRY_AFTER = 60.0
_ID = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


def utcnow() -> datetime:
    return datetime.now(UTC)


def seconds_until_pacific_midnight(now: datetime) -> float:
    """Seconds until YouTube's daily quota resets (midnight in California)."""
    local = now.astimezone(PACIFIC)
    midnight = datetime.combine(local.date() + timedelta(days=1), clock_time(0), tzinfo=PACIFIC)
    return max(1.0, (midnight - now).total_seconds())


def pacific_day(now: datetime) -> str:
    return now.astimezone(PACIFIC).date().isoformat()


class QuotaBudget:
    """Units spent today (Pacific time), refusing calls that would exceed the day's limit."""

    def __init__(
        self,
        saved: Any,
        *,
        limit: int,
        reserve: int,
        clock: Callable[[], datetime],
    ) -> None:
        self.limit = limit
        self.reserve = min(reserve, limit)
        self._clock = clock
        saved = saved if isinstance(saved, Mapping) else {}
        day, used = saved.get("day"), saved.get("used")
        self.day = day if isinstance(day, str) else pacific_day(clock())
        self.used = used if isinstance(used, int) and used >= 0 else 0

    def _roll(self) -> None:
        today = pacific_day(self._clock())
        if today != self.day:
            self.day, self.used = today, 0

    def spend(self, units: int, *, for_reply: bool = False) -> None:
        """Count ``units`` before a call; refuse when they would cross the limit.

        Reads stop ``reserve`` units early so replies can still be sent.
        """
        self._roll()
        ceiling = self.limit if for_reply else self.limit - self.reserve
        if self.used + units > ceiling:
            raise RateLimited(
                f"YouTube quota budget spent ({self.used} of {self.limit} units today)",
                retry_after=seconds_until_pacific_midnight(self._clock()),
            )
        self.used += units

    def exhaust(self) -> None:
        """Google said the quota is gone: stop asking until the next Pacific day."""
        self._roll()
        self.used = max(self.used, self.limit)

    def as_state(self) -> dict[str, Any]:
        self._roll()
        return {"day": self.day, "used": self.used, "limit": self.limit}


# --- payload parsing ------------------------------------------------------------------


class Malformed(ValueError):
    """A payload lacks what an item needs; the message says what."""


def _mapping(obj: Any, key: str) -> Mapping[str, Any]:
    value = obj.get(key) if isinstance(obj, Mapping) else None
    if not isinstance(value, Mapping):
        raise Malformed(f"{key} is missing or not an object")
    return value


def _str(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise Malformed(f"{key} is missing or not a string")
    return value


def _opt_str(obj: Mapping[str, Any], key: str) -> str | None:
    value = obj.get(key)
    return value if isinstance(value, str) and value else None


def _id(obj: Mapping[str, Any], key: str = "id") -> str:
    value = _str(obj, key)
    if not _ID.match(value):
        raise Malformed(f"{key} {value[:40]!r} is not a YouTube id")
    return value


def _time(obj: Mapping[str, Any], key: str) -> datetime:
    raw = _str(obj, key)
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise Malformed(f"{key} {raw[:40]!r} is not an ISO 8601 time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    """UTC with a fixed width, so that comparing the strings compares the times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def video_url(video_id: str, comment_id: str | None = None) -> str:
    url = f"https://www.youtube.com/watch?v={video_id}"
    return f"{url}&lc={comment_id}" if comment_id else url


@dataclass(frozen=True, slots=True)
class Comment:
    """A validated comment resource (top-level or reply)."""

    id: str
    text: str
    author: Author
    published_at: datetime
    updated_at: datetime
    parent_id: str | None
    video_id: str | None
    channel_id: str | None
    raw: Mapping[str, Any]

    @property
    def version(self) -> datetime:
        """When this version of the comment appeared: its last edit, else its posting."""
        return max(self.published_at, self.updated_at)

    @classmethod
    def from_json(cls, comment: Any) -> Comment:
        if not isinstance(comment, Mapping):
            raise Malformed("comment is not an object")
        snippet = _mapping(comment, "snippet")
        channel = snippet.get("authorChannelId")
        author_id = channel.get("value") if isinstance(channel, Mapping) else None
        if not isinstance(author_id, str) or not _ID.match(author_id):
            raise Malformed("authorChannelId.value is missing")
        name = _opt_str(snippet, "authorDisplayName") or author_id
        text = snippet.get("textOriginal")
        if not isinstance(text, str):
            text = snippet.get("textDisplay")
        if not isinstance(text, str):
            raise Malformed("textOriginal is missing")
        published = _time(snippet, "publishedAt")
        updated = _time(snippet, "updatedAt") if snippet.get("updatedAt") else published
        parent = snippet.get("parentId")
        video = snippet.get("videoId")
        return cls(
            id=_id(comment),
            text=text,
            author=Author(
                external_id=author_id,
                handle=name,
                name=name.removeprefix("@"),
                avatar_url=_opt_str(snippet, "authorProfileImageUrl"),
                profile_url=_opt_str(snippet, "authorChannelUrl"),
            ),
            published_at=published,
            updated_at=updated,
            parent_id=parent if isinstance(parent, str) and _ID.match(parent) else None,
            video_id=video if isinstance(video, str) and _ID.match(video) else None,
            channel_id=_opt_str(snippet, "channelId"),
            raw=comment,
        )

    def item(self, thread_id: str) -> IncomingItem:
        if self.video_id:
            url: str | None = video_url(self.video_id, self.id)
        elif self.channel_id:
            url = f"https://www.youtube.com/channel/{self.channel_id}"
        else:
            url = None
        return IncomingItem(
            external_id=self.id,
            text=self.text,
            created_at=self.published_at,
            author=self.author,
            kind="reply" if self.parent_id else "comment",
            thread_id=thread_id,
            parent_id=self.parent_id,
            url=url,
            raw=self.raw,
            edited_at=self.updated_at if self.updated_at > self.published_at else None,
        )


@dataclass(frozen=True, slots=True)
class Thread:
    """A commentThread: its top-level comment, the replies shown with it, the reply count."""

    id: str
    top: Comment
    replies: tuple[Comment, ...]
    total_replies: int
    video_id: str | None

    @property
    def activity(self) -> datetime:
        return max([self.top.version, *(r.version for r in self.replies)])

    @classmethod
    def from_json(cls, thread: Any) -> Thread:
        if not isinstance(thread, Mapping):
            raise Malformed("commentThread is not an object")
        snippet = _mapping(thread, "snippet")
        top = Comment.from_json(snippet.get("topLevelComment"))
        replies_obj = thread.get("replies")
        shown = replies_obj.get("comments", []) if isinstance(replies_obj, Mapping) else []
        if not isinstance(shown, list):
            raise Malformed("replies.comments is not a list")
        total = snippet.get("totalReplyCount", 0)
        if not isinstance(total, int) or isinstance(total, bool) or total < 0:
            raise Malformed("totalReplyCount is not a count")
        video = snippet.get("videoId")
        return cls(
            id=_id(thread),
            top=top,
            replies=tuple(Comment.from_json(r) for r in shown),
            total_replies=total,
            video_id=video if isinstance(video, str) and _ID.match(video) else top.video_id,
        )


# --- the cursor -----------------------------------------------------------------------


@dataclass
class ScanCursor:
    """Where polling stands; see the module notes. Serialised as plain JSON."""

    watermark: datetime
    seen: dict[str, str] = field(default_factory=dict)  # comment id -> version (ISO)
    threads: dict[str, list[Any]] = field(default_factory=dict)  # id -> [replies, activity]
    page_token: str | None = None
    scan_newest: datetime | None = None
    pages: int = 0
    backfill: bool = False
    recheck_next: bool = False
    recheck_queue: list[str] = field(default_factory=list)  # the recheck pass's ids to go
    watch_floor: datetime | None = None  # not stored: threads quieter since then may go

    @classmethod
    def first(cls, now: datetime, days: float) -> ScanCursor:
        return cls(watermark=now - timedelta(days=days), backfill=True)

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> ScanCursor:
        try:
            scan = data.get("scan") or {}
            newest = scan.get("newest")
            return cls(
                watermark=datetime.fromisoformat(data["watermark"]),
                seen={str(k): str(v) for k, v in dict(data.get("seen") or {}).items()},
                threads={
                    str(k): [int(v[0]), str(v[1])]
                    for k, v in dict(data.get("threads") or {}).items()
                },
                page_token=scan.get("page_token"),
                scan_newest=datetime.fromisoformat(newest) if newest else None,
                pages=int(scan.get("pages", 0)),
                backfill=bool(data.get("backfill", False)),
                recheck_next=bool(data.get("recheck_next", False)),
                recheck_queue=[str(i) for i in data.get("recheck_queue") or []],
            )
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise PermanentError(f"the stored YouTube cursor is unreadable: {exc}") from None

    def dump(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "watermark": _iso(self.watermark),
            "seen": dict(self.seen),
            "threads": {k: list(v) for k, v in self.threads.items()},
            "recheck_next": self.recheck_next,
        }
        if self.recheck_queue:
            data["recheck_queue"] = list(self.recheck_queue)
        if self.backfill:
            data["backfill"] = True
        if self.scanning:
            data["scan"] = {
                "page_token": self.page_token,
                "newest": _iso(self.scan_newest) if self.scan_newest else None,
                "pages": self.pages,
            }
        return data

    @property
    def scanning(self) -> bool:
        return self.page_token is not None

    @property
    def threshold(self) -> datetime:
        return self.watermark if self.backfill else self.watermark - OVERLAP

    def is_new(self, comment: Comment) -> bool:
        version = comment.version
        if version < self.threshold:
            return False
        return self.seen.get(comment.id) != _iso(version)

    def saw(self, comment: Comment) -> None:
        self.seen[comment.id] = _iso(comment.version)
        if self.scan_newest is None or comment.version > self.scan_newest:
            self.scan_newest = comment.version

    def watch(self, thread: Thread) -> None:
        """Remember a thread's reply count and activity for the recheck; the watch
        keeps the threads active since ``watch_floor``, and at least the
        ``WATCH_LIMIT`` most recent, at most ``WATCH_MAX``."""
        self.threads[thread.id] = [thread.total_replies, _iso(thread.activity)]
        if len(self.threads) <= WATCH_LIMIT:
            return
        floor = _iso(self.watch_floor) if self.watch_floor else None
        ranked = sorted(self.threads.items(), key=lambda kv: kv[1][1], reverse=True)
        self.threads = {
            k: v
            for n, (k, v) in enumerate(ranked[:WATCH_MAX])
            if n < WATCH_LIMIT or (floor is not None and v[1] >= floor)
        }

    def ranked_watch(self) -> list[str]:
        """The watched thread ids, most recently active first."""
        return [k for k, _ in sorted(self.threads.items(), key=lambda kv: kv[1][1], reverse=True)]

    def prune_seen(self) -> None:
        """Mid-scan: forget versions the next scan can no longer meet.

        Kept: the previous scan's overlap (at or below the old watermark) and
        this scan's last ``OVERLAP`` (which becomes the next scan's overlap).
        """
        if self.scan_newest is None:
            return
        old, floor = _iso(self.watermark), _iso(self.scan_newest - OVERLAP)
        self.seen = {k: v for k, v in self.seen.items() if v <= old or v >= floor}

    def finish_scan(self) -> None:
        if self.scan_newest is not None and self.scan_newest > self.watermark:
            self.watermark = self.scan_newest
        self.page_token, self.scan_newest, self.pages = None, None, 0
        self.backfill = False
        floor = _iso(self.watermark - OVERLAP)
        kept = {k: v for k, v in self.seen.items() if v >= floor}
        if len(kept) > SEEN_LIMIT:
            kept = dict(sorted(kept.items(), key=lambda kv: kv[1])[-SEEN_LIMIT:])
        self.seen = kept
        self.recheck_next = bool(self.threads)


# --- errors ---------------------------------------------------------------------------


class NotFound(PermanentError):
    """The comment, thread, video or channel does not exist (any more)."""


class _InvalidPageToken(PermanentError):
    """A saved page token YouTube no longer accepts: the scan starts over."""


def _error_reasons(exc: HttpError) -> tuple[set[str], str]:
    try:
        body = json.loads(exc.content.decode("utf-8"))
        error = body["error"]
        reasons = {e.get("reason") for e in error.get("errors", []) if isinstance(e, Mapping)}
        return {r for r in reasons if isinstance(r, str)}, str(error.get("message", ""))[:300]
    except (ValueError, KeyError, TypeError, AttributeError):
        return set(), str(exc.reason or "")[:300]


# --- connections to a server someone typed -------------------------------------------


class _GuardedHTTPConnection(httplib2.HTTPConnectionWithTimeout):
    """httplib2's plain connection through :func:`inbox.netguard.connect` (loopback only)."""

    def connect(self) -> None:
        timeout = self.timeout if self.timeout is not None else socket._GLOBAL_DEFAULT_TIMEOUT  # type: ignore[attr-defined]
        self.sock = netguard.connect(self.host, self.port, timeout, plain=True)


class _GuardedHTTPSConnection(httplib2.HTTPSConnectionWithTimeout):
    """httplib2's TLS connection on a vetted, pinned socket (the certificate names the host)."""

    def connect(self) -> None:
        timeout = self.timeout if self.timeout is not None else socket._GLOBAL_DEFAULT_TIMEOUT  # type: ignore[attr-defined]
        sock = netguard.connect(self.host, self.port, timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _GuardedHttp(httplib2.Http):
    """httplib2 for a typed-in server: vetted connections, no proxy, no redirects.

    httplib2 would follow a redirect with the ``Authorization`` header still on,
    so redirects are not followed at all (Google's APIs never send one).
    """

    def __init__(self, timeout: float) -> None:
        super().__init__(timeout=timeout, proxy_info=None)
        self.follow_redirects = False

    def request(self, uri: str, *args: Any, **kwargs: Any) -> Any:
        scheme = urlsplit(uri).scheme
        kwargs["connection_type"] = (
            _GuardedHTTPSConnection if scheme == "https" else _GuardedHTTPConnection
        )
        try:
            return super().request(uri, *args, **kwargs)
        except netguard.BlockedAddress as exc:
            raise PermanentError(f"the YouTube server URL cannot be used: {exc}") from None


# --- the connector --------------------------------------------------------------------


@register("youtube")
class YouTubeConnector:
    """Comment threads of a channel in, replies under them out, within the day's quota."""

    network: ClassVar[str] = "youtube"

    def __init__(self, config: ChannelConfig) -> None:
        self._config = config
        creds = config.credentials
        state = dict(config.state)
        self._timeout = float(config.options.get("timeout", 20))
        self._costs = {**QUOTA_COSTS, **dict(config.options.get("quota_costs") or {})}
        self._budget = QuotaBudget(
            state.get("quota"),
            limit=int(config.options.get("daily_quota", DEFAULT_DAILY_QUOTA)),
            reserve=int(config.options.get("reply_reserve", DEFAULT_REPLY_RESERVE)),
            clock=lambda: utcnow(),  # looked up per call, so tests can move the clock
        )
        self._videos: dict[str, str] = _str_dict(state.get("videos"))
        self._replies: dict[str, dict[str, Any]] = _dict_of_dicts(state.get("replies"))
        self._attempts: dict[str, dict[str, Any]] = _dict_of_dicts(state.get("reply_attempts"))
        channel = config.external_id or state.get("channel_id")
        self._channel_id: str | None = channel if isinstance(channel, str) else None
        self._credentials = self._oauth_credentials(creds, state.get("oauth"))
        api_key = creds.get("api_key")
        if self._credentials is None and not (isinstance(api_key, str) and api_key):
            raise AuthError(
                "YouTube credentials need client_id, client_secret and refresh_token "
                "(or an access_token), or an api_key for read-only use"
            )
        self._token_at_start = self._credentials.token if self._credentials else None
        token_uri = creds.get("token_uri")
        # A server someone chose (not Google's): vetted connections, its words not quoted.
        self._typed = bool(config.base_url) or bool(token_uri and token_uri != DEFAULT_TOKEN_URI)
        http: Any = self._transport()
        if self._credentials is not None:
            http = google_auth_httplib2.AuthorizedHttp(self._credentials, http=http)
        options = {"api_endpoint": config.base_url} if config.base_url else None
        self._service = build(
            "youtube",
            "v3",
            http=http,
            developerKey=None if self._credentials else api_key,
            static_discovery=True,
            cache_discovery=False,
            client_options=options,
        )

    def _transport(self) -> Any:
        """The HTTP object under the client; tests put the library's HttpMockSequence here.

        A ``base_url`` or ``token_uri`` of someone's choosing is reached through
        :class:`_GuardedHttp` (public addresses only, pinned, no redirects followed).
        """
        token_uri = self._config.credentials.get("token_uri")
        if self._typed:
            for url in (self._config.base_url, token_uri):
                host = urlsplit(str(url)).hostname if url else None
                problem = netguard.host_problem(host or "") if url else None
                if problem:
                    raise PermanentError(f"the YouTube server URL cannot be used: {problem}")
            return _GuardedHttp(timeout=self._timeout)
        return httplib2.Http(timeout=self._timeout)

    @staticmethod
    def _oauth_credentials(
        creds: Mapping[str, Any], saved: Any
    ) -> google.oauth2.credentials.Credentials | None:
        refresh = creds.get("refresh_token")
        token = creds.get("access_token")
        expiry = None
        if isinstance(saved, Mapping) and isinstance(saved.get("access_token"), str):
            token = saved["access_token"]
            try:
                # google-auth compares expiry with a naive UTC "now".
                expiry = datetime.fromisoformat(saved["expiry"]).astimezone(UTC)
                expiry = expiry.replace(tzinfo=None)
            except (KeyError, TypeError, ValueError):
                token, expiry = None, None
            if isinstance(saved.get("refresh_token"), str):
                refresh = saved["refresh_token"]
        if not refresh and not token:
            return None
        if refresh and not (creds.get("client_id") and creds.get("client_secret")):
            raise AuthError("a YouTube refresh_token needs client_id and client_secret")
        return google.oauth2.credentials.Credentials(
            token=token if isinstance(token, str) and token else None,
            refresh_token=refresh if isinstance(refresh, str) else None,
            token_uri=str(creds.get("token_uri") or DEFAULT_TOKEN_URI),
            client_id=creds.get("client_id"),
            client_secret=creds.get("client_secret"),
            expiry=expiry,
        )

    # -- the interface -------------------------------------------------------------

    @property
    def state(self) -> Mapping[str, Any]:
        state: dict[str, Any] = {
            "quota": self._budget.as_state(),
            "videos": dict(self._videos),
            "replies": dict(self._replies),
            "reply_attempts": dict(self._attempts),
        }
        if self._channel_id and not self._config.external_id:
            state["channel_id"] = self._channel_id
        creds = self._credentials
        if creds is not None and creds.token and creds.token != self._token_at_start:
            oauth: dict[str, Any] = {
                "access_token": creds.token,
                "expiry": creds.expiry.replace(tzinfo=UTC).isoformat() if creds.expiry else None,
            }
            if creds.refresh_token and creds.refresh_token != self._config.credentials.get(
                "refresh_token"
            ):
                oauth["refresh_token"] = creds.refresh_token
            state["oauth"] = oauth
        elif isinstance(self._config.state.get("oauth"), Mapping):
            state["oauth"] = dict(self._config.state["oauth"])
        return state

    def fetch_since(self, cursor: Mapping[str, Any] | None, limit: int = 100) -> FetchResult:
        if cursor:
            scan = ScanCursor.load(cursor)
        else:
            days = float(self._config.options.get("backfill_days", 7))
            scan = ScanCursor.first(utcnow(), days)
        watch_days = float(self._config.options.get("watch_days", WATCH_DAYS))
        scan.watch_floor = utcnow() - timedelta(days=watch_days)
        channel = self._own_channel()
        if scan.recheck_next and not scan.scanning:
            return self._recheck(scan)
        return self._scan_page(scan, channel, max(1, min(int(limit), 100)))

    def send_reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> SentReply:
        if self._credentials is None:
            raise PermanentError("replying on YouTube needs OAuth; an API key can only read")
        thread_id = target.thread_id
        if not _ID.match(thread_id or ""):
            raise PermanentError(f"not a YouTube comment thread id: {thread_id!r}")
        body = self._with_mention(text.strip(), target)
        if not body:
            raise PermanentError("a reply needs some text")
        if len(body) > MAX_COMMENT_CHARS:
            raise PermanentError(f"YouTube comments are limited to {MAX_COMMENT_CHARS} characters")
        done = self._replies.get(idempotency_key)
        if done is not None:
            return _sent_from_state(done)
        self._own_channel()
        attempt = self._attempts.get(idempotency_key)
        if attempt is not None:
            found = self._find_own_reply(thread_id, body, attempt)
            if found is not None:
                return self._record_sent(idempotency_key, found, target)
        self._attempts[idempotency_key] = {"thread": thread_id, "at": _iso(utcnow())}
        request = self._service.comments().insert(
            part="snippet", body={"snippet": {"parentId": thread_id, "textOriginal": body}}
        )
        try:
            posted = self._execute(request, "comments.insert", for_reply=True)
        except NotFound:
            self._attempts.pop(idempotency_key, None)
            raise PermanentError("the comment being answered was deleted") from None
        except (AuthError, PermanentError):
            self._attempts.pop(idempotency_key, None)  # refused: nothing was posted
            raise
        except RateLimited:
            self._attempts.pop(idempotency_key, None)
            raise
        try:
            comment = Comment.from_json(posted)
        except Malformed as exc:
            raise TransientError(
                f"YouTube answered the reply with an unusable comment: {exc}"
            ) from None
        return self._record_sent(idempotency_key, comment, target)

    def find_sent_reply(
        self, target: ReplyTarget, text: str, idempotency_key: str
    ) -> SentReply | None:
        """The artist's reply with this text in the thread, for the outbox's check
        before a resend: the key's recorded result if any, else the thread's replies
        since the attempt began (or the last day when the attempt left no trace)."""
        done = self._replies.get(idempotency_key)
        if done is not None:
            return _sent_from_state(done)
        body = self._with_mention(text.strip(), target)
        self._own_channel()
        attempt = self._attempts.get(idempotency_key) or {}
        found = self._find_own_reply(target.thread_id, body, attempt)
        return self._record_sent(idempotency_key, found, target) if found else None

    def fetch_profile(self, author_external_id: str) -> Author:
        if not _ID.match(author_external_id or ""):
            raise PermanentError(f"not a YouTube channel id: {author_external_id!r}")
        request = self._service.channels().list(part="snippet,statistics", id=author_external_id)
        items = self._execute(request, "channels.list").get("items")
        if not items or not isinstance(items, list):
            raise NotFound(f"no YouTube channel {author_external_id}")
        try:
            return _author_from_channel(items[0])
        except (Malformed, AttributeError, TypeError) as exc:
            raise TransientError(f"YouTube sent an unusable channel: {exc}") from None

    # -- polling ---------------------------------------------------------------------

    def _scan_page(self, scan: ScanCursor, channel: str, limit: int) -> FetchResult:
        request = self._service.commentThreads().list(
            part="snippet,replies",
            allThreadsRelatedToChannelId=channel,
            order="time",
            maxResults=limit,
            pageToken=scan.page_token,
            textFormat="plainText",
        )
        try:
            page = self._execute(request, "commentThreads.list")
        except _InvalidPageToken:
            scan.page_token, scan.pages = None, 0
            return FetchResult(items=[], cursor=scan.dump(), has_more=True)
        threads, next_token = _thread_page(page)
        comments: list[tuple[Comment, str]] = []
        malformed: list[tuple[str, Mapping[str, Any]]] = []
        reached_old = False
        for raw in threads:
            try:
                thread = Thread.from_json(raw)
            except Malformed as exc:
                malformed.append((f"commentThread: {exc}", _as_raw(raw)))
                continue
            if thread.activity < scan.threshold:
                reached_old = True
                break
            comments.extend(self._thread_comments(thread, scan, malformed))
        scan.pages += 1
        if reached_old or not next_token:
            scan.finish_scan()
        else:
            scan.page_token = next_token
            scan.prune_seen()
        items = self._items(comments, scan)
        return FetchResult(
            items=items, cursor=scan.dump(), has_more=scan.scanning, malformed=malformed
        )

    def _recheck(self, scan: ScanCursor) -> FetchResult:
        """Re-read the most active threads: new replies on them, and deleted threads."""
        if not scan.recheck_queue:
            scan.recheck_queue = scan.ranked_watch()
        ids = [i for i in scan.recheck_queue[:WATCH_LIMIT] if i in scan.threads]
        if not ids:
            scan.recheck_queue, scan.recheck_next = [], False
            return FetchResult(items=[], cursor=scan.dump(), has_more=True)
        request = self._service.commentThreads().list(
            part="snippet,replies", id=",".join(ids), textFormat="plainText"
        )
        page = self._execute(request, "commentThreads.list")
        threads, _ = _thread_page(page)
        comments: list[tuple[Comment, str]] = []
        malformed: list[tuple[str, Mapping[str, Any]]] = []
        present: set[str] = set()
        for raw in threads:
            try:
                thread = Thread.from_json(raw)
            except Malformed as exc:
                if isinstance(raw, Mapping) and isinstance(raw.get("id"), str):
                    present.add(raw["id"])
                malformed.append((f"commentThread: {exc}", _as_raw(raw)))
                continue
            present.add(thread.id)
            comments.extend(self._thread_comments(thread, scan, malformed))
        deleted = [thread_id for thread_id in ids if thread_id not in present]
        for thread_id in deleted:
            scan.threads.pop(thread_id, None)
        scan.recheck_queue = scan.recheck_queue[WATCH_LIMIT:]
        scan.recheck_next = False
        items = self._items(comments, scan) + [deleted_marker(t, kind="comment") for t in deleted]
        return FetchResult(items=items, cursor=scan.dump(), has_more=True, malformed=malformed)

    def _thread_comments(
        self,
        thread: Thread,
        scan: ScanCursor,
        malformed: list[tuple[str, Mapping[str, Any]]],
    ) -> list[tuple[Comment, str]]:
        """The new comments of a thread (top-level and replies), with the thread id."""
        replies: Iterable[Comment] = thread.replies
        known = scan.threads.get(thread.id)
        if thread.total_replies > len(thread.replies) and (
            known is None or known[0] != thread.total_replies
        ):
            replies = self._all_replies(thread.id, malformed)
        out = [(c, thread.id) for c in (thread.top, *replies) if scan.is_new(c)]
        for comment, _ in out:
            scan.saw(comment)
        scan.watch(thread)
        return out

    def _all_replies(
        self, thread_id: str, malformed: list[tuple[str, Mapping[str, Any]]]
    ) -> list[Comment]:
        replies: list[Comment] = []
        token: str | None = None
        for _ in range(MAX_REPLY_PAGES):
            request = self._service.comments().list(
                part="snippet",
                parentId=thread_id,
                maxResults=100,
                pageToken=token,
                textFormat="plainText",
            )
            page = self._execute(request, "comments.list")
            if not isinstance(page.get("items"), list):
                raise TransientError("comments.list did not return a list of items")
            for raw in page["items"]:
                try:
                    replies.append(Comment.from_json(raw))
                except Malformed as exc:
                    malformed.append((f"reply comment: {exc}", _as_raw(raw)))
            token = (
                page.get("nextPageToken") if isinstance(page.get("nextPageToken"), str) else None
            )
            if not token:
                break
        return replies

    def _items(self, comments: list[tuple[Comment, str]], scan: ScanCursor) -> list[IncomingItem]:
        """Items, oldest first, with the video each thread hangs off as context."""
        comments.sort(key=lambda pair: pair[0].published_at)
        titles = self._video_titles({c.video_id for c, _ in comments if c.video_id})
        items = []
        for comment, thread_id in comments:
            item = comment.item(thread_id)
            if comment.video_id:
                title = titles.get(comment.video_id) or f"YouTube video {comment.video_id}"
                item = replace(
                    item, context=ThreadContext(title=title, url=video_url(comment.video_id))
                )
            items.append(item)
        return items

    def _video_titles(self, video_ids: set[str]) -> dict[str, str]:
        """Titles from the cache in ``state``, one ``videos.list`` call for up to 50 new ones.

        Titles are a nicety: a failed or unaffordable lookup leaves them out
        rather than failing the page.
        """
        missing = sorted(v for v in video_ids if v not in self._videos)[:50]
        if missing:
            request = self._service.videos().list(part="snippet", id=",".join(missing))
            page: Mapping[str, Any] = {}
            try:
                page = self._execute(request, "videos.list")
            except AuthError:
                raise
            except (TransientError, PermanentError):
                pass  # titles are a nicety: the page still goes through
            videos = page.get("items")
            for video in videos if isinstance(videos, list) else []:
                try:
                    self._videos[_id(video)] = _str(_mapping(video, "snippet"), "title")
                except Malformed:
                    continue
            while len(self._videos) > VIDEO_CACHE_LIMIT:
                del self._videos[next(iter(self._videos))]
        return {v: self._videos[v] for v in video_ids if v in self._videos}

    def _own_channel(self) -> str:
        if self._channel_id:
            return self._channel_id
        if self._credentials is None:
            raise PermanentError("set the channel id (external_id) for an API-key channel")
        page = self._execute(self._service.channels().list(part="id", mine=True), "channels.list")
        items = page.get("items")
        if not isinstance(items, list) or not items or not isinstance(items[0], Mapping):
            raise PermanentError("this Google account has no YouTube channel")
        if not isinstance(items[0].get("id"), str):
            raise PermanentError("this Google account has no YouTube channel")
        self._channel_id = str(items[0]["id"])
        return self._channel_id

    # -- replying --------------------------------------------------------------------

    def _with_mention(self, text: str, target: ReplyTarget) -> str:
        """Answering a reply: name its author, as YouTube's own reply box does."""
        if target.parent_external_id == target.thread_id:
            return text
        author = target.parent_author
        if author is None:
            try:
                author = Comment.from_json(target.parent_raw).author
            except Malformed:
                return text
        handle = author.handle
        if not handle.startswith("@") or handle.lower() in text.lower():
            return text
        if author.external_id == self._channel_id:
            return text
        return f"{handle} {text}"

    def _find_own_reply(
        self, thread_id: str, text: str, attempt: Mapping[str, Any]
    ) -> Comment | None:
        """A reply by the artist with this text, posted since an unanswered attempt."""
        try:
            since = datetime.fromisoformat(str(attempt.get("at"))) - timedelta(minutes=5)
        except ValueError:
            since = utcnow() - timedelta(days=1)
        ignored: list[tuple[str, Mapping[str, Any]]] = []
        for reply in self._all_replies(thread_id, ignored):
            if (
                reply.author.external_id == self._channel_id
                and reply.text.strip() == text
                and reply.published_at >= since
            ):
                return reply
        return None

    def _record_sent(self, key: str, comment: Comment, target: ReplyTarget) -> SentReply:
        self._attempts.pop(key, None)
        video = comment.video_id or _parent_video(target)
        sent = SentReply(
            external_id=comment.id,
            created_at=comment.published_at,
            url=video_url(video, comment.id) if video else None,
            raw=comment.raw,
        )
        self._replies[key] = {
            "id": sent.external_id,
            "at": _iso(sent.created_at),
            "url": sent.url,
        }
        while len(self._replies) > SENT_LIMIT:
            del self._replies[next(iter(self._replies))]
        return sent

    # -- calls -----------------------------------------------------------------------

    def _execute(
        self, request: HttpRequest, method: str, *, for_reply: bool = False
    ) -> Mapping[str, Any]:
        """One API call: counted against the budget, errors mapped to the connector's."""
        self._budget.spend(int(self._costs.get(method, 1)), for_reply=for_reply)
        try:
            result = request.execute(num_retries=0)
        except HttpError as exc:
            raise self._http_error(exc) from None
        except google.auth.exceptions.RefreshError as exc:
            if exc.retryable:
                raise TransientError(f"Google's token endpoint failed: {exc}") from None
            raise AuthError(f"Google refused to refresh the token: {exc}") from None
        except google.auth.exceptions.TransportError as exc:
            raise TransientError(f"could not reach Google's token endpoint: {exc}") from None
        except (OSError, httplib2.HttpLib2Error, http.client.HTTPException) as exc:
            raise TransientError(f"network error talking to YouTube: {exc!r}") from None
        except UnicodeDecodeError:
            raise TransientError("YouTube sent a body that is not UTF-8") from None
        if not isinstance(result, Mapping):
            # The client hands back the raw text when the body is not JSON.
            raise TransientError("YouTube sent malformed JSON")
        return result

    def _http_error(self, exc: HttpError) -> Exception:
        status = exc.status_code
        reasons, message = _error_reasons(exc)
        if self._typed:  # a server someone typed: its words are not repeated
            message = f"HTTP {status}"
        if reasons & {"quotaExceeded", "dailyLimitExceeded"}:
            self._budget.exhaust()
            return RateLimited(
                f"YouTube quota exceeded: {message}",
                retry_after=seconds_until_pacific_midnight(utcnow()),
            )
        if status == 429 or reasons & {"rateLimitExceeded", "userRateLimitExceeded"}:
            return RateLimited(
                f"YouTube rate limit: {message}",
                retry_after=_retry_after(exc.resp.get("retry-after")),
            )
        if status == 401 or "authError" in reasons:
            return AuthError(f"YouTube refused the credentials: {message}")
        if status == 403 and reasons & {
            "insufficientPermissions",
            "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
        }:
            return AuthError(f"the YouTube token lacks a needed scope: {message}")
        if status >= 500 or status == 408:
            return TransientError(f"YouTube server error {status}: {message}")
        if status == 400 and "invalidPageToken" in reasons:
            return _InvalidPageToken(message)
        if status == 404:
            return NotFound(f"YouTube: {message}")
        detail = ", ".join(sorted(reasons)) or "error"
        return PermanentError(f"YouTube refused the request ({status} {detail}): {message}")


# --- small helpers --------------------------------------------------------------------


def _thread_page(page: Mapping[str, Any]) -> tuple[list[Any], str | None]:
    if not isinstance(page.get("items", []), list):
        raise TransientError("commentThreads.list did not return a list of items")
    token = page.get("nextPageToken")
    return list(page.get("items", [])), token if isinstance(token, str) and token else None


def _author_from_channel(channel: Any) -> Author:
    channel_id = _id(channel)
    snippet = _mapping(channel, "snippet")
    stats = channel.get("statistics") if isinstance(channel.get("statistics"), Mapping) else {}
    thumbs = snippet.get("thumbnails")
    avatar = None
    if isinstance(thumbs, Mapping) and isinstance(thumbs.get("default"), Mapping):
        avatar = _opt_str(thumbs["default"], "url")
    subscribers = stats.get("subscriberCount")
    return Author(
        external_id=channel_id,
        handle=_opt_str(snippet, "customUrl") or channel_id,
        name=_opt_str(snippet, "title") or channel_id,
        avatar_url=avatar,
        profile_url=f"https://www.youtube.com/channel/{channel_id}",
        profile={
            "subscriber_count": int(str(subscribers)) if str(subscribers).isdigit() else None,
            "country": _opt_str(snippet, "country"),
            "description": _opt_str(snippet, "description") or "",
        },
    )


def _parent_video(target: ReplyTarget) -> str | None:
    for raw in (target.parent_raw, target.root_raw):
        snippet = raw.get("snippet") if isinstance(raw, Mapping) else None
        if isinstance(snippet, Mapping) and isinstance(snippet.get("videoId"), str):
            return str(snippet["videoId"])
    return None


def _sent_from_state(done: Mapping[str, Any]) -> SentReply:
    return SentReply(
        external_id=str(done["id"]),
        created_at=datetime.fromisoformat(str(done["at"])),
        url=done.get("url"),
        raw={"id": done["id"], "replayed": True},
    )


def _retry_after(header: Any) -> float:
    try:
        return max(1.0, float(header))
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER


def _as_raw(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {"value": value}


def _str_dict(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): str(v) for k, v in value.items() if isinstance(v, str)}


def _dict_of_dicts(value: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): dict(v) for k, v in value.items() if isinstance(v, Mapping)}
