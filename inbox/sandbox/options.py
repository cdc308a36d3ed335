"""A sandbox channel's options, read and checked once.

Options come from the channel's stored state, so they are validated like any
other untrusted input: a wrong type or an out-of-range rate is a clear error
naming the option, not a crash deep inside the generator.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from inbox.sandbox.artist import DEFAULT_HISTORY_DAYS, DEFAULT_RATES, DEFAULT_SEED
from inbox.sandbox.population import DEFAULT_SIZE

DEFAULT_ANSWER_RATE = 0.35
MAX_HISTORY_DAYS = 3650
MAX_RATE = 100_000  # messages per day or per hour: beyond this the demo is a load test


class BadOption(ValueError):
    """An option that cannot be used; the message names it."""


@dataclass(frozen=True, slots=True)
class SandboxOptions:
    seed: int | str
    history_days: float
    history_per_day: float
    live_per_hour: float
    answer_rate: float  # share of the artist's replies a fan answers
    population: int

    @classmethod
    def parse(cls, network: str, options: Mapping[str, Any]) -> SandboxOptions:
        rates = DEFAULT_RATES.get(network)
        seed = options.get("seed", DEFAULT_SEED)
        if isinstance(seed, bool) or not isinstance(seed, int | str):
            raise BadOption(f"sandbox option 'seed' must be an integer or a string, not {seed!r}")
        return cls(
            seed=seed,
            history_days=_number(options, "history_days", DEFAULT_HISTORY_DAYS, MAX_HISTORY_DAYS),
            history_per_day=_number(
                options, "history_per_day", rates.history_per_day if rates else 10.0, MAX_RATE
            ),
            live_per_hour=_number(
                options, "live_per_hour", rates.live_per_hour if rates else 5.0, MAX_RATE
            ),
            answer_rate=_number(options, "answer_rate", DEFAULT_ANSWER_RATE, 1.0),
            population=int(_number(options, "population", DEFAULT_SIZE, 100_000, minimum=13)),
        )


def _number(
    options: Mapping[str, Any], name: str, default: float, maximum: float, minimum: float = 0.0
) -> float:
    value = options.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadOption(f"sandbox option {name!r} must be a number, not {value!r}")
    if not minimum <= value <= maximum:
        raise BadOption(
            f"sandbox option {name!r} must be between {minimum:g} and {maximum:g}, not {value!r}"
        )
    return float(value)
