"""Polling comments on Graph API posts without ever skipping one.

Graph has no "comments since" query for Instagram media or Page posts, so a
poll has to look at the artist's recent posts and read their comments. Doing
that for every post on every poll would burn the rate budget (about 200 calls
an hour per account), so a sweep works in *rounds*:

1. list the recent posts ("containers") with their comment counts (one call);
2. read the comments of the posts whose count changed since the last round,
   plus, every ``full_sweep_every``, of every post with comments (a delete and
   a new comment in one interval leave the count unchanged);
3. emit the comments created after the round's watermark.

The watermark of a normal round is the start of the previous round minus
``overlap`` (taken from Graph's own ``Date`` header, so a skewed local clock
cannot open a gap); a full sweep reaches back to the start of the previous full
sweep. Items inside the overlap come back twice: the pipeline de-duplicates
by external id, and that is the price of never losing one.

Cursor semantics: the cursor records the round in progress (the queue of posts
still to read and the Graph paging cursor inside the current one). A call that
fails after it has gathered items returns them with a cursor positioned at the
request that failed and ``has_more=True``; the next call repeats that request
(and raises if it fails again). A call that fails before gathering anything
raises and the stored cursor stays as it was. Either way nothing is skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import requests

from inbox.connectors.base import (
    ChannelConfig,
    ConnectorError,
    FetchResult,
    IncomingItem,
    PermanentError,
    ThreadContext,
)
from inbox.connectors.graph import GraphClient

log = logging.getLogger(__name__)

CURSOR_VERSION = 1
Malformed = tuple[str, Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class Container:
    """A post or media item that fans comment on."""

    id: str
    created_at: datetime
    comment_count: int
    context: ThreadContext

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(),
            "count": self.comment_count,
            "title": self.context.title,
            "url": self.context.url,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Container:
        return cls(
            id=str(data["id"]),
            created_at=datetime.fromisoformat(str(data["created_at"])),
            comment_count=int(data["count"]),
            context=ThreadContext(title=str(data.get("title") or ""), url=data.get("url")),
        )


@dataclass(slots=True)
class Listing:
    """The recent containers, plus any items the listing itself carries
    (a fan's post on a Facebook Page is both a thread and a message)."""

    containers: list[Container] = field(default_factory=list)
    items: list[IncomingItem] = field(default_factory=list)
    malformed: list[Malformed] = field(default_factory=list)


@dataclass(slots=True)
class CommentPage:
    items: list[IncomingItem]
    malformed: list[Malformed]
    next_params: dict[str, str] | None  # where the next page of this container starts
    exhausted: bool = False  # the source knows nothing newer than ``since`` follows


class SweepSource(Protocol):
    """What a network supplies to a sweep."""

    def list_containers(self, newer_than: datetime, max_count: int) -> Listing: ...

    def comment_page(
        self, container: Container, since: datetime, params: Mapping[str, str] | None
    ) -> CommentPage: ...

    def server_time(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class SweepSettings:
    first_sync: timedelta = timedelta(days=7)  # how far back the first sync reaches
    container_window: timedelta = timedelta(days=60)  # posts older than this are not polled
    max_containers: int = 50
    overlap: timedelta = timedelta(minutes=10)
    full_sweep_every: timedelta = timedelta(hours=6)

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> SweepSettings:
        """Channel options (all optional): ``first_sync_days``, ``post_window_days``,
        ``max_posts``, ``overlap_minutes``, ``full_sweep_hours``."""
        base = cls()
        return cls(
            first_sync=_days(options, "first_sync_days", base.first_sync),
            container_window=_days(options, "post_window_days", base.container_window),
            max_containers=int(options.get("max_posts", base.max_containers)),
            overlap=timedelta(minutes=float(options.get("overlap_minutes", 10))),
            full_sweep_every=timedelta(hours=float(options.get("full_sweep_hours", 6))),
        )


@dataclass(frozen=True, slots=True)
class GraphChannel:
    """What a Graph connector builds from its channel: client, page size, sweep settings."""

    client: GraphClient
    page_size: int
    sweep: SweepSettings

    @classmethod
    def open(
        cls,
        config: ChannelConfig,
        access_token: str,
        *,
        network: str,
        session: requests.Session | None = None,
        default_page_size: int = 50,
    ) -> GraphChannel:
        """Read the channel's options (``timeout_s``, ``page_size`` and the sweep's);
        a bad one is a :class:`PermanentError` naming the network."""
        options = config.options
        try:
            timeout = float(options.get("timeout_s", 30.0))
            page_size = max(1, min(int(options.get("page_size", default_page_size)), 100))
            sweep = SweepSettings.from_options(options)
        except (TypeError, ValueError) as exc:
            raise PermanentError(f"invalid {network} channel options: {exc}") from exc
        client = GraphClient(
            access_token,
            base_url=config.base_url,
            app_secret=config.credentials.get("app_secret") or None,
            timeout=(min(timeout, 5.0), timeout),
            session=session,
        )
        return cls(client, page_size, sweep)


def _days(options: Mapping[str, Any], key: str, default: timedelta) -> timedelta:
    return timedelta(days=float(options[key])) if key in options else default


@dataclass(slots=True)
class _Round:
    started: datetime
    since: datetime
    full: bool
    queue: list[Container]
    params: dict[str, str] | None = None  # paging inside queue[0]


@dataclass(slots=True)
class _State:
    since: datetime
    swept_at: datetime | None
    counts: dict[str, int]
    round: _Round | None

    def to_json(self) -> dict[str, Any]:
        rnd = self.round
        return {
            "v": CURSOR_VERSION,
            "since": self.since.isoformat(),
            "swept_at": self.swept_at.isoformat() if self.swept_at else None,
            "counts": dict(self.counts),
            "round": None
            if rnd is None
            else {
                "started": rnd.started.isoformat(),
                "since": rnd.since.isoformat(),
                "full": rnd.full,
                "queue": [c.to_json() for c in rnd.queue],
                "params": rnd.params,
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> _State:
        if data.get("v") != CURSOR_VERSION:
            raise ValueError(f"unknown cursor version {data.get('v')!r}")
        raw_round = data.get("round")
        rnd = None
        if raw_round:
            params = raw_round.get("params")
            rnd = _Round(
                started=datetime.fromisoformat(raw_round["started"]),
                since=datetime.fromisoformat(raw_round["since"]),
                full=bool(raw_round["full"]),
                queue=[Container.from_json(c) for c in raw_round["queue"]],
                params={str(k): str(v) for k, v in params.items()} if params else None,
            )
        swept = data.get("swept_at")
        return cls(
            since=datetime.fromisoformat(data["since"]),
            swept_at=datetime.fromisoformat(swept) if swept else None,
            counts={str(k): int(v) for k, v in (data.get("counts") or {}).items()},
            round=rnd,
        )


class CommentSweep:
    """Runs rounds over a :class:`SweepSource`; see the module docstring."""

    def __init__(
        self,
        source: SweepSource,
        settings: SweepSettings | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.source = source
        self.settings = settings or SweepSettings()
        self.clock = clock or (lambda: datetime.now(UTC))

    def fetch(self, cursor: Mapping[str, Any] | None, limit: int) -> FetchResult:
        state = self._load(cursor)
        items: list[IncomingItem] = []
        malformed: list[Malformed] = []
        if state.round is None:
            listing = self._start_round(state)  # raises: nothing changed yet
            assert state.round is not None
            items.extend(i for i in listing.items if i.created_at >= state.round.since)
            malformed.extend(listing.malformed)
        rnd = state.round
        assert rnd is not None
        while rnd.queue:
            container = rnd.queue[0]
            try:
                page = self.source.comment_page(container, rnd.since, rnd.params)
            except PermanentError as exc:
                # The post is gone or its comments are off: skip it, keep the rest.
                log.warning("skipping %s for this sync: %s", container.id, exc)
                malformed.append(
                    (f"cannot read comments of {container.id}: {exc}", container.to_json())
                )
                state.counts.pop(container.id, None)
                rnd.queue.pop(0)
                rnd.params = None
                continue
            except ConnectorError:
                if not items and not malformed:
                    raise
                log.info("returning %d items before a failed request", len(items))
                return self._result(state, items, malformed, has_more=True)
            items.extend(i for i in page.items if i.created_at >= rnd.since)
            malformed.extend(page.malformed)
            if page.next_params is not None and not page.exhausted:
                rnd.params = page.next_params
            else:
                state.counts[container.id] = container.comment_count
                rnd.queue.pop(0)
                rnd.params = None
            if len(items) >= limit and rnd.queue:
                return self._result(state, items, malformed, has_more=True)
        # Round complete: the next one starts where this one started.
        state.since = rnd.started - self.settings.overlap
        if rnd.full:
            state.swept_at = rnd.started
        state.round = None
        return self._result(state, items, malformed, has_more=False)

    def _load(self, cursor: Mapping[str, Any] | None) -> _State:
        if cursor:
            try:
                return _State.from_json(cursor)
            except (KeyError, TypeError, ValueError) as exc:
                log.error("unreadable sweep cursor, starting a first sync: %s", exc)
        now = self.clock()
        return _State(since=now - self.settings.first_sync, swept_at=None, counts={}, round=None)

    def _start_round(self, state: _State) -> Listing:
        s = self.settings
        local_now = self.clock()
        listing = self.source.list_containers(local_now - s.container_window, s.max_containers)
        started = self.source.server_time() or local_now
        full = state.swept_at is None or started - state.swept_at >= s.full_sweep_every
        if full:
            since = state.since if state.swept_at is None else state.swept_at - s.overlap
            since = min(since, state.since)
        else:
            since = state.since
        previous = state.counts
        queue = [
            c
            for c in sorted(listing.containers, key=lambda c: c.created_at)
            if c.comment_count > 0 and (full or previous.get(c.id) != c.comment_count)
        ]
        # Forget posts that fell out of the window; remember the empty ones.
        listed = {c.id for c in listing.containers}
        state.counts = {k: v for k, v in previous.items() if k in listed}
        for c in listing.containers:
            if c.comment_count == 0:
                state.counts[c.id] = 0
        state.round = _Round(started=started, since=since, full=full, queue=queue)
        return listing

    @staticmethod
    def _result(
        state: _State, items: list[IncomingItem], malformed: list[Malformed], has_more: bool
    ) -> FetchResult:
        items.sort(key=lambda i: i.created_at)
        return FetchResult(
            items=items, cursor=state.to_json(), has_more=has_more, malformed=malformed
        )


def iter_dicts(values: Any, what: str, malformed: list[Malformed]) -> Iterator[Mapping[str, Any]]:
    """The dict entries of a Graph ``data`` list; anything else is recorded as malformed."""
    for value in values if isinstance(values, list) else []:
        if isinstance(value, Mapping):
            yield value
        else:
            malformed.append((f"{what} is not a JSON object", {"value": value}))
