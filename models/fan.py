"""A fan is one person; an identity is that person's account on one network.

Messages are written by identities. Several identities can be merged into one
fan when the team knows they are the same person, so a fan's history reads
across every network.
"""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
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


QUIET_FANS = "muted_at IS NOT NULL OR blocked_at IS NOT NULL"


class Fan(Base):
    __tablename__ = "fans"
    __table_args__ = (
        Index("ix_fans_workspace_id_segment", "workspace_id", "segment"),
        # The fans list, newest contact or most engaged first.
        Index("ix_fans_workspace_last_seen", "workspace_id", "last_seen_at"),
        Index("ix_fans_workspace_engagement", "workspace_id", "engagement_score"),
        # Sorted by most messages, and a segment's fans in either order without
        # reading the others (migration 0016).
        Index("ix_fans_workspace_messages", "workspace_id", "message_count"),
        Index("ix_fans_workspace_segment_seen", "workspace_id", "segment", "last_seen_at"),
        Index(
            "ix_fans_workspace_segment_engagement", "workspace_id", "segment", "engagement_score"
        ),
        # The few muted or blocked fans, which every list of conversations leaves out
        # (crm.services.fans.quiet_fan_ids): without it each inbox page read all fans.
        Index(
            "ix_fans_quiet",
            "workspace_id",
            sqlite_where=text(QUIET_FANS),
            postgresql_where=text(QUIET_FANS),
        ),
    )

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
    # A fan merged into another keeps its row (empty of identities) so a split can
    # give it back exactly: see FanMerge. No foreign key: SQLite cannot add one to a
    # table without copying it, which would drop the full-text triggers; erasing a
    # fan erases the fans merged into it.
    merged_into_id: Mapped[int | None]
    # Muted or blocked: the fan's messages are kept but stay out of the main views.
    muted_at: Mapped[datetime | None]
    blocked_at: Mapped[datetime | None]

    identities: Mapped[list[Identity]] = relationship(back_populates="fan")


class Identity(Base):
    __tablename__ = "identities"
    __table_args__ = (
        UniqueConstraint("workspace_id", "network", "external_id"),
        # Identity suggestions look up the same handle and name on other networks.
        Index("ix_identities_handle", "workspace_id", text("lower(handle)")),
        Index("ix_identities_display_name", "workspace_id", "display_name"),
    )

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


class FanMerge(Base):
    """Two fans a person said are one, and exactly what moved, so a split can undo it.

    The merged fan's row stays (``merged_into_id`` set, no identities); the split
    moves the recorded identities and conversations back and restores the kept
    fan's fields from ``before``.
    """

    __tablename__ = "fan_merges"
    __table_args__ = (Index("ix_fan_merges_fan", "workspace_id", "fan_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    fan_id: Mapped[int] = mapped_column(ForeignKey("fans.id", ondelete="CASCADE"))
    merged_fan_id: Mapped[int] = mapped_column(ForeignKey("fans.id", ondelete="CASCADE"))
    identity_ids: Mapped[list[int]] = mapped_column(JSON)
    conversation_ids: Mapped[list[int]] = mapped_column(JSON)
    note_ids: Mapped[list[int]] = mapped_column(JSON)
    before: Mapped[dict[str, Any]] = mapped_column(JSON)  # the kept fan's fields
    evidence: Mapped[list[str]] = mapped_column(JSON)
    merged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    merged_at: Mapped[datetime] = mapped_column(default=utcnow)
    split_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    split_at: Mapped[datetime | None]


class FanPairDismissal(Base):
    """A person said two fans are not the same one: the suggestion stays away."""

    __tablename__ = "fan_pair_dismissals"
    __table_args__ = (UniqueConstraint("workspace_id", "fan_a_id", "fan_b_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    fan_a_id: Mapped[int] = mapped_column(ForeignKey("fans.id", ondelete="CASCADE"))
    fan_b_id: Mapped[int] = mapped_column(ForeignKey("fans.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def tombstone_hash(network: str, external_id: str) -> str:
    """What is kept of an erased account: enough to recognise it, nothing to read."""
    return hashlib.sha256(f"{network}\x00{external_id}".encode()).hexdigest()


class FanTombstone(Base):
    """An erased account: its network and a hash of its id, nothing readable.

    The sync checks it so an erased person does not come back as a new fan on
    their next message, unless the team lets them (deleting the tombstone).
    """

    __tablename__ = "fan_tombstones"
    __table_args__ = (UniqueConstraint("workspace_id", "network", "key_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    network: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FanNote(Base):
    """A teammate's private note about a person (not one conversation)."""

    __tablename__ = "fan_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    fan_id: Mapped[int] = mapped_column(ForeignKey("fans.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FanField(Base):
    """A custom field a workspace keeps on its fans ("City", "Fan club number")."""

    __tablename__ = "fan_fields"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))


class FanFieldValue(Base):
    __tablename__ = "fan_field_values"

    fan_id: Mapped[int] = mapped_column(ForeignKey("fans.id", ondelete="CASCADE"), primary_key=True)
    field_id: Mapped[int] = mapped_column(
        ForeignKey("fan_fields.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    value: Mapped[str] = mapped_column(String(500))
