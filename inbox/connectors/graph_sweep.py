"""Polling comments on Graph API posts without ever skipping one.

Graph has no "comments since" query for Instagram media or Page posts, so a
poll has to look at the artist's recent posts and read their comments. Doing
that for every post on every poll would burn the rate budget (about 200 calls
an hour per account), so a sweep works in *rounds*:

1. list the recent posts ("containers") with their comment counts, page by
   page along ``paging.next`` until a page ends with a post older than the
   post window (the first round lists every post of the window; later ones at
   most ``max_posts``);
2. read the comments of the posts whose count changed since the last round,
   plus, every ``full_sweep_every``, of every post with comments (a delete and
   a new comment in one interval leave the count unchanged);
3. emit the comments created after the round's watermark.

The first round's watermark is ``backfill_days`` ago (the window the Channels
page asks for), and the post window is never shorter than that, so a first
sync walks back as many pages as the window holds: no page or post cap stops
it early. (A comment written in the window on a post older than the post
window is not read: no sweep reaches such posts.) Whether another page follows is decided by ``paging.next`` alone,
never by a page being full (Graph may return fewer than ``limit``, even none,
and still have more).

The watermark of a normal round is the start of the previous round minus
``overlap`` (taken from Graph's own ``Date`` header, so a skewed local clock
cannot open a gap); a full sweep reaches back to the start of the previous full
sweep. Items inside the overlap come back twice: the pipeline de-duplicates
by external id, and that is the price of never losing one.

Cursor semantics: the cursor records the round in progress (the listing's
paging, the queue of posts still to read and the Graph paging cursor inside
the current one). One call makes at most :data:`MAX_REQUESTS_PER_FETCH`
requests, so a long walk is stored step by step and a crash loses at most one
call's worth. A call that fails after a request succeeded returns what it got
with a cursor positioned at the request that failed and ``has_more=True``; the
next call repeats that request (and raises if it fails again, so a rate limit's
wait is honoured from there). A call that fails before any request succeeded
raises and the stored cursor stays as it was. Either way nothing is skipped. A
stored Graph paging cursor that Graph no longer accepts (its item was deleted:
Meta says cursors are not to be trusted later) restarts that post's comments,
or the listing, from the top; the pipeline de-duplicates what is read twice.
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
# Requests one fetch makes at most before it hands its progress to the sync to store.
MAX_REQUESTS_PER_FETCH = 10


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
    """One page of the recent containers, plus any items the listing itself
    carries (a fan's post on a Facebook Page is both a thread and a message).

    ``next_params`` is where the next page starts (None: the last page);
    ``reached_end`` says the page ended with a container older than the post
    window, so the pages after it hold only older ones.
    """

    containers: list[Container] = field(default_factory=list)
    items: list[IncomingItem] = field(default_factory=list)
    malformed: list[Malformed] = field(default_factory=list)
    next_params: dict[str, str] | None = None
    reached_end: bool = False


@dataclass(slots=True)
class CommentPage:
    items: list[IncomingItem]
    malformed: list[Malformed]
    next_params: dict[str, str] | None  # where the next page of this container starts
    exhausted: bool = False  # the source knows nothing newer than ``since`` follows


class SweepSource(Protocol):
    """What a network supplies to a sweep: one request per call."""

    def list_page(self, newer_than: datetime, params: Mapping[str, str] | None) -> Listing:
        """One page of containers created after ``newer_than``, newest first."""
        ...

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
        """Channel options (all optional): ``backfill_days`` (what the Channels page
        sets; ``first_sync_days`` is the older name), ``post_window_days``,
        ``max_posts``, ``overlap_minutes``, ``full_sweep_hours``.

        The post window is never shorter than the backfill window, so a 90-day
        backfill reads the comments of the posts of those 90 days.
        """
        base = cls()
        first = _days(options, "first_sync_days", _days(options, "backfill_days", base.first_sync))
        window = _days(options, "post_window_days", base.container_window)
        max_posts = int(options.get("max_posts", base.max_containers))
        if first <= timedelta(0) or max_posts < 1:
            raise ValueError("backfill_days and max_posts must be positive")
        return cls(
            first_sync=first,
            container_window=max(window, first),
            max_containers=max_posts,
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
    # The listing, while it is being walked: where it stands and what it has seen.
    listing: bool = False
    list_params: dict[str, str] | None = None
    newer_than: datetime | None = None
    listed: list[str] = field(default_factory=list)
    max_posts: int | None = None  # None: every post of the window (a first sync)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "started": self.started.isoformat(),
            "since": self.since.isoformat(),
            "full": self.full,
            "queue": [c.to_json() for c in self.queue],
            "params": self.params,
        }
        if self.listing:
            data["listing"] = {
                "params": self.list_params,
                "newer_than": self.newer_than.isoformat() if self.newer_than else None,
                "listed": list(self.listed),
                "max_posts": self.max_posts,
            }
        return data

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> _Round:
        params = raw.get("params")
        rnd = cls(
            started=datetime.fromisoformat(raw["started"]),
            since=datetime.fromisoformat(raw["since"]),
            full=bool(raw["full"]),
            queue=[Container.from_json(c) for c in raw["queue"]],
            params=_str_params(params),
        )
        listing = raw.get("listing")
        if listing:
            newer = listing.get("newer_than")
            max_posts = listing.get("max_posts")
            rnd.listing = True
            rnd.list_params = _str_params(listing.get("params"))
            rnd.newer_than = datetime.fromisoformat(newer) if newer else rnd.since
            rnd.listed = [str(i) for i in listing.get("listed") or []]
            rnd.max_posts = int(max_posts) if max_posts is not None else None
        return rnd


def _str_params(params: Any) -> dict[str, str] | None:
    return {str(k): str(v) for k, v in params.items()} if params else None


@dataclass(slots=True)
class _State:
    since: datetime
    swept_at: datetime | None
    counts: dict[str, int]
    round: _Round | None

    def to_json(self) -> dict[str, Any]:
        return {
            "v": CURSOR_VERSION,
            "since": self.since.isoformat(),
            "swept_at": self.swept_at.isoformat() if self.swept_at else None,
            "counts": dict(self.counts),
            "round": None if self.round is None else self.round.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> _State:
        if data.get("v") != CURSOR_VERSION:
            raise ValueError(f"unknown cursor version {data.get('v')!r}")
        raw_round = data.get("round")
        swept = data.get("swept_at")
        return cls(
            since=datetime.fromisoformat(data["since"]),
            swept_at=datetime.fromisoformat(swept) if swept else None,
            counts={str(k): int(v) for k, v in (data.get("counts") or {}).items()},
            round=_Round.from_json(raw_round) if raw_round else None,
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
        requests = 0
        try:
            while True:
                rnd = state.round
                if rnd is None or rnd.listing:
                    self._list_step(state, items, malformed)
                elif rnd.queue:
                    self._comment_step(state, items, malformed)
                else:
                    # Round complete: the next one starts where this one started.
                    state.since = rnd.started - self.settings.overlap
                    if rnd.full:
                        state.swept_at = rnd.started
                    state.round = None
                    return self._result(state, items, malformed, has_more=False)
                requests += 1
                if len(items) >= limit or requests >= MAX_REQUESTS_PER_FETCH:
                    return self._result(state, items, malformed, has_more=True)
        except ConnectorError as exc:
            if requests == 0:
                raise
            log.info("returning %d items before a failed request: %s", len(items), exc)
            return self._result(state, items, malformed, has_more=True)

    def _list_step(
        self, state: _State, items: list[IncomingItem], malformed: list[Malformed]
    ) -> None:
        """One page of the listing; the first one opens the round."""
        s = self.settings
        rnd = state.round
        if rnd is None:
            local_now = self.clock()
            newer_than = local_now - s.container_window
            listing = self.source.list_page(newer_than, None)
            started = self.source.server_time() or local_now
            first = state.swept_at is None
            full = state.swept_at is None or started - state.swept_at >= s.full_sweep_every
            since = state.since
            if full and state.swept_at is not None:
                since = min(state.swept_at - s.overlap, state.since)
            rnd = _Round(
                started=started,
                since=since,
                full=full,
                queue=[],
                listing=True,
                newer_than=newer_than,
                max_posts=None if first else s.max_containers,
            )
            state.round = rnd
        else:
            try:
                listing = self.source.list_page(rnd.newer_than or rnd.since, rnd.list_params)
            except PermanentError:
                if rnd.list_params is None:
                    raise
                # Graph no longer accepts the stored paging cursor: list again from the top.
                log.info("listing cursor refused; listing again from the first page")
                rnd.list_params = None
                return
        malformed.extend(listing.malformed)
        items.extend(i for i in listing.items if i.created_at >= rnd.since)
        listed = set(rnd.listed)
        queued = {c.id for c in rnd.queue}
        for c in listing.containers:
            if c.id in listed:
                continue
            if rnd.max_posts is not None and len(rnd.listed) >= rnd.max_posts:
                listing.reached_end = True
                break
            rnd.listed.append(c.id)
            listed.add(c.id)
            if c.comment_count == 0:
                state.counts[c.id] = 0
            elif (rnd.full or state.counts.get(c.id) != c.comment_count) and c.id not in queued:
                rnd.queue.append(c)
        rnd.list_params = listing.next_params
        if listing.reached_end or listing.next_params is None:
            # Forget posts that fell out of the window; remember the empty ones.
            state.counts = {k: v for k, v in state.counts.items() if k in listed}
            rnd.queue.sort(key=lambda c: c.created_at)
            rnd.listing, rnd.list_params, rnd.listed = False, None, []

    def _comment_step(
        self, state: _State, items: list[IncomingItem], malformed: list[Malformed]
    ) -> None:
        """One page of comments of the post at the head of the queue."""
        rnd = state.round
        assert rnd is not None
        container = rnd.queue[0]
        try:
            page = self.source.comment_page(container, rnd.since, rnd.params)
        except PermanentError as exc:
            if rnd.params is not None:
                # A stored paging cursor Graph no longer accepts: read this post again.
                log.info("paging cursor of %s refused (%s); reading it again", container.id, exc)
                rnd.params = None
                return
            # The post is gone or its comments are off: skip it, keep the rest.
            log.warning("skipping %s for this sync: %s", container.id, exc)
            malformed.append(
                (f"cannot read comments of {container.id}: {exc}", container.to_json())
            )
            state.counts.pop(container.id, None)
            rnd.queue.pop(0)
            return
        items.extend(i for i in page.items if i.created_at >= rnd.since)
        malformed.extend(page.malformed)
        if page.next_params is not None and not page.exhausted:
            rnd.params = page.next_params
        else:
            state.counts[container.id] = container.comment_count
            rnd.queue.pop(0)
            rnd.params = None

    def _load(self, cursor: Mapping[str, Any] | None) -> _State:
        if cursor:
            try:
                return _State.from_json(cursor)
            except (KeyError, TypeError, ValueError) as exc:
                log.error("unreadable sweep cursor, starting a first sync: %s", exc)
        now = self.clock()
        return _State(since=now - self.settings.first_sync, swept_at=None, counts={}, round=None)

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
