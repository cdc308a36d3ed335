"""When fans write: a deterministic timeline of messages, ten minutes at a time.

Time is cut into fixed ten-minute slots counted from 1970. Each slot has its
own random generator, seeded from (seed, network, handle, slot), which decides
how many messages arrive in it (Poisson, at the history or the live rate) and
at which microsecond; each message then has its own generator seeded from its
slot and position. Nothing depends on what was generated before, so any
window of time can be produced on its own and always comes out the same: a
re-fetch yields the same messages with the same ids, a later fetch continues
exactly where the last one stopped.

Threads still form: some messages *continue* an earlier thread. Such a
message looks back a while (minutes to a day and a half), regenerates that
earlier slot, and either has the thread's author come back ("any update?") or,
under a post, another fan chime in. Regenerating a slot is cheap, and the
earlier message is by construction the same one that was delivered then.
"""

from __future__ import annotations

import random
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from inbox.sandbox.drafts import Draft, SandboxChannel
from inbox.sandbox.networks import NetworkStyle
from inbox.sandbox.population import Population
from inbox.sandbox.seeding import poisson, rng_for
from inbox.sandbox.writer import Writer

K = TypeVar("K")
V = TypeVar("V")

SLOT_SECONDS = 600
_SLOT_MICROS = SLOT_SECONDS * 1_000_000
CONTINUE_SHARE = 0.22  # of messages that try to continue an earlier thread
LOOKBACK_SLOTS = 216  # a day and a half
SEARCH_SLOTS = 12  # how far past the chosen instant to look for a thread to continue
LAPSED_UNTIL = 0.4  # lapsed fans only write in the oldest 40% of the history

# Fans write more in the evening (European time) than at 4am: relative rates by UTC hour.
# Midnight to 11am, then noon to 11pm.
_MORNING = (0.9, 0.6, 0.4, 0.3, 0.25, 0.25, 0.35, 0.55, 0.8, 0.95, 1.0, 1.05)
_EVENING = (1.15, 1.2, 1.15, 1.1, 1.15, 1.25, 1.4, 1.55, 1.6, 1.55, 1.4, 1.2)
_HOURLY = _MORNING + _EVENING
DIURNAL = tuple(h * 24 / sum(_HOURLY) for h in _HOURLY)


# The weeks of an artist's year, counted back from now, so the weekly review has
# trends worth reading: a release 46 days ago (fans pour in, then it settles over
# a couple of weeks), a tour announcement 24 days ago (a sharp day, then a few
# busy ones), and a quiet week two weeks ago (the band was in the studio). The
# last two weeks are ordinary, so a short history (the 14-day demo) is as before.
# (days back, extra traffic on the day, days it takes to halve)
RELEASE = (46.0, 2.2, 3.0)
TOUR_ANNOUNCEMENT = (24.0, 1.6, 1.2)
QUIET_WEEK = (14.0, 21.0, 0.45)  # from, to (days back), share of the usual traffic


def rhythm(days_back: float) -> float:
    """How much busier than usual the history is ``days_back`` days before now."""
    factor = 1.0
    for at, extra, halves in (RELEASE, TOUR_ANNOUNCEMENT):
        if days_back <= at:
            factor += extra * 0.5 ** ((at - days_back) / halves)
    lo, hi, share = QUIET_WEEK
    if lo <= days_back < hi:
        factor *= share
    return factor


@dataclass(frozen=True, slots=True)
class Schedule:
    """How busy the channel is, and the two instants that shape its history."""

    history_per_day: float
    live_per_hour: float
    origin: datetime  # where the history starts (the first sync's "now - history_days")
    live_from: datetime  # from here on, the live rate applies (the first sync's "now - 1h")

    def mean(self, start: datetime) -> float:
        """The expected number of messages in the slot starting at ``start``."""
        if start >= self.live_from:
            return self.live_per_hour * SLOT_SECONDS / 3600
        days_back = (self.live_from - start).total_seconds() / 86400
        return self.history_per_day * SLOT_SECONDS / 86400 * DIURNAL[start.hour] * rhythm(days_back)

    def lapsed_allowed(self, when: datetime) -> bool:
        """Lapsed fans were active long ago only: in the oldest part of the history."""
        return when < self.origin + (self.live_from - self.origin) * LAPSED_UNTIL


