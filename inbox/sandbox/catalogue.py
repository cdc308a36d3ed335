"""The artist's own posts and videos, which comments on Instagram, Facebook and YouTube hang off.

The artist posts on a steady rhythm (every ~40 hours on Instagram, every few
days on YouTube) with a deterministic jitter, so the post a comment belongs to
is a pure function of the seed, the channel and the comment's time: any slot
of the timeline can find "the latest four posts" without remembering anything.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from inbox.sandbox.artist import Artist
from inbox.sandbox.places import REGIONS, VENUES
from inbox.sandbox.seeding import rng_for

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
PERIOD = {
    "instagram": timedelta(hours=40),
    "facebook": timedelta(hours=52),
    "youtube": timedelta(days=5),
}
# Comments go to the newest post most of the time, older ones less and less.
RECENCY_WEIGHTS = (0.55, 0.25, 0.12, 0.08)

_CAPTIONS = (
    "«{song}» out everywhere Friday 🌙 link in bio",
    "{city}, merci pour hier soir 💛 {venue}, you were loud",
    "Studio, day {n}. Guess the tempo 🎛️",
    "New dates ✨ {city}, {city2}, {city3}. Tickets Friday 10am",
    "Backstage in {city} with the best crew in the world",
    "Vinyl restock: «{album}» on transparent blue is back in the shop",
    "Rehearsals for the «{album}» tour. Almost ready.",
    "Throwback to our very first gig, {year} 📼",
    "Last tickets for {city} ({venue}) 🎟️",
    "{member} wrote this one on a night train. «{song}»",
    "Merch drop 🧥 the hoodies are back",
    "Thank you {city}! Next stop: {city2}",
    "Nouveau clip de «{song}» ce soir à 20h 🎬",
    "On a joué «{song}» pour la première fois hier à {city}. Verdict ?",
)
_VIDEO_TITLES = (
    "{artist} – {song} (Official Video)",
    "{artist} – {song} (Live at {venue}, {city})",
    "{artist} – {song} (Acoustic Session)",
    "Tour diary #{n} – {city}",
    "Making «{album}» – episode {n}",
    "{artist} – «{album}» (Full Album)",
    "{artist} – {song} (Lyric Video)",
    "{song} – live in the van",
)


@dataclass(frozen=True, slots=True)
class Post:
    """One of the artist's posts or videos."""

    index: int  # the n-th post on the channel since EPOCH: the key of its ids
    published_at: datetime
    title: str
    song: str | None  # the song it is about, so comments talk about it


@lru_cache(maxsize=4096)
def post(seed: int | str, network: str, handle: str, artist: Artist, index: int) -> Post:
    """The ``index``-th post of a channel: when it went out, what it says."""
    period = PERIOD[network]
    rng = rng_for(seed, network, handle, "post", index)
    published = EPOCH + period * index + period * (0.5 * rng.random())
    templates = _VIDEO_TITLES if network == "youtube" else _CAPTIONS
    template = rng.choice(templates)
    song = rng.choice(artist.songs[:6]) if "{song}" in template else None
    return Post(index, published, _fill(template, rng, artist, song), song)


def recent_posts(
    seed: int | str, network: str, handle: str, artist: Artist, when: datetime
) -> list[Post]:
    """The newest posts published at or before ``when``, newest first."""
    newest = int((when - EPOCH) / PERIOD[network])
    found = []
    for index in range(newest, newest - len(RECENCY_WEIGHTS) - 1, -1):
        if index < 0:
            break
        candidate = post(seed, network, handle, artist, index)
        if candidate.published_at <= when:
            found.append(candidate)
        if len(found) == len(RECENCY_WEIGHTS):
            break
    return found


def pick_post(
    rng: random.Random, seed: int | str, network: str, handle: str, artist: Artist, when: datetime
) -> Post:
    posts = recent_posts(seed, network, handle, artist, when)
    if not posts:  # before the first post ever: comment on post zero
        return post(seed, network, handle, artist, 0)
    return rng.choices(posts, weights=RECENCY_WEIGHTS[: len(posts)])[0]


def _fill(template: str, rng: random.Random, artist: Artist, song: str | None) -> str:
    cities = rng.sample(REGIONS["france"] + REGIONS["europe"], 3)
    return template.format(
        artist=artist.name,
        song=song or artist.newest_single,
        album=artist.albums[0].title,
        city=cities[0],
        city2=cities[1],
        city3=cities[2],
        venue=rng.choice(VENUES[cities[0]]),
        member=rng.choice(artist.members),
        n=rng.randint(2, 14),
        year=artist.founded,
    )
