"""The weekly review over 1,000,000 messages on SQLite (bench/million.py's data set).

- ``weekly_report_s``: :func:`inbox.review.compute` of the last full week, with
  its 8-week trend, once the finished weeks are kept in ``review_weeks`` (what
  every call after the first one for a week does: the asked week is counted,
  the seven before it are read back);
- ``weekly_report_cold_s``: the same with nothing kept yet (every week of the
  trend counted), the first call's cost;
- ``weekly_page_p50_ms`` / ``weekly_page_p95_ms``: ``GET /review`` through the
  whole app (session, service, templates, SVG), repeated.

The cold and warm readings run inside a transaction that is rolled back, so
the cached data set is left as it was; the page keeps its finished weeks as
it does in use.
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import delete, select

from bench.million import OWNER_EMAIL, PASSWORD, cached_sqlite
from crm.app import create_app, settle_for_serving
from inbox import review
from inbox.config import Settings
from inbox.runtime import build_runtime
from models import ReviewWeek, Workspace

PAGE_REQUESTS = 20
MESSAGES = 1_000_000


def main() -> None:
    messages = int(sys.argv[1]) if len(sys.argv) > 1 else MESSAGES
    path = cached_sqlite(messages)
    settings = Settings(
        database_url=f"sqlite:///{path}",
        secret_key="bench-secret-for-signing-session-cookies",
        encryption_keys=("0" * 43 + "=",),
        jobs_mode="inline",
        secure_cookies=False,
        instance_path=Path(path).parent,
    )
    rt = build_runtime(settings)
    with rt.sessionmaker() as s:
        ws_id = s.scalars(select(Workspace.id).where(Workspace.slug == "bench")).one()
        s.execute(delete(ReviewWeek).where(ReviewWeek.workspace_id == ws_id))
        started = time.perf_counter()
        cold = review.compute(s, ws_id)
        cold_s = time.perf_counter() - started
        s.flush()
        warm_runs = []
        for _ in range(3):
            started = time.perf_counter()
            warm = review.compute(s, ws_id)
            warm_runs.append(time.perf_counter() - started)
        assert warm.summaries == cold.summaries and warm.stored_weeks == len(warm.weeks) - 1
        s.rollback()
    print(f"# review_bench: {messages:,} messages on {path.name}, week {cold.week}")
    print(f"weekly_report_s: {statistics.median(warm_runs):.3f} s")
    print(f"weekly_report_cold_s: {cold_s:.3f} s")

    app = create_app(runtime=rt)
    settle_for_serving()
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert token
    login = client.post(
        "/login", data={"email": OWNER_EMAIL, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert login.status_code == 302, login.status_code
    times = []
    for i in range(PAGE_REQUESTS + 1):
        started = time.perf_counter()
        resp = client.get(f"/review?week={cold.week}")
        elapsed = (time.perf_counter() - started) * 1000
        assert resp.status_code == 200, resp.status_code
        if i:  # the first request keeps the finished weeks
            times.append(elapsed)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    print(f"weekly_page_p50_ms: {statistics.median(times):.1f} ms")
    print(f"weekly_page_p95_ms: {p95:.1f} ms")
    rt.close()


if __name__ == "__main__":
    main()
