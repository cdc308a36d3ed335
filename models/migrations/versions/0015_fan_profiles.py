"""Fan profiles: merges that can be split, dismissed look-alikes, erasure tombstones, fan
notes and custom fields, mute/block; fans list and identity suggestion indexes

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs (no batch copy of the table: that would drop the full-text triggers).
    op.add_column("fans", sa.Column("merged_into_id", sa.Integer(), nullable=True))
    op.add_column("fans", sa.Column("muted_at", UTCDateTime(), nullable=True))
    op.add_column("fans", sa.Column("blocked_at", UTCDateTime(), nullable=True))
    op.create_index("ix_fans_workspace_last_seen", "fans", ["workspace_id", "last_seen_at"])
    op.create_index("ix_fans_workspace_engagement", "fans", ["workspace_id", "engagement_score"])
    op.create_index(
        "ix_identities_handle", "identities", ["workspace_id", sa.text("lower(handle)")]
    )
    op.create_index("ix_identities_display_name", "identities", ["workspace_id", "display_name"])
    op.create_table(
        "fan_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("fan_id", sa.Integer(), nullable=False),
        sa.Column("merged_fan_id", sa.Integer(), nullable=False),
        sa.Column("identity_ids", sa.JSON(), nullable=False),
        sa.Column("conversation_ids", sa.JSON(), nullable=False),
        sa.Column("note_ids", sa.JSON(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("merged_by_id", sa.Integer(), nullable=True),
        sa.Column("merged_at", UTCDateTime(), nullable=False),
        sa.Column("split_by_id", sa.Integer(), nullable=True),
        sa.Column("split_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["fan_id"], ["fans.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["merged_fan_id"], ["fans.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["merged_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["split_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_fan_merges_fan", "fan_merges", ["workspace_id", "fan_id"])
    op.create_table(
        "fan_pair_dismissals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("fan_a_id", sa.Integer(), nullable=False),
        sa.Column("fan_b_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["fan_a_id"], ["fans.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["fan_b_id"], ["fans.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "fan_a_id", "fan_b_id"),
    )
    op.create_index("ix_fan_pair_dismissals_fan_b_id", "fan_pair_dismissals", ["fan_b_id"])
    op.create_table(
        "fan_tombstones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("network", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "network", "key_hash"),
    )
    op.create_table(
        "fan_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("fan_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["fan_id"], ["fans.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_fan_notes_fan_id", "fan_notes", ["fan_id"])
    op.create_table(
        "fan_fields",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "name"),
    )
    op.create_table(
        "fan_field_values",
        sa.Column("fan_id", sa.Integer(), nullable=False),
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["fan_id"], ["fans.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["field_id"], ["fan_fields.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("fan_id", "field_id"),
    )
    op.create_index("ix_fan_field_values_field_id", "fan_field_values", ["field_id"])


def downgrade() -> None:
    op.drop_table("fan_field_values")
    op.drop_table("fan_fields")
    op.drop_table("fan_notes")
    op.drop_table("fan_tombstones")
    op.drop_table("fan_pair_dismissals")
    op.drop_table("fan_merges")
    op.drop_index("ix_identities_display_name", table_name="identities")
    op.drop_index("ix_identities_handle", table_name="identities")
    op.drop_index("ix_fans_workspace_engagement", table_name="fans")
    op.drop_index("ix_fans_workspace_last_seen", table_name="fans")
    with op.batch_alter_table("fans") as batch:
        batch.drop_column("blocked_at")
        batch.drop_column("muted_at")
        batch.drop_column("merged_into_id")
    from models import search

    search.install(op.get_bind())  # the batch copy dropped the fans triggers
