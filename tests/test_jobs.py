"""Jobs are queued only when their transaction commits, and run by the configured queue.

On the PostgreSQL pass (.ci/run) the rq test runs a real ``unplugged worker``
process against a real Redis; elsewhere rq runs on fakeredis in this process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from inbox.queue import InlineQueue, RqQueue, ThreadQueue, defer
from inbox.runtime import Runtime, build_runtime, set_runtime
from models import AuditEvent, Workspace
from tests import jobs_for_tests
from tests.conftest import REDIS_URL, _reset_schema, make_settings


def traces(rt: Runtime) -> list[str]:
    with rt.session() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "test.trace")).all()
        return sorted(e.data["label"] for e in events if e.data)


def test_a_job_runs_only_after_its_transaction_commits(rt: Runtime, workspace: Workspace) -> None:
    assert isinstance(rt.queue, InlineQueue)
    with rt.session() as s:
        defer(s, jobs_for_tests.leave_trace, workspace.id, "committed")
        assert traces(rt) == []  # not before the commit
    assert traces(rt) == ["committed"]


def test_a_rolled_back_transaction_queues_nothing(rt: Runtime, workspace: Workspace) -> None:
    with pytest.raises(RuntimeError), rt.session() as s:
        defer(s, jobs_for_tests.leave_trace, workspace.id, "rolled back")
        raise RuntimeError("the request failed")
    with rt.session() as s:
        s.commit()
    assert traces(rt) == []


def test_the_same_job_id_is_queued_once_per_transaction(rt: Runtime, workspace: Workspace) -> None:
    with rt.session() as s:
        defer(s, jobs_for_tests.leave_trace, workspace.id, "once", job_id="j1")
        defer(s, jobs_for_tests.leave_trace, workspace.id, "once", job_id="j1")
    assert traces(rt) == ["once"]


def test_the_thread_queue_runs_jobs_in_the_background(tmp_path: Path) -> None:
    runtime = build_runtime(make_settings(tmp_path, jobs_mode="thread"))
    _reset_schema(runtime)
    set_runtime(runtime)
    try:
        with runtime.session() as s:
            ws = Workspace(name="W", slug="w")
            s.add(ws)
            s.flush()
            defer(s, jobs_for_tests.leave_trace, ws.id, "threaded")
        assert isinstance(runtime.queue, ThreadQueue)
        runtime.queue.join()
        assert traces(runtime) == ["threaded"]
    finally:
        set_runtime(None)
        runtime.close()


@pytest.fixture
def rq_runtime(tmp_path: Path) -> Runtime:
    if REDIS_URL:
        settings = replace(make_settings(tmp_path), jobs_mode="rq", redis_url=REDIS_URL)
        runtime = build_runtime(settings)
        assert isinstance(runtime.queue, RqQueue)
        runtime.queue.connection.flushdb()
    else:
        import fakeredis

        queue = RqQueue.__new__(RqQueue)
        from rq import Queue

        from inbox.queue import QUEUES

        queue.connection = fakeredis.FakeRedis()
        queue.queues = {n: Queue(n, connection=queue.connection) for n in QUEUES}
        runtime = build_runtime(replace(make_settings(tmp_path), jobs_mode="inline"), queue=queue)
    _reset_schema(runtime)
    set_runtime(runtime)
    yield runtime  # type: ignore[misc]
    set_runtime(None)
    runtime.close()


def test_rq_runs_jobs_queued_after_commit(rq_runtime: Runtime, tmp_path: Path) -> None:
    with rq_runtime.session() as s:
        ws = Workspace(name="W", slug="w")
        s.add(ws)
        s.flush()
        ws_id = ws.id
        defer(s, jobs_for_tests.leave_trace, ws_id, "by rq", queue="default")
    queue = rq_runtime.queue
    assert isinstance(queue, RqQueue)
    assert queue.queues["default"].count == 1
    if REDIS_URL:
        # A real worker process, started the way the Procfile starts it.
        env = {
            **os.environ,
            "DATABASE_URL": rq_runtime.settings.database_url,
            "REDIS_URL": REDIS_URL,
            "UNPLUGGED_SECRET_KEY": "test-secret-for-signing-session-cookies",
            "UNPLUGGED_ENCRYPTION_KEYS": rq_runtime.settings.encryption_keys[0],
            "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
        }
        done = subprocess.run(
            [sys.executable, "-m", "crm.cli", "worker", "--burst"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
    else:
        from rq import SimpleWorker

        SimpleWorker(list(queue.queues.values()), connection=queue.connection).work(burst=True)
    deadline = time.monotonic() + 10
    while traces(rq_runtime) != ["by rq"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert traces(rq_runtime) == ["by rq"]


def test_a_job_id_already_waiting_in_redis_is_not_queued_again(rq_runtime: Runtime) -> None:
    """Two transactions asking for the same drain while it waits: one job in the queue
    (what keeps a wave of webhook deliveries to one drain job)."""
    from inbox.queue import JobSpec

    queue = rq_runtime.queue
    assert isinstance(queue, RqQueue)
    for _ in range(3):
        queue.submit(JobSpec("inbox.jobs.drain_webhooks", (), "sync", "webhook-drain"))
    assert queue.queues["sync"].count == 1


def test_a_job_id_already_waiting_in_the_thread_queue_is_not_queued_again() -> None:
    from inbox.queue import JobSpec

    queue = ThreadQueue()
    queue._thread = object()  # type: ignore[assignment]  # no worker: the jobs stay queued
    for _ in range(3):
        queue.submit(JobSpec("inbox.jobs.drain_webhooks", (), "sync", "webhook-drain"))
    assert queue._q.qsize() == 1
