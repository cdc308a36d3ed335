"""The people who write to the artist: a deterministic population per seed.

Around 600 people by default, each with a persona (superfan, booker, spam
bot...), a culture (and so a language, a name, a home town), a writing style,
and one account per network they use. A superfan is one person with accounts
on two or three networks, usually under a similar handle, which is what the
CRM's identity merging has to discover.

The population depends only on the seed, so every channel of one demo shares
the same people: a fan who comments on YouTube is the same fan who mails.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from inbox.sandbox import handles
from inbox.sandbox.cultures import CULTURES, LANGUAGES, Culture
from inbox.sandbox.organisations import ORGANISATIONS, domain_for
from inbox.sandbox.personas import PROFILES, Group, Persona, PersonaProfile
from inbox.sandbox.places import REGIONS
from inbox.sandbox.seeding import cumulative, fraction, rng_for, stable_hash

DEFAULT_SIZE = 600
NETWORKS = ("x", "bluesky", "instagram", "youtube", "mastodon", "facebook", "email")

_EMOJI_SETS = (
    ("😭", "🥹", "💙", "✨"),
    ("🔥", "🤘", "🎸", "💥"),
    ("❤️", "😍", "🥰", "💕"),
    ("🌙", "🌌", "💫", "🖤"),
    ("😂", "🙌", "👏", "😎"),
    ("🎶", "🎧", "💿", "🎵"),
    ("🙏", "😊", "💛", "🌻"),
)


@dataclass(frozen=True, slots=True)
class FanStyle:
    """How a person types: fixed per person so their messages sound like one writer."""

    lowercase: bool
    emoji: float  # expected number of emoji added to a social message
    typos: float  # chance a message carries a typo
    slang: float  # chance the language's slang abbreviations are used
    excited: float  # chance of extra exclamation marks
    emoji_set: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Identity:
    """One account of a person on one network."""

    network: str
    external_id: str
    handle: str
    name: str
    profile_url: str | None
    followers: int
    following: int
    joined_year: int
    server: str | None = None  # the Mastodon server or the mail domain
    bio: str = ""  # the profile's own words; some people link their other accounts there


@dataclass(frozen=True, slots=True)
class Fan:
    index: int
    persona: Persona
    culture: Culture
    first_name: str
    last_name: str
    home_city: str
    tour_city: str  # the show they would go to
    style: FanStyle
    activity: float
    organisation: str | None  # agency, outlet, act or label, for industry personas
    identities: Mapping[str, Identity]
    # A line of their email signature naming one of their social accounts ("IG @lea.m"),
    # or empty: what lets the CRM tie an address to a handle.
    signature_line: str = ""

    @property
    def lang(self) -> str:
        return self.culture.lang

    @property
    def profile(self) -> PersonaProfile:
        return PROFILES[self.persona]

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Population:
    """Everyone, and who can be picked as the author of a message on each network."""

    def __init__(self, fans: Sequence[Fan]) -> None:
        self.fans = tuple(fans)
        self._by_account: dict[tuple[str, str], Fan] = {}
        self._pickers: dict[tuple[str, bool], tuple[list[Fan], list[float]]] = {}
        for network in NETWORKS:
            for allow_lapsed in (True, False):
                chosen = [
                    f
                    for f in self.fans
                    if network in f.identities and (allow_lapsed or f.persona != Persona.LAPSED)
                ]
                # A person on three networks splits their time between them.
                weights = cumulative([f.activity / len(f.identities) for f in chosen])
                self._pickers[(network, allow_lapsed)] = (chosen, weights)
        for fan in self.fans:
            for identity in fan.identities.values():
                self._by_account[(identity.network, identity.external_id)] = fan

    def pick(self, rng: random.Random, network: str, *, allow_lapsed: bool = True) -> Fan:
        """A person with an account on ``network``, the more active the likelier."""
        fans, weights = self._pickers[(network, allow_lapsed)]
        if not fans:
            raise LookupError(f"nobody in the sandbox population uses {network!r}")
        return rng.choices(fans, cum_weights=weights)[0]

    def pick_where(self, rng: random.Random, network: str, groups: tuple[Group, ...]) -> Fan | None:
        """A person on ``network`` in one of ``groups`` (a fan to chime in on a thread)."""
        fans, _ = self._pickers[(network, False)]
        eligible = [f for f in fans if f.profile.group in groups]
        if not eligible:
            return None
        return rng.choices(eligible, weights=[f.activity for f in eligible])[0]

    def by_account(self, network: str, external_id: str) -> Fan | None:
        return self._by_account.get((network, external_id))

    def __len__(self) -> int:
        return len(self.fans)


@lru_cache(maxsize=8)
def build_population(seed: int | str, size: int = DEFAULT_SIZE) -> Population:
    """The population of a seed. Cached: it is immutable and every channel shares it."""
    if size < len(PROFILES):
        raise ValueError(f"a population needs at least {len(PROFILES)} people, not {size}")
    rng = rng_for(seed, "population", size)
    personas = _persona_list(rng, size)
    cultures = _culture_list(rng, personas)
    taken: dict[str, set[str]] = {n: set() for n in NETWORKS}
    fans = [
        _make_fan(rng_for(seed, "fan", index), index, persona, culture, taken, seed)
        for index, (persona, culture) in enumerate(zip(personas, cultures, strict=True))
    ]
    return Population(fans)


def _persona_list(rng: random.Random, size: int) -> list[Persona]:
    total = sum(p.fans for p in PROFILES.values())
    counts = {p: max(1, round(prof.fans * size / total)) for p, prof in PROFILES.items()}
    # Rounding may miss the size by a few: adjust the biggest group.
    biggest = max(counts, key=lambda p: counts[p])
    counts[biggest] += size - sum(counts.values())
    personas = [p for p, n in counts.items() for _ in range(n)]
    rng.shuffle(personas)
    return personas


def _culture_list(rng: random.Random, personas: Sequence[Persona]) -> list[Culture]:
    """A culture per person, with each persona's languages in the overall proportions.

    Drawing languages independently would let a handful of very active
    superfans skew the whole traffic towards one language; quotas per persona
    keep the message mix near 55/15/15/15 for every seed.
    """
    lang_weights = {lang: sum(c.weight for c in CULTURES if c.lang == lang) for lang in LANGUAGES}
    by_lang = {lang: [c for c in CULTURES if c.lang == lang] for lang in LANGUAGES}
    out: list[Culture | None] = [None] * len(personas)
    for persona in PROFILES:
        slots = [i for i, p in enumerate(personas) if p == persona]
        langs = _quotas(lang_weights, len(slots))
        rng.shuffle(langs)
        for i, lang in zip(slots, langs, strict=True):
            pool = by_lang[lang]
            out[i] = rng.choices(pool, weights=[c.weight for c in pool])[0]
    return [c for c in out if c is not None]


def _quotas(weights: Mapping[str, float], count: int) -> list[str]:
    """``count`` labels split by ``weights``, rounding by largest remainder."""
    total = sum(weights.values())
    exact = {k: count * w / total for k, w in weights.items()}
    quota = {k: int(v) for k, v in exact.items()}
    by_remainder = sorted(exact, key=lambda k: exact[k] - quota[k], reverse=True)
    for k in by_remainder[: count - sum(quota.values())]:
        quota[k] += 1
    return [k for k, n in quota.items() for _ in range(n)]


def _make_fan(
    rng: random.Random,
    index: int,
    persona: Persona,
    culture: Culture,
    taken: dict[str, set[str]],
    seed: int | str,
) -> Fan:
    prof = PROFILES[persona]
    first = rng.choice(culture.first_names)
    last = rng.choice(culture.last_names)
    home = rng.choice(culture.home_cities)
    region = REGIONS[culture.region]
    tour_city = home if home in region else rng.choice(region)
    style = _style(rng, prof)
    activity = prof.activity * math.exp(rng.gauss(0, 0.45))
    organisation = None
    if persona in ORGANISATIONS:
        organisation = rng.choice(ORGANISATIONS[persona][culture.lang])
    networks = _networks(rng, prof)
    birth_year = rng.randint(1968, 2008)
    base = handles.bot_handle(rng) if persona == Persona.SPAM_BOT else None
    identities: dict[str, Identity] = {}
    for network in networks:
        # Most people reuse one handle everywhere; some vary it per network.
        if base is None or rng.random() < 0.3:
            if persona == Persona.SPAM_BOT:
                base = handles.bot_handle(rng)
            else:
                base = handles.person_handle(rng, first, last, birth_year)
        identities[network] = _identity(
            rng,
            network,
            base,
            first,
            last,
            culture,
            persona,
            organisation,
            style,
            taken,
            (seed, index, network),
        )
    identities, signature_line = _cross_links(seed, index, persona, home, identities)
    return Fan(
        index=index,
        persona=persona,
        culture=culture,
        first_name=first,
        last_name=last,
        home_city=home,
        tour_city=tour_city,
        style=style,
        activity=activity,
        organisation=organisation,
        identities=identities,
        signature_line=signature_line,
    )


# Share of people on two or more networks who link another account in a profile's bio,
# and of those with an address and a social account who sign their mail with a handle.
BIO_LINK_SHARE = 0.45
SIGNATURE_HANDLE_SHARE = 0.5
_SOCIAL_ORDER = ("instagram", "x", "bluesky", "youtube", "mastodon", "facebook")
_BIO_WORDS = {
    "x": "also on",
    "bluesky": "elsewhere:",
    "instagram": "📷",
    "youtube": "more:",
    "mastodon": "also:",
    "facebook": "",
}
_SIGNATURE_LABEL = {
    "instagram": "IG",
    "x": "X",
    "bluesky": "Bluesky",
    "youtube": "YouTube",
    "mastodon": "Mastodon",
    "facebook": "Facebook",
}


def link_to(identity: Identity) -> str:
    """How a person writes one of their accounts elsewhere: a profile link or an @handle."""
    network = identity.network
    if network == "bluesky":
        return identity.handle  # a Bluesky handle is a domain: unambiguous as it is
    if network == "mastodon" and identity.profile_url:
        return identity.profile_url
    if network in ("instagram", "x") and fraction("handle-style", identity.external_id) < 0.5:
        return "@" + identity.handle
    return (identity.profile_url or "").removeprefix("https://").removeprefix("www.")


def _cross_links(
    seed: int | str, index: int, persona: Persona, home: str, identities: dict[str, Identity]
) -> tuple[dict[str, Identity], str]:
    """Bios that link the person's other accounts, and a signature line naming one.

    Decided by their own coins (``fraction``), not the population's generator, so
    adding them left every person, handle and message of a seed as it was. Bots and
    trolls leave no such trail; nor do people with a single account.
    """
    if persona in (Persona.SPAM_BOT, Persona.TROLL):
        return identities, ""
    social = [identities[n] for n in _SOCIAL_ORDER if n in identities]
    out = dict(identities)
    if len(identities) >= 2 and len(social) >= 1 and fraction("bio", seed, index) < BIO_LINK_SHARE:
        # One profile (sometimes two) links the others: the person's "main" account.
        for k, ident in enumerate(social[:2]):
            if k == 1 and fraction("bio2", seed, index) >= 0.3:
                break
            others = [link_to(o) for o in social if o.network != ident.network][:2]
            if not others:
                continue
            word = _BIO_WORDS[ident.network]
            town = home if fraction("bio-town", seed, index) < 0.5 else ""
            parts = [p for p in (town, word, " · ".join(others)) if p]
            out[ident.network] = replace(ident, bio=" ".join(parts))
    line = ""
    if (
        "email" in identities
        and social
        and fraction("signature", seed, index) < SIGNATURE_HANDLE_SHARE
    ):
        named = social[stable_hash("signature-net", seed, index) % len(social)]
        line = f"{_SIGNATURE_LABEL[named.network]} {link_to(named)}"
    return out, line


def _networks(rng: random.Random, prof: PersonaProfile) -> list[str]:
    low, high = prof.identities
    count = rng.randint(low, high)
    names = list(prof.networks)
    weights = [prof.networks[n] for n in names]
    chosen: list[str] = []
    while len(chosen) < count and names:
        pick = rng.choices(range(len(names)), weights=weights)[0]
        chosen.append(names.pop(pick))
        weights.pop(pick)
    return chosen


def _style(rng: random.Random, prof: PersonaProfile) -> FanStyle:
    emoji_set = rng.choice(_EMOJI_SETS)
    if prof.formal:
        return FanStyle(False, rng.choice((0.0, 0.0, 0.3)), 0.0, 0.0, 0.05, emoji_set)
    young = rng.random() < 0.55
    return FanStyle(
        lowercase=young and rng.random() < 0.5,
        emoji=rng.choice((0.2, 0.6, 1.0, 1.6, 2.4)) if young else rng.choice((0.0, 0.3, 0.8)),
        typos=rng.choice((0.0, 0.08, 0.15, 0.3)),
        slang=(rng.choice((0.2, 0.5, 0.8)) if young else rng.choice((0.0, 0.1))),
        excited=rng.choice((0.1, 0.3, 0.5)),
        emoji_set=emoji_set,
    )


def _identity(
    rng: random.Random,
    network: str,
    base: str,
    first: str,
    last: str,
    culture: Culture,
    persona: Persona,
    organisation: str | None,
    style: FanStyle,
    taken: dict[str, set[str]],
    id_parts: tuple[object, ...],
) -> Identity:
    is_bot = persona == Persona.SPAM_BOT
    joined = rng.randint(2023, 2025) if is_bot else rng.randint(2009, 2025)
    if network == "bluesky":
        joined = max(joined, 2023)
    if network == "mastodon":
        joined = max(joined, 2017)
    server: str | None = None
    handle = _unique(rng, network, handles.for_network(network, base), taken)
    if network == "email":
        server, handle = _mail_address(rng, base, first, last, culture, organisation, is_bot)
        handle = _unique(rng, network, handle, taken)
    elif network == "mastodon":
        server = rng.choice(culture.mastodon_servers)
        handle = f"{handle}@{server}"
    elif network == "bluesky":
        handle = f"{handle}.bsky.social"
    elif network == "youtube":
        handle = "@" + (handle[:1].upper() + handle[1:] if rng.random() < 0.4 else handle)

    if is_bot:
        name = handles.bot_name(rng, base)
    elif network in ("facebook", "email") or persona in ORGANISATIONS:
        name = f"{first} {last}"
    else:
        name = handles.display_name(rng, first, last, style.emoji_set[0])
    if network == "email" and persona not in ORGANISATIONS and not is_bot and rng.random() < 0.12:
        name = ""  # a bare address, as some mail clients send it

    followers, following = _audience(rng, persona)
    external_id = handle if network == "email" else handles.account_id(network, joined, *id_parts)
    return Identity(
        network=network,
        external_id=external_id,
        handle=handle,
        name=name,
        profile_url=_profile_url(network, handle, server),
        followers=followers,
        following=following,
        joined_year=joined,
        server=server,
    )


def _unique(rng: random.Random, network: str, handle: str, taken: dict[str, set[str]]) -> str:
    candidate = handle
    while candidate.lower() in taken[network]:
        suffix = str(rng.randint(2, 999))
        if network == "email":
            local, _, domain = handle.partition("@")
            candidate = f"{local}{suffix}@{domain}"
        else:
            limit = 15 if network == "x" else 30
            candidate = handle[: limit - len(suffix)] + suffix
    taken[network].add(candidate.lower())
    return candidate


def _mail_address(
    rng: random.Random,
    base: str,
    first: str,
    last: str,
    culture: Culture,
    organisation: str | None,
    is_bot: bool,
) -> tuple[str, str]:
    f, la = handles.for_network("email", first), handles.for_network("email", last)
    if organisation and rng.random() < 0.7:
        domain = domain_for(organisation)
        local = rng.choice((f, f"{f}.{la}", f"{f[:1]}{la}"))
        return domain, f"{local}@{domain}"
    if is_bot:
        domain = rng.choice(("promo-mail.example", "growthmail.example", "bulkreach.example"))
        return domain, f"{handles.for_network('email', base)}@{domain}"
    domain = rng.choice(culture.mail_domains)
    local = handles.for_network("email", base) if rng.random() < 0.5 else f"{f}.{la}"
    return domain, f"{local}@{domain}"


def _audience(rng: random.Random, persona: Persona) -> tuple[int, int]:
    if persona == Persona.SPAM_BOT:
        return rng.randint(0, 60), rng.randint(1800, 7500)
    if persona in ORGANISATIONS:
        return rng.randint(400, 25000), rng.randint(200, 2000)
    if persona == Persona.TROLL:
        return rng.randint(3, 300), rng.randint(50, 900)
    if persona == Persona.SUPERFAN:
        return rng.randint(150, 4000), rng.randint(200, 1500)
    return rng.randint(8, 1500), rng.randint(30, 1200)


def _profile_url(network: str, handle: str, server: str | None) -> str | None:
    if network == "x":
        return f"https://x.com/{handle}"
    if network == "bluesky":
        return f"https://bsky.app/profile/{handle}"
    if network == "instagram":
        return f"https://www.instagram.com/{handle}/"
    if network == "youtube":
        return f"https://www.youtube.com/{handle}"
    if network == "mastodon":
        return f"https://{server}/@{handle.split('@')[0]}"
    if network == "facebook":
        return f"https://www.facebook.com/{handle}"
    return None
