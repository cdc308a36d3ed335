"""A Redis and a PostgreSQL of the test's own, on free ports, that a test may restart.

The machine's services are shared by the whole suite, so fault tests do not
restart them: they start their own from the same Debian binaries (``redis-server``,
PostgreSQL's ``initdb`` and ``pg_ctl``) in a temporary directory and stop them at
the end. A Redis started again after a stop has forgotten every job, as a Redis
that keeps nothing on disk does after a restart.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inbox.runtime import Runtime

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


class OwnRedis:
    """``redis-server`` on a free port, with nothing kept on disk."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    def start(self) -> OwnRedis:
        self._proc = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--protected-mode", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.port)
        return self

    def kill(self) -> None:
        """Gone at once, as a crashed or restarted Redis is."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(timeout=10)
            self._proc = None

    def restart(self, down_for: float = 0.0) -> None:
        self.kill()
        time.sleep(down_for)
        self.start()


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


class OwnPostgres:
    """A PostgreSQL cluster of its own (``initdb`` in a temporary directory, trust auth).

    PostgreSQL refuses to run as root, so under root the server runs as the
    ``postgres`` user that Debian's package creates.
    """

    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.port = free_port()
        # Not under pytest's tmp_path: its parents are private to the user running pytest.
        self.root = Path(tempfile.mkdtemp(prefix="unplugged-pg-"))
        self.data = self.root / "pgdata"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    @staticmethod
    def available() -> bool:
        return _pg_bin() is not None

    def _run(self, *args: str) -> None:
        assert self.bin is not None
        cmd = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def init(self) -> OwnPostgres:
        self.data.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.data, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        return self

    def start(self) -> OwnPostgres:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data}"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-w",
            "-l",
            str(self.data / "log"),
            "start",
        )
        _wait_for_port(self.port)
        return self

    def stop(self, mode: str = "fast") -> None:
        """``fast`` ends every session at once, as a restart for an upgrade does."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def start_worker(rt: Runtime, log: Path) -> subprocess.Popen[bytes]:
    """An ``unplugged worker`` on ``rt``'s database and Redis, in its own process group
    (a test may SIGKILL it with its children); its log goes to ``log``."""
    env = {
        **os.environ,
        "DATABASE_URL": rt.settings.database_url,
        "REDIS_URL": rt.settings.redis_url or "",
        "UNPLUGGED_SECRET_KEY": "test-secret-for-signing-session-cookies",
        "UNPLUGGED_ENCRYPTION_KEYS": rt.settings.encryption_keys[0],
        "UNPLUGGED_ALLOW_LOOPBACK": "1",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "crm.cli", "worker"],
        env=env,
        cwd=ROOT,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (rq's work-horse and scheduler run in groups of their own)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_worker(worker: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and everything it forked, at once."""
    if worker.poll() is None:
        for pid in [*descendants(worker.pid), worker.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        worker.wait(timeout=10)
