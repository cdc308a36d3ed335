"""Full-text search over messages and fan names (SQLite FTS5, PostgreSQL tsvector).

:func:`match_conversation_ids` is what the inbox filter calls: it returns the
ids of conversations where every word of the query appears in one of its
messages or in the fan's name (words match as prefixes, accents folded).
The index itself, and the job that fills it after each sync, live in
:mod:`models.search`.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Select, and_, func, literal_column, select, text, true
from sqlalchemy.orm import Session

from models import Conversation, Fan, Message

MAX_TERMS = 8
_WORD = re.compile(r"\w+", re.UNICODE)
INDEX_CHUNK = 20_000


def terms(query: str) -> list[str]:
    """The words of a query as the index sees them (letters and digits, at most eight)."""
    return _WORD.findall(query.lower())[:MAX_TERMS]


def fts5_query(words: list[str]) -> str:
    """An FTS5 MATCH expression: every word, as a prefix. Words are quoted, so
    nothing a person types can be read as FTS5 syntax."""
    return " AND ".join('"' + w.replace('"', '""') + '"*' for w in words)


def tsquery(words: list[str]) -> str:
    """A to_tsquery expression: every word, as a prefix (words are \\w+ only)."""
    return " & ".join(f"{w}:*" for w in words)


def _no_brackets(column: Any) -> Any:
    """The same expression as the GIN indexes (models/search.py), so they are used."""
    return func.translate(column, literal_column("'<>'"), literal_column("'  '"))


def match_conversation_ids(session: Session, workspace_id: int, query: str) -> Select[int]:
    words = terms(query)
    if not words:
        return select(Conversation.id).where(Conversation.workspace_id == workspace_id)
    if session.get_bind().dialect.name == "sqlite":
        expr = fts5_query(words)
        in_messages = select(Message.conversation_id).where(
            Message.id.in_(
                text("SELECT rowid FROM message_fts WHERE message_fts MATCH :q").bindparams(q=expr)
            ),
            Message.workspace_id == workspace_id,
        )
        by_fan = select(Conversation.id).where(
            Conversation.workspace_id == workspace_id,
            Conversation.fan_id.in_(
                text("SELECT rowid FROM fan_fts WHERE fan_fts MATCH :fq").bindparams(fq=expr)
            ),
        )
        return in_messages.union(by_fan)  # type: ignore[return-value]
    q = func.to_tsquery(literal_column("'unplugged'"), tsquery(words))
    in_messages = select(Message.conversation_id).where(
        Message.workspace_id == workspace_id,
        func.to_tsvector(literal_column("'unplugged'"), _no_brackets(Message.text)).op("@@")(q),
    )
    by_fan = select(Conversation.id).where(
        Conversation.workspace_id == workspace_id,
        Conversation.fan_id.in_(
            select(Fan.id).where(
                and_(
                    true(),
                    func.to_tsvector(
                        literal_column("'unplugged'"), _no_brackets(Fan.display_name)
                    ).op("@@")(q),
                )
            )
        ),
    )
    return in_messages.union(by_fan)  # type: ignore[return-value]
