"""full-text search: a prefix index on SQLite, so a common word's newest matches are read
without merging every one of them

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

from alembic import op

from models import search

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS message_fts USING fts5("
    "text, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
)


def upgrade() -> None:
    search.rebuild_message_index(op.get_bind())


def downgrade() -> None:
    search.rebuild_message_index(op.get_bind(), BEFORE)
