"""Noticing that the queue or the database stopped answering, and writing it down.

Nothing is lost when Redis restarts (it keeps no jobs on disk) or PostgreSQL
drops its connections: the database is the truth and the clock queues due work
again. But a team that saw replies wait for two minutes deserves the reason, so
each process that sees a dependency fail keeps the episode in memory (the
database may be the thing that is down) and writes it as an :class:`Incident`
as soon as it can: at once when only the queue is down, on recovery when the
database was. Several processes seeing the same outage join one row.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from models import Incident, IncidentKind, utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")
# Two sightings of one outage by different processes are one incident when their
# times are this close.
JOIN_WITHIN = timedelta(minutes=2)
SOURCE = f"{socket.gethostname()[:40]}:{os.getpid()}"


@dataclass
class _Episode:
    started_at: datetime
    error: str
    incident_id: int | None = None


class OutageWatch:
    """Per-process memory of the outages in progress, one per kind."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._open: dict[IncidentKind, _Episode] = {}

    def failed(self, kind: IncidentKind, error: BaseException) -> None:
        """``kind``'s dependency failed just now: remember since when, record if we can."""
        with self._lock:
            if kind in self._open:
                return
            episode = self._open[kind] = _Episode(utcnow(), type(error).__name__)
        log.warning("%s: %s", kind.value, type(error).__name__)
        if kind is not IncidentKind.DATABASE_UNREACHABLE:
            episode.incident_id = self._write(kind, episode, None)

    def recovered(self, kind: IncidentKind) -> None:
        """``kind``'s dependency answered again: close the episode this process saw."""
        with self._lock:
            episode = self._open.pop(kind, None)
        if episode is None:
            return
        log.warning("%s: recovered", kind.value)
        if self._write(kind, episode, utcnow()) is None:
            with self._lock:  # the database is still not there: try again next time
                self._open.setdefault(kind, episode)

    def is_open(self, kind: IncidentKind) -> bool:
        with self._lock:
            return kind in self._open

    def _write(
        self,
        kind: IncidentKind,
        episode: _Episode,
        ended: datetime | None,
    ) -> int | None:
        started = episode.started_at
        try:
            with Session(self.engine) as s, s.begin():
                row = s.get(Incident, episode.incident_id) if episode.incident_id else None
                row = row or _joinable(s, kind, started)
                if row is None:
                    row = Incident(
                        kind=kind, started_at=started, detail=episode.error, source=SOURCE
                    )
                    s.add(row)
                row.started_at = min(row.started_at, started)
                if ended is not None and (row.ended_at is None or row.ended_at < ended):
                    row.ended_at = ended
                s.flush()
                return row.id
        except Exception:  # recording must never be what breaks the caller
            log.warning("could not record the %s incident yet", kind.value, exc_info=True)
            return None


def _joinable(s: Session, kind: IncidentKind, started: datetime) -> Incident | None:
    """An incident of the same kind, seen by another process, that overlaps this one."""
    return s.scalars(
        select(Incident)
        .where(
            Incident.kind == kind,
            Incident.workspace_id.is_(None),
            Incident.started_at <= started + JOIN_WITHIN,
            Incident.ended_at.is_(None) | (Incident.ended_at >= started - JOIN_WITHIN),
        )
        .order_by(Incident.id)
        .limit(1)
    ).first()


def sync_interrupted(
    s: Session, *, workspace_id: int, channel_id: int, since: datetime | None
) -> None:
    """A sync found the previous one's lease left behind: its worker died part-way."""
    s.add(
        Incident(
            kind=IncidentKind.SYNC_INTERRUPTED,
            workspace_id=workspace_id,
            channel_id=channel_id,
            started_at=since or utcnow(),
            ended_at=utcnow(),
            detail="lease left behind",
            source=SOURCE,
        )
    )


def recent(s: Session, workspace_id: int, *, days: int = 7, limit: int = 20) -> list[Incident]:
    """What the Channels page shows: the service's incidents and this workspace's."""
    since = utcnow() - timedelta(days=days)
    return list(
        s.scalars(
            select(Incident)
            .where(
                (Incident.workspace_id.is_(None)) | (Incident.workspace_id == workspace_id),
                (Incident.ended_at.is_(None)) | (Incident.ended_at >= since),
            )
            .order_by(Incident.started_at.desc())
            .limit(limit)
        )
    )


def is_disconnect(engine: Engine, exc: BaseException) -> bool:
    """Whether ``exc`` means the database server went away (restart, network), as opposed
    to a failing statement. SQLite's "database is locked" is contention, not an outage."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    return engine.dialect.name != "sqlite" and isinstance(exc, OperationalError)


def outlast_database(
    engine: Engine, outages: OutageWatch, step: Callable[[], T], *, budget_s: float = 120.0
) -> T:
    """Run one database step; if the server drops (a PostgreSQL restart), wait for it and
    run the step again. For steps that are safe to repeat and whose loss would cost more
    than the wait: storing a page already fetched, recording a reply the network took,
    releasing a lease."""
    deadline = time.monotonic() + budget_s
    while True:
        try:
            result = step()
        except DBAPIError as exc:
            if not is_disconnect(engine, exc) or time.monotonic() > deadline:
                raise
            outages.failed(IncidentKind.DATABASE_UNREACHABLE, exc)
            time.sleep(1.0)
            continue
        outages.recovered(IncidentKind.DATABASE_UNREACHABLE)
        return result
