"""What went wrong with the machinery, kept so the Channels page can say what happened.

A Redis restart, a database that stopped answering, a sync cut off part-way by a
lost worker: none of these lose work (the database is the truth and the clock
queues it again), but a team seeing a pause deserves the reason. Each row is
one episode: when it started, when it ended (``None`` while it lasts), and a
plain sentence. Rows about the service (queue, database) have no workspace and
are shown to every workspace; a sync cut off belongs to its channel's workspace.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, str_enum, utcnow


class IncidentKind(enum.StrEnum):
    QUEUE_UNREACHABLE = "queue_unreachable"  # Redis did not answer a worker or the web app
    DATABASE_UNREACHABLE = "database_unreachable"  # the database dropped or refused connections
    SYNC_INTERRUPTED = "sync_interrupted"  # a sync's worker vanished before it finished


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_started", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[IncidentKind] = mapped_column(str_enum(IncidentKind, "incident_kind"))
    workspace_id: Mapped[int | None] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE")
    )
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    detail: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(64), default="")  # which process saw it (host:pid)
