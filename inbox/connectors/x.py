"""X (Twitter) connector: mentions and direct messages through tweepy's v2 ``Client``.

Why it looks the way it does:

* tweepy builds every URL from the fixed host ``https://api.twitter.com``. To point
  it at a test server or a self-hosted proxy we mount a transport adapter on the
  client's own ``requests`` session that rewrites the host (and adds the default
  timeout tweepy never sets). Nothing in tweepy is patched. Such a ``base_url`` is a
  host a person typed, so the adapter then connects through :mod:`inbox.netguard`
  (public addresses only, pinned, https only, each redirect vetted, five at most,
  no proxies or ``.netrc`` from the environment), and errors name the HTTP status
  and X's problem type in our words, never the server's text.
* The mentions timeline pages newest first and only the latest 800 mentions are
  reachable at all. A round is one query (``since_id`` after the first sync,
  ``start_time`` for the window of the first) walked down with X's own
  ``pagination_token``; the token is stored with every page, so a crash or a
  429 mid-walk resumes at the page it reached, and the high-water mark
  ``since_id`` only moves up once a page comes back without ``next_token``
  (X's end of the results: the window's start, the old mark, or the
  800-mention floor). A page may hold fewer posts than ``max_results``, even
  none, and still have a ``next_token``: only the token says "more". A token X
  no longer accepts (400) is replaced by ``until_id`` = the oldest mention
  already read, so the walk goes on below it. If more than 800 mentions arrive
  between two polls, the oldest ones are out of reach for good: poll often
  enough (see the README).
* DM events have no ``since_id``: they are walked newest first with pagination
  tokens until the last event id seen; same rule, the mark only moves at the end.
* One ``fetch_since`` call makes exactly one API request (one page), so the
  scheduler's rate-limit handling sees every 429 and loses at most one page.

Credentials (``ChannelConfig.credentials``), one of:

* OAuth 2.0 user context: ``access_token`` (required), ``refresh_token`` and
  ``client_id`` (to refresh the 2-hour token; scope ``offline.access``),
  ``client_secret`` (confidential clients only), ``expires_at`` (epoch seconds).
* OAuth 1.0a user context: ``consumer_key``, ``consumer_secret``,
  ``access_token``, ``access_token_secret``.

Options (``ChannelConfig.options``): ``timeout`` (seconds, default 10),
``backfill_days`` (first sync window, default 7), ``dms`` (default True).

State (``state``): ``user_id`` (the account id, looked up once), ``oauth2``
(the refreshed token set: X rotates refresh tokens, so this must persist and
holds secrets), ``dm_forbidden_at`` (when the DM endpoint last said 403).
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

import requests
import tweepy
from requests.adapters import HTTPAdapter
from requests.utils import get_environ_proxies

from inbox import netguard
from inbox.connectors import register
from inbox.connectors.base import (
    AuthError,
    Author,
    ChannelConfig,
    FateUnknown,
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

API_HOSTS = ("https://api.twitter.com", "https://api.x.com")
UPLOAD_HOST = "upload.twitter.com"  # tweepy.API's v1.1 media upload host
# an endpoint URL (bandit B105)
TOKEN_URL = "https://api.twitter.com/2/oauth2/token"  # nosec B105
WEB = "https://x.com"

TWEET_FIELDS = [
    "created_at",
    "conversation_id",
    "lang",
    "referenced_tweets",
    "in_reply_to_user_id",
    "edit_history_tweet_ids",
    "attachments",
    "entities",
    "author_id",
]
USER_FIELDS = ["name", "username", "profile_image_url", "description", "verified", "created_at"]
MEDIA_FIELDS = ["type", "url", "preview_image_url", "alt_text"]
MENTION_EXPANSIONS = [
    "author_id",
    "referenced_tweets.id",
    "in_reply_to_user_id",
    "attachments.media_keys",
]
DM_EVENT_FIELDS = [
    "id",
    "text",
    "event_type",
    "created_at",
    "dm_conversation_id",
    "sender_id",
    "participant_ids",
    "referenced_tweets",
    "attachments",
]
DM_EXPANSIONS = ["sender_id", "referenced_tweets.id", "attachments.media_keys"]

DEFAULT_TIMEOUT = 10.0
DEFAULT_BACKFILL_DAYS = 7
# After a 403 on the DM endpoint (plan or scope without DM access), try again this late.
DM_FORBIDDEN_RETRY = timedelta(hours=6)
# Refresh an OAuth 2 token this long before X says it expires.
TOKEN_REFRESH_MARGIN = 120
# How far back find_sent_reply looks in the account's own timeline.
SENT_LOOKBACK = 40
RESOURCE_NOT_FOUND = "https://api.twitter.com/2/problems/resource-not-found"
# 403 problem types that mean "this app or token may not do this at all": a person
# must fix the app's access level or permissions and reconnect.
ACCESS_PROBLEMS = ("client-forbidden", "oauth1-permissions", "unsupported-authentication")
# X's problem types (https://docs.x.com/x-api/fundamentals/response-codes-and-errors) in
# our words, for a server we do not quote (a base_url a person typed).
PROBLEM_WORDS = {
    "client-forbidden": "the app is not attached to a Project with access to this endpoint",
    "oauth1-permissions": "the token lacks the permission this needs",
    "unsupported-authentication": "this endpoint does not take this kind of token",
    "resource-not-found": "not found (deleted or not visible)",
    "not-authorized-for-resource": "not allowed to see this (deleted, protected or blocked)",
    "usage-capped": "the app's monthly usage cap is reached",
}


class MalformedItem(ValueError):
    """One item of a page could not be understood; the rest of the page still can."""


# --------------------------------------------------------------------------- transport


class HostRewriteAdapter(netguard.GuardedAdapter):
    """Send tweepy's ``https://api.twitter.com/...`` requests to ``base_url`` instead.

    Mounted on the client's session only, so other sessions in the process are
    untouched. It also supplies the timeout: tweepy never passes one, and a
    request without a timeout can hang a sync job forever. With a ``base_url``
    its connections are vetted and pinned (:class:`inbox.netguard.GuardedAdapter`);
    without one it is a plain adapter to X's own hosts.
    """

    def __init__(self, base_url: str | None, timeout: float | tuple[float, float]) -> None:
        self._base = urlsplit(base_url.rstrip("/")) if base_url else None
        if self._base is not None:
            problem = netguard.host_problem(self._base.hostname or "")
            if problem or self._base.scheme not in ("https", "http"):
                raise PermanentError(
                    f"the X server URL cannot be used: {problem or 'it must start with https://'}"
                )
        self._timeout = timeout
        super().__init__()

    @property
    def custom(self) -> bool:
        """Requests go to a ``base_url`` a person gave, not to X."""
        return self._base is not None

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        if self._base is None:
            HTTPAdapter.init_poolmanager(self, *args, **kwargs)
        else:
            super().init_poolmanager(*args, **kwargs)

    def rewrite(self, url: str) -> str:
        if self._base is None:
            return url
        parts = urlsplit(url)
        return urlunsplit(
            (
                self._base.scheme,
                self._base.netloc,
                self._base.path + parts.path,
                parts.query,
                parts.fragment,
            )
        )

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        if self._base is not None and request.url:
            request.url = self.rewrite(request.url)
            # A proxy would hide which address is reached (see inbox.netguard).
            proxies = {}
        elif proxies is None and request.url:
            proxies = get_environ_proxies(request.url)
        return HTTPAdapter.send(
            self,
            request,
            stream=stream,
            timeout=self._timeout if timeout is None else timeout,
            verify=verify,
            cert=cert,
            proxies=proxies,
        )


def mount_transport(session: requests.Session, adapter: HostRewriteAdapter) -> None:
    for host in API_HOSTS:
        session.mount(host, adapter)
    if adapter.custom:
        # Redirects from a typed-in host are vetted hop by hop by the adapter below.
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.max_redirects = netguard.MAX_REDIRECTS
        session.trust_env = False


# --------------------------------------------------------------------------- parsing helpers


def parse_time(value: Any, field: str) -> datetime:
    if not isinstance(value, str) or not value:
        raise MalformedItem(f"{field} missing or not a string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise MalformedItem(f"{field} is not an ISO 8601 time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def require_id(obj: Mapping[str, Any], field: str) -> str:
    value = obj.get(field)
    if not isinstance(value, str) or not value.isdigit():
        raise MalformedItem(f"{field} missing or not a numeric id string")
    return value


def require_str(obj: Mapping[str, Any], field: str) -> str:
    value = obj.get(field)
    if not isinstance(value, str):
        raise MalformedItem(f"{field} missing or not a string")
    return value


def obj(value: Any) -> dict[str, Any]:
    """``value`` if the network sent an object there, else an empty one."""
    return value if isinstance(value, dict) else {}


def dicts(value: Any) -> list[dict[str, Any]]:
    """The dict members of a list the network sent (anything else is dropped)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def index_by(objs: Iterable[Mapping[str, Any]], key: str) -> dict[str, Mapping[str, Any]]:
    return {str(o[key]): o for o in objs if key in o}


