"""Inbox server times on a big workspace: 1,000,000 messages in 100,000 conversations
from 200,000 fans, on SQLite.

For each measure, the median and p95 of repeated requests through the whole app
(login session, filters, queries, templates), and beside it the p95 of the bare
SQL query behind it, run on the same database in the same run:

- ``inbox_*``: the first page of each saved view (full page, with the live counts);
- ``filtered_*``: a page filtered by network, priority and waiting-for-us;
- ``search_*``: a full-text search combined with the open view;
- ``thread_*``: opening a conversation.

The data is written with plain ``executemany`` (this measures reading, not
writing), then indexed for search the way the catch-up job does it.
"""

from __future__ import annotations

import itertools
import os
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet

import models
from crm.app import create_app, settle_for_serving
from crm.services import accounts, saved_views
from crm.services import conversations as conv_svc
from inbox.config import Settings
from inbox.runtime import build_runtime
from models import Role
from models import search as search_ddl
from models.search import catch_up

MESSAGES = (
    int(sys.argv[1])
    if len(sys.argv) > 1
    else int(os.environ.get("UNPLUGGED_BENCH_MESSAGES", "1000000"))
)
CONVERSATIONS = MESSAGES // 10
FANS = MESSAGES // 5
REPEAT = 30
NETWORKS = ("x", "instagram", "youtube", "bluesky", "mastodon", "facebook", "email")
INTENTS = ("question", "booking", "press", "collab", "support", "praise", "complaint", "other")
SEGMENTS = ("new", "regular", "superfan", "lapsed", "industry", "bot", "troll")
TOPICAL = [
    "love",
    "the",
    "new",
    "album",
    "tickets",
    "Lyon",
    "Berlin",
    "Madrid",
    "show",
    "tonight",
    "merch",
    "order",
    "lost",
    "refund",
    "booking",
    "festival",
    "date",
    "fee",
    "interview",
    "deadline",
    "remix",
    "feature",
    "setlist",
    "encore",
    "vinyl",
    "concert",
    "billets",
    "gracias",
    "danke",
    "merci",
    "genial",
    "super",
    "wann",
    "kommt",
    "ihr",
    "nach",
]


def _vocabulary(size: int = 20_000) -> tuple[list[str], list[float]]:
    """Words with a Zipf-like frequency, as in real text: a few very common, most rare.

    The topical words sit at ranks 50 to 2,000, so a search for "lyon tickets"
    is as selective as it would be in a real inbox, not a match for every message.
    """
    rng = random.Random(3)
    syllables = ["ka", "lo", "mi", "ra", "te", "su", "vo", "ne", "di", "po", "ga", "li", "zu", "fe"]
    words = ["".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(size)]
    for i, word in enumerate(TOPICAL):
        words[50 + i * 50] = word.lower()
    weights = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(size)))
    return words, weights  # cumulative, so each draw is a bisection


VOCAB, VOCAB_WEIGHTS = _vocabulary()
WORDS = TOPICAL
PASSWORD = "bench-password-1"


