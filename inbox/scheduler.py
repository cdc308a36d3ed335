"""What runs on a clock: channel syncs when due, and the reaper.

:func:`tick` is the whole policy and is called every few seconds, by a thread
inside ``unplugged serve`` (embedded mode) or inside each ``unplugged worker``
(rq mode; a Redis lock lets one worker tick per interval). The database is the
truth: a channel is due when its ``next_sync_at`` has passed, and a reply
that sits in "queued" or "sending" longer than it should was left behind by a
dead worker and is queued again. Because syncs hold a lease and replies carry
idempotency keys, queueing the same work twice is harmless.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select

from inbox import jobs, wakeups
from inbox.queue import JobSpec, dotted
from inbox.runtime import Runtime
from models import Channel, ChannelHealth, Reply, ReplyStatus, utcnow

log = logging.getLogger(__name__)
TICK_S = 5.0
REQUEUE_QUEUED_AFTER = timedelta(seconds=60)
REQUEUE_SENDING_AFTER = timedelta(minutes=2)


@dataclass
class TickReport:
    syncs: list[int]
    replies: list[int]


def tick(rt: Runtime) -> TickReport:
    now = utcnow()
    with rt.session() as s:
        wakeups.wake_due(s, now=now)  # snoozes end on time, whether or not anyone is looking
    with rt.session() as s:
        due = s.scalars(
            select(Channel.id).where(
                Channel.sync_enabled.is_(True),
                Channel.health.not_in([ChannelHealth.NEEDS_RECONNECT, ChannelHealth.PAUSED]),
                or_(Channel.next_sync_at.is_(None), Channel.next_sync_at <= now),
                or_(Channel.sync_lease_until.is_(None), Channel.sync_lease_until < now),
            )
        ).all()
        stuck = s.scalars(
            select(Reply.id).where(
                or_(
                    (Reply.status == ReplyStatus.QUEUED)
                    & (Reply.updated_at < now - REQUEUE_QUEUED_AFTER),
                    (Reply.status == ReplyStatus.SENDING)
                    & (Reply.updated_at < now - REQUEUE_SENDING_AFTER),
                )
            )
        ).all()
    for cid in due:
        rt.queue.submit(
            JobSpec(dotted(jobs.sync_channel), (cid,), "sync", f"sync-channel-{cid}", retries=0)
        )
    for rid in stuck:
        rt.queue.submit(JobSpec(dotted(jobs.send_reply), (rid,), "send", f"send-reply-{rid}"))
    if stuck:
        log.info("re-queued %d replies left behind", len(stuck))
    return TickReport(list(due), list(stuck))


class Ticker:
    """A daemon thread that calls :func:`tick` every ``interval`` seconds."""

    def __init__(self, rt: Runtime, interval: float = TICK_S, lock: object | None = None) -> None:
        self.rt, self.interval, self.lock = rt, interval, lock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="unplugged-ticker", daemon=True)

    def start(self) -> Ticker:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                if self.lock is None or self._acquire():
                    tick(self.rt)
            except Exception:
                log.exception("scheduler tick failed")

    def _acquire(self) -> bool:
        from redis import Redis

        assert isinstance(self.lock, Redis)
        return bool(self.lock.set("unplugged:tick", "1", nx=True, px=int(self.interval * 1000)))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def start_background(rt: Runtime) -> Ticker:
    return Ticker(rt).start()


def run_rq_worker(rt: Runtime, burst: bool = False, worker_ttl: int = 60) -> None:
    """Work every queue with rq's scheduler (needed for Retry), ticking on the side.

    A short worker TTL means a worker killed with SIGKILL is noticed in about a
    minute instead of rq's default seven, and its job moves to the failed
    registry; the reaper above then re-queues the work from the database.
    """
    from rq import Worker

    from inbox.queue import QUEUES, RqQueue

    queue = rt.queue
    assert isinstance(queue, RqQueue)
    ticker = Ticker(rt, lock=queue.connection).start() if not burst else None
    try:
        w = Worker(
            [queue.queues[q] for q in QUEUES],
            connection=queue.connection,
            worker_ttl=worker_ttl,
            job_monitoring_interval=10,
        )
        w.work(burst=burst, with_scheduler=True)
    finally:
        if ticker:
            ticker.stop()
