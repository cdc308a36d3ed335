"""Who is looking at a conversation right now, so two teammates do not answer one fan twice.

Presence lives in the database (not in a process's memory) because the web app
may run as several processes: every open thread sends a heartbeat that
upserts one row per (conversation, person), and a row older than a few
seconds simply stops counting. Nothing needs to clean up after a closed tab.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, str_enum, utcnow


class PresenceState(enum.StrEnum):
    VIEWING = "viewing"
    TYPING = "typing"  # has an unsent draft in the composer


class ConversationPresence(Base):
    __tablename__ = "conversation_presence"
    __table_args__ = (
        Index("ix_conversation_presence_conversation_seen", "conversation_id", "seen_at"),
    )

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    state: Mapped[PresenceState] = mapped_column(
        str_enum(PresenceState, "presence_state"), default=PresenceState.VIEWING
    )
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
