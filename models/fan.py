"""A fan is one person; an identity is that person's account on one network.

Messages are written by identities. Several identities can be merged into one
fan when the team knows they are the same person, so a fan's history reads
across every network.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, str_enum, utcnow


class Segment(enum.StrEnum):
    NEW = "new"
    REGULAR = "regular"
    SUPERFAN = "superfan"
    LAPSED = "lapsed"
    INDUSTRY = "industry"  # press, bookers, collaborators
    BOT = "bot"
    TROLL = "troll"


class Fan(Base):
    __tablename__ = "fans"
    __table_args__ = (Index("ix_fans_workspace_id_segment", "workspace_id", "segment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    display_name: Mapped[str] = mapped_column(String(255), default="")
    segment: Mapped[Segment] = mapped_column(str_enum(Segment, "segment"), default=Segment.NEW)
    segment_reasons: Mapped[list[str] | None] = mapped_column(JSON)
    # A teammate's word on the segment: it sticks until someone changes it, and
    # recomputing from the fan's messages no longer overrides it.
    segment_set_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    segment_set_at: Mapped[datetime | None]
    engagement_score: Mapped[float] = mapped_column(default=0.0)
    message_count: Mapped[int] = mapped_column(default=0)
    first_seen_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    identities: Mapped[list[Identity]] = relationship(back_populates="fan")


class Identity(Base):
    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("workspace_id", "network", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    fan_id: Mapped[int] = mapped_column(ForeignKey("fans.id", ondelete="CASCADE"), index=True)
    network: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(255))
    handle: Mapped[str] = mapped_column(String(255), default="")
    display_name: Mapped[str] = mapped_column(String(255), default="")
    avatar_url: Mapped[str | None] = mapped_column(String(1000))
    profile_url: Mapped[str | None] = mapped_column(String(1000))
    profile: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    fan: Mapped[Fan] = relationship(back_populates="identities")
