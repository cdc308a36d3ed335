"""A small client for Meta's Graph API, shared by the Instagram and Facebook connectors.

It exists so that both connectors speak to Graph the same way: one place that
turns Graph's error objects and usage headers into :mod:`inbox.connectors.base`
exceptions, one place that walks ``paging`` the same way on every edge, and
one place that keeps the access token out of URLs (it travels in the
``Authorization`` header; ``appsecret_proof`` is added when the app secret is
known, which Meta recommends for server-side calls).

Nothing here knows about Instagram or Pages; the connectors decide what to ask.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from inbox import netguard
from inbox.connectors.base import (
    AuthError,
    Author,
    ConnectorError,
    IncomingItem,
    PermanentError,
    RateLimited,
    SentReply,
    TransientError,
)

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://graph.facebook.com/v21.0"
DEFAULT_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds

# Graph error codes, from Meta's "Handling errors" and rate-limiting pages.
AUTH_CODES = frozenset({102, 190})  # session invalid / token expired or revoked
PERMISSION_CODES = frozenset({10, *range(200, 300)})  # a scope is missing: reconnect
RATE_LIMIT_CODES = frozenset({4, 17, 32, 341, 368, 613, *range(80001, 80015)})
TRANSIENT_CODES = frozenset({1, 2})
# When Graph throttles without saying for how long. Its windows are a rolling
# hour, so ten minutes is a polite first wait that the scheduler can stretch.
DEFAULT_RATE_LIMIT_WAIT_S = 600.0
USAGE_HEADERS = ("x-business-use-case-usage", "x-page-usage", "x-app-usage", "x-ad-account-usage")


@dataclass(frozen=True, slots=True)
class GraphErrorInfo:
    """The ``error`` object Graph puts in failed responses."""

    message: str
    type: str
    code: int | None
    subcode: int | None
    fbtrace_id: str | None
    is_transient: bool

    @classmethod
    def from_body(cls, body: Any) -> GraphErrorInfo | None:
        if not isinstance(body, Mapping) or not isinstance(body.get("error"), Mapping):
            return None
        err = body["error"]
        return cls(
            message=str(err.get("message") or err.get("error_user_msg") or ""),
            type=str(err.get("type") or ""),
            code=_as_int(err.get("code")),
            subcode=_as_int(err.get("error_subcode")),
            fbtrace_id=str(err["fbtrace_id"]) if err.get("fbtrace_id") else None,
            is_transient=bool(err.get("is_transient")),
        )

    def describe(self, quote: bool = True) -> str:
        """The error; without ``quote`` only its numbers (a server a person typed)."""
        parts = [f"code {self.code}"]
        if self.subcode is not None:
            parts.append(f"subcode {self.subcode}")
        if self.fbtrace_id:
            parts.append(f"fbtrace_id {self.fbtrace_id}")
        if not quote:
            return "GraphError (" + ", ".join(p for p in parts if "fbtrace" not in p) + ")"
        return f"{self.type or 'GraphError'}: {self.message} ({', '.join(parts)})"


@dataclass(frozen=True, slots=True)
class Usage:
    """What Graph's usage headers said about the last response.

    ``percent`` is the highest of the call-count / CPU / time percentages in any
    usage header; ``regain_after_s`` is Meta's ``estimated_time_to_regain_access``
    (given in minutes) converted to seconds, when a header carried one.
    """

    percent: float = 0.0
    regain_after_s: float | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Usage:
        percent = 0.0
        regain: float | None = None
        for name in USAGE_HEADERS:
            raw = headers.get(name)
            if not raw:
                continue
            try:
                parsed = json.loads(raw)
            except ValueError:
                log.warning("ignoring unparsable %s header: %.200s", name, raw)
                continue
            for bucket in _usage_buckets(parsed):
                for key in ("call_count", "total_cputime", "total_time", "acc_id_util_pct"):
                    value = _as_float(bucket.get(key))
                    if value is not None:
                        percent = max(percent, value)
                minutes = _as_float(bucket.get("estimated_time_to_regain_access"))
                if minutes is not None and minutes > 0:
                    regain = max(regain or 0.0, minutes * 60.0)
        return cls(percent=percent, regain_after_s=regain)


def _usage_buckets(parsed: Any) -> Iterator[Mapping[str, Any]]:
    """Usage headers are either one object (app/page usage) or, for business use
    cases, ``{"<business-object-id>": [ {...}, ... ]}``."""
    if not isinstance(parsed, Mapping):
        return
    if any(k in parsed for k in ("call_count", "total_time", "estimated_time_to_regain_access")):
        yield parsed
        return
    for value in parsed.values():
        if isinstance(value, list):
            yield from (v for v in value if isinstance(v, Mapping))
        elif isinstance(value, Mapping):
            yield value


@dataclass(slots=True)
class Page:
    """One page of a Graph edge: its items and the query that fetches the next one.

    ``next_params`` is ``{"after": <paging.cursors.after>}`` on cursor-paged
    edges, or the query of ``paging.next`` on time- or offset-paged ones; None
    on the last page. It is plain JSON, so a sync can keep it in its cursor.
    """

    data: list[Any]
    next_params: dict[str, str] | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def has_next(self) -> bool:
        return self.next_params is not None


class GraphClient:
    """Requests against one Graph host with one access token.

    A ``base_url`` other than Meta's is a host a person typed (a test server, a
    proxy): it is reached through :mod:`inbox.netguard` (public addresses only,
    pinned, https only, redirects vetted) and its error texts are not repeated.
    """

    def __init__(
        self,
        access_token: str,
        *,
        base_url: str | None = None,
        app_secret: str | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
    ) -> None:
        if not access_token:
            raise AuthError("no Graph API access token configured")
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        parts = urlsplit(self.base_url)
        self._typed = parts.hostname != urlsplit(DEFAULT_BASE_URL).hostname
        if self._typed:
            problem = netguard.host_problem(parts.hostname or "")
            if problem or parts.scheme not in ("https", "http"):
                raise PermanentError(
                    f"the Graph server URL cannot be used: {problem or 'use https://'}"
                )
        self._token = access_token
        self._proof = (
            hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()
            if app_secret
            else None
        )
        self._timeout = timeout
        self._session = session or (
            netguard.guarded_session() if self._typed else requests.Session()
        )
        self.last_usage = Usage()
        self.server_time: datetime | None = None  # from the last response's Date header

    # -- requests -----------------------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self._request("GET", path, params=params)

    def post(self, path: str, data: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self._request("POST", path, data=data)

    def page(self, path: str, params: Mapping[str, Any] | None = None) -> Page:
        """One page of an edge (``{"data": [...], "paging": {...}}``)."""
        body = self.get(path, params)
        return parse_page(body, where=path)

    def next_page(self, path: str, params: Mapping[str, Any], page: Page) -> Page | None:
        """The page after ``page``, requested from our own base URL.

        Graph's ``paging.next`` is an absolute URL on Meta's host that embeds the
        access token; rebuilding the request from the cursor keeps self-hosted
        base URLs working and the token in the header.
        """
        if page.next_params is None:
            return None
        return self.page(path, {**params, **page.next_params})

    def iter_pages(self, path: str, params: Mapping[str, Any]) -> Iterator[Page]:
        page: Page | None = self.page(path, params)
        while page is not None:
            yield page
            page = self.next_page(path, params, page)

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        url = f"{self.base_url}/{path.lstrip('/')}"
        query = dict(params or {})
        if self._proof:
            query["appsecret_proof"] = self._proof
        try:
            resp = self._session.request(
                method,
                url,
                params=query,
                data=dict(data) if data is not None else None,
                headers={"Authorization": f"Bearer {self._token}"},
                timeout=self._timeout,
            )
        except netguard.BlockedAddress as exc:
            raise PermanentError(f"the Graph server URL cannot be used: {exc}") from None
        except requests.Timeout as exc:
            raise TransientError(f"Graph API {method} {path} timed out: {exc}") from exc
        except requests.RequestException as exc:  # refused, reset, cut-off body
            raise TransientError(f"Graph API {method} {path} failed: {exc}") from exc
        self.last_usage = Usage.from_headers(resp.headers)
        self.server_time = _http_date(resp.headers.get("Date")) or self.server_time
        body = _json_or_none(resp)
        info = GraphErrorInfo.from_body(body)
        if resp.status_code >= 400 or info is not None:
            raise error_for(
                resp.status_code, info, resp.headers, f"{method} {path}", quote=not self._typed
            )
        if not isinstance(body, dict):
            raise TransientError(
                f"Graph API {method} {path} returned malformed or truncated JSON "
                f"(HTTP {resp.status_code}, {len(resp.content)} bytes)"
            )
        return body


def parse_page(body: Mapping[str, Any], *, where: str = "") -> Page:
    """Validate a paged body; a page without a ``data`` list is a broken response."""
    data = body.get("data")
    if not isinstance(data, list):
        raise TransientError(f"Graph API {where}: response has no 'data' list")
    paging = body.get("paging") if isinstance(body.get("paging"), Mapping) else {}
    assert isinstance(paging, Mapping)
    nxt = paging.get("next")
    cursors = paging.get("cursors") if isinstance(paging.get("cursors"), Mapping) else {}
    assert isinstance(cursors, Mapping)
    after = cursors.get("after")
    if nxt and isinstance(after, str) and after:
        return Page(data=data, next_params={"after": after}, raw=body)
    if isinstance(nxt, str) and nxt:
        params = {
            k: v
            for k, v in parse_qsl(urlsplit(nxt).query, keep_blank_values=True)
            if k not in ("access_token", "appsecret_proof")
        }
        return Page(data=data, next_params=params, raw=body)
    return Page(data=data, raw=body)


def error_for(
    status: int,
    info: GraphErrorInfo | None,
    headers: Mapping[str, str],
    what: str,
    *,
    quote: bool = True,
) -> ConnectorError:
    """The base.py exception for a failed Graph response (``quote``: with Meta's words)."""
    detail = info.describe(quote) if info else f"HTTP {status}"
    message = f"Graph API {what}: {detail}"
    code = info.code if info else None
    if code in AUTH_CODES or (code is None and status == 401):
        return AuthError(message)
    if code in RATE_LIMIT_CODES or status == 429:
        return RateLimited(message, retry_after=retry_after_from(headers))
    if code in PERMISSION_CODES:
        return AuthError(f"{message}: the token lacks a permission; reconnect the account")
    if code in TRANSIENT_CODES or (info is not None and info.is_transient) or status >= 500:
        return TransientError(message, retry_after=_retry_after_header(headers))
    return PermanentError(message)


def retry_after_from(headers: Mapping[str, str]) -> float:
    """Seconds to wait after a throttle, from whatever Meta said.

    The longest estimate wins: Graph throttles per app, per page and per
    business use case at once, and access returns only when all have cleared.
    """
    candidates = [
        v
        for v in (Usage.from_headers(headers).regain_after_s, _retry_after_header(headers))
        if v is not None and v > 0
    ]
    return max(candidates) if candidates else DEFAULT_RATE_LIMIT_WAIT_S


def _retry_after_header(headers: Mapping[str, str]) -> float | None:
    raw = headers.get("Retry-After")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        when = _http_date(raw)
        if when is None:
            return None
        return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _json_or_none(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


def _http_date(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        parsed = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# -- payload helpers shared by the Meta connectors ------------------------------


def parse_time(value: Any) -> datetime:
    """A Graph timestamp as an aware datetime.

    Graph's objects carry ISO 8601 with a ``+0000`` offset; webhooks carry
    epoch seconds (Messenger-style payloads use milliseconds).
    """
    if isinstance(value, bool):
        raise ValueError(f"missing or invalid timestamp {value!r}")
    if isinstance(value, int | float):
        seconds = value / 1000.0 if value > 1e11 else float(value)
        return datetime.fromtimestamp(seconds, UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"invalid timestamp {value!r}") from None
        if parsed.tzinfo is None:
            raise ValueError(f"timestamp without a timezone: {value!r}")
        return parsed.astimezone(UTC)
    raise ValueError(f"missing or invalid timestamp {value!r}")


def require_str(obj: Mapping[str, Any], key: str) -> str:
    """A non-empty string field, or ValueError naming it (the item is malformed)."""
    value = obj.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value:
        raise ValueError(f"missing or invalid {key!r}")
    return value


def reply_text(text: str, limit: int) -> str:
    """A reply as Graph will post it, or :class:`PermanentError` (empty, too long)."""
    body = text.strip()
    if not body:
        raise PermanentError("empty reply")
    if len(body) > limit:
        raise PermanentError(f"reply longer than {limit} characters")
    return body


def sent_reply(client: GraphClient, response: Mapping[str, Any], network: str) -> SentReply:
    """The posted reply from Graph's answer, which must carry the new object's id."""
    reply_id = response.get("id")
    if not isinstance(reply_id, str | int) or not str(reply_id):
        raise PermanentError(f"{network} accepted the reply but returned no id: {response!r}")
    return SentReply(
        external_id=str(reply_id),
        created_at=client.server_time or datetime.now(UTC),
        raw=response,
    )


def unknown_author(item_id: str) -> Author:
    """The author of an item whose network did not say who wrote it.

    Graph leaves ``from`` out in some cases (a deleted account, a comment found
    through a mention). Each such item gets its own placeholder so that
    strangers are never merged into one fan.
    """
    return Author(external_id=f"unknown:{item_id}", handle="")


@dataclass(slots=True)
class WebhookBatch:
    """What one Meta webhook delivery holds for a channel."""

    items: list[IncomingItem] = field(default_factory=list)
    malformed: list[tuple[str, Mapping[str, Any]]] = field(default_factory=list)
    # Instagram @mentions arrive as ids only; see InstagramConnector.fetch_mentions.
    mentions: list[Any] = field(default_factory=list)


def webhook_changes(
    payload: Any,
    object_type: str,
    batch: WebhookBatch,
    account_id: str | None = None,
) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """``(entry, change)`` pairs of a Meta webhook payload for one object type.

    Raises ValueError when the envelope itself is unusable (wrong object, no
    entries); a broken entry or change goes to ``batch.malformed`` and the rest
    is still delivered. With ``account_id``, entries for other accounts (one app
    serves many pages) are left out.
    """
    if not isinstance(payload, Mapping):
        raise ValueError("webhook payload is not a JSON object")
    if payload.get("object") != object_type:
        raise ValueError(f"webhook object is {payload.get('object')!r}, expected {object_type!r}")
    entries = payload.get("entry")
    if not isinstance(entries, list):
        raise ValueError("webhook payload has no 'entry' list")
    for entry in entries:
        if not isinstance(entry, Mapping):
            batch.malformed.append(("webhook entry is not a JSON object", _as_raw(entry)))
            continue
        changes = entry.get("changes")
        if changes is None and "field" in entry and "value" in entry:
            changes = [entry]  # Instagram Login deliveries put field/value on the entry
        if not isinstance(changes, list):
            batch.malformed.append(("webhook entry without a 'changes' list", entry))
            continue
        if account_id is not None and str(entry.get("id")) != account_id:
            continue
        for change in changes:
            if isinstance(change, Mapping) and isinstance(change.get("value"), Mapping):
                yield entry, change
            else:
                batch.malformed.append(("webhook change without a 'value' object", _as_raw(change)))


def _as_raw(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {"value": value}
