"""Full-text search over messages and fan names (SQLite FTS5, PostgreSQL tsvector).

:func:`match_conversation_ids` is the search as a filter condition: the ids of
conversations where every word of the query appears in one of its messages or
in the fan's name (accents folded; in messages words match as prefixes, in a
name as whole words, so "merci" does not find the surname "Mercier"). It reads every
match, which is what a count or a membership test needs, but a page does not.

:func:`walk` is the search as a list, which is what people wait for: it reads
the matches newest first (message ids, which grow as messages are stored) and
stops as soon as a page of conversations is full, so a word in one message out
of ten costs what a rare one does. A conversation ranks by its newest matching
message (or its newest message when the fan's name matches); the next page
continues below the last rank shown. The walk knows the exact number of
conversations only when it reached the last match; otherwise the page says
"more than" what it showed.

The index itself, and the job that fills it after each sync, live in
:mod:`models.search`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    case,
    func,
    literal_column,
    select,
    text,
    true,
)
from sqlalchemy.orm import Session

from models import Conversation, Fan, Message

MAX_TERMS = 8
_WORD = re.compile(r"\w+", re.UNICODE)
INDEX_CHUNK = 20_000


def terms(query: str) -> list[str]:
    """The words of a query as the index sees them (letters and digits, at most eight)."""
    return _WORD.findall(query.lower())[:MAX_TERMS]


def fts5_query(words: list[str], *, prefix: bool = True) -> str:
    """An FTS5 MATCH expression: every word, as a prefix (or, ``prefix=False``, as a whole
    word: how names match). Words are quoted, so nothing a person types can be read as
    FTS5 syntax."""
    star = "*" if prefix else ""
    return " AND ".join('"' + w.replace('"', '""') + '"' + star for w in words)


def tsquery(words: list[str], *, prefix: bool = True) -> str:
    """A to_tsquery expression: every word, as a prefix or whole (words are \\w+ only)."""
    return " & ".join(f"{w}:*" if prefix else w for w in words)


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
                text("SELECT rowid FROM fan_fts WHERE fan_fts MATCH :fq").bindparams(
                    fq=fts5_query(words, prefix=False)  # a name matches by whole words
                )
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
                    ).op("@@")(_pg_tsquery(words, prefix=False)),
                )
            )
        ),
    )
    return in_messages.union(by_fan)  # type: ignore[return-value]


# --- the search as a list: newest matches first, stopping when the page is full ---------

FIRST_CHUNK = 256  # matches read in the first round; each further round reads twice as many
MAX_CHUNK = 8192
FAN_MATCH_LIMIT = 5000  # fans whose name matches, at most (a search is not a fan export)
# PostgreSQL: testing one message in a walk down the primary key (parsing its text) costs
# about three times reading one match through the GIN index (a million messages: 3.2 us
# against 1.1 us a row).
WALK_ROW_COST = 3.0


@dataclass(frozen=True)
class _PgEstimate:
    """PostgreSQL's own estimates of a query's matching messages and of all messages.

    Its planner walks the primary key backwards for any LIMIT it expects to fill
    early, without counting what parsing each text costs, so a word in about 1% of
    messages was read by testing some 50,000 texts (170 ms for 256 matches) where
    reading its 10,000 matches from the GIN index and keeping the newest takes 17 ms.
    """

    matches: float
    messages: float

    def read_all(self, n: int) -> bool:
        """Whether reading every match and keeping the newest ``n`` beats the walk, which
        tests about ``n * messages / matches`` texts."""
        if self.matches <= 0 or self.messages <= 0:
            return False
        return self.matches * self.matches < WALK_ROW_COST * n * self.messages


def _pg_estimate(session: Session, words: list[str]) -> _PgEstimate:
    conn = session.connection()
    stmt = select(Message.id).where(_pg_message_match(words)).compile(dialect=conn.dialect)
    plan: Any = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(stmt), stmt.params).scalar()
    messages = session.scalar(
        text("SELECT reltuples FROM pg_class WHERE oid = 'messages'::regclass")
    )
    try:
        matches = float(plan[0]["Plan"]["Plan Rows"])
    except (TypeError, LookupError, ValueError):
        matches = 0.0  # no estimate: walk, as the planner would
    return _PgEstimate(matches, float(messages or 0))


@dataclass(frozen=True)
class Walked:
    """One page of a search: conversation ids in rank order, where to go on, and how many.

    ``ranks`` are the ranks of ``ids`` (a message id each); ``next_below`` is the
    rank the next page starts below, None at the end; ``total`` is the number of
    conversations in the whole result when the walk read every match (from the
    top), else None: more than shown.
    """

    ids: list[int]
    ranks: list[int]
    next_below: int | None
    total: int | None


def _passes(conditions: Sequence[ColumnElement[bool]]) -> Any:
    """1 when the conversation meets every condition, else 0: computed in the same
    statement that reads the matches, so no list of ids travels back and forth."""
    return case((and_(true(), *conditions), 1), else_=0)


def _matches(
    session: Session,
    words: list[str],
    conditions: Sequence[ColumnElement[bool]],
    below: int | None,
    n: int,
    estimate: _PgEstimate | None = None,
) -> tuple[list[tuple[int, int, int]], int | None, bool]:
    """Up to ``n`` matching messages below ``below``, newest first, as (message id,
    conversation id, passes the conditions); the lowest id read (where to go on); and
    whether there are no more.

    SQLite: FTS5 walks its rowids backwards and stops after ``n``. PostgreSQL: the
    primary key walked backwards testing each row for a common word, or, when
    ``estimate`` says it is cheaper, every match read from the GIN index and the
    newest kept (ordering by ``id + 0`` keeps the planner off the primary key).
    """
    top = below if below is not None else 2**62
    if session.get_bind().dialect.name == "sqlite":
        read: Any = (
            text(
                "SELECT rowid AS id FROM message_fts WHERE message_fts MATCH :q AND rowid < :below"
                " ORDER BY rowid DESC LIMIT :n"
            )
            .bindparams(q=fts5_query(words), below=top, n=n)
            .columns(id=Integer)
            .subquery("f")
        )
    else:
        # No bound on the first page: ids are 32-bit integers there, 2**62 is out of range.
        below_top = [Message.id < below] if below is not None else []
        read_all = estimate is not None and estimate.read_all(n)
        read = (
            select(Message.id)
            .where(_pg_message_match(words), *below_top)
            .order_by((Message.id + 0).desc() if read_all else Message.id.desc())
            .limit(n)
            .subquery("f")
        )
    rows = session.execute(
        select(read.c.id, Conversation.id, _passes(conditions))
        .select_from(read)
        .outerjoin(Message, Message.id == read.c.id)
        .outerjoin(Conversation, Conversation.id == Message.conversation_id)
        .order_by(read.c.id.desc())
    ).all()
    if not rows:
        return [], below, True
    found = [(int(i), int(c), int(ok)) for i, c, ok in rows if c is not None]
    return found, int(rows[-1][0]), len(rows) < n


def _pg_tsquery(words: list[str], *, prefix: bool = True) -> Any:
    return func.to_tsquery(literal_column("'unplugged'"), tsquery(words, prefix=prefix))


def _pg_message_match(words: list[str]) -> ColumnElement[bool]:
    return func.to_tsvector(literal_column("'unplugged'"), _no_brackets(Message.text)).op("@@")(
        _pg_tsquery(words)
    )


def _fan_ranked(
    session: Session, workspace_id: int, words: list[str], conditions: Sequence[ColumnElement[bool]]
) -> list[tuple[int, int]]:
    """Conversations meeting ``conditions`` whose fan's name matches, as (rank, conversation
    id), best first; the rank is the conversation's newest message id."""
    fans: Any
    if session.get_bind().dialect.name == "sqlite":
        fans = text("SELECT rowid FROM fan_fts WHERE fan_fts MATCH :fq LIMIT :fl").bindparams(
            fq=fts5_query(words, prefix=False), fl=FAN_MATCH_LIMIT
        )
    else:
        fans = (
            select(Fan.id)
            .where(
                Fan.workspace_id == workspace_id,
                func.to_tsvector(literal_column("'unplugged'"), _no_brackets(Fan.display_name)).op(
                    "@@"
                )(_pg_tsquery(words, prefix=False)),
            )
            .limit(FAN_MATCH_LIMIT)
        )
    # The few matching fans first, as a list: inside IN (...) with its LIMIT, PostgreSQL
    # ran the fan match again for every open conversation (0.9 s on the demo).
    fan_ids = list(session.scalars(fans))
    if not fan_ids:
        return []
    rows = session.execute(
        select(func.max(Message.id), Message.conversation_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Conversation.fan_id.in_(fan_ids), *conditions)
        .group_by(Message.conversation_id)
    ).all()
    return sorted(((int(r), int(c)) for r, c in rows if r is not None), reverse=True)


