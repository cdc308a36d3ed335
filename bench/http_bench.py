"""What people wait for: pages timed over HTTP through gunicorn, as the Procfile runs it.

The data set is :mod:`bench.million` (``UNPLUGGED_BENCH_MESSAGES`` messages,
default 1,000,000: 100,000 conversations, 200,000 fans, seven networks, six
languages). On SQLite a copy of the cached file is served; with
``UNPLUGGED_BENCH_PG_URL`` (``make bench-pg``) the data set is built into that
PostgreSQL database once (its schema is replaced) and reused while it has the
same size and migration head.

gunicorn runs ``crm.wsgi:app`` with 2 workers and 4 threads (the Procfile's
``web`` line). One client logs in, then asks each page ``UNPLUGGED_BENCH_REQUESTS``
times (default 200) one after another, over a kept-alive connection, and the
p50/p95 of the full round trip are printed beside the p95 of the page's bare
query, run in this process on the same database:

- ``search_common``: ``/?q=ticket`` (a word in 10% of messages); bare query: the
  50 newest matches from the index (FTS5 on SQLite, tsvector on PostgreSQL);
- ``search_one_percent``: ``/?q=setlist`` (1%); ``search_rare``: ``/?q=theremin``
  (0.01%);
- ``inbox``: ``/`` (the landing view, by priority); ``filtered``:
  ``/?status=open&network=x`` (the same view, one network); bare query: the page of ids
  the list reads first;
- ``*_overhead_ms``: the page's p95 minus its bare query's p95: the app around it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests
from cryptography.fernet import Fernet
from sqlalchemy import Engine, func, select, text

from bench import million
from crm.services import conversations as conv_svc
from crm.services import saved_views, search
from models import Conversation, Message
from models.db import make_engine, make_sessionmaker

MESSAGES = int(os.environ.get("UNPLUGGED_BENCH_MESSAGES", "1000000"))
REQUESTS = int(os.environ.get("UNPLUGGED_BENCH_REQUESTS", "200"))
PG_URL = os.environ.get("UNPLUGGED_BENCH_PG_URL")
VENV_BIN = Path(sys.executable).parent

PAGES = {
    "search_common": f"/?q={million.COMMON_WORD}",
    "search_one_percent": f"/?q={million.ONE_PERCENT_WORD}",
    "search_rare": f"/?q={million.RARE_WORD}",
    "inbox": "/",
    "filtered": "/?status=open&network=x",
}
# The measurements before this work (2-core machine, 1M messages, SQLite).
BEFORE_P95_MS = {"search_common": 735, "inbox": 86, "filtered": 87}


def pg_database(url: str) -> str:
    """The PostgreSQL database holding the data set, built unless it already does."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            count = conn.execute(select(func.count()).select_from(Message)).scalar()
        if head == million.migration_head() and count == MESSAGES:
            return url
    except Exception:  # no schema yet, or an older one: rebuild
        pass
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    started = time.perf_counter()
    million.build(url, messages=MESSAGES)
    print(f"# built {MESSAGES:,} messages into PostgreSQL in {time.perf_counter() - started:.0f} s")
    return url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gunicorn(url: str, instance: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "UNPLUGGED_SECRET_KEY": "bench-secret-for-signing-session-cookies-0123456789",
        "UNPLUGGED_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "UNPLUGGED_SECURE_COOKIES": "0",
        "UNPLUGGED_INSTANCE_PATH": str(instance),
        "UNPLUGGED_JOBS": "inline",
    }
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--log-level",
            "warning",
            "crm.wsgi:app",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/login", timeout=30).status_code == 200:
                return proc, base
        except requests.RequestException:  # not listening yet, or still loading the app
            time.sleep(0.2)
    proc.kill()
    proc.wait()
    raise RuntimeError("gunicorn did not answer within 60 s")


def login(base: str) -> requests.Session:
    client = requests.Session()
    page = client.get(f"{base}/login").text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    resp = client.post(
        f"{base}/login",
        data={
            "email": million.OWNER_EMAIL,
            "password": million.PASSWORD,
            "csrf_token": token.group(1),
        },
        allow_redirects=False,
    )
    assert resp.status_code in (302, 303), resp.status_code
    return client


