"""`unplugged backup` and `restore`: a round trip gives back exactly what was there."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from crm.cli import main
from inbox import backup
from inbox.pipeline import ingest
from inbox.runtime import Runtime
from models import Message, Workspace
from tests.helpers import item, make_channel


def _env(rt: Runtime, tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": rt.settings.database_url,
        "UNPLUGGED_SECRET_KEY": rt.settings.secret_key,
        "UNPLUGGED_ENCRYPTION_KEYS": ",".join(rt.settings.encryption_keys),
        "UNPLUGGED_INSTANCE_PATH": str(tmp_path),
    }


def _texts(rt: Runtime) -> list[str]:
    with rt.session() as s:
        return sorted(s.scalars(select(Message.text)))


def test_a_backup_restores_exactly_what_was_there(
    rt: Runtime, workspace: Workspace, tmp_path: Path
) -> None:
    channel = make_channel(rt, workspace.id)
    with rt.session() as s:
        ingest(s, channel, [item("a", "see you in Lyon"), item("b", "ticket never came")])
    before = _texts(rt)
    target = tmp_path / "backups" / "unplugged.backup"
    runner = CliRunner()
    made = runner.invoke(main, ["backup", str(target)], env=_env(rt, tmp_path))
    assert made.exit_code == 0, made.output
    assert "backed up the" in made.output and target.stat().st_size > 0
    assert not target.with_name(target.name + ".partial").exists()
    with rt.session() as s:  # after the backup, things change
        s.query(Message).filter(Message.external_id == "a").delete()
        ingest(s, channel, [item("c", "written after the backup")])
    assert _texts(rt) != before
    rt.engine.dispose()  # the app is stopped for a restore
    refused = runner.invoke(main, ["restore", str(target)], env=_env(rt, tmp_path), input="n\n")
    assert refused.exit_code != 0 and _texts(rt) != before
    done = runner.invoke(main, ["restore", "--yes", str(target)], env=_env(rt, tmp_path))
    assert done.exit_code == 0, done.output
    rt.engine.dispose()
    assert _texts(rt) == before
    with rt.session() as s:
        assert s.scalar(select(func.count()).select_from(Workspace)) == 1


def test_a_file_that_is_not_a_backup_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    import sqlite3

    live = tmp_path / "live.db"
    with sqlite3.connect(live) as conn:
        conn.execute("CREATE TABLE fans (name TEXT)")
        conn.execute("INSERT INTO fans VALUES ('Marie')")
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(backup.BackupError, match="not an SQLite backup"):
        backup.restore(f"sqlite:///{live}", junk)
    with sqlite3.connect(live) as conn:
        assert conn.execute("SELECT name FROM fans").fetchall() == [("Marie",)]
