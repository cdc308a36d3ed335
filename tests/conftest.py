"""Shared fixtures.

The suite runs on SQLite by default. With ``UNPLUGGED_TEST_DATABASE_URL``
(PostgreSQL) and ``UNPLUGGED_TEST_REDIS_URL`` set, as ``.ci/run`` does for its
second pass, the same tests run on PostgreSQL and the rq tests use a real
Redis and real worker processes; without them rq runs on fakeredis.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

import models
from crm.app import create_app
from crm.services import accounts
from inbox.config import Settings
from inbox.runtime import Runtime, build_runtime, set_runtime
from models import Role

# The fake networks listen on 127.0.0.1: let connections reach loopback in this process,
# the CLI runs and the worker processes the tests start (tests of the guard turn it off).
os.environ.setdefault("UNPLUGGED_ALLOW_LOOPBACK", "1")
PG_URL = os.environ.get("UNPLUGGED_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("UNPLUGGED_TEST_REDIS_URL")
PASSWORD = "correct horse battery"
TEST_KEY = Fernet.generate_key().decode()


def pytest_report_header() -> list[str]:
    return [
        f"unplugged database: {'postgresql' if PG_URL else 'sqlite'}; "
        f"redis: {'real' if REDIS_URL else 'fakeredis'}"
    ]


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    base = Settings(
        database_url=PG_URL or f"sqlite:///{tmp_path / 'test.db'}",
        secret_key="test-secret-for-signing-session-cookies",
        encryption_keys=(TEST_KEY,),
        jobs_mode="inline",
        secure_cookies=False,
        instance_path=tmp_path,
        # The fake networks listen on 127.0.0.1; tests of the guard build settings without.
        allow_loopback=True,
    )
    from dataclasses import replace

    return replace(base, **overrides)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _loopback_allowed() -> None:
    """Connectors built without a runtime reach the local fake servers too (see netguard)."""
    from inbox import netguard

    netguard.configure(allow_loopback=True)


_pg_schema_fresh = False


def _reset_schema(rt: Runtime) -> None:
    from models import search

    if rt.settings.is_sqlite:
        models.Base.metadata.create_all(rt.engine)
        with rt.engine.begin() as conn:
            search.install(conn)
        return
    global _pg_schema_fresh
    with rt.engine.begin() as conn:
        # A session a test left open in a transaction (a streamed response never read to
        # its end) would hold its locks for ever and the TRUNCATE below would wait on it.
        conn.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND state LIKE 'idle in transaction%%'"
        )
        if not _pg_schema_fresh:  # once per run: the schema may be an older version's
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
            _pg_schema_fresh = True
        models.Base.metadata.create_all(conn)
        search.install(conn)
        names = ", ".join(f'"{t.name}"' for t in models.Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def rt(settings: Settings) -> Iterator[Runtime]:
    runtime = build_runtime(settings)
    _reset_schema(runtime)
    set_runtime(runtime)
    yield runtime
    set_runtime(None)
    runtime.close()


@pytest.fixture
def app(rt: Runtime) -> Flask:
    # No garbage collection while werkzeug compiles the URL map: CPython 3.11 raises
    # "AST constructor recursion depth mismatch" when a collection runs Python code
    # (an earlier test's connection closing) in the middle of building an AST. Pausing
    # the collector costs nothing; collecting before every app cost minutes a run.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        application = create_app(runtime=rt)
    finally:
        if was_enabled:
            gc.enable()
    application.config["TESTING"] = True
    return application


@pytest.fixture
def workspace(rt: Runtime) -> models.Workspace:
    with rt.session() as s:
        ws = accounts.create_workspace(s, "Les Lumières Basses")
        owner = accounts.create_user(s, "owner@example.org", "Olive Owner", PASSWORD)
        accounts.add_member(s, ws, owner, Role.OWNER)
        agent = accounts.create_user(s, "agent@example.org", "Ada Agent", PASSWORD)
        accounts.add_member(s, ws, agent, Role.AGENT)
        viewer = accounts.create_user(s, "viewer@example.org", "Vic Viewer", PASSWORD)
        accounts.add_member(s, ws, viewer, Role.VIEWER)
    return ws


class CsrfClient(FlaskClient):
    """A test client that sends the CSRF token like the browser's app.js does."""

    csrf: str | None = None


def login(client: FlaskClient, email: str = "owner@example.org", password: str = PASSWORD) -> str:
    """Log in and return the CSRF token of the new session."""
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert token
    resp = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token.group(1)}
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert token
    return token.group(1)


@pytest.fixture
def client(app: Flask, workspace: models.Workspace) -> FlaskClient:
    return app.test_client()
