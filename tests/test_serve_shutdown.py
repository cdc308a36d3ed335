"""`unplugged serve` stops cleanly on SIGTERM, as a service manager stops it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_sigterm_stops_the_server_and_its_worker_cleanly(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "UNPLUGGED_SECRET_KEY": "s" * 40,
        "UNPLUGGED_ENCRYPTION_KEYS": "eRuHFRq4Vb7JtWkFv8gq0vS7Xvb3vKp9CFZ5K4Jm7Ng=",
        "UNPLUGGED_INSTANCE_PATH": str(tmp_path),
        "UNPLUGGED_JOBS": "thread",
        "PORT": str(port),
    }
    env.pop("REDIS_URL", None)
    cli = [sys.executable, "-c", "from crm.cli import main; main()"]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True, timeout=120)
    server = subprocess.Popen(
        [*cli, "serve", "--host", "127.0.0.1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as resp:
                    assert resp.status == 200
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "the server never became ready"
                time.sleep(0.3)
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    assert server.returncode == 0, output
    assert "Unplugged stopped" in output
