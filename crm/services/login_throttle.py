"""Limits on failed sign-ins, per account and per address.

Each password check costs an argon2 hash (64 MiB, about half a second), so
unlimited guesses are both a way in and a way to exhaust the server. Failed
attempts are counted in a moving window by the ``limits`` library (the engine
of Flask-Limiter): in memory for the embedded install, in Redis when Redis is
configured, so every web process shares one count. A blocked attempt is refused
before any hash is computed. A successful sign-in clears its account's count.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse, storage, strategies

PER_ACCOUNT = "5/15 minutes"
PER_ADDRESS = "20/15 minutes"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_s: int = 0


class LoginThrottle:
    """Counts failed sign-ins; built once per app from its settings."""

    def __init__(
        self,
        storage_uri: str,
        namespace: str,
        per_account: str = PER_ACCOUNT,
        per_address: str = PER_ADDRESS,
    ) -> None:
        self._window = strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_uri))
        self._namespace = namespace
        self._account: RateLimitItem = parse(per_account)
        self._address: RateLimitItem = parse(per_address)

    @classmethod
    def for_install(cls, redis_url: str | None, *identity: str) -> LoginThrottle:
        """Redis when configured, else this process's memory. ``identity`` (the
        install's secret, database and instance folder) names the counts, so two
        installs sharing one Redis never count each other's attempts."""
        namespace = hashlib.sha256("\0".join(identity).encode()).hexdigest()[:16]
        return cls(redis_url or "memory://", namespace)

    def _keys(self, email: str, address: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        account = hashlib.sha256(email.strip().casefold().encode()).hexdigest()
        return (
            ("login-account", self._namespace, account),
            ("login-address", self._namespace, address or "unknown"),
        )

    def check(self, email: str, address: str) -> Verdict:
        """Whether another attempt may be tried now (nothing is counted here)."""
        account, where = self._keys(email, address)
        for item, key in ((self._account, account), (self._address, where)):
            if not self._window.test(item, *key):
                reset = self._window.get_window_stats(item, *key).reset_time
                return Verdict(False, max(1, int(reset - time.time())))
        return Verdict(True)

    def failed(self, email: str, address: str) -> None:
        account, where = self._keys(email, address)
        self._window.hit(self._account, *account)
        self._window.hit(self._address, *where)

    def succeeded(self, email: str) -> None:
        account, _ = self._keys(email, "")
        self._window.clear(self._account, *account)
