"""inbox list indexes carry the filtered columns; assignee and snooze indexes are partial

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILTERED = [
    "is_spam",
    "waiting_for_us",
    "priority",
    "intent",
    "channel_id",
    "assignee_id",
    "fan_id",
]
RECENT = ["workspace_id", "status", "last_activity_at"]
PRIORITY = ["workspace_id", "status", "priority_score", "last_activity_at"]
ASSIGNEE = ["workspace_id", "assignee_id", "status"]
INDEXES = (
    "ix_conversations_inbox_recent",
    "ix_conversations_inbox_priority",
    "ix_conversations_assignee",
    "ix_conversations_snooze_until",
)


def _where(column: str, partial: bool) -> dict[str, Any]:
    if not partial:
        return {}
    clause = sa.text(f"{column} IS NOT NULL")
    return {"sqlite_where": clause, "postgresql_where": clause}


def _replace(recent: list[str], priority: list[str], partial: bool) -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="conversations")
    op.create_index(INDEXES[0], "conversations", recent)
    op.create_index(INDEXES[1], "conversations", priority)
    op.create_index(INDEXES[2], "conversations", ASSIGNEE, **_where("assignee_id", partial))
    op.create_index(
        INDEXES[3], "conversations", ["snooze_until"], **_where("snooze_until", partial)
    )


def upgrade() -> None:
    _replace([*RECENT, "id", *FILTERED], [*PRIORITY, "id", *FILTERED], partial=True)


def downgrade() -> None:
    _replace(RECENT, PRIORITY, partial=False)
