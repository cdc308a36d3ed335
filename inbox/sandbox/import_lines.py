"""Many messages of history at once, in the JSON Lines import format.

``unplugged import`` and its benchmark need a big, realistic history quickly
(100,000 lines in a few seconds). The slot-by-slot timeline derives a fresh
generator per slot and per message so that any window can be produced on its
own; a bulk history never needs that, so here one generator runs through the
whole span in order, threads are continued from a short memory of recent
openings, and only the import fields are produced (no network payloads).
The people, the writing and the ids are the same as the connector's.

The output depends only on the arguments: same ``n``, seed, channels, end and
span, same lines.
"""

from __future__ import annotations

import bisect
import random
from collections import deque
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from inbox.sandbox import handles
from inbox.sandbox.artist import DEFAULT_ARTIST, DEFAULT_DEMO_CHANNELS, DEFAULT_SEED, DemoChannel
from inbox.sandbox.drafts import Draft, SandboxChannel
from inbox.sandbox.networks import style_for
from inbox.sandbox.networks.base import truth
from inbox.sandbox.population import Population, build_population
from inbox.sandbox.seeding import cumulative, rng_for
from inbox.sandbox.timeline import CONTINUE_SHARE, DIURNAL, LAPSED_UNTIL
from inbox.sandbox.writer import Writer

RECENT_THREADS = 40  # how many recent openings per channel a continuation can pick from
_MAX_DIURNAL = max(DIURNAL)


def generate_import_lines(
    n: int,
    seed: int | str = DEFAULT_SEED,
    channels: Sequence[DemoChannel] = DEFAULT_DEMO_CHANNELS,
    *,
    end: datetime | None = None,
    days: float | None = None,
    include_truth: bool = False,
) -> Iterator[dict[str, Any]]:
    """``n`` messages spread over ``days`` before ``end``, oldest first, as import dicts.

    ``days`` defaults to the span the channels' history rates would take to
    produce ``n`` messages (about two weeks for 2,000 with the demo channels);
    ``end`` defaults to now. ``include_truth`` adds the ``sandbox`` key with the
    persona and topic behind each message, for evaluating the classifier.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative integer, not {n!r}")
    if not channels:
        raise ValueError("at least one channel is needed")
    weights = [max(0.0, float(c.history_per_day)) for c in channels]
    per_day = sum(weights)
    if per_day <= 0:
        raise ValueError("the channels' history_per_day rates add up to nothing")
    end = (end or datetime.now(UTC)).astimezone(UTC)
    span = timedelta(days=days if days is not None else max(1.0, n / per_day))
    if span <= timedelta(0):
        raise ValueError(f"days must be positive, not {days!r}")
    start = end - span
    lapsed_until = start + span * LAPSED_UNTIL

    rng = rng_for(
        seed,
        "import",
        n,
        end.isoformat(),
        span.total_seconds(),
        *(f"{c.network}:{c.handle}" for c in channels),
    )
    population = build_population(seed)
    writers = [_writer(c, seed, population) for c in channels]
    recent: list[deque[Draft]] = [deque(maxlen=RECENT_THREADS) for _ in channels]
    channel_cum = cumulative(weights)

    for number, at in enumerate(_instants(rng, n, start, span)):
        index = bisect.bisect_right(channel_cum, rng.random() * per_day)
        index = min(index, len(channels) - 1)
        writer = writers[index]
        key = f"import.{number}"
        draft = None
        if recent[index] and rng.random() < CONTINUE_SHARE:
            draft = writer.continuation(key, at, rng, rng.choice(recent[index]))
        if draft is None:
            draft = writer.opening(key, at, rng, allow_lapsed=at < lapsed_until)
            recent[index].append(draft)
        line = writer.style.line(draft, writer.channel)
        if include_truth:
            line["sandbox"] = truth(draft)
        yield line


def _writer(demo: DemoChannel, seed: int | str, population: Population) -> Writer:
    channel = SandboxChannel(
        network=demo.network,
        handle=demo.handle,
        account_id=handles.artist_account_id(demo.network, demo.handle),
        display_name=demo.display_name,
        seed=seed,
        artist=DEFAULT_ARTIST,
    )
    return Writer(channel, population, style_for(demo.network))


def _instants(rng: random.Random, n: int, start: datetime, span: timedelta) -> list[datetime]:
    """``n`` sorted instants in the span, denser in the evening like the live timeline."""
    seconds = span.total_seconds()
    base = start.timestamp()
    out: list[float] = []
    while len(out) < n:
        t = base + rng.random() * seconds
        hour = int(t // 3600) % 24
        if rng.random() * _MAX_DIURNAL <= DIURNAL[hour]:
            out.append(t)
    out.sort()
    return [datetime.fromtimestamp(t, UTC) for t in out]
