"""Fans list: most messages first, and a segment's fans by last contact or engagement

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_fans_workspace_messages", "fans", ["workspace_id", "message_count"])
    op.create_index(
        "ix_fans_workspace_segment_seen", "fans", ["workspace_id", "segment", "last_seen_at"]
    )
    op.create_index(
        "ix_fans_workspace_segment_engagement",
        "fans",
        ["workspace_id", "segment", "engagement_score"],
    )


def downgrade() -> None:
    op.drop_index("ix_fans_workspace_segment_engagement", table_name="fans")
    op.drop_index("ix_fans_workspace_segment_seen", table_name="fans")
    op.drop_index("ix_fans_workspace_messages", table_name="fans")
