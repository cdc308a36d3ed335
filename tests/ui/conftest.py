"""Fixtures for the inbox UI tests: a seeded inbox and logged-in clients."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from argon2 import PasswordHasher
from flask.testing import FlaskClient
from sqlalchemy import select

import models
from crm import security
from inbox.runtime import Runtime
from tests import fakes
from tests.conftest import login
from tests.ui.seed import seed_inbox


@pytest.fixture(autouse=True)
def _quick_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its cheapest: these tests are about the inbox, not about hashing cost."""
    monkeypatch.setattr(
        security, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )


@pytest.fixture(autouse=True)
def _fresh_network() -> None:
    fakes.NETWORK.reset()


@pytest.fixture
def ids(rt: Runtime, workspace: models.Workspace) -> dict[str, int]:
    """The standard seeded inbox: conversation ids by name (promoter, ticket, press...)."""
    return seed_inbox(rt, workspace.id)


@pytest.fixture
def users(rt: Runtime, workspace: models.Workspace) -> dict[str, int]:
    """User ids by role name: owner, agent, viewer."""
    with rt.session() as s:
        rows = s.execute(select(models.User.email, models.User.id)).all()
    return {email.split("@")[0]: uid for email, uid in rows}


@pytest.fixture
def as_user(app: object, workspace: models.Workspace) -> Callable[[str], tuple[FlaskClient, str]]:
    """A new logged-in client for ``owner``, ``agent`` or ``viewer``, with its CSRF token."""

    def make(who: str = "owner") -> tuple[FlaskClient, str]:
        client = app.test_client()  # type: ignore[attr-defined]
        token = login(client, f"{who}@example.org")
        return client, token

    return make


HX = {"HX-Request": "true"}
