"""messages carry a safety category and a scam flag; a teammate's segment and priority stick

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch_op:
        batch_op.add_column(sa.Column("safety", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("scam", sa.Boolean(), nullable=True))
    with op.batch_alter_table("fans") as batch_op:
        batch_op.add_column(sa.Column("segment_set_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("segment_set_at", UTCDateTime(), nullable=True))
        batch_op.create_foreign_key(
            "fk_fans_segment_set_by_id_users",
            "users",
            ["segment_set_by_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("conversations") as batch_op:
        batch_op.add_column(sa.Column("priority_set_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("priority_set_at", UTCDateTime(), nullable=True))
        batch_op.create_foreign_key(
            "fk_conversations_priority_set_by_id_users",
            "users",
            ["priority_set_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch_op:
        batch_op.drop_constraint("fk_conversations_priority_set_by_id_users", type_="foreignkey")
        batch_op.drop_column("priority_set_at")
        batch_op.drop_column("priority_set_by_id")
    with op.batch_alter_table("fans") as batch_op:
        batch_op.drop_constraint("fk_fans_segment_set_by_id_users", type_="foreignkey")
        batch_op.drop_column("segment_set_at")
        batch_op.drop_column("segment_set_by_id")
    with op.batch_alter_table("messages") as batch_op:
        batch_op.drop_column("scam")
        batch_op.drop_column("safety")
