"""Handles, display names and account ids in each network's own format.

People pick handles from their names with small twists (a year, an initial, a
favourite word); spam bots pick keyword soup with digits. Each network then
constrains the result: X allows 15 characters of letters, digits and
underscore, Instagram 30 with dots, Bluesky a DNS name, Mastodon a user on a
server, email a local part at a domain.
"""

from __future__ import annotations

import random
import unicodedata

from inbox.sandbox.seeding import base32_token, base64url_token, digits_token

_WORDS = (
    "music",
    "vinyl",
    "neon",
    "moon",
    "lune",
    "sol",
    "sonne",
    "indie",
    "wave",
    "sounds",
    "tapes",
    "nights",
    "records",
    "live",
    "gigs",
    "songs",
    "radio",
    "echo",
)
_BOT_HEADS = (
    "crypto",
    "promo",
    "music",
    "beatz",
    "stream",
    "f4f",
    "follow",
    "viral",
    "fame",
    "forex",
    "nft",
    "growth",
    "playlist",
    "fans",
    "hype",
)
_BOT_TAILS = (
    "king",
    "boost",
    "daily",
    "official",
    "hub",
    "world",
    "pro",
    "signals",
    "agency",
    "4u",
    "zone",
    "plug",
    "guru",
    "club",
)
_BOT_NAME_EMOJI = ("👑", "🚀", "💰", "🔥", "📈", "💯", "✅", "🎧")


def ascii_fold(text: str) -> str:
    """'Léa Müller-Çelik' -> 'lea muller-celik': what people type in a handle."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.replace("ß", "ss").replace("ı", "i").replace("ł", "l").lower()


def _clean(text: str) -> str:
    return "".join(c for c in ascii_fold(text) if c.isalnum())


def person_handle(rng: random.Random, first: str, last: str, birth_year: int) -> str:
    """A handle as a person would choose it; separators are ``_`` or ``.``, fixed per network."""
    f, la = _clean(first), _clean(last)
    yy = f"{birth_year % 100:02d}"
    word = rng.choice(_WORDS)
    patterns = (
        f"{f}{la}",
        f"{f}.{la}",
        f"{f}_{la}",
        f"{f}{la[:1]}",
        f"{f}{yy}",
        f"{f}_{word}",
        f"{word}.{f}",
        f"{f[:1]}{la}{yy}",
        f"its{f}",
        f"{f}{la}_",
        f"{la}.{f}",
        f"{f}.{la}{rng.randint(1, 99)}",
        f"{f}{word}{yy}",
        f"x{f}x",
        f"{f}_{la[:3]}",
    )
    return rng.choice(patterns).strip("._") or f"{word}{yy}"


def bot_handle(rng: random.Random) -> str:
    sep = rng.choice(("", "_", "."))
    return f"{rng.choice(_BOT_HEADS)}{sep}{rng.choice(_BOT_TAILS)}{sep}{rng.randint(7, 9999)}"


def bot_name(rng: random.Random, handle: str) -> str:
    words = handle.replace(".", " ").replace("_", " ").split()
    head = " ".join(w.capitalize() for w in words if not w.isdigit()) or "Promo"
    if rng.random() < 0.6:
        head += " " + rng.choice(_BOT_NAME_EMOJI)
    return head


def for_network(network: str, handle: str) -> str:
    """``handle`` squeezed into the network's character set and length."""
    folded = ascii_fold(handle)
    if network == "x":
        out = "".join(c if c.isalnum() else "_" for c in folded)[:15]
        return out.strip("_") or "fan"
    if network == "instagram":
        return "".join(c for c in folded if c.isalnum() or c in "._")[:30].strip(".")
    if network in ("bluesky", "mastodon"):
        keep = "-" if network == "bluesky" else "_"
        out = "".join(c if c.isalnum() else keep for c in folded)[:30]
        return out.strip("-_") or "fan"
    if network == "youtube":
        return "".join(c for c in handle if c.isalnum() or c in "._-")[:30] or "fan"
    return "".join(c for c in folded if c.isalnum() or c in "._-")[:40].strip("._-") or "fan"


def display_name(rng: random.Random, first: str, last: str, emoji: str) -> str:
    roll = rng.random()
    if roll < 0.45:
        return f"{first} {last}"
    if roll < 0.6:
        return first
    if roll < 0.75:
        return f"{first} {emoji}"
    if roll < 0.9:
        return f"{first} {last[:1]}."
    return first.lower()


def account_id(network: str, joined_year: int, *parts: object) -> str:
    """The network's opaque id for an account, in that network's format."""
    if network == "x":
        # Accounts from before 2016 have short sequential ids, later ones snowflakes.
        return "1" + digits_token(8 if joined_year < 2016 else 18, "x-user", *parts)
    if network == "bluesky":
        return "did:plc:" + base32_token(24, "did", *parts)
    if network == "instagram":
        return "1784" + digits_token(13, "ig-user", *parts)
    if network == "youtube":
        return "UC" + base64url_token(22, "yt-channel", *parts)
    if network == "mastodon":
        return "10" + digits_token(16, "masto-account", *parts)
    if network == "facebook":
        return "2" + digits_token(15, "fb-user", *parts)
    raise ValueError(f"no account ids on {network!r}")


def artist_account_id(network: str, handle: str) -> str:
    """The artist's own account id on the sandbox network: derived from the handle.

    Like a real network, the sandbox decides its accounts' ids; a channel's
    stored ``external_id`` is not consulted. Mail has no ids beyond the address.
    """
    if network == "email":
        return handle
    return account_id(network, 2016, "artist", handle.lstrip("@"))
