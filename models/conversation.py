"""Conversations (a thread on one channel) and the messages in them, with the
labels and private notes the team adds while triaging."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, str_enum, utcnow
from models.fan import Fan, Identity


class ConversationStatus(enum.StrEnum):
    OPEN = "open"
    SNOOZED = "snoozed"
    DONE = "done"


class Priority(enum.StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class Direction(enum.StrEnum):
    INBOUND = "inbound"  # from a fan
    OUTBOUND = "outbound"  # from the artist's account


class MessageKind(enum.StrEnum):
    MENTION = "mention"
    COMMENT = "comment"
    REPLY = "reply"
    DM = "dm"
    EMAIL = "email"


conversation_labels = Table(
    "conversation_labels",
    Base.metadata,
    Column(
        "conversation_id",
        ForeignKey("conversations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("label_id", ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Label(Base):
    __tablename__ = "labels"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    color: Mapped[str] = mapped_column(String(16), default="slate")


# The columns the inbox filters test, carried in the list indexes.
LIST_FILTER_COLUMNS = (
    "is_spam",
    "waiting_for_us",
    "priority",
    "intent",
    "channel_id",
    "assignee_id",
    "fan_id",
)


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("channel_id", "external_thread_id"),
        # The inbox lists: newest first and highest priority first, per status. Each
        # index ends with the id (the keyset tie-break) and then every column a list
        # filter tests, so a filtered page walks the index in order and never reads
        # the table to reject a row (`LIST_FILTER_COLUMNS`).
        Index(
            "ix_conversations_inbox_recent",
            "workspace_id",
            "status",
            "last_activity_at",
            "id",
            *LIST_FILTER_COLUMNS,
        ),
        Index(
            "ix_conversations_inbox_priority",
            "workspace_id",
            "status",
            "priority_score",
            "last_activity_at",
            "id",
            *LIST_FILTER_COLUMNS,
        ),
        # "Mine", and waking snoozed conversations whose time has come (checked on every
        # inbox read). Few rows have an assignee or a snooze time: partial indexes hold
        # only those, so the many new conversations of a sync or an import skip them.
        Index(
            "ix_conversations_assignee",
            "workspace_id",
            "assignee_id",
            "status",
            sqlite_where=text("assignee_id IS NOT NULL"),
            postgresql_where=text("assignee_id IS NOT NULL"),
        ),
        Index(
            "ix_conversations_snooze_until",
            "snooze_until",
            sqlite_where=text("snooze_until IS NOT NULL"),
            postgresql_where=text("snooze_until IS NOT NULL"),
        ),
        Index("ix_conversations_fan_id", "fan_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    fan_id: Mapped[int | None] = mapped_column(ForeignKey("fans.id", ondelete="SET NULL"))
    # The network's own key for the thread (root post id, email Message-ID of the first mail...).
    external_thread_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[MessageKind] = mapped_column(str_enum(MessageKind, "message_kind"))
    subject: Mapped[str | None] = mapped_column(String(500))
    # What the thread hangs off: the post or video being commented on ({"title", "url"}).
    context: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[ConversationStatus] = mapped_column(
        str_enum(ConversationStatus, "conversation_status"), default=ConversationStatus.OPEN
    )
    snooze_until: Mapped[datetime | None]
    priority: Mapped[Priority] = mapped_column(
        str_enum(Priority, "priority"), default=Priority.NORMAL
    )
    priority_score: Mapped[int] = mapped_column(default=50)
    priority_reasons: Mapped[list[str] | None] = mapped_column(JSON)
    # A teammate's priority: it stands until the fan writes again.
    priority_set_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    priority_set_at: Mapped[datetime | None]
    intent: Mapped[str | None] = mapped_column(String(16))
    is_spam: Mapped[bool] = mapped_column(default=False)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    waiting_for_us: Mapped[bool] = mapped_column(default=True)
    message_count: Mapped[int] = mapped_column(default=0)
    last_message_preview: Mapped[str] = mapped_column(String(280), default="")
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_inbound_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    fan: Mapped[Fan | None] = relationship()
    labels: Mapped[list[Label]] = relationship(secondary=conversation_labels)
    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", order_by="Message.sent_at", viewonly=True
    )


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel_id", "external_id"),
        Index("ix_messages_conversation_sent", "conversation_id", "sent_at"),
        Index("ix_messages_author", "author_identity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(255))
    direction: Mapped[Direction] = mapped_column(str_enum(Direction, "direction"))
    kind: Mapped[MessageKind] = mapped_column(str_enum(MessageKind, "message_kind"))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)  # email bodies, cleaned before display
    lang: Mapped[str | None] = mapped_column(String(8))
    sent_at: Mapped[datetime]
    author_identity_id: Mapped[int | None] = mapped_column(
        ForeignKey("identities.id", ondelete="SET NULL")
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    parent_external_id: Mapped[str | None] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(String(1000))
    media: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Classification, filled by the triage classifier (None until classified).
    classified_at: Mapped[datetime | None]
    classifier_version: Mapped[str | None] = mapped_column(String(32))
    spam: Mapped[bool | None]
    spam_score: Mapped[float | None]
    sentiment: Mapped[str | None] = mapped_column(String(16))
    toxic: Mapped[bool | None]
    intent: Mapped[str | None] = mapped_column(String(16))
    intent_score: Mapped[float | None]
    # The intent head's probability for each intent: priority weighs each intent's base
    # by it, so a brand's offer read as 68% chatter still ranks above plain chatter.
    intent_scores: Mapped[dict[str, float] | None] = mapped_column(JSON)
    # How soon this needs a person (0-1, learned) and any time-critical word found
    # ("tonight"): kept so priority can be recomputed as the fan keeps waiting.
    urgency: Mapped[float | None]
    time_cue: Mapped[str | None] = mapped_column(String(64))
    # Someone may be in danger ("threat", "stalking", "self-harm", ...): always urgent.
    safety: Mapped[str | None] = mapped_column(String(32))
    # A scam (advance fee, phishing): spam, with its own reason.
    scam: Mapped[bool | None]
    reasons: Mapped[list[str] | None] = mapped_column(JSON)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
    author: Mapped[Identity | None] = relationship()


class Note(Base):
    """A private note by a teammate on a conversation; never sent anywhere."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