def ts(value: datetime) -> str:
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def seed(db_path: Path) -> None:
    rng = random.Random(1)
    now = datetime.now(UTC)
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    created = ts(now)
    with conn:
        for i, network in enumerate(NETWORKS, start=1):
            conn.execute(
                "INSERT INTO channels (id, workspace_id, network, connector, handle, display_name,"
                " health, sync_enabled, sync_interval_s, consecutive_failures, created_at)"
                " VALUES (?, 1, ?, ?, ?, 'Band', 'ok', 0, 120, 0, ?)",
                (i, network, network, f"band-{network}", created),
            )
        conn.executemany(
            "INSERT INTO fans (id, workspace_id, display_name, segment, engagement_score,"
            " message_count, created_at) VALUES (?, 1, ?, ?, ?, 10, ?)",
            (
                (
                    f,
                    f"Fan {f} {rng.choice(WORDS)}",
                    rng.choices(SEGMENTS, (30, 40, 8, 10, 4, 5, 3))[0],
                    rng.random() * 100,
                    created,
                )
                for f in range(1, FANS + 1)
            ),
        )
        conn.executemany(
            "INSERT INTO identities (id, workspace_id, fan_id, network, external_id, handle,"
            " display_name, created_at) VALUES (?, 1, ?, ?, ?, ?, ?, ?)",
            (
                (f, f, NETWORKS[f % 7], f"u{f}", f"fan{f}", f"Fan {f}", created)
                for f in range(1, FANS + 1)
            ),
        )
        conv_rows = []
        for c in range(1, CONVERSATIONS + 1):
            last = now - timedelta(minutes=rng.randrange(60 * 24 * 120))
            status = rng.choices(("open", "snoozed", "done"), (50, 5, 45))[0]
            priority = rng.choices(("urgent", "high", "normal", "low"), (3, 12, 60, 25))[0]
            score = {"urgent": 90, "high": 70, "normal": 45, "low": 15}[priority] + rng.randrange(9)
            conv_rows.append(
                (
                    c,
                    (c % 7) + 1,
                    rng.randrange(1, FANS + 1),
                    f"t{c}",
                    "mention",
                    status,
                    priority,
                    score,
                    rng.choice(INTENTS),
                    rng.random() < 0.06,
                    rng.choice((None, None, None, 1)),
                    rng.random() < 0.4,
                    10,
                    " ".join(rng.choices(WORDS, k=8)),
                    ts(last),
                    ts(last),
                    created,
                )
            )
        conn.executemany(
            "INSERT INTO conversations (id, workspace_id, channel_id, fan_id, external_thread_id,"
            " kind, status, priority, priority_score, intent, is_spam, assignee_id,"
            " waiting_for_us, message_count, last_message_preview, last_activity_at,"
            " last_inbound_at, created_at) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            " ?, ?, ?)",
            conv_rows,
        )

        def messages() -> object:
            for m in range(1, MESSAGES + 1):
                c = (m - 1) // 10 + 1
                crow = conv_rows[c - 1]
                yield (
                    m,
                    crow[1],
                    c,
                    f"m{m}",
                    "inbound" if m % 3 else "outbound",
                    "mention",
                    " ".join(rng.choices(VOCAB, cum_weights=VOCAB_WEIGHTS, k=12)),
                    ts(now - timedelta(minutes=m % 90000)),
                    crow[2] if m % 3 else None,
                    created,
                )

        conn.executemany(
            "INSERT INTO messages (id, workspace_id, channel_id, conversation_id, external_id,"
            " direction, kind, text, sent_at, author_identity_id, created_at)"
            " VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            messages(),
        )
    conn.execute("ANALYZE")
    conn.close()


def quantiles(values: list[float]) -> tuple[float, float]:
    return statistics.median(values), statistics.quantiles(values, n=20)[18]


def timed(fn: Callable[[], object], repeat: int = REPEAT) -> list[float]:
    fn()  # warm
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


PRESS_DONE = """() => new Promise((resolve) => {
  const start = performance.now();
  const path = location.pathname;
  const check = () => {
    const title = document.querySelector("#thread-title");
    if (location.pathname !== path && title) resolve(performance.now() - start);
    else requestAnimationFrame(check);
  };
  document.dispatchEvent(new KeyboardEvent("keydown", {key: "e", bubbles: true}));
  requestAnimationFrame(check);
})"""