def author_from_user(user_id: str, user: Mapping[str, Any] | None) -> Author:
    if not user:
        # The expansion omits suspended or deleted accounts; the id is still right.
        return Author(external_id=user_id, handle="")
    username = str(user.get("username") or "")
    return Author(
        external_id=user_id,
        handle=username,
        name=str(user.get("name") or ""),
        avatar_url=user.get("profile_image_url")
        if isinstance(user.get("profile_image_url"), str)
        else None,
        profile_url=f"{WEB}/{username}" if username else None,
        profile=dict(user),
    )


def status_url(tweet_id: str, username: str | None) -> str:
    return f"{WEB}/{username}/status/{tweet_id}" if username else f"{WEB}/i/web/status/{tweet_id}"


def shorten(text: str, width: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


LEADING_MENTIONS = re.compile(r"^(?:@\w+\s+)+")


def same_text(posted: str, wanted: str) -> bool:
    """X prefixes replies with the @handles of the thread; compare without them."""

    def norm(s: str) -> str:
        return " ".join(LEADING_MENTIONS.sub("", s.strip()).split())

    return norm(posted) == norm(wanted)


def _check_absent(text: str) -> None:
    """Absent for sure, unless the text holds a link (X rewrote it to t.co: no match)."""
    if "://" in text or "www." in text:
        raise FateUnknown("X rewrites links to t.co: an earlier attempt cannot be recognised")
    return None


def attached_media(
    obj: Mapping[str, Any], media: Mapping[str, Mapping[str, Any]]
) -> tuple[dict[str, Any], ...]:
    """The ``includes.media`` entries a tweet or DM event points at."""
    attachments = obj.get("attachments")
    keys = attachments.get("media_keys") if isinstance(attachments, dict) else None
    if not isinstance(keys, list):
        return ()
    return tuple(dict(media[k]) for k in keys if isinstance(k, str) and k in media)


def clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


# --------------------------------------------------------------------------- errors


def retry_after_from(headers: Mapping[str, str], now: float | None = None) -> float:
    """Seconds until X lifts the limit that was hit.

    ``x-rate-limit-reset`` is the 15-minute window; when a 24-hour user or app
    cap is exhausted (``x-*-limit-24hour-remaining: 0``) its reset wins.
    """
    now = time.time() if now is None else now
    resets: list[float] = []

    def epoch(name: str) -> float | None:
        try:
            return float(headers[name])
        except (KeyError, TypeError, ValueError):
            return None

    window = epoch("x-rate-limit-reset")
    if window is not None:
        resets.append(window)
    for scope in ("user", "app"):
        if str(headers.get(f"x-{scope}-limit-24hour-remaining", "")).strip() == "0":
            day = epoch(f"x-{scope}-limit-24hour-reset")
            if day is not None:
                resets.append(day)
    if resets:
        return max(1.0, max(resets) - now)
    try:
        return max(1.0, float(headers["retry-after"]))
    except (KeyError, TypeError, ValueError):
        return 60.0


def describe(exc: tweepy.HTTPException, quote: bool = True) -> str:
    """The failure; with ``quote`` (X itself answered) in X's words, else in ours only."""
    status = exc.response.status_code
    if not quote:
        kind = str(problem_of(exc).get("type", "")).rsplit("/", 1)[-1]
        known = PROBLEM_WORDS.get(kind)
        return f"X API {status}" + (f": {known}" if known else "")
    messages = [m for m in exc.api_messages if m]
    detail = "; ".join(messages) if messages else str(exc)
    return f"X API {status}: {detail}"


def problem_of(exc: tweepy.HTTPException) -> dict[str, Any]:
    """The error body (v2 errors are RFC 7807 problem documents)."""
    try:
        body = exc.response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def detail_of(exc: tweepy.HTTPException) -> str:
    return str(problem_of(exc).get("detail") or "")


def translate(exc: Exception, quote: bool = True) -> Exception:
    """Map tweepy / requests failures onto the connector exceptions.

    ``quote`` is False for a ``base_url`` a person typed: its answers are not
    repeated (they could be an internal service's, see :mod:`inbox.netguard`).
    """
    blocked = netguard.blocked_cause(exc)
    if blocked is not None:
        return PermanentError(f"the X server URL cannot be used: {blocked}")
    if isinstance(exc, tweepy.TooManyRequests):
        return RateLimited(describe(exc, quote), retry_after=retry_after_from(exc.response.headers))
    if isinstance(exc, tweepy.Unauthorized):
        return AuthError(describe(exc, quote))
    if isinstance(exc, tweepy.Forbidden) and str(problem_of(exc).get("type", "")).endswith(
        ACCESS_PROBLEMS
    ):
        if not quote:
            return AuthError(describe(exc, quote))
        return AuthError(f"{describe(exc)} ({detail_of(exc)})")
    if isinstance(exc, tweepy.TwitterServerError):
        retry = exc.response.headers.get("retry-after")
        try:
            seconds = float(retry) if retry is not None else None
        except ValueError:
            seconds = None
        return TransientError(describe(exc, quote), retry_after=seconds)
    if isinstance(exc, tweepy.HTTPException):
        # 400, 403, 404 and the other 4xx: this exact request will not succeed later.
        return PermanentError(describe(exc, quote))
    if isinstance(exc, requests.Timeout):
        return TransientError(f"X API timed out: {exc}" if quote else "X API timed out")
    if isinstance(exc, requests.RequestException):
        # Connection refused/reset, cut-off bodies (ChunkedEncodingError), bad JSON.
        detail = f": {exc}" if quote else ""
        return TransientError(f"X API request failed: {type(exc).__name__}{detail}")
    if isinstance(exc, ValueError):
        # The JSON decoder's text quotes the body.
        return TransientError(
            f"X API sent malformed JSON: {exc}" if quote else "X API sent malformed JSON"
        )
    return exc


# --------------------------------------------------------------------------- cursor


def new_cursor(now: datetime, backfill_days: int) -> dict[str, Any]:
    """The first sync: the last ``backfill_days`` days (and at most the 800 newest mentions)."""
    window_start = (now - timedelta(days=backfill_days)).replace(microsecond=0)
    return {
        "v": 1,
        "phase": "mentions",
        "mentions": {
            "since_id": None,
            "start_time": window_start.isoformat(),
            "until_id": None,
            # a cursor name (bandit B105)
            "pagination_token": None,  # nosec B105
            "newest_id": None,
            "oldest_id": None,
        },
        "dms": {
            "last_id": None,
            "not_before": window_start.isoformat(),
            # a cursor name (bandit B105)
            "pagination_token": None,  # nosec B105
            "newest_id": None,
        },
    }


def load_cursor(cursor: Mapping[str, Any]) -> dict[str, Any]:
    if (
        cursor.get("v") != 1
        or not isinstance(cursor.get("mentions"), dict)
        or not isinstance(cursor.get("dms"), dict)
    ):
        raise PermanentError(f"unreadable X cursor: {dict(cursor)!r}")
    return {
        "v": 1,
        "phase": cursor.get("phase", "mentions"),
        "mentions": dict(cursor["mentions"]),
        "dms": dict(cursor["dms"]),
    }


def newer_id(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if int(a) >= int(b) else b


def older_id(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if int(a) <= int(b) else b


# --------------------------------------------------------------------------- connector


# Deletion checks: tweets per lookup request (X's maximum) and requests per check.
LOOKUP_BATCH = 100
DELETION_LOOKUPS = 8


@register("x")
class XConnector:
    """Mentions, replies and DMs of one X account."""

    network: ClassVar[str] = "x"
    # Deletions (``inbox.sync.check_deletions``): the timelines never report them, so
    # every sync looks the window's tweets up again, DM events aside (not tweets).
    deletion_check_every: ClassVar[timedelta] = timedelta(0)
    deletion_check_skips: ClassVar[frozenset[str]] = frozenset({"dm"})

    def deletion_check_budget(self) -> tuple[int, int]:
        """(tweets per :meth:`find_deleted` request, tweets a check covers): 100 a
        request (X's maximum for ``GET /2/tweets``) and :data:`DELETION_LOOKUPS`
        requests, the 800 mentions X lets an app reach, so a window holding no more
        than that is covered at every sync. 8 requests of the 5,000 per user and
        15 minutes that X allows that endpoint."""
        return LOOKUP_BATCH, LOOKUP_BATCH * DELETION_LOOKUPS

    def __init__(self, config: ChannelConfig) -> None:
        self.config = config
        creds = config.credentials
        opts = config.options
        timeout = opts.get("timeout", DEFAULT_TIMEOUT)
        self._timeout: float | tuple[float, float] = (
            (float(timeout[0]), float(timeout[1]))
            if isinstance(timeout, list | tuple)
            else float(timeout)
        )
        self._backfill_days = int(opts.get("backfill_days", DEFAULT_BACKFILL_DAYS))
        self._dms_enabled = bool(opts.get("dms", True))
        self._state: dict[str, Any] = dict(config.state)
        self._adapter = HostRewriteAdapter(config.base_url, self._timeout)
        # X itself is quoted in errors; a server a person typed is not (inbox.netguard).
        self._quote = not self._adapter.custom

        self._oauth1 = bool(creds.get("consumer_key"))
        if self._oauth1:
            missing = [
                k
                for k in ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
                if not creds.get(k)
            ]
            if missing:
                raise AuthError(f"X OAuth 1.0a credentials lack {', '.join(missing)}")
            self.client = tweepy.Client(
                consumer_key=creds["consumer_key"],
                consumer_secret=creds["consumer_secret"],
                access_token=creds["access_token"],
                access_token_secret=creds["access_token_secret"],
                return_type=dict,
            )
        else:
            token = self._oauth2_tokens().get("access_token")
            if not token:
                raise AuthError("X credentials need an OAuth 2 access_token or OAuth 1.0a keys")
            self.client = tweepy.Client(bearer_token=token, return_type=dict)
        mount_transport(self.client.session, self._adapter)

    # ------------------------------------------------------------------ state and auth

    @property
    def state(self) -> Mapping[str, Any]:
        return dict(self._state)

    def _grant(self) -> str:
        """Names the grant the credentials hold, so a reconnect outranks older refreshed tokens."""
        token = str(self.config.credentials.get("access_token") or "")
        return hashlib.sha256(token.encode()).hexdigest()[:16]

    def _oauth2_tokens(self) -> dict[str, Any]:
        """The newest token set: a refreshed one in state wins over the credentials it came from."""
        creds = self.config.credentials
        stored = self._state.get("oauth2")
        if (
            isinstance(stored, dict)
            and stored.get("access_token")
            and stored.get("grant") == self._grant()
        ):
            return dict(stored)
        return {
            "access_token": creds.get("access_token"),
            "refresh_token": creds.get("refresh_token"),
            "expires_at": creds.get("expires_at"),
        }

    def _can_refresh(self) -> bool:
        return (
            not self._oauth1
            and bool(self._oauth2_tokens().get("refresh_token"))
            and bool(self.config.credentials.get("client_id"))
        )

    def _refresh_token(self) -> None:
        """Trade the refresh token for a new pair (X rotates both) and keep them in state."""
        creds = self.config.credentials
        tokens = self._oauth2_tokens()
        data = {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": creds["client_id"],
        }
        auth = (creds["client_id"], creds["client_secret"]) if creds.get("client_secret") else None
        try:
            response = self.client.session.post(TOKEN_URL, data=data, auth=auth)
        except requests.RequestException as exc:
            raise translate(exc, self._quote) from exc
        if response.status_code == 429:
            raise RateLimited(
                "X token refresh rate limited", retry_after=retry_after_from(response.headers)
            )
        if response.status_code >= 500:
            raise TransientError(f"X token refresh failed: HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            detail = f": {exc}" if self._quote else ""
            raise TransientError(f"X token refresh sent malformed JSON{detail}") from exc
        if (
            response.status_code != 200
            or not isinstance(body, dict)
            or not body.get("access_token")
        ):
            # invalid_grant and friends: the grant was revoked; a person must reconnect.
            reason = (
                body.get("error_description") or body.get("error")
                if isinstance(body, dict)
                else body
            )
            if not self._quote:
                raise AuthError(f"X refused to refresh the token (HTTP {response.status_code})")
            raise AuthError(f"X refused to refresh the token: {reason}")
        expires_in = body.get("expires_in")
        self._state["oauth2"] = {
            "grant": self._grant(),
            "access_token": body["access_token"],
            "refresh_token": body.get("refresh_token") or tokens["refresh_token"],
            "expires_at": int(time.time() + float(expires_in))
            if isinstance(expires_in, int | float)
            else None,
        }
        self.client.bearer_token = body["access_token"]

    def _token_expiring(self) -> bool:
        raw = self._oauth2_tokens().get("expires_at")
        try:  # epoch seconds, a number or (as credentials forms store it) a string
            expires_at = float(raw) if raw not in (None, "") else None
        except (TypeError, ValueError):
            expires_at = None
        return expires_at is not None and expires_at - TOKEN_REFRESH_MARGIN <= time.time()

    def _call(self, method: Callable[..., Any], /, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Run one tweepy call with auth refresh and error mapping; the JSON body as a dict."""
        if self._can_refresh() and self._token_expiring():
            self._refresh_token()
        kwargs["user_auth"] = self._oauth1
        for attempt in range(2):
            try:
                body = method(*args, **kwargs)
            except tweepy.Unauthorized as exc:
                if attempt == 0 and self._can_refresh():
                    log.info(
                        "X answered 401 for channel %s; refreshing the token",
                        self.config.channel_id,
                    )
                    self._refresh_token()
                    continue
                raise translate(exc, self._quote) from exc
            except Exception as exc:
                mapped = translate(exc, self._quote)
                if mapped is exc:
                    raise
                raise mapped from exc
            if not isinstance(body, dict):
                raise TransientError(
                    f"X API sent a {type(body).__name__} where an object was expected"
                )
            return body
        raise AssertionError("unreachable")  # pragma: no cover

    @property
    def user_id(self) -> str:
        """The account's own id: from the channel, else looked up once and remembered."""
        known = self.config.external_id or self._state.get("user_id")
        if known:
            return str(known)
        body = self._call(self.client.get_me, user_fields=USER_FIELDS)
        data = body.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise TransientError("X /2/users/me answered without data.id")
        self._state["user_id"] = data["id"]
        if isinstance(data.get("username"), str):
            self._state["username"] = data["username"]
        return str(data["id"])

    @property
    def username(self) -> str:
        return str(self._state.get("username") or self.config.handle).lstrip("@")

    # ------------------------------------------------------------------ fetch

    def fetch_since(self, cursor: Mapping[str, Any] | None, limit: int = 100) -> FetchResult:
        """One page of mentions or DM events (see the module docstring for the walk)."""
        state = (
            new_cursor(datetime.now(UTC), self._backfill_days)
            if cursor is None
            else load_cursor(cursor)
        )
        if state["phase"] == "dms":
            if self._dms_enabled and not self._dms_forbidden():
                return self._fetch_dm_page(state, limit)
            state["phase"] = "mentions"
        return self._fetch_mention_page(state, limit)

    def _fetch_mention_page(self, cursor: dict[str, Any], limit: int) -> FetchResult:
        m = cursor["mentions"]
        params: dict[str, Any] = {
            "max_results": clamp(limit, 5, 100),
            "expansions": MENTION_EXPANSIONS,
            "tweet_fields": TWEET_FIELDS,
            "user_fields": USER_FIELDS,
            "media_fields": MEDIA_FIELDS,
        }
        # The query stays the same for every page of a walk; only the token moves.
        if m.get("since_id"):
            params["since_id"] = m["since_id"]
        elif m.get("start_time"):
            params["start_time"] = datetime.fromisoformat(m["start_time"])
        if m.get("until_id"):
            params["until_id"] = m["until_id"]
        token = m.get("pagination_token")
        if token:
            params["pagination_token"] = token
        try:
            body = self._call(self.client.get_users_mentions, self.user_id, **params)
        except PermanentError as exc:
            status = getattr(getattr(exc.__cause__, "response", None), "status_code", None)
            if status != 400 or not token:
                raise
            # X no longer takes this token: go on below the oldest mention already read
            # (or restart the walk if none was); what was stored stays, nothing is skipped.
            log.warning(
                "X rejected a mentions pagination token for channel %s; continuing below %s",
                self.config.channel_id,
                m.get("oldest_id"),
            )
            m.update(pagination_token=None, until_id=m.get("oldest_id") or m.get("until_id"))
            return FetchResult(items=[], cursor=cursor, has_more=True)

        items, malformed = self.parse_tweets(body)
        meta = obj(body.get("meta"))
        page_ids = [str(t["id"]) for t in dicts(body.get("data")) if str(t.get("id", "")).isdigit()]
        newest = max(page_ids, key=int) if page_ids else None
        oldest = min(page_ids, key=int) if page_ids else None
        walk_newest = newer_id(m.get("newest_id"), newest)
        walk_oldest = older_id(m.get("oldest_id"), oldest)

        next_token = meta.get("next_token")
        if isinstance(next_token, str) and next_token and next_token != token:
            # More below this page (however few posts it held): keep walking, mark unmoved.
            m.update(pagination_token=next_token, newest_id=walk_newest, oldest_id=walk_oldest)
            return FetchResult(items=items, cursor=cursor, has_more=True, malformed=malformed)

        # No next_token: the walk reached the old mark, the window's start or the
        # 800-mention floor. Move the mark up to the newest mention of the walk.
        since = newer_id(m.get("since_id"), walk_newest)
        cursor["mentions"] = {
            "since_id": since,
            "start_time": None if since else m.get("start_time"),
            "until_id": None,
            # a cursor name (bandit B105)
            "pagination_token": None,  # nosec B105
            "newest_id": None,
            "oldest_id": None,
        }
        more = self._dms_enabled and not self._dms_forbidden()
        cursor["phase"] = "dms" if more else "mentions"
        return FetchResult(items=items, cursor=cursor, has_more=more, malformed=malformed)

    def parse_tweets(
        self, body: Mapping[str, Any]
    ) -> tuple[list[IncomingItem], list[tuple[str, Mapping[str, Any]]]]:
        """Normalise a page of tweets with its ``includes``; bad tweets go to malformed."""
        data = body.get("data", [])
        if not isinstance(data, list):
            raise TransientError("X API page has a 'data' that is not a list")
        includes = obj(body.get("includes"))
        users = index_by(dicts(includes.get("users")), "id")
        tweets = index_by(dicts(includes.get("tweets")), "id")
        media = index_by(dicts(includes.get("media")), "media_key")
        items: list[IncomingItem] = []
        malformed: list[tuple[str, Mapping[str, Any]]] = []
        for raw in data:
            if not isinstance(raw, dict):
                malformed.append(("tweet is not a JSON object", {"value": raw}))
                continue
            try:
                items.append(self.tweet_item(raw, users, tweets, media))
            except MalformedItem as exc:
                malformed.append((f"X tweet: {exc}", raw))
        items.sort(key=lambda i: (i.created_at, int(i.raw.get("id", 0))))
        return items, malformed

    def tweet_item(
        self,
        tweet: Mapping[str, Any],
        users: Mapping[str, Mapping[str, Any]],
        tweets: Mapping[str, Mapping[str, Any]],
        media: Mapping[str, Mapping[str, Any]],
    ) -> IncomingItem:
        tweet_id = require_id(tweet, "id")
        text = require_str(tweet, "text")
        created_at = parse_time(tweet.get("created_at"), "created_at")
        author_id = require_id(tweet, "author_id")
        author = author_from_user(author_id, users.get(author_id))

        history = tweet.get("edit_history_tweet_ids")
        history_ids = (
            [h for h in history if isinstance(h, str)] if isinstance(history, list) else []
        )
        # An edit is a new tweet id; the first id of the history names the message for good.
        original_id = history_ids[0] if history_ids else tweet_id
        edited_at = created_at if original_id != tweet_id else None

        refs = {r.get("type"): str(r.get("id")) for r in dicts(tweet.get("referenced_tweets"))}
        parent_id = refs.get("replied_to")
        context_id = parent_id or refs.get("quoted")
        context = None
        if context_id and context_id in tweets:
            ref = tweets[context_id]
            ref_author = users.get(str(ref.get("author_id")), {})
            context = ThreadContext(
                title=shorten(str(ref.get("text", ""))),
                url=status_url(context_id, ref_author.get("username")),
            )

        conversation = tweet.get("conversation_id")
        return IncomingItem(
            external_id=original_id,
            text=text,
            created_at=created_at,
            author=author,
            kind="reply" if parent_id else "mention",
            thread_id=str(conversation) if conversation else original_id,
            parent_id=parent_id,
            url=status_url(tweet_id, author.handle or None),
            context=context,
            lang=tweet.get("lang") if isinstance(tweet.get("lang"), str) else None,
            media=attached_media(tweet, media),
            raw=dict(tweet),
            edited_at=edited_at,
        )

    # DMs ------------------------------------------------------------------

    def _dms_forbidden(self) -> bool:
        at = self._state.get("dm_forbidden_at")
        return isinstance(at, int | float) and time.time() - at < DM_FORBIDDEN_RETRY.total_seconds()

    def _fetch_dm_page(self, cursor: dict[str, Any], limit: int) -> FetchResult:
        d = cursor["dms"]
        params: dict[str, Any] = {
            "max_results": clamp(limit, 1, 100),
            "event_types": "MessageCreate",
            "dm_event_fields": DM_EVENT_FIELDS,
            "expansions": DM_EXPANSIONS,
            "user_fields": USER_FIELDS,
            "media_fields": MEDIA_FIELDS,
        }
        if d.get("pagination_token"):
            params["pagination_token"] = d["pagination_token"]
        try:
            body = self._call(self.client.get_direct_message_events, **params)
        except (PermanentError, AuthError) as exc:
            status = getattr(getattr(exc.__cause__, "response", None), "status_code", None)
            if status == 403:
                # The app's plan or scopes do not include DMs: mentions must still flow.
                log.warning("X DMs unavailable for channel %s: %s", self.config.channel_id, exc)
                self._state["dm_forbidden_at"] = int(time.time())
                cursor["phase"] = "mentions"
                return FetchResult(items=[], cursor=cursor, has_more=False)
            if status == 400 and d.get("pagination_token"):
                # A stale pagination token: restart the walk from the top, the mark is intact.
                log.warning(
                    "X rejected a DM pagination token for channel %s; restarting",
                    self.config.channel_id,
                )
                d.update(pagination_token=None, newest_id=None)
                return FetchResult(items=[], cursor=cursor, has_more=True)
            raise
        self._state.pop("dm_forbidden_at", None)

        data = body.get("data", [])
        if not isinstance(data, list):
            raise TransientError("X DM page has a 'data' that is not a list")
        includes = obj(body.get("includes"))
        users = index_by(dicts(includes.get("users")), "id")
        media = index_by(dicts(includes.get("media")), "media_key")
        last_id = d.get("last_id")
        not_before = datetime.fromisoformat(d["not_before"]) if d.get("not_before") else None

        items: list[IncomingItem] = []
        malformed: list[tuple[str, Mapping[str, Any]]] = []
        reached_mark = False
        walk_newest = d.get("newest_id")
        for raw in data:
            if not isinstance(raw, dict):
                malformed.append(("DM event is not a JSON object", {"value": raw}))
                continue
            event_id = raw.get("id")
            if isinstance(event_id, str) and event_id.isdigit():
                if last_id and int(event_id) <= int(last_id):
                    reached_mark = True
                    break
                walk_newest = newer_id(walk_newest, event_id)
            if raw.get("event_type", "MessageCreate") != "MessageCreate":
                continue  # ParticipantsJoin/Leave: valid events, but not messages
            try:
                item = self.dm_item(raw, users, media)
            except MalformedItem as exc:
                malformed.append((f"X DM event: {exc}", raw))
                continue
            if not_before and not last_id and item.created_at < not_before:
                reached_mark = True
                break
            items.append(item)
        items.sort(key=lambda i: int(i.external_id))

        meta = obj(body.get("meta"))
        next_token = meta.get("next_token")
        if (
            not reached_mark
            and isinstance(next_token, str)
            and next_token
            and next_token != d.get("pagination_token")
        ):
            # Only the token says "more": a page may hold fewer events than asked, even none.
            d.update(pagination_token=next_token, newest_id=walk_newest)
            return FetchResult(items=items, cursor=cursor, has_more=True, malformed=malformed)

        mark = newer_id(last_id, walk_newest)
        cursor["dms"] = {
            "last_id": mark,
            "not_before": None if mark else d.get("not_before"),
            # a cursor name (bandit B105)
            "pagination_token": None,  # nosec B105
            "newest_id": None,
        }
        cursor["phase"] = "mentions"
        return FetchResult(items=items, cursor=cursor, has_more=False, malformed=malformed)

    def dm_item(
        self,
        event: Mapping[str, Any],
        users: Mapping[str, Mapping[str, Any]],
        media: Mapping[str, Mapping[str, Any]],
    ) -> IncomingItem:
        event_id = require_id(event, "id")
        created_at = parse_time(event.get("created_at"), "created_at")
        text = require_str(event, "text")
        sender_id = require_id(event, "sender_id")
        conversation = require_str(event, "dm_conversation_id")
        return IncomingItem(
            external_id=event_id,
            text=text,
            created_at=created_at,
            author=author_from_user(sender_id, users.get(sender_id)),
            kind="dm",
            thread_id=conversation,
            url=f"{WEB}/messages/{conversation}",
            media=attached_media(event, media),
            raw=dict(event),
        )

    # ------------------------------------------------------------------ reply

    def send_reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> SentReply:
        """Post ``text`` into the thread.

        X has no idempotency key. The outbox checks before a retry (see
        :meth:`find_sent_reply`); and X itself refuses a tweet whose text
        duplicates a recent one (403), which we turn into the earlier reply.
        """
        if not text.strip():
            raise PermanentError("an X reply needs text")
        if target.kind == "dm":
            return self._send_dm(target, text)
        parent = str(target.parent_raw.get("id") or target.parent_external_id)
        others = self._others_in_parent(target)
        try:
            body = self._call(
                self.client.create_tweet,
                text=text,
                in_reply_to_tweet_id=parent,
                exclude_reply_user_ids=others or None,
            )
        except PermanentError as exc:
            cause = exc.__cause__
            if isinstance(cause, tweepy.Forbidden) and "duplicate" in detail_of(cause).lower():
                existing = self.find_sent_reply(target, text)
                if existing is not None:
                    log.info(
                        "X reply for key %s was already posted as %s",
                        idempotency_key,
                        existing.external_id,
                    )
                    return existing
            raise
        data = body.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise TransientError("X accepted the tweet but sent no data.id; check before retrying")
        return SentReply(
            external_id=data["id"],
            created_at=datetime.now(UTC),
            url=status_url(data["id"], self.username or None),
            raw={
                **data,
                "author_id": self.user_id,
                "conversation_id": target.thread_id,
                "referenced_tweets": [{"type": "replied_to", "id": parent}],
            },
        )

    def _others_in_parent(self, target: ReplyTarget) -> list[str]:
        """The accounts the answered tweet mentions besides its author (and us).

        X fills a reply's "Replying to" with the parent's author and everyone the
        parent mentions; a reply answers one fan, so the others are left out with
        ``exclude_reply_user_ids``. The parent is a v2 tweet (``entities.mentions``
        with ``id``) or, from the Account Activity webhook, a v1.1 one
        (``entities.user_mentions`` with ``id_str``).
        """
        raw = target.parent_raw
        entities = raw.get("entities")
        if not isinstance(entities, Mapping):
            return []
        ids: list[str] = []
        for mention in dicts(entities.get("mentions")):
            ids.append(str(mention.get("id") or ""))
        for mention in dicts(entities.get("user_mentions")):
            ids.append(str(mention.get("id_str") or ""))
        user = raw.get("user")
        author = raw.get("author_id") or (user.get("id_str") if isinstance(user, Mapping) else None)
        if author is None and target.parent_author is not None:
            author = target.parent_author.external_id
        keep = {str(author or ""), str(self.config.external_id or self._state.get("user_id") or "")}
        return [i for i in dict.fromkeys(ids) if i.isdigit() and i not in keep]

    def publish(
        self,
        text: str,
        idempotency_key: str,
        scheduled_at: datetime | None = None,
        media: Sequence[MediaFile] = (),
    ) -> SentReply:
        """A tweet of the artist's own. X has no idempotency key, but it refuses a tweet
        whose text duplicates a recent one (403): a retry after a lost answer then finds
        the first tweet among the account's latest instead of posting twice.

        Images are uploaded first (v1.1 ``media/upload`` through tweepy's ``API``, alt
        text by ``media/metadata/create``), then the tweet names them in
        ``media.media_ids``. A retry uploads them again (X lets an unattached upload
        expire) and the duplicate refusal still finds the first tweet."""
        if not text.strip():
            raise PermanentError("an X post needs text")
        problem = network_problem("x", [len(m.data) for m in media])
        if problem:
            raise PermanentError(problem)
        media_ids = self._upload_media(media) if media else None
        try:
            body = self._call(self.client.create_tweet, text=text, media_ids=media_ids)
        except PermanentError as exc:
            cause = exc.__cause__
            if isinstance(cause, tweepy.Forbidden) and "duplicate" in detail_of(cause).lower():
                existing = self._own_tweet(text)
                if existing is not None:
                    return existing
            raise
        data = body.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise TransientError("X accepted the tweet but sent no data.id; check before retrying")
        return SentReply(
            external_id=data["id"],
            created_at=datetime.now(UTC),
            url=status_url(data["id"], self.username or None),
            raw={**data, "author_id": self.user_id},
        )

    def _media_api(self) -> tweepy.API:
        """tweepy's v1.1 ``API`` with the channel's own credentials (OAuth 1.0a keys, else
        the OAuth 2 user token as a bearer), through the same host-rewriting, timed
        transport as the v2 client."""
        creds = self.config.credentials
        auth: Any
        if self._oauth1:
            auth = tweepy.OAuth1UserHandler(
                creds["consumer_key"],
                creds["consumer_secret"],
                creds["access_token"],
                creds["access_token_secret"],
            )
        else:
            auth = tweepy.OAuth2BearerHandler(str(self._oauth2_tokens().get("access_token")))
        timeout = self._timeout if isinstance(self._timeout, float) else max(self._timeout)
        api = tweepy.API(auth, timeout=timeout, upload_host=UPLOAD_HOST)
        mount_transport(api.session, self._adapter)
        api.session.mount(f"https://{UPLOAD_HOST}", self._adapter)
        return api

    def _upload_media(self, media: Sequence[MediaFile]) -> list[str]:
        """Each image's media id, its alt text attached (X's limit: 1,000 characters)."""
        if self._can_refresh() and self._token_expiring():
            self._refresh_token()
        api = self._media_api()
        ids: list[str] = []
        for m in media:
            try:
                uploaded = api.simple_upload(m.filename, file=io.BytesIO(m.data))
                media_id = str(getattr(uploaded, "media_id_string", "") or "")
                if not media_id.isdigit():
                    raise TransientError("X accepted the image but sent no media_id_string")
                if m.alt:
                    api.create_media_metadata(media_id, m.alt[:1000])
            except TransientError:
                raise
            except Exception as exc:
                mapped = translate(exc, self._quote)
                if mapped is exc:
                    raise
                raise mapped from exc
            ids.append(media_id)
        return ids

    def _own_tweet(self, text: str) -> SentReply | None:
        body = self._call(
            self.client.get_users_tweets,
            self.user_id,
            max_results=SENT_LOOKBACK,
            tweet_fields=TWEET_FIELDS,
            exclude=["retweets"],
        )
        for tweet in dicts(body.get("data")):
            if same_text(str(tweet.get("text", "")), text):
                return SentReply(
                    external_id=str(tweet["id"]),
                    created_at=parse_time(tweet.get("created_at"), "created_at"),
                    url=status_url(str(tweet["id"]), self.username or None),
                    raw=tweet,
                )
        return None

    def _send_dm(self, target: ReplyTarget, text: str) -> SentReply:
        body = self._call(
            self.client.create_direct_message, dm_conversation_id=target.thread_id, text=text
        )
        data = body.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("dm_event_id"), str):
            raise TransientError(
                "X accepted the DM but sent no data.dm_event_id; check before retrying"
            )
        return SentReply(
            external_id=data["dm_event_id"],
            created_at=datetime.now(UTC),
            url=f"{WEB}/messages/{target.thread_id}",
            raw={**data, "text": text, "sender_id": self.user_id, "event_type": "MessageCreate"},
        )

    def find_sent_reply(
        self, target: ReplyTarget, text: str, idempotency_key: str = ""
    ) -> SentReply | None:
        """The account's reply with this text in this thread, if already posted.

        One read request over the account's latest tweets (or the DM
        conversation), for the outbox to call before re-sending after a crash.
        X shortens links to t.co, so a reply with a link cannot be recognised:
        when it is not found its fate is unknown (:class:`FateUnknown`), not "absent".
        """
        if target.kind == "dm":
            body = self._call(
                self.client.get_direct_message_events,
                dm_conversation_id=target.thread_id,
                max_results=SENT_LOOKBACK,
                dm_event_fields=DM_EVENT_FIELDS,
                event_types="MessageCreate",
            )
            for event in dicts(body.get("data")):
                if event.get("sender_id") == self.user_id and same_text(
                    str(event.get("text", "")), text
                ):
                    return SentReply(
                        external_id=str(event["id"]),
                        created_at=parse_time(event.get("created_at"), "created_at"),
                        url=f"{WEB}/messages/{target.thread_id}",
                        raw=event,
                    )
            _check_absent(text)
            return None
        parent = str(target.parent_raw.get("id") or target.parent_external_id)
        body = self._call(
            self.client.get_users_tweets,
            self.user_id,
            max_results=SENT_LOOKBACK,
            tweet_fields=TWEET_FIELDS,
            exclude=["retweets"],
        )
        for tweet in dicts(body.get("data")):
            refs = {r.get("type"): str(r.get("id")) for r in dicts(tweet.get("referenced_tweets"))}
            if refs.get("replied_to") == parent and same_text(str(tweet.get("text", "")), text):
                return SentReply(
                    external_id=str(tweet["id"]),
                    created_at=parse_time(tweet.get("created_at"), "created_at"),
                    url=status_url(str(tweet["id"]), self.username or None),
                    raw=tweet,
                )
        _check_absent(text)
        return None

    # ------------------------------------------------------------------ profile and deletions

    def fetch_profile(self, author_external_id: str) -> Author:
        body = self._call(self.client.get_user, id=author_external_id, user_fields=USER_FIELDS)
        data = body.get("data")
        if not isinstance(data, dict):
            raise PermanentError(f"X has no user {author_external_id}: {body.get('errors')}")
        return author_from_user(author_external_id, data)

    def find_deleted(self, tweet_ids: Iterable[str]) -> list[str]:
        """Which of these tweets X no longer serves (deleted, or their author gone).

        The mentions timeline never reports deletions; the Account Activity
        webhook does, and this is the polling fallback (100 ids a request).
        """
        ids = list(dict.fromkeys(str(i) for i in tweet_ids))
        gone: list[str] = []
        for start in range(0, len(ids), LOOKUP_BATCH):
            chunk = ids[start : start + LOOKUP_BATCH]
            body = self._call(self.client.get_tweets, chunk)
            for error in dicts(body.get("errors")):
                if (
                    error.get("type") == RESOURCE_NOT_FOUND
                    and str(error.get("resource_id") or error.get("value")) in chunk
                ):
                    gone.append(str(error.get("resource_id") or error.get("value")))
        return gone
