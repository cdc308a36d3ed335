"""PostgreSQL: fans found by the start of a handle through an index (pattern ops)

Revision ID: 0023
Revises: 0022
"""

from collections.abc import Sequence

from alembic import op

from models.search import HANDLE_PREFIX_DDL

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(HANDLE_PREFIX_DDL)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_identities_handle_prefix")
