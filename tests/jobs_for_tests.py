"""Jobs used by the queue tests: they leave a trace in the database and nothing else."""

from __future__ import annotations

from inbox.runtime import get_runtime
from models import AuditEvent


def leave_trace(workspace_id: int, label: str) -> int:
    with get_runtime().session() as s:
        event = AuditEvent(workspace_id=workspace_id, action="test.trace", data={"label": label})
        s.add(event)
        s.flush()
        return event.id
