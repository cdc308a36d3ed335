"""A person correcting the classifier: recorded so the model can learn from it.

Each one-click correction in the thread (not spam, another intent, another
priority) is stored as an ``AuditEvent`` with action ``triage.correction`` and
``data = {message_id, field, old, new}``. :func:`record_correction` is the one
place that writes them, so a corrections table or a retraining queue can be
added behind it without touching the views.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from models import AuditEvent

ACTION = "triage.correction"
FIELDS = ("spam", "intent", "priority")


def record_correction(
    session: Session,
    *,
    workspace_id: int,
    user_id: int | None,
    conversation_id: int,
    message_id: int | None,
    field: str,
    old: Any,
    new: Any,
) -> AuditEvent:
    """Store that a person changed ``field`` from ``old`` to ``new``."""
    if field not in FIELDS:
        raise ValueError(f"unknown correction field {field!r}")
    event = AuditEvent(
        workspace_id=workspace_id,
        user_id=user_id,
        action=ACTION,
        subject_type="conversation",
        subject_id=conversation_id,
        data={"message_id": message_id, "field": field, "old": old, "new": new},
    )
    session.add(event)
    from inbox import learning

    learning.store_correction(session, workspace_id, user_id, message_id, field, old, new)
    return event
