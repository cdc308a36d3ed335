"""full-text search reads words inside angle brackets on PostgreSQL

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

from alembic import op

from models import search

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    search.reindex(op.get_bind())


def downgrade() -> None:
    pass  # the previous expression indexed fewer words; nothing to restore
