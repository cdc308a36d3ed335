"""Is this install able to work? The answers behind ``/readyz`` and ``unplugged health``.

Each check is small and bounded in time: the database answers a query, Redis
answers a ping (rq mode), and at least one rq worker has sent a heartbeat
recently (rq mode; the embedded mode runs its jobs in the web process). A load
balancer or a container runtime reads these to stop sending traffic to, or to
restart, a process that cannot do its job.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from inbox.runtime import Runtime

WORKER_FRESH = timedelta(minutes=2)  # rq heartbeats every few seconds while idle or busy


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    ms: float


@dataclass
class Health:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "checks": {
                c.name: {"ok": c.ok, "detail": c.detail, "ms": round(c.ms, 1)} for c in self.checks
            },
        }


def _timed(name: str, probe: object) -> Check:
    started = time.perf_counter()
    try:
        detail = probe()  # type: ignore[operator]
        ok = True
    except LookupError as exc:  # what a check says it did not find
        detail, ok = str(exc)[:200], False
    except Exception as exc:  # a health check reports, it never raises (nor echoes a server)
        detail, ok = type(exc).__name__, False
    return Check(name, ok, str(detail), (time.perf_counter() - started) * 1000)


def check(rt: Runtime, *, workers: bool = False) -> Health:
    """The database always; Redis in rq mode; with ``workers``, a fresh rq worker too."""
    health = Health()

    def database() -> str:
        with rt.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return rt.engine.dialect.name

    health.checks.append(_timed("database", database))
    connection = getattr(rt.queue, "connection", None)
    if rt.settings.jobs_mode == "rq" and connection is not None:
        health.checks.append(_timed("redis", lambda: "pong" if connection.ping() else "no pong"))
        if workers:

            def fresh_worker() -> str:
                from rq import Worker

                now = datetime.now(UTC)
                beats = [w.last_heartbeat for w in Worker.all(connection=connection)]
                fresh = [
                    b
                    for b in beats
                    if b is not None and now - b.replace(tzinfo=b.tzinfo or UTC) < WORKER_FRESH
                ]
                if not fresh:
                    raise LookupError("no worker has sent a heartbeat in the last 2 minutes")
                return f"{len(fresh)} worker(s)"

            health.checks.append(_timed("workers", fresh_worker))
    else:
        health.checks.append(Check("jobs", True, rt.settings.jobs_mode, 0.0))
    return health
