"""Mastodon: mentions and direct messages from any instance, through Mastodon.py.

Credentials (``ChannelConfig.credentials``):
    ``access_token``  a user token with the ``read:notifications read:statuses
                      read:accounts write:statuses`` scopes (or ``read write``).

``ChannelConfig.base_url`` is the instance (``https://mastodon.social``); when it
is missing the domain of a fully qualified handle (``artist@example.social``) is
used. The token travels in a header, so the instance must be public and reached
over https: every connection (redirects included, at most five) goes through
:mod:`inbox.netguard`, which refuses private, loopback and odd numeric hosts and
pins the connection to the address it vetted. Plain ``http://`` is accepted only
for loopback under ``UNPLUGGED_ALLOW_LOOPBACK`` (a local test server). Errors name
the HTTP status, never the server's own words: an internal service's answer must
not surface in ``last_error``.

Options: ``timeout`` (seconds, default 20), ``backfill_days`` (default 14),
``context_lookups`` (thread-root lookups per fetch, default 20).

**Cursor**. Two shapes, each stored with the page it follows (so a crash or a
rate limit between two pages resumes at the next one):

* ``{"min_id": <notification id>}``: moving forward. Mastodon's ``min_id``
  returns the page *immediately newer* than the id (the server orders
  ascending, then reverses the page), and the cursor moves to the newest
  notification of that page; nothing between two pages can be skipped. A
  non-empty page says "there may be more" (``has_more``); only an empty page
  ends the forward walk. A page's size never does: servers cap pages below the
  ``limit`` asked for (Mastodon at 80, others at 40), so a short page is no sign
  of the end. Cursors stored before backfill existed have this shape and keep
  working: such a channel never backfills again.
* ``{"max_id": <id>, "head": <id>, "since": <ISO time>}``: a backfill under way.
  ``max_id`` is where the next older page starts, ``head`` the newest
  notification seen when the backfill began, ``since`` the window's start
  (fixed when the backfill began, so a resumed walk aims at the same window).

**First sync** (cursor ``None`` or ``{}``) reaches back ``backfill_days``
(default 14). Notification ids are not time-based, so the window cannot be
turned into an id: the first page is the newest, and the walk goes BACK page by
page with ``max_id``, taking the ``max_id`` of the ``rel="next"`` link the
server sends in its ``Link`` header (a server that sends no ``Link`` header at
all gets the oldest id of the page instead). It stops at the first page holding
a notification older than the window, at a page with no ``rel="next"`` link, or
at an empty page; mentions older than the window are left out. Then the cursor
becomes ``{"min_id": head}``, so mentions that arrived during the walk are read
next by moving forward. With no mention at all yet, the cursor becomes
``{"min_id": "0"}``. A mention notification whose status is ``null`` (deleted
before we read it; some servers keep the notification) is skipped.

**Threads**: the conversation key is the id of the thread's root status. It is
known without a request when the item starts a thread or answers a status seen
before (a bounded map kept in ``state``). Otherwise the status's context
endpoint is asked for its ancestors, at most ``context_lookups`` times per
fetch; past that budget, or when the lookup fails, the key falls back to
``in_reply_to_id`` (the start of the chain as far as we can tell).

**Deletions and edits**: a deleted status drops out of the notification list,
and an edit does not create a notification, so polling alone sees neither.
:meth:`MastodonConnector.refresh_items` re-reads known statuses (missing or 404:
deleted; ``edited_at``: edited), 20 per request with ``GET /api/v1/statuses?id[]=``
(Mastodon 4.3+); on a server without that endpoint (404, 405, 422) it falls
back to one request per status and asks again for the batch endpoint a day
later. A status missing from a batch answer is confirmed with its own request
before it is called deleted, so an odd batch answer never deletes a fan's
message. :attr:`MastodonConnector.deletion_check_every` is zero: unlike the
hourly default, ``inbox.sync.check_deletions`` runs at every sync, and
:meth:`MastodonConnector.deletion_check_budget` sizes it: up to 40 requests
(800 statuses) a sync, fewer when the rate limit the server last reported is
running low, so that polling and replies keep their share of the 300 requests
per 5 minutes. :func:`item_from_stream_event` turns streaming ``notification``
/ ``delete`` / ``status.update`` events into items, for a streaming listener
(none runs yet: polling and the check above are what the inbox relies on).

**Rate limits**: 300 requests per 5 minutes per account; a 429 becomes
:class:`RateLimited` with ``retry_after`` from the 429's own ``Retry-After``,
else its ``X-RateLimit-Reset`` (an ISO time, corrected for the server's
``Date``), else a minute.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any, ClassVar, TypeVar
from urllib.parse import parse_qs, urlsplit

import nh3
import requests
from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonError,
    MastodonIllegalArgumentError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

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
    deleted_marker,
)
from inbox.images import network_problem

T = TypeVar("T")

MAX_PAGE = 80  # Mastodon >= 4.1 caps notifications at 80 per page
DEFAULT_MAX_CHARACTERS = 500
MEDIA_POLLS = 4  # asks for an image the instance is still processing (202)
MEDIA_POLL_SECONDS = 1.0
DEFAULT_RETRY_AFTER = 60.0
THREAD_MAP_LIMIT = 1000  # status id -> thread root, kept in state
REFRESH_BATCH = 20  # ids per GET /api/v1/statuses?id[]= (Mastodon refuses more)
REFRESH_REQUESTS = 40  # requests per deletion check at most: 800 statuses with the batch endpoint
RATE_RESERVE = 100  # requests of the 300 per 5 minutes a deletion check always leaves unused
BATCH_RETRY_AFTER = timedelta(days=1)  # a server without the batch endpoint is asked again then
URL_WEIGHT = 23  # Mastodon counts every link as 23 characters
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_URL_IN_TEXT = re.compile(r"https?://\S+")
_REMOTE_MENTION = re.compile(r"(@[A-Za-z0-9_]+)@[A-Za-z0-9.-]+")
_REPLY_VISIBILITY = {
    "direct": "direct",
    "private": "private",
    "unlisted": "unlisted",
    "public": "unlisted",  # an answer to one fan should not fill the artist's public timeline
}


class NotFound(PermanentError):
    """The status or account does not exist (any more) or is not visible to us."""


# --- HTML -----------------------------------------------------------------------------


class _TextExtractor(HTMLParser):
    """Collects the text a reader sees, with paragraph and line breaks kept."""

    _BREAK_AFTER: ClassVar[frozenset[str]] = frozenset(
        {"p", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"}
    )
    _DROP: ClassVar[frozenset[str]] = frozenset({"script", "style", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._DROP:
            self._dropping += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._DROP:
            self._dropping = max(0, self._dropping - 1)
        elif tag in self._BREAK_AFTER:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._dropping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of a status: tags dropped, entities decoded, line breaks kept.

    Mastodon hides parts of long links in ``<span class="invisible">``; their
    text is kept, so links come out whole.
    """
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts).replace("\r\n", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def mastodon_length(text: str) -> int:
    """Length as Mastodon counts it: links weigh 23, remote mentions only their @user."""
    text = _URL_IN_TEXT.sub("x" * URL_WEIGHT, text)
    return len(_REMOTE_MENTION.sub(r"\1", text))


# --- payload parsing ------------------------------------------------------------------


class Malformed(ValueError):
    """A payload lacks what an item needs; the message says what."""


def _str(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise Malformed(f"{key} is missing or not a string")
    return value


def _opt_str(obj: Mapping[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Malformed(f"{key} is not a string")
    return value


def _id(obj: Mapping[str, Any], key: str = "id") -> str:
    value = _str(obj, key)
    if not _ID.match(value):
        raise Malformed(f"{key} {value[:40]!r} is not a Mastodon id")
    return value


def _opt_id(obj: Mapping[str, Any], key: str) -> str | None:
    return _id(obj, key) if obj.get(key) is not None else None


def _time(obj: Mapping[str, Any], key: str) -> datetime:
    raw = _str(obj, key)
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise Malformed(f"{key} {raw[:40]!r} is not an ISO 8601 time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _mapping(obj: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = obj.get(key)
    if not isinstance(value, Mapping):
        raise Malformed(f"{key} is missing or not an object")
    return value


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def author_from_account(account: Mapping[str, Any], instance_domain: str) -> Author:
    """An :class:`Author` with a fully qualified handle (``user@domain``).

    ``acct`` is relative to the instance we ask (``user`` for its own users), so
    the instance's domain is added to keep handles comparable across instances.
    """
    acct = _str(account, "acct")
    handle = acct if "@" in acct else f"{acct}@{instance_domain}"
    note = account.get("note")
    return Author(
        external_id=_id(account),
        handle=handle,
        name=_opt_str(account, "display_name") or _opt_str(account, "username") or acct,
        avatar_url=_opt_str(account, "avatar"),
        profile_url=_opt_str(account, "url"),
        profile={
            "followers_count": _int_or_none(account.get("followers_count")),
            "following_count": _int_or_none(account.get("following_count")),
            "statuses_count": _int_or_none(account.get("statuses_count")),
            "bot": account.get("bot") is True,
            "bio": html_to_text(note) if isinstance(note, str) else "",
        },
    )


def _media(status: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
    attachments = status.get("media_attachments") or []
    if not isinstance(attachments, list):
        raise Malformed("media_attachments is not a list")
    media = []
    for attachment in attachments:
        if isinstance(attachment, Mapping):
            media.append(
                {
                    "type": attachment.get("type"),
                    "url": attachment.get("url"),
                    "preview_url": attachment.get("preview_url"),
                    "description": attachment.get("description"),
                }
            )
    return tuple(media)


def status_text(status: Mapping[str, Any]) -> tuple[str, str]:
    """(plain text, cleaned HTML) of a status, with its content warning in front."""
    content = status.get("content")
    if content is None:
        content = ""
    if not isinstance(content, str):
        raise Malformed("content is not a string")
    text = html_to_text(content)
    spoiler = _opt_str(status, "spoiler_text")
    if spoiler:
        text = f"CW: {spoiler}\n\n{text}".strip()
    return text, nh3.clean(content)


# --- the connector --------------------------------------------------------------------


class _RecordingSession(requests.Session):
    """Keeps the last response, so items carry the server's own JSON as ``raw``.

    Mastodon.py turns payloads into typed objects (dates parsed, absent fields
    added as None); the pipeline wants what the server actually sent.
    """

    last_response: requests.Response | None = None

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> requests.Response:
        self.last_response = None
        response = super().request(method, url, *args, **kwargs)
        self.last_response = response
        return response


def _instance_url(config: ChannelConfig) -> str:
    base = config.base_url
    if not base:
        handle = config.handle.lstrip("@")
        if "@" not in handle:
            raise PermanentError(
                "Mastodon needs the instance URL (base_url) or a handle like user@instance"
            )
        base = "https://" + handle.split("@", 1)[1]
    parts = urlsplit(base if "://" in base else "https://" + base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PermanentError(f"not an instance URL: {base[:200]!r}")
    problem = netguard.host_problem(parts.hostname)
    if problem:
        raise PermanentError(f"the Mastodon instance cannot be used: {problem}")
    if parts.scheme == "http" and not netguard.is_loopback_name(parts.hostname):
        raise PermanentError("refusing to send the access token over plain http")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


@register("mastodon")
class MastodonConnector:
    """Mention notifications in, threaded replies out, on any Mastodon-API instance."""

    network: ClassVar[str] = "mastodon"

    def __init__(self, config: ChannelConfig) -> None:
        token = config.credentials.get("access_token")
        if not isinstance(token, str) or not token.strip():
            raise AuthError("Mastodon credentials need an access_token")
        self._config = config
        self._base_url = _instance_url(config)
        self._domain = urlsplit(self._base_url).netloc
        self._session = netguard.guard_session(_RecordingSession())
        timeout = float(config.options.get("timeout", 20))
        self._api = Mastodon(
            api_base_url=self._base_url,
            ratelimit_method="throw",
            request_timeout=timeout,
            version_check_mode="none",
            session=self._session,
            user_agent="Unplugged (+https://github.com/unplugged-crm)",
        )
        # Set after construction: Mastodon.py reads a token that names an
        # existing file from that file, which a stored credential must never do.
        self._api.access_token = token.strip()
        state = dict(config.state)
        threads = state.get("threads")
        self._threads: dict[str, str] = (
            {str(k): str(v) for k, v in threads.items()} if isinstance(threads, dict) else {}
        )
        self._account_id: str | None = config.external_id or _str_or_none(state.get("account_id"))
        max_chars = state.get("max_characters")
        self._max_characters: int | None = _int_or_none(max_chars)
        self._no_batch_until: datetime | None = _time_or_none(state.get("no_batch_until"))

    # -- the interface -------------------------------------------------------------

    @property
    def state(self) -> Mapping[str, Any]:
        state: dict[str, Any] = {"threads": dict(self._threads)}
        if self._account_id:
            state["account_id"] = self._account_id
        if self._max_characters:
            state["max_characters"] = self._max_characters
        if self._no_batch_until is not None:
            state["no_batch_until"] = self._no_batch_until.isoformat()
        return state

    def fetch_since(self, cursor: Mapping[str, Any] | None, limit: int = 100) -> FetchResult:
        """One page of mentions: a backfill step or a step forward (see the module notes)."""
        page_limit = max(1, min(int(limit), MAX_PAGE))
        position = _Position.from_cursor(cursor)
        self._own_account_id()
        if position.min_id is not None:
            return self._forward(position.min_id, page_limit)
        return self._backfill(position, page_limit)

    def _forward(self, min_id: str, page_limit: int) -> FetchResult:
        page, _ = self._notifications(min_id=min_id, limit=page_limit)
        items, malformed = self._items(page, cutoff=None)
        newest = _newest_id(page)
        return FetchResult(
            items=items,
            cursor={"min_id": newest or min_id},
            # A page's size says nothing (servers cap it below `limit`): only an empty
            # page ends the walk forward.
            has_more=bool(page),
            malformed=malformed,
        )

    def _backfill(self, position: _Position, page_limit: int) -> FetchResult:
        first = position.max_id is None
        if position.since is not None:
            since = position.since
        else:
            days = float(self._config.options.get("backfill_days", 14))
            since = datetime.now(UTC) - timedelta(days=days)
        page, links = self._notifications(max_id=position.max_id, limit=page_limit)
        head = position.head if position.head is not None else _newest_id(page)
        items, malformed = self._items(page, cutoff=since)
        done_cursor = {"min_id": head or "0"}
        next_max_id = None if _reaches_before(page, since) else _next_max_id(page, links)
        if next_max_id is None or next_max_id == position.max_id:
            # The window is covered (or history ends): move forward from the newest
            # notification seen when the walk began. After a walk of several pages,
            # mentions may have arrived meanwhile, so ask once more.
            return FetchResult(items, done_cursor, has_more=not first, malformed=malformed)
        cursor = {"max_id": next_max_id, "head": head or "0", "since": since.isoformat()}
        return FetchResult(items, cursor, has_more=True, malformed=malformed)

    def _notifications(
        self, *, min_id: str | None = None, max_id: str | None = None, limit: int
    ) -> tuple[list[Any], Mapping[str, Any] | None]:
        """A page of mention notifications, and its ``Link`` header's links by ``rel``
        (None when the server sent no ``Link`` header). Read at once: thread lookups
        made while parsing the page are answers of their own."""
        self._call(
            lambda: self._api.notifications(
                types=["mention"], min_id=min_id, max_id=max_id, limit=limit
            )
        )
        page = self._last_json()
        if not isinstance(page, list):
            raise TransientError("notifications did not return a JSON array")
        response = self._session.last_response
        links = response.links if response is not None and "Link" in response.headers else None
        return page, links

    def _items(
        self, page: Sequence[Any], cutoff: datetime | None
    ) -> tuple[list[IncomingItem], list[tuple[str, Mapping[str, Any]]]]:
        """The page's mentions, oldest first; older than ``cutoff`` left out."""
        items: list[IncomingItem] = []
        malformed: list[tuple[str, Mapping[str, Any]]] = []
        lookups = int(self._config.options.get("context_lookups", 20))
        for notification in reversed(page):  # the server sends newest first
            if not isinstance(notification, Mapping):
                malformed.append(("notification is not an object", {"value": notification}))
                continue
            if notification.get("type") != "mention":
                continue  # servers before 3.5 ignore types[]
            if "status" in notification and notification["status"] is None:
                continue  # deleted before we read it; the server kept the notification
            try:
                status = _mapping(notification, "status")
                _id(notification)
                parsed = self._parse(status)
            except Malformed as exc:
                malformed.append((f"mention notification: {exc}", notification))
                continue
            if cutoff is not None and parsed.created_at < cutoff:
                continue
            root, context, lookups = self._thread_root(parsed, lookups)
            items.append(parsed.item(root, context))
            self._remember(parsed.id, root)
        return items, malformed

    def send_reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> SentReply:
        parent_id = target.parent_external_id
        if not _ID.match(parent_id or ""):
            raise PermanentError(f"not a Mastodon status id: {parent_id!r}")
        if not text.strip():
            raise PermanentError("a reply needs some text")
        parent = target.parent_raw
        visibility = _REPLY_VISIBILITY.get(str(parent.get("visibility")))
        if visibility is None:
            visibility = "direct" if target.kind == "dm" else "unlisted"
        body = self._with_mention(text.strip(), target)
        limit = self._status_limit()
        if mastodon_length(body) > limit:
            raise PermanentError(
                f"the reply is {mastodon_length(body)} characters; this instance allows {limit}"
            )
        try:
            self._call(
                lambda: self._api.status_post(
                    body,
                    in_reply_to_id=parent_id,
                    visibility=visibility,
                    idempotency_key=idempotency_key,
                )
            )
        except NotFound:
            raise PermanentError("the status being answered was deleted") from None
        posted = self._last_json()
        if not isinstance(posted, Mapping):
            raise TransientError("posting returned no status object")
        try:
            status_id = _id(posted)
            created = _time(posted, "created_at")
        except Malformed as exc:
            raise TransientError(f"posting returned an unusable status: {exc}") from None
        self._remember(status_id, target.thread_id)
        return SentReply(
            external_id=status_id,
            created_at=created,
            url=_opt_str(posted, "url") or _opt_str(posted, "uri"),
            raw=posted,
        )

    def publish(
        self,
        text: str,
        idempotency_key: str,
        scheduled_at: datetime | None = None,
        media: Sequence[MediaFile] = (),
    ) -> SentReply:
        """A public status of the artist's; the Idempotency-Key makes a retry return the
        first one (Mastodon keeps keys for an hour).

        Images go first, each through ``POST /api/v2/media`` with its alt text as the
        ``description``, then the status names them in ``media_ids``. A retry uploads
        them again (Mastodon drops attachments no status claims) and the key still
        returns the first status, with its first attachments."""
        body = text.strip()
        if not body:
            raise PermanentError("a post needs some text")
        problem = network_problem("mastodon", [len(m.data) for m in media])
        if problem:
            raise PermanentError(problem)
        limit = self._status_limit()
        if mastodon_length(body) > limit:
            raise PermanentError(
                f"the post is {mastodon_length(body)} characters; this instance allows {limit}"
            )
        media_ids = [self._upload(m) for m in media]
        self._call(
            lambda: self._api.status_post(
                body,
                visibility="public",
                idempotency_key=idempotency_key,
                media_ids=media_ids or None,
            )
        )
        posted = self._last_json()
        if not isinstance(posted, Mapping):
            raise TransientError("posting returned no status object")
        try:
            status_id = _id(posted)
            created = _time(posted, "created_at")
        except Malformed as exc:
            raise TransientError(f"posting returned an unusable status: {exc}") from None
        return SentReply(
            external_id=status_id,
            created_at=created,
            url=_opt_str(posted, "url") or _opt_str(posted, "uri"),
            raw=posted,
        )

    def _upload(self, media: MediaFile) -> str:
        """One image through ``POST /api/v2/media``; its attachment id once processed.

        An image is usually processed at once (200 with a ``url``); a 202 leaves
        ``url`` null until the server is done, and a status naming an unprocessed
        attachment is refused, so it is asked again a few times (``GET
        /api/v1/media/:id``) before the attempt is left to a retry."""
        self._call(
            lambda: self._api.media_post(
                io.BytesIO(media.data),
                mime_type=media.content_type,
                description=media.alt,
                file_name=media.filename,
            )
        )
        attachment = self._last_json()
        for _ in range(MEDIA_POLLS):
            if not isinstance(attachment, Mapping) or not isinstance(attachment.get("id"), str):
                raise TransientError("the media upload returned no attachment id")
            if attachment.get("url"):
                return str(attachment["id"])
            time.sleep(MEDIA_POLL_SECONDS)
            media_id = str(attachment["id"])
            self._call(lambda media_id=media_id: self._api.media(media_id))  # type: ignore[misc]
            attachment = self._last_json()
        raise TransientError("the instance is still processing the image; trying again later")

    def fetch_profile(self, author_external_id: str) -> Author:
        if not _ID.match(author_external_id or ""):
            raise PermanentError(f"not a Mastodon account id: {author_external_id!r}")
        self._call(lambda: self._api.account(author_external_id))
        account = self._last_json()
        if not isinstance(account, Mapping):
            raise TransientError("account lookup returned no object")
        try:
            return author_from_account(account, self._domain)
        except Malformed as exc:
            raise TransientError(f"account lookup returned an unusable account: {exc}") from None

    # -- deletions and edits ---------------------------------------------------------

    # inbox.sync.check_deletions runs the check at every sync (not the hourly default):
    # a batch request re-reads 20 statuses, so the whole window is cheap to cover.
    deletion_check_every: ClassVar[timedelta] = timedelta(0)

    def deletion_check_budget(self) -> tuple[int, int]:
        """(statuses per :meth:`refresh_items` call, statuses this check may cover).

        One call is one request: :data:`REFRESH_BATCH` statuses with the batch
        endpoint, else one. At most :data:`REFRESH_REQUESTS` requests a check, and
        fewer when the server's last ``X-RateLimit-Remaining`` leaves less than
        :data:`RATE_RESERVE` requests to spare: polling and replies come first.
        """
        per_call = REFRESH_BATCH if self._batch_lookup_ok() else 1
        calls = REFRESH_REQUESTS
        remaining = self._api.ratelimit_remaining
        if isinstance(remaining, int) and not isinstance(remaining, bool):
            calls = max(0, min(calls, remaining - RATE_RESERVE))
        return per_call, per_call * calls

    def refresh_items(self, external_ids: Sequence[str]) -> FetchResult:
        """Re-read known statuses: deleted ones come back ``deleted=True``, edited ones as items.

        Statuses never edited are not returned (their text cannot have changed).
        At most :data:`REFRESH_REQUESTS` requests per call (ids past that are not
        looked at): :meth:`deletion_check_budget` tells the caller how many ids
        one call covers. A failed request raises; nothing of the call is kept.
        """
        items: list[IncomingItem] = []
        malformed: list[tuple[str, Mapping[str, Any]]] = []
        ids: list[str] = []
        for status_id in dict.fromkeys(external_ids):
            if not _ID.match(status_id or ""):
                malformed.append(("not a Mastodon status id", {"id": status_id}))
            else:
                ids.append(status_id)
        statuses: dict[str, Any] = {}  # id -> the status as served, or None when gone
        calls = 0
        while ids and calls < REFRESH_REQUESTS:
            if self._batch_lookup_ok() and len(ids) > 1:
                chunk, ids = ids[:REFRESH_BATCH], ids[REFRESH_BATCH:]
                found = self._statuses_batch(chunk)
                calls += 1
                if found is None:  # no batch endpoint on this server: one by one
                    ids = chunk + ids
                    continue
                for status_id in chunk:
                    if status_id in found:
                        statuses[status_id] = found[status_id]
                        continue
                    # Missing from the answer: deleted, or an odd batch answer. Only
                    # the status's own 404 says which.
                    statuses[status_id] = self._status_or_none(status_id)
                    calls += 1
                    if statuses[status_id] is not None:
                        self._no_batch_until = datetime.now(UTC) + BATCH_RETRY_AFTER
            else:
                status_id, ids = ids[0], ids[1:]
                statuses[status_id] = self._status_or_none(status_id)
                calls += 1
        for status_id, status in statuses.items():
            if status is None:
                items.append(deleted_marker(status_id))
                continue
            try:
                if not isinstance(status, Mapping):
                    raise Malformed("status is not an object")
                parsed = self._parse(status)
            except Malformed as exc:
                malformed.append((f"status: {exc}", {"id": status_id, "value": status}))
                continue
            if parsed.edited_at is not None:
                root = self._threads.get(parsed.id, parsed.fallback_root())
                items.append(parsed.item(root, None))
        return FetchResult(items=items, cursor=None, malformed=malformed)

    def _batch_lookup_ok(self) -> bool:
        return self._no_batch_until is None or self._no_batch_until <= datetime.now(UTC)

    def _statuses_batch(self, ids: Sequence[str]) -> dict[str, Any] | None:
        """``GET /api/v1/statuses?id[]=...``: the served statuses by id, or None when
        the server has no such endpoint (Mastodon before 4.3 and some others)."""
        try:
            self._call(lambda: self._api.statuses(list(ids)))
        except (NotFound, PermanentError):
            self._no_batch_until = datetime.now(UTC) + BATCH_RETRY_AFTER
            return None
        answer = self._last_json()
        if not isinstance(answer, list):
            self._no_batch_until = datetime.now(UTC) + BATCH_RETRY_AFTER
            return None
        return {
            status["id"]: status
            for status in answer
            if isinstance(status, Mapping) and isinstance(status.get("id"), str)
        }

    def _status_or_none(self, status_id: str) -> Any:
        """The status as served, or None when the server says it does not exist (404)."""
        try:
            return self._get_status(status_id)
        except NotFound:
            return None

    # -- internals -------------------------------------------------------------------

    def _get_status(self, status_id: str) -> Any:
        self._call(lambda: self._api.status(status_id))
        return self._last_json()

    def _parse(self, status: Mapping[str, Any]) -> _ParsedStatus:
        return _ParsedStatus.from_json(status, self._domain, self._account_id)

    def _thread_root(
        self, parsed: _ParsedStatus, lookups: int
    ) -> tuple[str, ThreadContext | None, int]:
        """(root status id, context, lookups left) for a status; see the module notes."""
        if parsed.in_reply_to_id is None:
            return parsed.id, None, lookups
        known = self._threads.get(parsed.in_reply_to_id)
        if known is not None:
            return known, None, lookups
        if lookups <= 0:
            return parsed.in_reply_to_id, None, lookups
        try:
            self._call(lambda: self._api.status_context(parsed.id))
            context = self._last_json()
        except AuthError:
            raise
        except RateLimited:
            return parsed.in_reply_to_id, None, 0
        except (TransientError, PermanentError):
            return parsed.in_reply_to_id, None, lookups - 1
        ancestors = context.get("ancestors") if isinstance(context, Mapping) else None
        if not isinstance(ancestors, list) or not ancestors:
            return parsed.in_reply_to_id, None, lookups - 1
        root = ancestors[0]
        try:
            root_id = _id(root)
        except (Malformed, AttributeError, TypeError):
            return parsed.in_reply_to_id, None, lookups - 1
        for ancestor in ancestors:
            if isinstance(ancestor, Mapping) and isinstance(ancestor.get("id"), str):
                self._remember(ancestor["id"], root_id)
        return root_id, self._context_of(root), lookups - 1

    def _context_of(self, root: Mapping[str, Any]) -> ThreadContext | None:
        """The artist's post a fan answered, as the thread's context."""
        account = root.get("account")
        if not isinstance(account, Mapping) or account.get("id") != self._account_id:
            return None
        try:
            text, _ = status_text(root)
        except Malformed:
            return None
        title = text.replace("\n", " ")
        title = title if len(title) <= 120 else title[:119] + "…"
        return ThreadContext(
            title=title or "(post)", url=_str_or_none(root.get("url") or root.get("uri"))
        )

    def _remember(self, status_id: str, root_id: str) -> None:
        self._threads.pop(status_id, None)
        self._threads[status_id] = root_id
        while len(self._threads) > THREAD_MAP_LIMIT:
            del self._threads[next(iter(self._threads))]

    def _with_mention(self, text: str, target: ReplyTarget) -> str:
        """Prefix the fan's @handle: on Mastodon, mentions decide who receives a reply."""
        handle = None
        account = target.parent_raw.get("account")
        if isinstance(account, Mapping) and isinstance(account.get("acct"), str):
            if account.get("id") == self._account_id:
                return text  # answering our own status
            handle = account["acct"]
        elif target.parent_author is not None:
            if target.parent_author.external_id == self._account_id:
                return text
            handle = target.parent_author.handle
        if not handle:
            return text
        handle = handle.lstrip("@")
        local = handle.split("@", 1)[0]
        if re.search(rf"@{re.escape(local)}(?![A-Za-z0-9_])", text, re.IGNORECASE):
            return text
        return f"@{handle} {text}"

    def _status_limit(self) -> int:
        """The instance's character limit, asked once and remembered in ``state``."""
        if self._max_characters:
            return self._max_characters
        try:
            self._call(self._api.instance_v2)
            instance = self._last_json()
            limit = instance["configuration"]["statuses"]["max_characters"]
        except (TransientError, PermanentError, KeyError, TypeError):
            return DEFAULT_MAX_CHARACTERS
        if isinstance(limit, int) and limit > 0:
            self._max_characters = limit
            return limit
        return DEFAULT_MAX_CHARACTERS

    def _own_account_id(self) -> str | None:
        """Our account id (to tell replies from mentions), asked once if not configured."""
        if self._account_id is None:
            self._call(self._api.account_verify_credentials)
            account = self._last_json()
            if isinstance(account, Mapping) and isinstance(account.get("id"), str):
                self._account_id = account["id"]
        return self._account_id

    def _last_json(self) -> Any:
        response = self._session.last_response
        if response is None:
            raise TransientError("no response recorded")
        try:
            return json.loads(response.content)
        except ValueError:
            raise TransientError("the server sent malformed JSON") from None

    def _call(self, fn: Callable[[], T]) -> T:
        """Run one Mastodon.py call, translating its errors into the connector's."""
        try:
            return fn()
        except MastodonRatelimitError:
            raise RateLimited(
                "Mastodon rate limit reached", retry_after=self._retry_after()
            ) from None
        except MastodonUnauthorizedError as exc:
            raise AuthError(f"Mastodon refused the token ({_status_of(exc) or 401})") from None
        except MastodonNotFoundError:
            raise NotFound("not found (404)") from None
        except MastodonServerError as exc:
            raise TransientError(f"Mastodon server error {_status_of(exc)}") from None
        except MastodonNetworkError as exc:
            blocked = netguard.blocked_cause(exc)
            if blocked is not None:
                raise PermanentError(f"the Mastodon instance cannot be used: {blocked}") from None
            raise TransientError(f"network error talking to Mastodon: {exc}") from None
        except MastodonIllegalArgumentError as exc:
            raise PermanentError(f"invalid request: {exc}") from None
        except MastodonAPIError as exc:
            raise _api_error(_status_of(exc), self._reason()) from None
        except MastodonError as exc:
            raise TransientError(f"Mastodon.py error: {exc}") from None

    def _reason(self) -> str:
        """The server's ``{"error": ...}`` text for a failed call, to tell errors apart.

        Never put into a message: the instance is whatever host a person typed, and
        its words (an internal service's answer, say) must not reach the page.
        """
        response = self._session.last_response
        if response is not None and not response.ok:
            try:
                body = response.json()
            except ValueError:
                body = None
            if isinstance(body, Mapping) and isinstance(body.get("error"), str):
                return body["error"][:300]
        return ""

    def _retry_after(self) -> float:
        """How long the 429 just received asks us to wait.

        Its own ``Retry-After`` first; then ``X-RateLimit-Reset``, which Mastodon.py
        has parsed (and corrected for the server's clock) into ``ratelimit_reset``,
        only when the 429 carried one, since an earlier answer's reset is about
        another window.
        """
        response = self._session.last_response
        headers = response.headers if response is not None else {}
        waited = _parse_retry_after(headers.get("Retry-After"))
        if waited is not None:
            return waited
        reset = self._api.ratelimit_reset
        has_reset = "X-RateLimit-Reset" in headers and isinstance(reset, int | float)
        if has_reset and reset > time.time():
            return max(1.0, reset - time.time())
        return DEFAULT_RETRY_AFTER


@dataclass(frozen=True, slots=True)
class _ParsedStatus:
    """A validated status, before its thread is known."""

    id: str
    created_at: datetime
    edited_at: datetime | None
    author: Author
    text: str
    html: str
    kind: str
    in_reply_to_id: str | None
    url: str | None
    lang: str | None
    media: tuple[Mapping[str, Any], ...]
    raw: Mapping[str, Any]

    @classmethod
    def from_json(
        cls, status: Mapping[str, Any], domain: str, own_account_id: str | None
    ) -> _ParsedStatus:
        text, html = status_text(status)
        visibility = status.get("visibility")
        in_reply_to_account_id = _opt_id(status, "in_reply_to_account_id")
        in_reply_to_id = _opt_id(status, "in_reply_to_id")
        if visibility == "direct":
            kind = "dm"
        elif in_reply_to_id and own_account_id and in_reply_to_account_id == own_account_id:
            kind = "reply"
        else:
            kind = "mention"
        return cls(
            id=_id(status),
            created_at=_time(status, "created_at"),
            edited_at=_time(status, "edited_at") if status.get("edited_at") else None,
            author=author_from_account(_mapping(status, "account"), domain),
            text=text,
            html=html,
            kind=kind,
            in_reply_to_id=in_reply_to_id,
            url=_opt_str(status, "url") or _opt_str(status, "uri"),
            lang=_opt_str(status, "language"),
            media=_media(status),
            raw=status,
        )

    def fallback_root(self) -> str:
        return self.in_reply_to_id or self.id

    def item(self, thread_id: str, context: ThreadContext | None) -> IncomingItem:
        return IncomingItem(
            external_id=self.id,
            text=self.text,
            created_at=self.created_at,
            author=self.author,
            kind=self.kind,
            thread_id=thread_id,
            parent_id=self.in_reply_to_id,
            url=self.url,
            context=context,
            html=self.html,
            lang=self.lang,
            media=self.media,
            raw=self.raw,
            edited_at=self.edited_at,
        )


def item_from_stream_event(
    event: str, payload: str, instance_domain: str, own_account_id: str | None = None
) -> IncomingItem | None:
    """An item from a streaming API event, or None for events the inbox ignores.

    ``notification`` (mentions only) and ``status.update`` carry JSON; ``delete``
    carries the bare status id. The thread is the status's own fallback
    (``in_reply_to_id`` or itself): the pipeline already knows edited and
    deleted statuses by id. Raises :class:`Malformed` for a payload that does
    not parse.
    """
    if event == "delete":
        status_id = payload.strip().strip('"')
        if not _ID.match(status_id):
            raise Malformed(f"delete event with an invalid id {status_id[:40]!r}")
        return deleted_marker(status_id)
    if event not in ("notification", "status.update"):
        return None
    try:
        data = json.loads(payload)
    except ValueError:
        raise Malformed(f"{event} event is not JSON") from None
    if not isinstance(data, Mapping):
        raise Malformed(f"{event} event is not an object")
    if event == "notification":
        if data.get("type") != "mention":
            return None
        data = _mapping(data, "status")
    parsed = _ParsedStatus.from_json(data, instance_domain, own_account_id)
    return parsed.item(parsed.fallback_root(), None)


# --- small helpers --------------------------------------------------------------------


def _newest_id(page: Iterable[Any]) -> str | None:
    """The id of the newest well-formed notification (the server lists newest first)."""
    for notification in page:
        if isinstance(notification, Mapping):
            value = notification.get("id")
            if isinstance(value, str) and _ID.match(value):
                return value
    return None


def _next_max_id(page: Sequence[Any], links: Mapping[str, Any] | None) -> str | None:
    """Where the next older page starts, as the server's ``Link: rel="next"`` says.

    None at the end of history: an empty page, or a ``Link`` header without a
    ``rel="next"`` link. A server that sends no ``Link`` header at all is walked by
    the oldest id of the page until a page comes back empty; so is one whose link
    names no usable ``max_id``.
    """
    if not page:
        return None
    if links is not None:
        following = links.get("next")
        url = following.get("url") if isinstance(following, Mapping) else None
        if not isinstance(url, str):
            return None
        values = parse_qs(urlsplit(url).query).get("max_id") or []
        if values and _ID.match(values[0]):
            return values[0]
    return _oldest_id(page)


def _oldest_id(page: Sequence[Any]) -> str | None:
    """The id of the oldest well-formed notification of a page (the last one listed)."""
    return _newest_id(reversed(page))


def _reaches_before(page: Iterable[Any], since: datetime) -> bool:
    """Whether a page holds a notification older than ``since`` (the backfill's end).

    The notification's own time, else its status's; entries without a readable
    time say nothing.
    """
    for notification in page:
        if not isinstance(notification, Mapping):
            continue
        when = _time_or_none(notification.get("created_at"))
        status = notification.get("status")
        if when is None and isinstance(status, Mapping):
            when = _time_or_none(status.get("created_at"))
        if when is not None and when < since:
            return True
    return False


def _time_or_none(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True, slots=True)
class _Position:
    """A stored cursor, checked: moving forward (``min_id``) or backfilling (the rest)."""

    min_id: str | None = None
    max_id: str | None = None
    head: str | None = None
    since: datetime | None = None

    @classmethod
    def from_cursor(cls, cursor: Mapping[str, Any] | None) -> _Position:
        cursor = cursor or {}
        min_id = _str_or_none(cursor.get("min_id"))
        if min_id is not None:
            if not _ID.match(min_id):
                raise PermanentError(f"stored cursor has an invalid min_id {min_id[:40]!r}")
            return cls(min_id=min_id)
        max_id = _str_or_none(cursor.get("max_id"))
        if max_id is None:
            return cls()  # the first sync
        head = _str_or_none(cursor.get("head"))
        since = _time_or_none(cursor.get("since"))
        if not _ID.match(max_id) or head is None or not _ID.match(head) or since is None:
            raise PermanentError(f"stored backfill cursor is unusable: {dict(cursor)!r:.200}")
        return cls(max_id=max_id, head=head, since=since)


def _status_of(exc: MastodonAPIError) -> int | None:
    args = exc.args
    return args[1] if len(args) > 1 and isinstance(args[1], int) else None


def _api_error(status: int | None, reason: str) -> Exception:
    """A 4xx other than 401/404/429, or a body that is not JSON.

    ``reason`` (the server's own words) only decides which error it is; the
    message says the status in words of ours.
    """
    if status is None:
        return TransientError("Mastodon sent an unreadable response")
    if status in (408, 425):
        return TransientError(f"Mastodon timed out ({status})")
    if status == 403 and "scope" in reason.lower():
        return AuthError(f"the token lacks a needed scope ({status})")
    return PermanentError(f"Mastodon refused the request ({status})")


def _parse_retry_after(header: str | None) -> float | None:
    if not header:
        return None
    try:
        return max(1.0, float(header))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return max(1.0, (when - datetime.now(UTC)).total_seconds())
