"""Filling a template's ``{slots}``: songs, cities, dates, fees, order numbers.

Values are computed lazily, the first time a template asks for them, and then
kept for the rest of the message, so "{city}" and "{venue}" agree (the venue is
in that city) and a follow-up can reuse its thread's order number. Formats
follow the writer's language: "March 14" / "14 mars" / "14 de marzo" /
"14. März", "£1,800" / "1 800 €".
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from inbox.sandbox.artist import Artist
from inbox.sandbox.organisations import ORGANISATIONS, domain_for
from inbox.sandbox.phrasebook import Phrasebook
from inbox.sandbox.places import REGIONS, VENUES
from inbox.sandbox.population import Fan

_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}
_SPAM_DOMAINS = (
    "streamboost.example",
    "free-followers.example",
    "cryptogains.example",
    "promo-plays.example",
    "viral-growth.example",
)
_ALNUM = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_LINK_PATHS = ("tour", "presave", "shop", "tickets", "videos/latest", "merch/hoodie")


@dataclass(frozen=True, slots=True)
class FillContext:
    """What the fillers know about the message being written."""

    artist: Artist
    book: Phrasebook
    fan: Fan
    when: datetime
    topic: str
    song: str | None = None  # the song of the post being commented on, if any
    preset: dict[str, str] = field(default_factory=dict)  # values already fixed by the thread


class Fillers(dict[str, str]):
    """A mapping for :meth:`str.format_map` that computes a missing slot on demand."""

    def __init__(self, ctx: FillContext, rng: random.Random) -> None:
        super().__init__(ctx.preset)
        self._ctx = ctx
        self._rng = rng

    @property
    def lang(self) -> str:
        return self._ctx.book.lang

    def __missing__(self, key: str) -> str:
        value = self._compute(key)
        self[key] = value
        return value

    def _compute(self, key: str) -> str:
        ctx, rng = self._ctx, self._rng
        artist, fan, book = ctx.artist, ctx.fan, ctx.book
        match key:
            case "artist":
                return artist.name
            case "band":
                return rng.choice(artist.nicknames.get(book.lang, (artist.name,)))
            case "member":
                return rng.choice(artist.members)
            case "song":
                if ctx.song:
                    return ctx.song
                # The new single is on everybody's lips; the back catalogue less so.
                return artist.songs[min(int(rng.expovariate(0.35)), len(artist.songs) - 1)]
            case "other_song":
                song = self["song"]
                return rng.choice([s for s in artist.songs if s != song] or [song])
            case "album":
                return rng.choices(artist.albums, weights=(6, 3, 1)[: len(artist.albums)])[0].title
            case "old_album":
                return rng.choice(artist.albums[1:] or artist.albums).title
            case "city":
                if rng.random() < 0.75:
                    return fan.tour_city
                return rng.choice(REGIONS[fan.culture.region])
            case "other_city":  # a show elsewhere than where the fan lives
                region = [c for c in REGIONS[fan.culture.region] if c != fan.home_city]
                return rng.choice(region or list(REGIONS["europe"]))
            case "venue":
                return rng.choice(VENUES.get(self["city"], ("the Town Hall",)))
            case "home_city":
                return fan.home_city
            case "date":
                return self._date(ctx.when + timedelta(days=rng.randint(10, 120)))
            case "past_date":
                return self._date(ctx.when - timedelta(days=rng.randint(4, 30)))
            case "deadline":
                return self._date(ctx.when + timedelta(days=rng.randint(3, 14)))
            case "order":
                initials = "".join(w[0] for w in artist.name.split() if w[:1].isalpha()).upper()
                return f"{initials or 'WEB'}-{rng.randint(10000, 99999)}"
            case "ticket_ref":
                letters = "".join(rng.choice("ABCDEFGHJKMNPQRSTUVWXYZ") for _ in range(2))
                return f"{letters}{rng.randint(100000, 999999)}"
            case "fee":
                if ctx.topic == "insult":  # a troll complains about the ticket price
                    return self._money(rng.randint(25, 65))
                return self._money(rng.randrange(800, 6000, 50))
            case "capacity":
                return self._number(rng.choice((180, 250, 300, 450, 600, 800, 1000, 1400, 2000)))
            case "count":
                return str(rng.randint(3, 15))
            case "organisation":
                if fan.organisation:
                    return fan.organisation
                pool = ORGANISATIONS.get(fan.persona, {})
                return rng.choice(pool.get(book.lang, ("our team",)))
            case "first_name":
                return fan.first_name
            case "full_name":
                return fan.full_name
            case "phone":
                return "".join(str(rng.randint(0, 9)) if c == "#" else c for c in fan.culture.phone)
            case "website":
                return f"https://{domain_for(self['organisation'])}"
            case "link":
                return artist.link(rng.choice(_LINK_PATHS))
            case "timestamp":
                return f"{rng.randint(0, 4)}:{rng.randint(0, 59):02d}"
            case "emoji":
                return rng.choice(fan.style.emoji_set)
            case "hashtag":
                return "#" + rng.choice(artist.hashtags)
            case "spam_link":
                return f"https://{rng.choice(_SPAM_DOMAINS)}/{''.join(rng.choices(_ALNUM, k=7))}"
            case "spam_handle":
                return f"@{rng.choice(('tradewith', 'mentor', 'coach', 'realbeats'))}_{rng.choice(('anna', 'mike', 'sarah', 'j'))}{rng.randint(10, 999)}"
            case "percent":
                return str(rng.randint(8, 40))
            case "amount":
                return self._money(rng.randrange(300, 9000, 50))
            case "year_past":
                return str(rng.randint(artist.founded, max(artist.founded, ctx.when.year - 1)))
        words = book.words.get(key)
        if words:
            return rng.choice(words)
        raise KeyError(key)

    def _date(self, day: datetime) -> str:
        book = self._ctx.book
        return book.date_format.format(day=day.day, month=book.months[day.month - 1])

    def _number(self, value: int) -> str:
        return f"{value:,}".replace(",", self._ctx.book.thousands)

    def _money(self, amount: int) -> str:
        currency = self._ctx.fan.culture.currency
        number = self._number(amount)
        if self._ctx.book.lang == "en":
            return f"{_SYMBOLS.get(currency, '')}{number}"
        if currency == "EUR":
            return f"{number} €"
        return f"{currency} {number}"


# French contracts "à" and "de" with a venue's own article: "au Transbordeur", "des Docks".
# Only capitalised articles (a name's) are touched, never the pronoun in "à le faire".
_FRENCH_CONTRACTIONS = re.compile(r"\b(à|de) (Le|Les) ")
_CONTRACTED = {("à", "Le"): "au ", ("à", "Les"): "aux ", ("de", "Le"): "du ", ("de", "Les"): "des "}


def fill(template: str, fillers: Fillers) -> str:
    text = template.format_map(fillers)
    if fillers.lang == "fr":
        text = _FRENCH_CONTRACTIONS.sub(lambda m: _CONTRACTED[(m.group(1), m.group(2))], text)
    return text
