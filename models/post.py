"""Posts: what the artist publishes on their own channels (not replies).

A post is written once and goes to one or more channels, each a ``PostTarget``
with the text adapted for that network and its own idempotency key, so a
crash between two networks resends neither. It is a draft, or scheduled for a
time (the clock queues it when due), then sent; until it leaves it may be
edited or cancelled.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, str_enum, utcnow


class PostStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    PARTLY_SENT = "partly_sent"  # some networks took it, others refused
    FAILED = "failed"
    CANCELLED = "cancelled"


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (Index("ix_posts_status_scheduled", "status", "scheduled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[PostStatus] = mapped_column(
        str_enum(PostStatus, "post_status"), default=PostStatus.SCHEDULED
    )
    scheduled_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None]

    targets: Mapped[list[PostTarget]] = relationship(
        back_populates="post", cascade="all, delete-orphan", order_by="PostTarget.id"
    )
    media: Mapped[list[PostMedia]] = relationship(
        back_populates="post", cascade="all, delete-orphan", order_by="PostMedia.position"
    )


class PostTarget(Base):
    __tablename__ = "post_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[PostStatus] = mapped_column(
        str_enum(PostStatus, "post_status"), default=PostStatus.SCHEDULED
    )
    external_id: Mapped[str | None] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(String(2048))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None]

    post: Mapped[Post] = relationship(back_populates="targets")


class PostMedia(Base):
    """An image that goes with a post (at most 4, 5 MB each: :mod:`inbox.images`).

    Kept in the database, not on the web server's disk: the worker that publishes may
    run on another machine, a backup takes the images with their posts, and deleting
    or cancelling a post leaves no file behind. ``data`` is deferred so that listing
    posts never reads it; ``sha256`` is the content's name (never the uploader's
    file name, which is not kept), ``content_type`` what the bytes are, not what the
    browser said.
    """

    __tablename__ = "post_media"
    __table_args__ = (UniqueConstraint("post_id", "position", name="uq_post_media_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    alt: Mapped[str] = mapped_column(Text)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    post: Mapped[Post] = relationship(back_populates="media")
