"""Replies written by a person, kept as an outbox.

A reply row is the truth about what a teammate asked to send: it is written
before anything goes to the network, carries an idempotency key the network
sees (where it supports one) and moves draft -> queued -> sending -> sent or
failed. A worker that dies mid-send leaves the row behind for the reaper to
re-queue; the key keeps the retry from posting twice.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, str_enum, utcnow


class ReplyStatus(enum.StrEnum):
    DRAFT = "draft"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    # A send was cut off and the network cannot say whether it took the reply:
    # shown to the team, never sent again without a person deciding.
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"  # undone by its author before it left


class SendDecision(enum.StrEnum):
    """How a resend after a cut-off attempt was settled (``Reply.decision``)."""

    KEYED = "keyed"  # the network dedupes by our key (Mastodon, Bluesky rkey, email Message-ID)
    FOUND = "found"  # the earlier attempt was found on the network: recorded, not resent
    ABSENT = "absent"  # looked and it is not there: sent again
    UNKNOWN = "unknown"  # could not look: left for a person


class Reply(Base):
    __tablename__ = "replies"
    __table_args__ = (Index("ix_replies_status", "status", "updated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    in_reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[ReplyStatus] = mapped_column(
        str_enum(ReplyStatus, "reply_status"), default=ReplyStatus.DRAFT
    )
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    external_id: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None]
    # Not taken by a job before this time: the window in which its author may undo it.
    send_after: Mapped[datetime | None]
    decision: Mapped[SendDecision | None] = mapped_column(str_enum(SendDecision, "send_decision"))
    decided_at: Mapped[datetime | None]
