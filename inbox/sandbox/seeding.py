"""Deterministic randomness for the sandbox.

Every random choice the sandbox makes comes from a :class:`random.Random`
seeded by a hash of *what* is being generated (seed, network, handle, time
slot, item number...). Two runs, two processes or two machines therefore make
the same fan say the same thing at the same instant, which is what lets the
pipeline de-duplicate a re-fetched window by external id.

Python's built-in :func:`hash` is salted per process, so it must never feed a
seed; BLAKE2b is stable everywhere.
"""

from __future__ import annotations

import base64
import hashlib
import math
import random
from collections.abc import Sequence

_SEP = b"\x1f"  # the ASCII unit separator: cannot be confused with text in a part


def stable_hash(*parts: object) -> int:
    """A 64-bit integer that depends only on ``parts`` (their ``str`` forms, in order)."""
    digest = hashlib.blake2b(
        _SEP.join(str(part).encode("utf-8") for part in parts), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big")


def rng_for(*parts: object) -> random.Random:
    """A random generator private to ``parts``: same parts, same sequence."""
    digest = hashlib.blake2b(
        _SEP.join(str(part).encode("utf-8") for part in parts), digest_size=16
    ).digest()
    # seeded fake traffic, not secrets (bandit B311)
    return random.Random(int.from_bytes(digest, "big"))  # nosec B311


def fraction(*parts: object) -> float:
    """A number in [0, 1) that depends only on ``parts``: a cheap deterministic coin."""
    return stable_hash(*parts) / 2.0**64


def poisson(rng: random.Random, mean: float) -> int:
    """How many events happen in an interval that expects ``mean`` of them.

    Knuth's product method is exact and fast for the small means of one time
    slot; large means (a busy live channel with long slots) use the normal
    approximation, which is indistinguishable there.
    """
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit = math.exp(-mean)
    count = 0
    product = rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def cumulative(weights: Sequence[float]) -> list[float]:
    """Running totals, for :func:`random.Random.choices` with ``cum_weights``."""
    total = 0.0
    out: list[float] = []
    for weight in weights:
        total += weight
        out.append(total)
    return out


_B32_SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"  # AT Protocol TIDs: sorts like the number


def _digest(parts: tuple[object, ...]) -> bytes:
    return hashlib.blake2b(
        _SEP.join(str(part).encode("utf-8") for part in parts), digest_size=32
    ).digest()


def base32_sortable(number: int, width: int) -> str:
    """``number`` in the sortable base32 of AT Protocol TIDs, padded to ``width`` digits."""
    digits = []
    for _ in range(width):
        number, rem = divmod(number, 32)
        digits.append(_B32_SORTABLE[rem])
    return "".join(reversed(digits))


def base32_token(length: int, *parts: object) -> str:
    """Up to 52 lower-case RFC 4648 base32 characters (the alphabet of did:plc and CIDs)."""
    return base64.b32encode(_digest(parts)).decode("ascii").lower()[:length]


def base64url_token(length: int, *parts: object) -> str:
    """Up to 43 URL-safe base64 characters (YouTube ids, Instagram message ids)."""
    return base64.urlsafe_b64encode(_digest(parts)).decode("ascii")[:length]


def digits_token(length: int, *parts: object) -> str:
    """Up to 77 decimal digits."""
    return str(int.from_bytes(_digest(parts), "big")).zfill(length)[-length:]
