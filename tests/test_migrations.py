"""The migrations and the models describe the same schema, on every backend."""

from __future__ import annotations

import secrets
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

import models
from crm import migrate
from models.db import make_engine
from tests.conftest import PG_URL


def _include(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    from models.search import NOT_IN_MODELS

    return not (reflected and name in NOT_IN_MODELS)


def _diff(engine_url: str, schema: str | None = None) -> list[object]:
    engine = make_engine(engine_url)
    if schema:
        engine = create_engine(engine_url, connect_args={"options": f"-csearch_path={schema}"})
    migrate.upgrade(engine)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": _include}
        )
        diff = compare_metadata(ctx, models.Base.metadata)
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert set(models.Base.metadata.tables) <= tables
    return diff


def test_migrations_match_models_on_sqlite(tmp_path: Path) -> None:
    assert _diff(f"sqlite:///{tmp_path / 'm.db'}") == []


def test_migrations_match_models_on_postgresql() -> None:
    if not PG_URL:
        import pytest

        pytest.skip("the PostgreSQL pass of .ci/run covers this")
    schema = f"migr_{secrets.token_hex(4)}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        assert _diff(PG_URL, schema) == []
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def test_upgrade_is_repeatable(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    migrate.upgrade(engine)
    migrate.upgrade(engine)
    assert migrate.current(engine) is not None


def test_upgrading_a_database_with_data_keeps_every_row(tmp_path: Path) -> None:
    """Batch mode on SQLite copies a changed table and drops the old one: with foreign
    keys on, dropping ``workspaces`` used to delete every channel, conversation and
    message through their cascades."""
    engine = make_engine(f"sqlite:///{tmp_path / 'd.db'}")
    migrate.upgrade(engine, "0008")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO workspaces (id, name, slug, timezone, created_at)"
            " VALUES (1, 'Band', 'band', 'UTC', '2026-01-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO channels (id, workspace_id, network, connector, handle, display_name,"
            " health, sync_enabled, sync_interval_s, consecutive_failures, created_at)"
            " VALUES (1, 1, 'x', 'x', 'band', '', 'ok', 1, 120, 0, '2026-01-01 00:00:00')"
        )
    before = _counts(engine)
    migrate.upgrade(engine)
    assert _counts(engine) == before == {"workspaces": 1, "channels": 1}
    engine.dispose()


def _counts(engine: object) -> dict[str, int]:
    from sqlalchemy import Engine

    assert isinstance(engine, Engine)
    with engine.connect() as conn:
        return {
            t: int(conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one())
            for t in ("workspaces", "channels")
        }
