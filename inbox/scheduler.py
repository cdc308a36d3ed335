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
from sqlalchemy.exc import DBAPIError

from inbox import digest, incidents, jobs, posting, wakeups
from inbox.queue import JobSpec, QueueUnavailable, dotted
from inbox.runtime import Runtime
from inbox.webhooks import WEBHOOK_ATTEMPTS
from models import Channel, ChannelHealth, IncidentKind, Reply, ReplyStatus, WebhookEvent, utcnow

log = logging.getLogger(__name__)
TICK_S = 5.0
REQUEUE_QUEUED_AFTER = timedelta(seconds=60)
REQUEUE_SENDING_AFTER = timedelta(minutes=2)
# A stored webhook delivery whose job vanished (a Redis restart) is queued again.
REQUEUE_WEBHOOK_AFTER = timedelta(seconds=60)


@dataclass
class TickReport:
    syncs: list[int]
    replies: list[int]
    webhooks: list[int] | None = None


def tick(rt: Runtime) -> TickReport:
    """One turn of the clock. The database and the queue failing are outages to
    record (for the Channels page), not reasons to stop ticking."""
    try:
        report = _tick(rt)
    except DBAPIError as exc:
        if incidents.is_disconnect(rt.engine, exc):
            rt.outages.failed(IncidentKind.DATABASE_UNREACHABLE, exc)
        raise
    except QueueUnavailable as exc:
        rt.outages.recovered(IncidentKind.DATABASE_UNREACHABLE)
        rt.outages.failed(IncidentKind.QUEUE_UNREACHABLE, exc)
        raise
    rt.outages.recovered(IncidentKind.DATABASE_UNREACHABLE)
    if report.syncs or report.replies or report.webhooks:
        rt.outages.recovered(IncidentKind.QUEUE_UNREACHABLE)
    return report


def _tick(rt: Runtime) -> TickReport:
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
                    # A reply held for its undo window is queued once the window ends.
                    (Reply.status == ReplyStatus.QUEUED)
                    & (Reply.send_after <= now)
                    & (Reply.send_after > now - REQUEUE_QUEUED_AFTER),
                )
            )
        ).all()
        webhooks = s.scalars(
            select(WebhookEvent.id)
            .where(
                WebhookEvent.processed_at.is_(None),
                WebhookEvent.received_at < now - REQUEUE_WEBHOOK_AFTER,
                WebhookEvent.attempts < WEBHOOK_ATTEMPTS,
            )
            .order_by(WebhookEvent.received_at)
            .limit(500)
        ).all()
    for cid in due:
        rt.queue.submit(
            JobSpec(dotted(jobs.sync_channel), (cid,), "sync", f"sync-channel-{cid}", retries=0)
        )
    for rid in stuck:
        rt.queue.submit(JobSpec(dotted(jobs.send_reply), (rid,), "send", f"send-reply-{rid}"))
    # Scheduled posts whose time has come (a tick is 5 s: a post leaves within seconds).
    for pid in posting.due_posts(rt, now):
        rt.queue.submit(
            JobSpec(dotted(posting.publish_post_job), (pid,), "send", f"publish-post-{pid}")
        )
    with rt.session() as s:
        digests_due = digest.any_due(s, now)
    if digests_due:
        rt.queue.submit(
            JobSpec(dotted(jobs.send_digests), (), "default", "weekly-digests", retries=0)
        )
    for eid in webhooks:
        rt.queue.submit(
            JobSpec(dotted(jobs.process_webhook), (eid,), "sync", f"webhook-{eid}", retries=0)
        )
    if stuck or webhooks:
        log.info(
            "re-queued %d replies and %d webhook deliveries left behind", len(stuck), len(webhooks)
        )
    return TickReport(list(due), list(stuck), list(webhooks))


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
        from redis.exceptions import RedisError

        assert isinstance(self.lock, Redis)
        try:
            got = self.lock.set("unplugged:tick", "1", nx=True, px=int(self.interval * 1000))
        except RedisError as exc:
            self.rt.outages.failed(IncidentKind.QUEUE_UNREACHABLE, exc)
            return False
        self.rt.outages.recovered(IncidentKind.QUEUE_UNREACHABLE)
        return bool(got)

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

    Jobs run in the worker's own process (rq's ``SimpleWorker``), not in a child
    forked per job: a forked child starts cold and loads the classifier and the
    sentence encoder again for every webhook delivery (about 0.4 deliveries a
    second under ``make loadtest``), while this process keeps them loaded. What a
    fork would add, surviving a job that crashes the interpreter, the database
    already gives: a dead worker's work is queued again by the clock.
    """
    from rq import SimpleWorker as Worker

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
