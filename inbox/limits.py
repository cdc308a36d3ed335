"""How long a reply may be on each network, counted the way that network counts.

X counts code points with URLs as 23; Bluesky counts graphemes (an emoji with
skin tone is one); most others count code points.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_URL = re.compile(r"https?://\S+")
# A grapheme cluster, approximately: a base character followed by combining marks,
# variation selectors, skin-tone modifiers, and zero-width-joiner sequences.
_EXTEND = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe00-\ufe0f\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f"
_GRAPHEME = re.compile(
    rf"(?:\r\n|[\U0001F1E6-\U0001F1FF]{{2}}|.[{_EXTEND}]*(?:\u200d.[{_EXTEND}]*)*)", re.S
)


def graphemes(text: str) -> int:
    return len(_GRAPHEME.findall(unicodedata.normalize("NFC", text)))


def x_length(text: str) -> int:
    return len(_URL.sub("x" * 23, text))


@dataclass(frozen=True)
class Limit:
    max: int
    unit: str  # "characters" or "graphemes"

    def count(self, network: str, text: str) -> int:
        if network == "x":
            return x_length(text)
        if self.unit == "graphemes":
            return graphemes(text)
        return len(text)


LIMITS: dict[str, Limit] = {
    "x": Limit(280, "characters"),
    "bluesky": Limit(300, "graphemes"),
    "mastodon": Limit(500, "characters"),
    "instagram": Limit(2200, "characters"),
    "facebook": Limit(8000, "characters"),
    "youtube": Limit(10000, "characters"),
    "email": Limit(100_000, "characters"),
}


def limit_for(network: str) -> Limit:
    return LIMITS.get(network, Limit(5000, "characters"))


def check_length(network: str, text: str) -> tuple[int, Limit]:
    limit = limit_for(network)
    return limit.count(network, text), limit
