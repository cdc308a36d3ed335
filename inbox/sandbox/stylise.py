"""Making a clean template sound like one particular person typed it.

The same sentence reads differently from a teenager on Instagram ("omg u guys
r amazing 😭😭") and a booker by mail. Each fan has a :class:`FanStyle`; this
module applies it: slang abbreviations, all-lowercase, excitement, the odd
typo and emoji. Professionals (``formal`` personas) keep their text as is.
"""

from __future__ import annotations

import random
import re

from inbox.sandbox.phrasebook import Phrasebook
from inbox.sandbox.population import FanStyle

# How emoji-heavy each network's culture is, relative to a fan's own habit.
EMOJI_FACTOR = {
    "instagram": 1.7,
    "x": 1.0,
    "bluesky": 0.8,
    "facebook": 0.9,
    "youtube": 0.7,
    "mastodon": 0.5,
    "email": 0.1,
}
_TOKEN = re.compile(r"\S+")


_SLANG: dict[str, tuple[re.Pattern[str], dict[str, str]]] = {}


def _slang_pattern(book: Phrasebook) -> tuple[re.Pattern[str], dict[str, str]]:
    """One regular expression per language matching every slang phrase as whole words."""
    cached = _SLANG.get(book.lang)
    if cached is None:
        table = {long.lower(): short for long, short in book.slang}
        # Longest first, so "to be honest" wins over a shorter phrase inside it.
        alternatives = sorted(table, key=len, reverse=True)
        pattern = re.compile(r"\b(" + "|".join(re.escape(a) for a in alternatives) + r")\b", re.I)
        cached = _SLANG[book.lang] = (pattern, table)
    return cached


def stylise(
    text: str,
    rng: random.Random,
    style: FanStyle,
    book: Phrasebook,
    network: str,
    *,
    casual: bool,
) -> str:
    """``text`` as written by someone with ``style`` on ``network``."""
    if casual:
        if book.slang and rng.random() < style.slang:
            pattern, table = _slang_pattern(book)
            text = pattern.sub(lambda m: table[m.group(0).lower()], text)
        if style.lowercase:
            text = text.lower()
        if rng.random() < style.excited:
            text = _excite(text, rng)
        if rng.random() < style.typos:
            text = _typo(text, rng)
    count = _emoji_count(rng, style.emoji * EMOJI_FACTOR.get(network, 1.0))
    if count:
        if rng.random() < 0.4:  # "😭😭😭": the same one, repeated
            emoji = rng.choice(style.emoji_set) * count
        else:
            emoji = "".join(rng.choice(style.emoji_set) for _ in range(count))
        text = f"{text} {emoji}"
    return text


def _emoji_count(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    count = 0
    while rng.random() < mean / (mean + 1) and count < 5:
        count += 1
    return count


def _excite(text: str, rng: random.Random) -> str:
    stripped = text.rstrip(".!")
    words = _plain_words(stripped)
    if rng.random() < 0.6 or not words:
        return stripped + "!" * rng.randint(2, 4)
    word = rng.choice(words)
    return stripped[: word.start()] + word.group(0).upper() + stripped[word.end() :]


def _plain_words(text: str) -> list[re.Match[str]]:
    """Words of four letters or more: never a link, handle, hashtag, number or reference."""
    return [m for m in _TOKEN.finditer(text) if len(m.group(0)) >= 4 and m.group(0).isalpha()]


def _typo(text: str, rng: random.Random) -> str:
    """One slip of the finger in a plain word (never in a link, handle, number or tag)."""
    words = _plain_words(text)
    if not words:
        return text
    match = rng.choice(words)
    word = match.group(0)
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.4:  # swapped letters
        typo = word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    elif kind < 0.7:  # a dropped letter
        typo = word[:i] + word[i + 1 :]
    else:  # a doubled letter
        typo = word[:i] + word[i] + word[i:]
    return text[: match.start()] + typo + text[match.end() :]
