"""The demo artist and the channels the demo connects.

*Les Néons Tranquilles* are an invented indie-pop band from Lyon who sing in
French and English and tour Europe and beyond: enough of a catalogue (songs,
albums, members, merch) for fans to talk about something specific. Every
handle, domain and link here is fictional; mail domains use the reserved
``.example`` top-level domain so nothing can ever be delivered.

:data:`DEFAULT_DEMO_CHANNELS` is what ``make demo`` connects: one sandbox
channel per network whose rates add up to about 2,000 messages over the
default 14 days of history and about one new message a minute once live.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from inbox.sandbox.handles import artist_account_id

DEFAULT_SEED = 1337
DEFAULT_HISTORY_DAYS = 14.0


@dataclass(frozen=True, slots=True)
class Album:
    title: str
    year: int


@dataclass(frozen=True, slots=True, eq=False)  # compared (and cached) by identity
class Artist:
    name: str
    # How fans refer to the band in running text, by language ("the Neons").
    nicknames: Mapping[str, tuple[str, ...]]
    members: tuple[str, ...]
    songs: tuple[str, ...]  # newest single first
    albums: tuple[Album, ...]  # newest first
    hashtags: tuple[str, ...]
    home_city: str
    domain: str  # for the band's mail address and links
    founded: int

    @property
    def newest_single(self) -> str:
        return self.songs[0]

    def link(self, path: str) -> str:
        return f"https://{self.domain}/{path}"


DEFAULT_ARTIST = Artist(
    name="Les Néons Tranquilles",
    nicknames={
        "en": ("the Neons", "Les Néons", "LNT", "the Néons"),
        "fr": ("les Néons", "Les Néons Tranquilles", "les NT", "les Néons"),
        "es": ("Les Néons", "los Néons", "Les Néons Tranquilles"),
        "de": ("die Neons", "Les Néons", "Les Néons Tranquilles"),
    },
    members=("Inès", "Théo", "Malik", "Sam"),
    songs=(
        "Ciel de craie",
        "Paper Satellites",
        "Minuit Vitesse",
        "Boulevard des Absents",
        "Slow Comet",
        "La Dernière Ligne",
        "Neon Lullaby",
        "Tes mains froides",
        "Coastline Static",
        "Hôtel Lune",
        "Rue des Orages",
        "Glasshouse Summer",
    ),
    albums=(Album("Ciel de craie", 2025), Album("Minuit Vitesse", 2022), Album("Veilleuses", 2019)),
    hashtags=("LesNeonsTranquilles", "CielDeCraie", "NeonsTour", "PaperSatellites"),
    home_city="Lyon",
    domain="lesneonstranquilles.example",
    founded=2016,
)


@dataclass(frozen=True, slots=True)
class NetworkRates:
    """How busy a network is: messages a day in the history, a hour once live."""

    history_per_day: float
    live_per_hour: float


# Busy networks first. The history rates add up to ~143 a day (2,000 in 14 days)
# and the live rates to ~56 an hour, a little under one a minute.
DEFAULT_RATES: Mapping[str, NetworkRates] = {
    "x": NetworkRates(36, 14),
    "instagram": NetworkRates(30, 12),
    "youtube": NetworkRates(20, 8),
    "bluesky": NetworkRates(16, 7),
    "facebook": NetworkRates(14, 6),
    "email": NetworkRates(15, 4),
    "mastodon": NetworkRates(12, 5),
}


@dataclass(frozen=True, slots=True)
class DemoChannel:
    """One sandbox channel of the demo: a network, the artist's handle on it, its rates."""

    network: str
    handle: str
    display_name: str
    history_per_day: float
    live_per_hour: float

    @property
    def account_id(self) -> str:
        """The artist's account id the sandbox gives this handle (see handles.artist_account_id)."""
        return artist_account_id(self.network, self.handle)

    def options(
        self, seed: int | str = DEFAULT_SEED, history_days: float = DEFAULT_HISTORY_DAYS
    ) -> dict[str, Any]:
        """The ``options`` a sandbox connector for this channel is configured with."""
        return {
            "seed": seed,
            "history_days": history_days,
            "history_per_day": self.history_per_day,
            "live_per_hour": self.live_per_hour,
        }


def _demo(network: str, handle: str) -> DemoChannel:
    rates = DEFAULT_RATES[network]
    return DemoChannel(
        network, handle, DEFAULT_ARTIST.name, rates.history_per_day, rates.live_per_hour
    )


DEFAULT_DEMO_CHANNELS: tuple[DemoChannel, ...] = (
    _demo("x", "lesneons"),
    _demo("bluesky", "lesneons.bsky.social"),
    _demo("instagram", "lesneonstranquilles"),
    _demo("youtube", "@LesNeonsTranquilles"),
    _demo("mastodon", "lesneons@mastodon.social"),
    _demo("facebook", "LesNeonsTranquilles"),
    _demo("email", f"hello@{DEFAULT_ARTIST.domain}"),
)
