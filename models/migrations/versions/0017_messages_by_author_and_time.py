"""messages by author and time, for a fan's timeline

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_messages_author_sent", "messages", ["author_identity_id", "sent_at"])


def downgrade() -> None:
    op.drop_index("ix_messages_author_sent", table_name="messages")
