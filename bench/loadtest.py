"""``make loadtest``: fifty people at work while a network's webhooks pour in, as production runs.

On loopback, against the production path: gunicorn as the Procfile runs it
(2 workers x 4 threads), PostgreSQL and Redis with an ``unplugged worker``. The
database is a demo workspace with fifty agents and an X channel (webhooks in, replies
out through the sandbox's X, as nothing here reaches the real one). Locust
(:mod:`bench.locustfile`) plays 50 agents browsing, searching, triaging and
replying for 60 s (2-5 s between actions) while signed X webhooks arrive at 50/s;
it stops by itself. Then the queue is allowed to drain and every reply and
delivery the app acknowledged is looked for in the database.

Prints, one per line as ``name: value unit``:

- ``load_p95_ms``: the agents' requests, 95th percentile under load (goal <= 200),
  beside ``load_idle_p95_ms``, the same pages one at a time with nothing else running;
- ``load_webhook_p95_ms``: the acknowledgement of a delivery under load;
- ``load_errors``: requests that failed (goal 0);
- ``load_lost``: acknowledged replies and deliveries not stored exactly once (goal 0);
- ``load_unsent``: replies the worker had not sent two minutes after the load stopped.

Signing in is left out of the agents' figures: it is an argon2 hash by design, once a
day per person, and the fifty sign in one after another as locust starts them. The
measured window opens once the last has signed in and lasts ``UNPLUGGED_LOAD_SECONDS``.

Settings: ``UNPLUGGED_LOAD_DATABASE_URL`` (default a database ``unplugged_load`` on
the local server, created and emptied here), ``UNPLUGGED_LOAD_REDIS_URL`` (default
Redis database 14, flushed), ``UNPLUGGED_LOAD_SECONDS`` (default 60).
"""

from __future__ import annotations

import json
import os
import re
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/unplugged_load"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
AGENTS = 50
X_USER = "4242000042"
SIGN_IN_S = 20  # spawning 55 users at 5/s and their sign-ins, before the measured window
PASSWORD = "load-test-password"  # nosec B105: a throwaway database on loopback


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[94] if len(values) > 1 else float("nan")


