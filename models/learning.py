"""What the team teaches the classifier, and the models it produced.

Every one-click correction in the inbox is a :class:`TriageCorrection`: the
message's words as they were, and what a person said it is. Retraining a
workspace's model adds them to the shipped training data and writes a new
:class:`ModelVersion`; one version per workspace is active, and an earlier one
can be made active again (rollback).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class TriageCorrection(Base):
    __tablename__ = "triage_corrections"
    __table_args__ = (Index("ix_triage_corrections_workspace", "workspace_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    field: Mapped[str] = mapped_column(String(16))  # spam, intent or priority
    old_value: Mapped[str | None] = mapped_column(String(32))
    new_value: Mapped[str] = mapped_column(String(32))
    # The words as they were corrected: kept even if the message is later deleted.
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModelVersion(Base):
    __tablename__ = "model_versions"
    __table_args__ = (Index("ix_model_versions_workspace", "workspace_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(500))  # relative to the instance folder
    is_active: Mapped[bool] = mapped_column(default=False)
    corrections_used: Mapped[int] = mapped_column(default=0)
    info: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[datetime | None]
