"""The sandbox connector: realistic fan traffic in any network's style, with no network.

The demo and the tests connect channels to it instead of X or YouTube. It
plays the part of the network faithfully: items come oldest first, ``limit``
at a time, with the network's ids, links and payload shapes; the cursor
resumes exactly; replies are accepted (and length-checked) like the network
would, and sometimes the fan answers a few minutes later.

Everything is a pure function of the channel's options (seed, rates), its
handle, the cursor and the clock (see :mod:`inbox.sandbox.timeline`), so a
re-fetch of the same window returns the same external ids and the pipeline's
de-duplication does the rest.

Options (in the channel's ``state["options"]``): ``seed``, ``history_days``
(default 14), ``history_per_day`` and ``live_per_hour`` (defaults per network,
see :data:`inbox.sandbox.artist.DEFAULT_RATES`), ``answer_rate`` (0.35),
``population`` (600 people).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from inbox.connectors import register
from inbox.connectors.base import (
    Author,
    ChannelConfig,
    FetchResult,
    IncomingItem,
    MediaFile,
    PermanentError,
    ReplyTarget,
    SentReply,
)
from inbox.images import network_problem
from inbox.limits import check_length
from inbox.sandbox import handles
from inbox.sandbox.artist import DEFAULT_ARTIST
from inbox.sandbox.compose import compose_answer, compose_opening
from inbox.sandbox.cursor import BadCursor, Position
from inbox.sandbox.drafts import Draft, SandboxChannel
from inbox.sandbox.ledger import ReplyLedger
from inbox.sandbox.networks import style_for
from inbox.sandbox.options import BadOption, SandboxOptions
from inbox.sandbox.personas import Group
from inbox.sandbox.population import Fan, build_population
from inbox.sandbox.seeding import fraction, rng_for
from inbox.sandbox.timeline import Schedule, Timeline, slot_of

ANSWER_DELAY = (timedelta(minutes=2), timedelta(minutes=12))
# Fans answering one of the artist's posts, and how soon after it.
POST_REACTIONS = (1, 2, 2, 3)
REACTION_DELAY = (timedelta(minutes=1), timedelta(minutes=20))
MAX_LIMIT = 1000
MAX_KEY = 255

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@register("sandbox")
class SandboxConnector:
    """Demo traffic for one channel; ``config.network`` picks the network it imitates."""

    network: ClassVar[str] = "sandbox"

    def __init__(self, config: ChannelConfig, clock: Clock | None = None) -> None:
        try:
            self._style = style_for(config.network)
            self._options = SandboxOptions.parse(config.network, config.options)
        except (ValueError, BadOption) as exc:
            raise PermanentError(str(exc)) from None
        handle = (config.handle or "").strip()
        if not handle:
            raise PermanentError("a sandbox channel needs the artist's handle")
        self._clock = clock or _utc_now
        self._channel = SandboxChannel(
            network=config.network,
            handle=handle,
            account_id=handles.artist_account_id(config.network, handle),
            display_name=str(config.options.get("display_name") or DEFAULT_ARTIST.name),
            seed=self._options.seed,
            artist=DEFAULT_ARTIST,
        )
        self._population = build_population(self._options.seed, self._options.population)
        self._ledger, self._problems = ReplyLedger.load(config.state)

    # -- the Connector protocol --------------------------------------------------

    @property
    def state(self) -> Mapping[str, Any]:
        return self._ledger.dump()

    def fetch_since(self, cursor: Mapping[str, Any] | None, limit: int = 100) -> FetchResult:
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise PermanentError(f"limit must be an integer from 1 to {MAX_LIMIT}, not {limit!r}")
        now = self._now()
        try:
            position = (
                Position.start(now, self._options.history_days)
                if cursor is None
                else Position.parse(cursor, now)
            )
        except BadCursor as exc:
            raise PermanentError(str(exc)) from None
        malformed, self._problems = self._problems, []
        if position.t >= now:  # nothing can be newer than now (or the clock went back)
            return FetchResult([], position.dump(), has_more=False, malformed=malformed)

        answers = self._ledger.due(now)
        news = self._timeline_after(position, now, limit + 1)
        candidates = sorted(answers + news, key=_order)
        page = candidates[:limit]
        has_more = len(candidates) > limit
        answer_ids = {a.external_id for a in answers}
        self._ledger.delivered({i.external_id for i in page if i.external_id in answer_ids})

        if has_more:
            last = page[-1]
            # A late answer sorts before the cursor: it must never move the cursor back.
            if _order(last) > position.key:
                position = position.after(last.created_at, last.external_id)
        else:
            position = position.after(now, None)
        return FetchResult(page, position.dump(), has_more=has_more, malformed=malformed)

    def send_reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> SentReply:
        _check_target(target, idempotency_key)
        already = self._ledger.reply_for(idempotency_key)
        if already is not None:
            return already
        if not isinstance(text, str) or not text.strip():
            raise PermanentError("a reply needs some text")
        count, limit = check_length(self._channel.network, text)
        if count > limit.max:
            raise PermanentError(
                f"reply is {count} {limit.unit} long; {self._channel.network} allows {limit.max}"
            )
        at = self._now()
        sent = self._style.sent_reply(self._channel, target, text, idempotency_key, at)
        self._ledger.record(idempotency_key, sent, self._answer(target, sent, idempotency_key))
        return sent

    def publish(
        self,
        text: str,
        idempotency_key: str,
        scheduled_at: datetime | None = None,
        media: Sequence[MediaFile] = (),
    ) -> SentReply:
        """A post on the sandbox account's own timeline (the demo's Posting page), once
        per key, refused as the network would refuse it when too long or given more or
        larger images than it takes; the images it carries are named in the post's
        raw payload (type, size, alt text: what the real networks keep)."""
        already = self._ledger.reply_for(idempotency_key)
        if already is not None:
            return already
        if not isinstance(text, str) or not text.strip():
            raise PermanentError("a post needs some text")
        problem = network_problem(self._channel.network, [len(m.data) for m in media])
        if problem:
            raise PermanentError(problem)
        if any(not m.alt.strip() for m in media):
            raise PermanentError("every image needs its alt text")
        count, limit = check_length(self._channel.network, text)
        if count > limit.max:
            raise PermanentError(
                f"post is {count} {limit.unit} long; {self._channel.network} allows {limit.max}"
            )
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]
        sent = SentReply(
            external_id=f"sandbox-post-{digest}",
            created_at=self._now(),
            raw={
                "sandbox": True,
                "post": text[:500],
                "media": [
                    {
                        "sha256": m.sha256,
                        "type": m.content_type,
                        "size": len(m.data),
                        "width": m.width,
                        "height": m.height,
                        "alt": m.alt,
                    }
                    for m in media
                ],
            },
        )
        self._ledger.record(idempotency_key, sent, None, self._reactions(sent, idempotency_key))
        return sent

    def _reactions(self, post: SentReply, key: str) -> list[IncomingItem]:
        """Fans answering a post under it, a few minutes later (the demo's Posting page then
        shows the conversations the post started). None by mail: nobody answers a post there."""
        channel, network = self._channel, self._channel.network
        if network == "email":
            return []
        rng = rng_for(channel.seed, network, channel.handle, "reactions", key)
        count = rng.choice(POST_REACTIONS)
        out: list[IncomingItem] = []
        seen: set[int] = set()
        for n in range(count):
            fan = self._population.pick_where(rng, network, (Group.FAN,))
            if fan is None or fan.index in seen:
                continue
            seen.add(fan.index)
            low, high = REACTION_DELAY
            due = post.created_at + low + (high - low) * rng.random()
            kind = self._style.answer_kind(self._style.opening)
            composition = compose_opening(
                rng, fan, artist=channel.artist, network=network, kind=kind, when=due
            )
            text = self._style.decorate(rng, composition.text, channel=channel, kind=kind, fan=fan)
            draft = Draft(
                key=f"reaction.{key}.{n}",
                created_at=due,
                fan=fan,
                identity=fan.identities[network],
                kind=kind,
                text=self._style.fit(text),
                composition=composition,
                role="answer",
                thread_id=post.external_id,
                parent_id=post.external_id,
            )
            out.append(self._style.item(draft, channel))
        return out

    def fetch_profile(self, author_external_id: str) -> Author:
        fan = self._population.by_account(self._channel.network, author_external_id)
        if fan is None:
            raise PermanentError(
                f"no sandbox account {author_external_id!r} on {self._channel.network}"
            )
        return self._style.author(fan.identities[self._channel.network])

    # -- internals -----------------------------------------------------------------

    def _now(self) -> datetime:
        now = self._clock()
        return now if now.tzinfo else now.replace(tzinfo=UTC)

    def _timeline_after(self, position: Position, now: datetime, wanted: int) -> list[IncomingItem]:
        """At least ``wanted`` items after ``position`` (fewer if ``now`` comes first), in order."""
        schedule = Schedule(
            self._options.history_per_day,
            self._options.live_per_hour,
            position.origin,
            position.live_from,
        )
        timeline = Timeline(self._channel, self._population, schedule, self._style)
        after = position.key
        out: list[IncomingItem] = []
        for slot in range(slot_of(position.t), slot_of(now) + 1):
            batch = [
                self._style.item(d, self._channel)
                for d in timeline.drafts(slot)
                if position.t <= d.created_at <= now
            ]
            out.extend(sorted((i for i in batch if _order(i) > after), key=_order))
            if len(out) >= wanted:
                break
        return out

    def _answer(self, target: ReplyTarget, sent: SentReply, key: str) -> IncomingItem | None:
        """Sometimes the fan answers the artist's reply a few minutes later, in their language."""
        channel, network = self._channel, self._channel.network
        if (
            fraction(channel.seed, network, channel.handle, "answers?", key)
            >= self._options.answer_rate
        ):
            return None
        fan = self._fan_of(target)
        if fan is None:
            return None
        low, high = ANSWER_DELAY
        due = (
            sent.created_at
            + low
            + (high - low) * fraction(channel.seed, network, channel.handle, "delay", key)
        )
        rng = rng_for(channel.seed, network, channel.handle, "answer", key)
        kind = self._style.answer_kind(target.kind)
        composition = compose_answer(
            rng,
            fan,
            artist=channel.artist,
            network=network,
            kind=kind,
            when=due,
            subject=target.subject,
        )
        if composition is None:
            return None
        text = self._style.decorate(rng, composition.text, channel=channel, kind=kind, fan=fan)
        draft = Draft(
            key=f"answer.{key}",
            created_at=due,
            fan=fan,
            identity=fan.identities[network],
            kind=kind,
            text=self._style.fit(text),
            composition=composition,
            role="answer",
            thread_id=target.thread_id,
            parent_id=sent.external_id,
        )
        return self._style.item(draft, channel)

    def _fan_of(self, target: ReplyTarget) -> Fan | None:
        """The sandbox person the reply goes to: by account, or by the parent's payload."""
        network = self._channel.network
        if target.parent_author is not None:
            fan = self._population.by_account(network, target.parent_author.external_id)
            if fan is not None:
                return fan
        truth = target.parent_raw.get("sandbox") if isinstance(target.parent_raw, Mapping) else None
        index = truth.get("fan") if isinstance(truth, Mapping) else None
        if isinstance(index, int) and 0 <= index < len(self._population):
            fan = self._population.fans[index]
            if network in fan.identities:
                return fan
        return None


def _order(item: IncomingItem) -> tuple[datetime, str]:
    return item.created_at, item.external_id


def _check_target(target: ReplyTarget, key: str) -> None:
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY:
        raise PermanentError(
            "the idempotency key must be a non-empty string of at most 255 characters"
        )
    if not isinstance(target.thread_id, str) or not target.thread_id:
        raise PermanentError("the reply target has no thread id")
    if not isinstance(target.parent_external_id, str) or not target.parent_external_id:
        raise PermanentError("the reply target has no parent message id")