def _fresh_database(url: str) -> None:
    """Create the database if needed and empty it (it is the load test's own)."""
    base, _, name = url.rpartition("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"refusing an unusual database name {name!r}")
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


def _env(db_url: str, redis_url: str, key: str, x_secret: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "UNPLUGGED_SECRET_KEY": secrets.token_urlsafe(32),
        "UNPLUGGED_ENCRYPTION_KEYS": key,
        "UNPLUGGED_SECURE_COOKIES": "0",
        "X_CONSUMER_SECRET": x_secret,
        "UNPLUGGED_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


def _prepare(env: dict[str, str]) -> None:
    """The demo workspace, fifty agents with one password, and an X channel for webhooks."""
    from crm import demo
    from crm.security import hash_password
    from crm.services import accounts
    from inbox.config import Settings
    from inbox.runtime import build_runtime, set_runtime
    from models import Channel, ChannelHealth, Role, User, Workspace

    settings = replace(Settings.from_env(env), jobs_mode="inline")
    rt = build_runtime(settings)
    set_runtime(rt)
    info = demo.setup(rt, history_days=7)
    hashed = hash_password(PASSWORD)
    with rt.session() as s:
        ws = s.scalars(select(Workspace).where(Workspace.name == info.workspace)).one()
        for n in range(AGENTS):
            # One argon2 hash for all fifty: setup in seconds rather than 25 s of hashing.
            user = User(email=f"agent{n}@load.test", name=f"Agent {n}", password_hash=hashed)
            s.add(user)
            s.flush()
            accounts.add_member(s, ws, user, Role.AGENT)
        s.add(
            Channel(
                workspace_id=ws.id,
                network="x",
                # Its fans' messages come in as signed X webhooks; the replies go out
                # through the sandbox's X (nothing here reaches the real one).
                connector="sandbox",
                handle="loadband",
                external_id=X_USER,
                display_name="Load Band",
                health=ChannelHealth.OK,
                sync_enabled=False,  # its messages arrive by webhook only
            )
        )
    set_runtime(None)
    rt.close()


@contextmanager
def _running(cmd: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _cpu_seconds(match: Callable[[list[str], str], bool]) -> float:
    """CPU time used so far by the live processes ``match(stat fields, command)`` picks."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            head, rest = (entry / "stat").read_text().rsplit(")", 1)
        except OSError:
            continue
        fields = rest.split()
        if match(fields, head.partition("(")[2]):
            total += (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return total


def _in_group(pgid: int) -> Callable[[list[str], str], bool]:
    return lambda fields, _comm: int(fields[2]) == pgid


def _named(name: str) -> Callable[[list[str], str], bool]:
    return lambda _fields, comm: comm == name


def _wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as r:  # nosec B310: loopback
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not become ready at {url}")


def _idle_p95(url: str) -> float:
    """The agents' pages one at a time with nothing else running: the baseline."""
    import requests

    session = requests.Session()
    page = session.get(f"{url}/login", timeout=10).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert token
    session.post(
        f"{url}/login",
        data={"email": "agent0@load.test", "password": PASSWORD, "csrf_token": token.group(1)},
        timeout=10,
    )
    inbox = session.get(f"{url}/", timeout=10).text
    threads = re.findall(r'href="/c/(\d+)', inbox)[:10]
    times = []
    for _ in range(3):
        for path in ["/", "/?q=ticket", "/?q=merci", *(f"/c/{t}" for t in threads)]:
            started = time.perf_counter()
            session.get(f"{url}{path}", timeout=10).raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
    return p95(times)


def _lost(db_url: str, out: dict[str, list[str]], drain_s: float = 120) -> tuple[int, int]:
    """(lost, unsent): acknowledged replies and deliveries not stored exactly once, and
    stored replies the worker had not sent, once the queue had ``drain_s`` to drain."""
    from models import Message, Reply, ReplyStatus

    engine = create_engine(db_url)
    tweets, keys = set(out["tweets"]), set(out["replies"])
    deadline = time.monotonic() + drain_s
    with engine.connect() as conn:
        while True:
            stored = conn.execute(
                select(Message.external_id, func.count())
                .where(Message.external_id.in_(tweets))
                .group_by(Message.external_id)
            ).all()
            replies = conn.execute(
                select(Reply.idempotency_key, func.count(), func.min(Reply.status))
                .where(Reply.idempotency_key.in_(keys))
                .group_by(Reply.idempotency_key)
            ).all()
            unsent = sum(1 for _, _, status in replies if status != ReplyStatus.SENT)
            if (len(stored) >= len(tweets) and not unsent) or time.monotonic() > deadline:
                break
            time.sleep(1)
            conn.rollback()
    engine.dispose()
    once = sum(1 for _, n in stored if n == 1) + sum(1 for _, n, _ in replies if n == 1)
    return len(tweets) + len(keys) - once, unsent


def main() -> int:
    db_url = os.environ.get("UNPLUGGED_LOAD_DATABASE_URL", DEFAULT_DB)
    redis_url = os.environ.get("UNPLUGGED_LOAD_REDIS_URL", DEFAULT_REDIS)
    seconds = int(os.environ.get("UNPLUGGED_LOAD_SECONDS", "60"))
    from redis import Redis

    Redis.from_url(redis_url).flushdb()
    _fresh_database(db_url)
    env = _env(db_url, redis_url, Fernet.generate_key().decode(), secrets.token_urlsafe(24))
    print("# preparing the demo workspace and 50 agents on PostgreSQL", file=sys.stderr)
    _prepare(env)
    work = Path(tempfile.mkdtemp(prefix="unplugged-load-"))
    port = 5600 + os.getpid() % 300
    url = f"http://127.0.0.1:{port}"
    gunicorn = [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    gunicorn += ["--threads", "4", "crm.wsgi:app"]
    with (
        _running(gunicorn, env, work / "web.log") as web,
        _running([str(BIN / "unplugged"), "worker"], env, work / "worker.log") as worker,
    ):
        _wait_ready(url)
        idle = _idle_p95(url)
        agents = ",".join(f"agent{n}@load.test:{PASSWORD}" for n in range(AGENTS))
        load_env = {
            **env,
            "LOAD_AGENTS": agents,
            "LOAD_X_SECRET": env["X_CONSUMER_SECRET"],
            "LOAD_X_USER": X_USER,
            "LOAD_OUT": str(work / "out.json"),
        }
        print(f"# {AGENTS} agents and 50 webhooks/s for {seconds} s at {url}", file=sys.stderr)
        # Where the two cores went while locust ran: what each part asked of the machine.
        parts = {
            "web (gunicorn)": _in_group(web.pid),
            "worker (rq)": _in_group(worker.pid),
            "postgres": _named("postgres"),
            "redis": _named("redis-server"),
        }
        cpu_before = {name: _cpu_seconds(match) for name, match in parts.items()}
        locust_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.monotonic()
        subprocess.run(
            [
                *(str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless"),
                *("--users", str(AGENTS + 5), "--spawn-rate", "5"),
                # measured for ``seconds`` once all have signed in (~11 s of spawning)
                *("--run-time", f"{seconds + SIGN_IN_S}s"),
                *("--host", url, "--stop-timeout", "10", "--only-summary", "--loglevel", "WARNING"),
            ],
            env=load_env,
            cwd=ROOT,
            check=False,
            stdout=subprocess.DEVNULL,
            timeout=seconds + SIGN_IN_S + 120,
        )
        wall = time.monotonic() - wall
        cpu = {name: _cpu_seconds(match) - cpu_before[name] for name, match in parts.items()}
        locust_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu["locust"] = (locust_after.ru_utime - locust_before.ru_utime) + (
            locust_after.ru_stime - locust_before.ru_stime
        )
        out = json.loads((work / "out.json").read_text())
        lost, unsent = _lost(db_url, out)
    agent_p95 = p95(out["timings"]["agent"])
    print(f"load_p95_ms: {agent_p95:.1f} ms (goal <= 200)  load_idle_p95_ms: {idle:.1f} ms")
    print(f"load_webhook_p95_ms: {p95(out['timings']['webhook']):.1f} ms")
    print(
        f"load_requests: {len(out['timings']['agent']) + len(out['timings']['webhook'])} requests"
    )
    print(f"load_errors: {len(out['failures'])} requests")
    replies, deliveries = len(out["replies"]), len(out["tweets"])
    print(f"load_lost: {lost} of {replies} replies and {deliveries} deliveries")
    print(f"load_unsent: {unsent} replies (still queued after the drain)")
    for route, times in sorted(out.get("by_route", {}).items()):
        print(
            f"# {route}: {len(times)} requests, p50 {statistics.median(times):.0f} ms, "
            f"p95 {p95(times):.0f} ms",
            file=sys.stderr,
        )
    cores = os.cpu_count() or 1
    used = ", ".join(f"{name} {secs / wall:.2f}" for name, secs in cpu.items())
    print(f"# cores used on average over {wall:.0f} s (of {cores}): {used}", file=sys.stderr)
    for failure in out["failures"][:10]:
        print(f"# failure: {failure}", file=sys.stderr)
    print(f"# logs in {work}", file=sys.stderr)
    return 0 if not out["failures"] and lost == 0 and unsent == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
