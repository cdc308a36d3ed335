"""Indexes for what people wait for: muted or blocked fans on their own (every inbox
page leaves them out), and the weekly review's columns carried by its time index

Revision ID: 0022
Revises: 0021
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUIET_FANS = "muted_at IS NOT NULL OR blocked_at IS NOT NULL"
REVIEW_COLUMNS = [
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
]


def upgrade() -> None:
    op.create_index(
        "ix_fans_quiet",
        "fans",
        ["workspace_id"],
        sqlite_where=sa.text(QUIET_FANS),
        postgresql_where=sa.text(QUIET_FANS),
    )
    op.create_index("ix_messages_review", "messages", REVIEW_COLUMNS)
    op.drop_index("ix_messages_workspace_sent", table_name="messages")


def downgrade() -> None:
    op.create_index("ix_messages_workspace_sent", "messages", ["workspace_id", "sent_at"])
    op.drop_index("ix_messages_review", table_name="messages")
    op.drop_index("ix_fans_quiet", table_name="fans")
