"""Workspaces (one artist or band), the people who work in them and their sessions."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, str_enum, utcnow


class Role(enum.StrEnum):
    """What a member may do. Ordered from most to least power."""

    OWNER = "owner"  # everything, including channels, members and deleting the workspace
    MANAGER = "manager"  # channels, labels, members below manager, plus all of agent
    AGENT = "agent"  # read, reply, triage
    VIEWER = "viewer"  # read only

    @property
    def rank(self) -> int:
        return [Role.VIEWER, Role.AGENT, Role.MANAGER, Role.OWNER].index(self)

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


class Workspace(Base):
    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # The weekly review's business-hours clock for first response times:
    # {"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00"} (ISO weekdays, local
    # time); None counts every hour of the week.
    business_hours: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # When the weekly digest goes out (ISO weekday 1-7, hour 0-23, in `timezone`) and
    # the ISO week ("2026-W47") it last went out for, so the clock sends it once.
    digest_weekday: Mapped[int] = mapped_column(default=1)
    digest_hour: Mapped[int] = mapped_column(default=9)
    digest_sent_week: Mapped[str | None] = mapped_column(String(8))
    # Team members other than the artist (owners) sign their replies ("- Sam, team"):
    # the composer adds the line where the writer sees and may edit it.
    require_team_signature: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="workspace")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(8), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    is_active: Mapped[bool] = mapped_column(default=True)
    notify_by_email: Mapped[bool] = mapped_column(default=False)
    # Opted in to the weekly review digest by email (in their `locale`).
    weekly_digest: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="user")


class Membership(Base):
    """A user's place in a workspace. A manager may belong to several workspaces."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), default=Role.AGENT)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    workspace: Mapped[Workspace] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")


class UserSession(Base):
    """A server-side login session.

    The cookie carries only a random token; the row is what makes it valid, so
    logging out (or an owner revoking a session) ends it on the server too.
    The CSRF secret lives here rather than in a timed token, so a tab left open
    all day keeps working for as long as the session does.
    """

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf_secret: Mapped[str] = mapped_column(String(64))
    workspace_id: Mapped[int | None] = mapped_column(
        ForeignKey("workspaces.id", ondelete="SET NULL")
    )
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    user: Mapped[User] = relationship()


class Invitation(Base):
    """An owner's invitation for someone to join a workspace with a role.

    Only the sha256 of the link's token is kept; the link works once, until
    ``expires_at``, and an owner may revoke it before then.
    """

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), default=Role.AGENT)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
