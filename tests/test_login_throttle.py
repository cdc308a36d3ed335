"""Failed sign-ins are counted per account and per address, in memory or in Redis."""

from __future__ import annotations

import uuid

import pytest

from crm.services.login_throttle import LoginThrottle
from tests.conftest import REDIS_URL

STORES = ["memory://"] + ([REDIS_URL] if REDIS_URL else [])


@pytest.mark.parametrize("uri", STORES)
def test_the_sixth_failure_on_one_account_is_refused_until_the_window_ends(uri: str) -> None:
    throttle = LoginThrottle(uri, namespace=uuid.uuid4().hex)
    for _ in range(5):
        assert throttle.check("Ana@Example.org", "10.0.0.1").allowed
        throttle.failed("Ana@Example.org", "10.0.0.1")
    verdict = throttle.check("ana@example.org ", "10.0.0.2")  # same account, any case
    assert not verdict.allowed and 0 < verdict.retry_after_s <= 15 * 60
    assert throttle.check("bob@example.org", "10.0.0.3").allowed


@pytest.mark.parametrize("uri", STORES)
def test_two_installs_sharing_one_store_never_count_each_others_attempts(uri: str) -> None:
    first = LoginThrottle.for_install(uri, "secret-a", "db", "/srv/a")
    second = LoginThrottle.for_install(uri, "secret-b", "db", "/srv/b")
    email = f"{uuid.uuid4().hex}@example.org"
    for _ in range(5):
        first.failed(email, "10.0.0.9")
    assert not first.check(email, "10.0.0.9").allowed
    assert second.check(email, "10.0.0.9").allowed
    first.succeeded(email)
    assert first.check(email, "10.0.0.8").allowed
