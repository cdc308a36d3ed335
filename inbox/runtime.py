"""The process-wide runtime: settings, database, credential box and job queue.

The web app, the command line and the workers each build one from
:class:`~inbox.config.Settings` when they start. It lives below the web app so
that a worker builds it without importing Flask or any view. Jobs run in a worker process
that only has the environment, so :func:`get_runtime` builds it from there on
first use.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from inbox.config import Settings
from inbox.credentials import CredentialBox
from models.db import make_engine, make_sessionmaker

if TYPE_CHECKING:
    from inbox.incidents import OutageWatch
    from inbox.queue import JobQueue


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessionmaker: sessionmaker[Session]
    box: CredentialBox
    queue: JobQueue
    outages: OutageWatch
    extras: dict[str, object] = field(default_factory=dict)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self.sessionmaker() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def close(self) -> None:
        self.queue.close()
        self.engine.dispose()


_current: Runtime | None = None
_lock = threading.Lock()


def build_runtime(settings: Settings, queue: JobQueue | None = None) -> Runtime:
    from inbox import netguard
    from inbox.incidents import OutageWatch
    from inbox.queue import make_queue, watch_sessions

    settings = settings.checked()
    # Which addresses this process's connections may reach: a process-wide rule, set
    # once here because connectors are built from a ChannelConfig, without settings.
    netguard.configure(allow_loopback=settings.allow_loopback)
    engine = make_engine(settings.database_url)
    # rq forks a work-horse per job: a child must not use the connections its parent's
    # pool holds (the parent's clock thread is using them), or both talk on one socket.
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    maker = make_sessionmaker(engine)
    queue = queue or make_queue(settings)
    outages = OutageWatch(engine)
    watch_sessions(maker, queue, outages)
    return Runtime(
        settings=settings,
        engine=engine,
        sessionmaker=maker,
        box=CredentialBox(settings.encryption_keys),
        queue=queue,
        outages=outages,
    )


def set_runtime(runtime: Runtime | None) -> None:
    global _current
    with _lock:
        _current = runtime


def get_runtime() -> Runtime:
    """The runtime of this process, built from the environment if none was set."""
    global _current
    with _lock:
        if _current is None:
            _current = build_runtime(Settings.from_env())
        return _current