def _matched_at_or_above(
    session: Session, words: list[str], conversation_ids: Sequence[int], rank: int
) -> set[int]:
    """Those conversations with a matching message at ``rank`` or newer: they ranked
    higher, so an earlier page had them already."""
    if not conversation_ids:
        return set()
    newer = session.execute(
        select(Message.id, Message.conversation_id).where(
            Message.conversation_id.in_(conversation_ids), Message.id >= rank
        )
    ).all()
    if not newer:
        return set()
    conv_of = {int(i): int(c) for i, c in newer}
    if session.get_bind().dialect.name == "sqlite":
        expr = fts5_query(words)
        conn = session.connection()
        hit = [
            i
            for i in conv_of
            if conn.exec_driver_sql(
                "SELECT 1 FROM message_fts WHERE message_fts MATCH ? AND rowid = ?", (expr, i)
            ).first()
        ]
    else:
        hit = list(
            session.scalars(
                select(Message.id).where(Message.id.in_(list(conv_of)), _pg_message_match(words))
            )
        )
    return {conv_of[i] for i in hit}


def walk(
    session: Session,
    workspace_id: int,
    query: str,
    conditions: Sequence[ColumnElement[bool]],
    *,
    below: int | None = None,
    limit: int = 50,
) -> Walked:
    """The conversations matching ``query`` that also meet ``conditions`` (clauses on
    :class:`Conversation`, including its workspace), ranked by their newest match,
    ``limit`` of them, starting below the rank ``below``. See the module's docstring."""
    words = terms(query)
    if not words:
        return Walked([], [], None, 0)
    conditions = [Conversation.workspace_id == workspace_id, *conditions]
    by_fan = _fan_ranked(session, workspace_id, words, conditions)
    seen: set[int] = set()  # conversations already ranked (shown, or left out by the filter)
    if below is not None:
        seen = {c for r, c in by_fan if r >= below}
        by_fan = [(r, c) for r, c in by_fan if r < below]
    fan_at = 0
    ids: list[int] = []
    ranks: list[int] = []
    cursor, chunk, exhausted = below, FIRST_CHUNK, False
    pg = session.get_bind().dialect.name == "postgresql"
    estimate = _pg_estimate(session, words) if pg else None
    while len(ids) <= limit and not (exhausted and fan_at >= len(by_fan)):
        found: list[tuple[int, int, int]] = []
        if not exhausted:
            found, cursor, exhausted = _matches(
                session, words, conditions, cursor, chunk, estimate=estimate
            )
            chunk = min(MAX_CHUNK, chunk * 2)
        # Fan matches ranked above the oldest message just read go in among them.
        floor = cursor if cursor is not None and not exhausted else -1
        while fan_at < len(by_fan) and by_fan[fan_at][0] > floor:
            found.append((*by_fan[fan_at], 1))
            fan_at += 1
        found.sort(reverse=True)
        fresh: dict[int, int] = {}  # conversation -> rank, for those that pass, in rank order
        for rank, conv, ok in found:
            if conv not in seen:
                seen.add(conv)
                if ok:
                    fresh[conv] = rank
        if below is not None and fresh:
            for conv in _matched_at_or_above(session, words, list(fresh), below):
                del fresh[conv]
        for conv, rank in fresh.items():
            ids.append(conv)
            ranks.append(rank)
    more = len(ids) > limit
    ids, ranks = ids[:limit], ranks[:limit]
    total = len(ids) if below is None and not more else None
    return Walked(ids, ranks, ranks[-1] if more and ranks else None, total)


