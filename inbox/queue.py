"""Jobs, enqueued only once the transaction that created their work commits.

Service functions call :func:`defer` with the session they write through. The
job is held on the session and handed to the queue in ``after_commit``; a
rollback drops it. So a worker can never pick up a reply id whose row is not
there yet, and a failed request leaves no orphan job behind.

Jobs take ids, never ORM objects, reload what they need and are idempotent.
Three queues, chosen by settings:

- ``inline``: run right after commit, in the same thread (tests, the CLI).
- ``thread``: one in-process worker thread (the embedded default: no Redis).
- ``rq``: Redis queues by purpose, run by ``rq`` workers (production).
"""

from __future__ import annotations

import importlib
import logging
import queue as stdlib_queue
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from inbox.config import Settings
    from inbox.incidents import OutageWatch

log = logging.getLogger(__name__)

QUEUES = ("send", "sync", "classify", "default")  # by purpose, most urgent first
_PENDING_KEY = "unplugged.pending_jobs"


@dataclass(frozen=True)
class JobSpec:
    func: str  # dotted path, e.g. "inbox.jobs.sync_channel"
    args: tuple[Any, ...] = ()
    queue: str = "default"
    job_id: str | None = None  # jobs with the same id queued twice run once
    retries: int = 3
    timeout_s: int = 600


class QueueUnavailable(Exception):
    """The queue's server (Redis) did not take the job: it is down or restarting."""


class JobQueue(Protocol):
    def submit(self, job: JobSpec) -> None: ...

    def close(self) -> None: ...


def dotted(func: Callable[..., Any]) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def resolve(path: str) -> Callable[..., Any]:
    module, _, name = path.rpartition(".")
    func = getattr(importlib.import_module(module), name)
    if not callable(func):
        raise TypeError(f"{path} is not callable")
    return func


def defer(
    session: Session,
    func: Callable[..., Any],
    *args: Any,
    queue: str = "default",
    job_id: str | None = None,
    retries: int = 3,
) -> None:
    """Enqueue ``func(*args)`` after ``session`` commits (dropped on rollback)."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")
    pending: list[JobSpec] = session.info.setdefault(_PENDING_KEY, [])
    spec = JobSpec(dotted(func), tuple(args), queue, job_id, retries)
    if job_id is None or all(p.job_id != job_id for p in pending):
        pending.append(spec)


def watch_sessions(
    maker: sessionmaker[Session], queue: JobQueue, outages: OutageWatch | None = None
) -> None:
    """Wire :func:`defer` to ``queue`` for every session ``maker`` makes.

    The work is already committed when its job is handed over, so a queue that is
    down must not turn a stored reply into an error page: the job is dropped with
    a warning and the clock (:mod:`inbox.scheduler`) queues it again from the
    database once the queue answers. ``outages`` records the episode.
    """
    from models import IncidentKind

    def after_commit(session: Session) -> None:
        jobs = session.info.pop(_PENDING_KEY, [])
        for job in jobs:
            try:
                queue.submit(job)
            except QueueUnavailable as exc:
                log.warning("queue unreachable, %s left for the clock to queue again", job.func)
                if outages is not None:
                    outages.failed(IncidentKind.QUEUE_UNREACHABLE, exc)
                continue
            if outages is not None:
                outages.recovered(IncidentKind.QUEUE_UNREACHABLE)

    def after_rollback(session: Session) -> None:
        session.info.pop(_PENDING_KEY, None)

    event.listen(maker, "after_commit", after_commit)
    event.listen(maker, "after_soft_rollback", lambda s, _t: after_rollback(s))


def run_job(job: JobSpec) -> Any:
    return resolve(job.func)(*job.args)


class InlineQueue:
    """Runs each job right after the commit that queued it, in the caller's thread.

    Jobs queued by a running job are run after it returns (not nested), so a job
    never runs inside another job's transaction.
    """

    def __init__(self) -> None:
        self._local = threading.local()
        self.ran: list[JobSpec] = []
        self.failures: list[tuple[JobSpec, BaseException]] = []

    def submit(self, job: JobSpec) -> None:
        pending: deque[JobSpec] | None = getattr(self._local, "pending", None)
        if pending is not None:
            pending.append(job)
            return
        self._local.pending = pending = deque([job])
        try:
            while pending:
                current = pending.popleft()
                try:
                    run_job(current)
                    self.ran.append(current)
                except Exception as exc:  # a job's failure is logged, as a worker would
                    log.exception("job %s failed", current.func)
                    self.failures.append((current, exc))
        finally:
            self._local.pending = None

    def close(self) -> None:
        return None


@dataclass
class ThreadQueue:
    """An in-process worker thread: the embedded default when there is no Redis."""

    _q: stdlib_queue.Queue[JobSpec | None] = field(default_factory=stdlib_queue.Queue)
    _queued_ids: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None

    def submit(self, job: JobSpec) -> None:
        with self._lock:
            if job.job_id is not None:
                if job.job_id in self._queued_ids:
                    return
                self._queued_ids.add(job.job_id)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="unplugged-jobs", daemon=True
                )
                self._thread.start()
        self._q.put(job)

    def _work(self) -> None:
        while True:
            job = self._q.get()
            if job is None:
                return
            with self._lock:
                if job.job_id is not None:
                    self._queued_ids.discard(job.job_id)
            for attempt in range(job.retries + 1):
                try:
                    run_job(job)
                    break
                except Exception:
                    log.exception("job %s failed (attempt %d)", job.func, attempt + 1)
            self._q.task_done()

    def join(self) -> None:
        """Wait until every queued job has run (tests, the demo loader)."""
        self._q.join()

    def close(self) -> None:
        if self._thread is not None:
            self._q.put(None)
            self._thread.join(timeout=5)
            self._thread = None


class RqQueue:
    """Redis queues by purpose, worked by ``unplugged worker`` (rq with its scheduler)."""

    def __init__(self, redis_url: str) -> None:
        from redis import Redis
        from rq import Queue

        self.connection = Redis.from_url(redis_url)
        self.queues = {name: Queue(name, connection=self.connection) for name in QUEUES}

    def submit(self, job: JobSpec) -> None:
        from redis.exceptions import RedisError

        try:
            self._submit(job)
        except RedisError as exc:
            raise QueueUnavailable(f"Redis did not take {job.func}: {type(exc).__name__}") from exc

    def _submit(self, job: JobSpec) -> None:
        from rq import Retry
        from rq.job import Job, JobStatus

        q = self.queues[job.queue]
        if job.job_id is not None:
            existing = Job.fetch_many([job.job_id], connection=self.connection)[0]
            if existing is not None and existing.get_status(refresh=True) in {
                JobStatus.QUEUED,
                JobStatus.SCHEDULED,
                JobStatus.DEFERRED,
            }:
                return  # the same work is already waiting
        q.enqueue(
            job.func,
            *job.args,
            job_id=job.job_id,
            retry=Retry(max=job.retries, interval=[5, 30, 120]) if job.retries else None,
            job_timeout=job.timeout_s,
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
        )

    def close(self) -> None:
        self.connection.close()


def make_queue(settings: Settings) -> JobQueue:
    if settings.jobs_mode == "rq":
        assert settings.redis_url
        return RqQueue(settings.redis_url)
    if settings.jobs_mode == "inline":
        return InlineQueue()
    return ThreadQueue()
