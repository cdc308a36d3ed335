"""Running the Alembic migrations that ship inside the ``models`` package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "models" / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``.

    On SQLite, Alembic's batch mode changes a table by copying it to a new one and
    dropping the old; with foreign keys on, dropping a parent table (``workspaces``,
    ``conversations``) would first delete every row that cascades from it. So the
    check is off while migrating (SQLite only honours that outside a transaction)
    and the whole file is checked once the migrations are done.
    """
    cfg = alembic_config(engine)
    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.commit()  # ends SQLAlchemy's autobegun transaction (SQLite opened none)
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            conn.commit()
        finally:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()
    if broken:
        raise RuntimeError(f"the migrated database breaks {len(broken)} foreign keys: {broken[:5]}")


def current(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def revision(engine: Engine, message: str) -> None:
    """Write a new migration by comparing the models with the database (developers)."""
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True)