@dataclass(frozen=True, slots=True)
class Event:
    """A message's place in time, before anything about it is decided."""

    slot: int
    index: int
    at: datetime
    continues: bool  # tries to continue an earlier thread


def slot_of(when: datetime) -> int:
    return int(when.timestamp() // SLOT_SECONDS)


def slot_start(slot: int) -> datetime:
    return datetime.fromtimestamp(slot * SLOT_SECONDS, UTC)


class Timeline:
    """The messages of one channel, slot by slot."""

    _CACHE = 4096

    def __init__(
        self,
        channel: SandboxChannel,
        population: Population,
        schedule: Schedule,
        style: NetworkStyle,
    ) -> None:
        self.channel = channel
        self.population = population
        self.schedule = schedule
        self.style = style
        self._writer = Writer(channel, population, style)
        self._events: OrderedDict[int, list[Event]] = OrderedDict()
        self._openings: OrderedDict[tuple[int, int], Draft] = OrderedDict()

    def _rng(self, *parts: object) -> random.Random:
        return rng_for(self.channel.seed, self.channel.network, self.channel.handle, *parts)

    def events(self, slot: int) -> list[Event]:
        cached = self._events.get(slot)
        if cached is not None:
            return cached
        start = slot_start(slot)
        rng = self._rng("slot", slot)
        events = [
            Event(
                slot,
                i,
                start + timedelta(microseconds=rng.randrange(_SLOT_MICROS)),
                rng.random() < CONTINUE_SHARE,
            )
            for i in range(poisson(rng, self.schedule.mean(start)))
        ]
        _remember(self._events, slot, events, self._CACHE)
        return events

    def drafts(self, slot: int) -> list[Draft]:
        """Every message of the slot, in time order."""
        return sorted((self.draft(e) for e in self.events(slot)), key=lambda d: d.created_at)

    def draft(self, event: Event) -> Draft:
        if event.continues:
            rng = self._rng("item", event.slot, event.index)
            continued = self._continuation(event, rng)
            if continued is not None:
                return continued
        return self._opening(event)

    def _opening(self, event: Event) -> Draft:
        key = (event.slot, event.index)
        cached = self._openings.get(key)
        if cached is not None:
            return cached
        # A message that failed to continue a thread opens one with a fresh generator,
        # so an opening is the same whether it is reached directly or via a lookback.
        rng = self._rng("opening", event.slot, event.index)
        draft = self._writer.opening(
            f"{event.slot}.{event.index}",
            event.at,
            rng,
            allow_lapsed=self.schedule.lapsed_allowed(event.at),
        )
        _remember(self._openings, key, draft, self._CACHE)
        return draft

    def _continuation(self, event: Event, rng: random.Random) -> Draft | None:
        first = self._thread_to_continue(event, rng)
        if first is None:
            return None
        return self._writer.continuation(f"{event.slot}.{event.index}", event.at, rng, first)

    def _thread_to_continue(self, event: Event, rng: random.Random) -> Draft | None:
        """An opening from a little while ago, or None if there is none to continue."""
        back = 1 + min(int(rng.expovariate(1 / 10)), LOOKBACK_SLOTS - 1)
        for slot in range(event.slot - back, event.slot - back - SEARCH_SLOTS, -1):
            if slot_start(slot) < self.schedule.origin:
                return None  # never continue a thread the inbox has not seen
            openings = [e for e in self.events(slot) if not e.continues]
            if openings:
                return self._opening(rng.choice(openings))
        return None


def _remember(cache: OrderedDict[K, V], key: K, value: V, size: int) -> None:
    """Keep ``value`` in a bounded cache, forgetting the oldest entry when full."""
    cache[key] = value
    if len(cache) > size:
        cache.popitem(last=False)
