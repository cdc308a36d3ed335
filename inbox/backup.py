"""Backups of the whole database, and putting one back.

SQLite: SQLite's online backup copies a consistent snapshot while the app keeps
running (no need to stop the server); a restore copies the snapshot back over the
live database the same way, page by page, inside one lock. PostgreSQL:
``pg_dump --format=custom`` and ``pg_restore --clean``, the tools made for it
(Debian's ``postgresql-client``), with the password taken from the URL through the
environment, never on a command line. Channel credentials stay encrypted in a
backup: keep ``UNPLUGGED_ENCRYPTION_KEYS`` somewhere else, or the backup's
channels cannot be read back.
"""

from __future__ import annotations

import os
import shutil
import sqlite3

# pg_dump and pg_restore are run with an argument list and no shell; their arguments come
# from the operator's DATABASE_URL and the backup path they named (bandit B404, B603).
import subprocess  # nosec B404
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    size: int
    kind: str  # "sqlite" or "postgresql"


def _sqlite_path(database_url: str) -> Path:
    url = make_url(database_url)
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(url.database)


def _pg_env(database_url: str) -> tuple[list[str], dict[str, str]]:
    """Connection options for pg_dump/pg_restore, the password only in the environment."""
    url = make_url(database_url)
    args = ["--dbname", str(url.database or "")]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def backup(database_url: str, target: Path) -> BackupInfo:
    """Write a consistent copy of the database to ``target`` (replaced if it exists)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    if database_url.startswith("sqlite"):
        source = sqlite3.connect(_sqlite_path(database_url))
        try:
            copy = sqlite3.connect(partial)
            try:
                source.backup(copy)
            finally:
                copy.close()
        finally:
            source.close()
        kind = "sqlite"
    elif database_url.startswith("postgresql"):
        args, env = _pg_env(database_url)
        done = subprocess.run(  # nosec B603
            [_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
        )
        if done.returncode != 0:
            partial.unlink(missing_ok=True)
            raise BackupError(f"pg_dump failed: {done.stderr.strip()[-500:]}")
        kind = "postgresql"
    else:
        raise BackupError(f"no backup for this database: {make_url(database_url).drivername}")
    partial.replace(target)  # a backup is either whole or absent
    return BackupInfo(target, target.stat().st_size, kind)


def restore(database_url: str, source: Path) -> BackupInfo:
    """Put the backup at ``source`` in place of the database's current content."""
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    if database_url.startswith("sqlite"):
        try:
            snapshot = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            snapshot.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is not an SQLite backup ({exc})") from None
        live = sqlite3.connect(_sqlite_path(database_url), timeout=30)
        try:
            snapshot.backup(live)
        finally:
            live.close()
            snapshot.close()
        kind = "sqlite"
    elif database_url.startswith("postgresql"):
        args, env = _pg_env(database_url)
        done = subprocess.run(  # nosec B603
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                *args,
                str(source),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
        )
        if done.returncode != 0:
            raise BackupError(f"pg_restore failed: {done.stderr.strip()[-500:]}")
        kind = "postgresql"
    else:
        raise BackupError(f"no restore for this database: {make_url(database_url).drivername}")
    return BackupInfo(source, source.stat().st_size, kind)
