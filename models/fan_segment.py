"""Saved segments of the fans list: a workspace's named sets of filters.

A segment is shared by the whole team (unlike an inbox view, which is one
person's): "French superfans seen this month" means the same people to everyone.
``query`` holds the fans list's URL parameters, so opening a segment shows
exactly what was on screen when it was saved.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class FanSegment(Base):
    __tablename__ = "fan_segments"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(60))
    query: Mapped[dict[str, str]] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
