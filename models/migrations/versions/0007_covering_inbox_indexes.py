"""the inbox list indexes carry the filtered columns

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

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


def _replace(recent: list[str], priority: list[str]) -> None:
    op.drop_index("ix_conversations_inbox_recent", table_name="conversations")
    op.drop_index("ix_conversations_inbox_priority", table_name="conversations")
    op.create_index("ix_conversations_inbox_recent", "conversations", recent)
    op.create_index("ix_conversations_inbox_priority", "conversations", priority)


def upgrade() -> None:
    _replace([*RECENT, "id", *FILTERED], [*PRIORITY, "id", *FILTERED])


def downgrade() -> None:
    _replace(RECENT, PRIORITY)