def triage_next_in_chromium(app: object, presses: int = 25) -> list[float]:
    """From pressing e (done) on a thread to the next conversation shown, in Chromium."""
    import threading

    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    times: list[float] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=[
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                ],
            )
            page = browser.new_page()
            page.goto(f"{base}/login")
            page.fill("#email", "bench@example.org")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            page.goto(f"{base}/?view=needs-reply")
            href = page.locator("a.row-link").first.get_attribute("href")
            page.goto(base + str(href))
            page.wait_for_selector("#thread-title")
            for _ in range(presses):
                times.append(float(page.evaluate(PRESS_DONE)))
                page.wait_for_load_state("networkidle")
            browser.close()
    finally:
        server.shutdown()
    return times[2:]  # the first presses warm the browser's caches


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        settings = Settings(
            database_url=f"sqlite:///{tmp / 'inbox.db'}",
            secret_key="bench-secret-for-signing-session-cookies",
            encryption_keys=(Fernet.generate_key().decode(),),
            jobs_mode="inline",
            secure_cookies=False,
            instance_path=tmp,
        )
        rt = build_runtime(settings)
        models.Base.metadata.create_all(rt.engine)
        with rt.engine.begin() as c:
            search_ddl.install(c)
        with rt.session() as s:
            ws = accounts.create_workspace(s, "Bench")
            user = accounts.create_user(s, "bench@example.org", "Bench", PASSWORD)
            accounts.add_member(s, ws, user, Role.OWNER)
            user_id = user.id
        seed(tmp / "inbox.db")
        with rt.session() as s:
            catch_up(s.connection())
        app = create_app(runtime=rt)
        settle_for_serving()  # as `unplugged serve` and the WSGI entry point do
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf-token" content="([^"]+)"', page)
        assert token
        assert (
            client.post(
                "/login",
                data={
                    "email": "bench@example.org",
                    "password": PASSWORD,
                    "csrf_token": token.group(1),
                },
            ).status_code
            == 302
        )

        def get(url: str) -> Callable[[], object]:
            def run() -> object:
                resp = client.get(url)
                assert resp.status_code == 200, (url, resp.status_code)
                return resp.data

            return run

        def sql(flt: conv_svc.InboxFilter) -> Callable[[], object]:
            def run() -> object:
                with rt.session() as s:
                    where = conv_svc.filter_conditions(s, 1, flt)
                    q = (
                        models.Conversation.__table__.select()
                        .with_only_columns(models.Conversation.id)
                        .where(*where)
                        .order_by(*conv_svc._order(flt.sort))
                        .limit(conv_svc.PAGE_SIZE + 1)
                    )
                    return s.execute(q).all()

            return run

        results: dict[str, list[float]] = {"inbox": [], "inbox_sql": []}
        for view in saved_views.BUILTIN:
            results["inbox"] += timed(get(f"/?view={view.key}"), REPEAT // 3)
            results["inbox_sql"] += timed(sql(view.make(user_id)), REPEAT // 3)
        filtered = conv_svc.InboxFilter(
            networks=("instagram",),
            priorities=(models.Priority.HIGH, models.Priority.URGENT),
            waiting_for_us=True,
        )
        results["filtered"] = timed(
            get("/?network=instagram&priority=high&priority=urgent&waiting=1")
        )
        results["filtered_sql"] = timed(sql(filtered))
        results["search"] = timed(get("/?q=lyon+tickets"))
        results["search_sql"] = timed(sql(conv_svc.InboxFilter(search="lyon tickets")))
        ids = list(range(1, CONVERSATIONS, CONVERSATIONS // REPEAT))
        it = iter(ids * 2)
        results["thread"] = timed(lambda: get(f"/c/{next(it)}")())
        it2 = iter(ids * 2)

        def thread_sql() -> object:
            with rt.sessionmaker() as s:
                return conv_svc.load_thread(s, 1, next(it2))

        results["thread_sql"] = timed(thread_sql)
        results["triage_next"] = triage_next_in_chromium(app)
        rt.close()
    for name in ("inbox", "filtered", "search", "thread"):
        med, p95 = quantiles(results[name])
        _, sql_p95 = quantiles(results[f"{name}_sql"])
        print(f"{name}_median_ms: {med:.1f} ms")
        print(f"{name}_p95_ms: {p95:.1f} ms")
        print(f"{name}_sql_p95_ms: {sql_p95:.1f} ms")
    med, p95 = quantiles(results["triage_next"])
    print(f"triage_next_median_ms: {med:.1f} ms")
    print(f"triage_next_p95_ms: {p95:.1f} ms")


if __name__ == "__main__":
    main()
