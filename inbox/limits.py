"""How long a reply may be on each network, counted the way that network counts.

One function per network, used by the outbox (which refuses a reply that is too
long) and by the composer's counter (which asks the server as the person types),
so the figure a person sees is the figure that decides:

- X: twitter-text's weighted length (``twitter-text-parser``, the Python port of
  X's own library): CJK characters and emoji weigh 2, most Latin letters 1, any
  URL 23, an emoji sequence (ZWJ family, flag, skin tone) one emoji.
- Bluesky: extended grapheme clusters (``regex``'s ``\\X``), as its lexicon's
  ``maxGraphemes`` does.
- Mastodon: grapheme clusters too, after its StatusLengthValidator's rewrite: a
  URL with a scheme counts 23, a remote mention ``@user@domain`` counts ``@user``.
- The others document plain characters (code points).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import regex
from twitter_text import extract_urls_with_indices, parse_tweet

_GRAPHEME = regex.compile(r"\X")
URL_WEIGHT = 23  # X and Mastodon count every link as 23 characters, whatever its length
# Mastodon's Account::MENTION_RE: a mention not preceded by "=", "/" or a word
# character; group 2 is the local user name, which is all that is counted.
_MASTODON_MENTION = regex.compile(
    r"(?<![=/\w])@(([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?)(?:@[\w.-]+\w+)?)", regex.IGNORECASE
)


def graphemes(text: str) -> int:
    """What a reader sees as characters: extended grapheme clusters (Unicode UAX #29)."""
    return len(_GRAPHEME.findall(text))


def x_length(text: str) -> int:
    """X's weighted length, by twitter-text's current (v3) configuration."""
    return int(parse_tweet(text).weightedLength)


def mastodon_countable(text: str) -> str:
    """The text as Mastodon measures it: URLs as 23 characters, ``@user@domain`` as ``@user``.

    Like Mastodon, URLs (with ``http(s)://`` only) and mentions are found first and
    an entity overlapping an earlier one is dropped, then each is rewritten.
    """
    entities: list[tuple[int, int, str]] = [
        (start, end, "x" * URL_WEIGHT)
        for url in extract_urls_with_indices(text, extract_urls_without_protocol=False)
        for start, end in [url["indices"]]
    ]
    entities += [(m.start(), m.end(), "@" + m.group(2)) for m in _MASTODON_MENTION.finditer(text)]
    out, at = [], 0
    for start, end, replacement in sorted(entities):
        if start < at:
            continue  # overlaps the entity before it (a mention inside a URL)
        out += [text[at:start], replacement]
        at = end
    out.append(text[at:])
    return "".join(out)


def mastodon_length(text: str) -> int:
    return graphemes(mastodon_countable(text))


def code_points(text: str) -> int:
    return len(text)


@dataclass(frozen=True)
class Limit:
    max: int
    unit: str  # "characters" or "graphemes": the word the composer shows
    counter: Callable[[str], int] = code_points

    def count(self, text: str) -> int:
        return self.counter(text)


LIMITS: dict[str, Limit] = {
    "x": Limit(280, "characters", x_length),
    "bluesky": Limit(300, "graphemes", graphemes),
    "mastodon": Limit(500, "characters", mastodon_length),
    "instagram": Limit(2200, "characters"),
    "facebook": Limit(8000, "characters"),
    "youtube": Limit(10000, "characters"),
    "email": Limit(100_000, "characters"),
}


def limit_for(network: str) -> Limit:
    return LIMITS.get(network, Limit(5000, "characters"))


def check_length(network: str, text: str) -> tuple[int, Limit]:
    """How long ``text`` is on ``network``, and the limit it must fit."""
    limit = limit_for(network)
    return limit.count(text), limit
