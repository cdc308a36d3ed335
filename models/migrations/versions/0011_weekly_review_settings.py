"""workspaces: business hours and the weekly digest's day and hour; users opt in to the digest

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workspaces") as batch_op:
        batch_op.add_column(sa.Column("business_hours", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("digest_weekday", sa.Integer(), nullable=False, server_default="1")
        )
        batch_op.add_column(
            sa.Column("digest_hour", sa.Integer(), nullable=False, server_default="9")
        )
        batch_op.add_column(sa.Column("digest_sent_week", sa.String(length=8), nullable=True))
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(
            sa.Column("weekly_digest", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("weekly_digest")
    with op.batch_alter_table("workspaces") as batch_op:
        batch_op.drop_column("digest_sent_week")
        batch_op.drop_column("digest_hour")
        batch_op.drop_column("digest_weekday")
        batch_op.drop_column("business_hours")