PASSAGE_BEFORE = 60  # characters of context kept before the first match
PASSAGE_LENGTH = 200


def _folded(text: str) -> tuple[str, list[int]]:
    folded: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        for part in unicodedata.normalize("NFKD", char.lower()):
            if not unicodedata.combining(part):
                folded.append(part)
                origin.append(i)
    return "".join(folded), origin


def passage(text: str, query: str) -> str | None:
    """The part of ``text`` around the first searched word, for a result row.

    A long email's opening rarely holds the word that was searched; the row shows the
    passage that does (issue 18), cut at word boundaries with an ellipsis on the side
    that was cut. None when no word of the query begins a word of ``text``.
    """
    words = [_folded(w)[0] for w in terms(query)]
    words = [w for w in words if w]
    if not words or not text:
        return None
    flat = " ".join(text.split())
    folded, origin = _folded(flat)
    found = re.search(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + ")", folded)
    if found is None:
        return None
    at = origin[found.start()]
    start = max(0, at - PASSAGE_BEFORE)
    if start:
        space = flat.find(" ", start, at)
        start = space + 1 if space >= 0 else start
    end = min(len(flat), start + PASSAGE_LENGTH)
    if end < len(flat):
        space = flat.rfind(" ", at, end)
        end = space if space > at else end
    return ("… " if start else "") + flat[start:end].strip() + (" …" if end < len(flat) else "")