def timed(fn: Callable[[], object], repeat: int, warm: int = 5) -> list[float]:
    for _ in range(warm):
        fn()
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def p50_p95(values: list[float]) -> tuple[float, float]:
    return statistics.median(values), statistics.quantiles(values, n=20)[18]


def bare_queries(engine: Engine) -> dict[str, Callable[[], object]]:
    """Each page's query alone: what the database has to do for it."""
    maker = make_sessionmaker(engine)
    ws = million.WORKSPACE_ID
    inbox = saved_views.BUILTIN_BY_KEY["inbox"].make(1)
    filtered = conv_svc.replace(inbox, networks=("x",))

    def ids(flt: conv_svc.InboxFilter) -> Callable[[], object]:
        def run() -> object:
            with maker() as s:
                return s.scalars(
                    select(Conversation.id)
                    .where(*conv_svc.filter_conditions(s, ws, flt))
                    .order_by(*conv_svc._order(flt.sort))
                    .limit(conv_svc.PAGE_SIZE + 1)
                ).all()

        return run

    def newest_matches(word: str) -> Callable[[], object]:
        def run() -> object:
            with maker() as s:
                if engine.dialect.name == "sqlite":
                    return (
                        s.connection()
                        .exec_driver_sql(
                            "SELECT rowid FROM message_fts WHERE message_fts MATCH ?"
                            " ORDER BY rowid DESC LIMIT 50",
                            (search.fts5_query([word]),),
                        )
                        .all()
                    )
                return s.scalars(
                    select(Message.id)
                    .where(search._pg_message_match([word]))
                    .order_by(Message.id.desc())
                    .limit(50)
                ).all()

        return run

    return {
        "search_common": newest_matches(million.COMMON_WORD),
        "search_one_percent": newest_matches(million.ONE_PERCENT_WORD),
        "search_rare": newest_matches(million.RARE_WORD),
        "inbox": ids(inbox),
        "filtered": ids(filtered),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if PG_URL:
            url = pg_database(PG_URL)
        else:
            source = million.cached_sqlite(MESSAGES)
            shutil.copyfile(source, tmp / "bench.db")  # the pages write sessions; keep the cache
            url = f"sqlite:///{tmp / 'bench.db'}"
        proc, base = start_gunicorn(url, tmp)
        try:  # gunicorn stops whatever happens here
            client = login(base)
            http: dict[str, list[float]] = {}
            for name, path in PAGES.items():

                def get(path: str = path) -> None:
                    resp = client.get(base + path, allow_redirects=False)
                    assert resp.status_code == 200, (path, resp.status_code)
                    assert 'class="row-link"' in resp.text, f"{path}: no rows"

                http[name] = timed(get, REQUESTS)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        engine = make_engine(url)
        bare = {name: timed(run, REQUESTS) for name, run in bare_queries(engine).items()}
        engine.dispose()
    db = "postgresql" if PG_URL else "sqlite"
    print(f"# http_bench: {MESSAGES:,} messages on {db}, gunicorn 2x4, {REQUESTS} requests a page")
    for name in PAGES:
        p50, p95 = p50_p95(http[name])
        _, bare_p95 = p50_p95(bare[name])
        label = f"{name}_http" if name in ("inbox", "filtered") else name
        print(f"{label}_p50_ms: {p50:.1f} ms")
        print(f"{label}_p95_ms: {p95:.1f} ms")
        print(f"{name}_bare_p95_ms: {bare_p95:.2f} ms")
        if name in ("inbox", "filtered"):
            print(f"{name}_overhead_ms: {p95 - bare_p95:.1f} ms")
        if name in BEFORE_P95_MS and not PG_URL:
            print(f"{name}_before_p95_ms: {BEFORE_P95_MS[name]} ms")
    _, common = p50_p95(http["search_common"])
    _, rare = p50_p95(http["search_rare"])
    print(f"search_common_vs_rare_ratio: {common / rare:.2f} ratio")


if __name__ == "__main__":
    main()
