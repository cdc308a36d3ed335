"""Fast multi-row inserts that hand back the new primary keys, in order.

The pipeline inserts thousands of rows per batch. PostgreSQL returns ids from
a batched ``INSERT ... RETURNING`` cheaply. On SQLite SQLAlchemy would fall
back to one statement per row to keep RETURNING in order, so there we number
the rows ourselves from ``max(id)`` and hand the driver plain tuples: SQLite
has one writer at a time, and in WAL mode a transaction whose snapshot went
stale cannot write (it gets SQLITE_BUSY and is retried), so two writers never
hand out the same ids. Values still go through each column type's own bind
processor, so what is stored is exactly what the ORM would store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Table, func, insert, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from models.base import UTCDateTime

_Processor = Callable[[Any], Any] | None  # a column type's bind processor
_cache: dict[tuple[str, str, tuple[str, ...]], tuple[str, list[_Processor]]] = {}


class PreEncodedJSON(str):
    """JSON text that is already encoded (an imported line): stored as it is."""


class EncodedMapping(Mapping[str, Any]):
    """A decoded payload that keeps the JSON text it came from, so storing it as
    ``raw`` needs no second encoding (an import reads millions of lines)."""

    __slots__ = ("data", "text")

    def __init__(self, data: dict[str, Any], text: str) -> None:
        self.data = data
        self.text = text

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


def raw_column(raw: Any) -> Any:
    """The value to store in a ``raw`` JSON column for a payload."""
    if not raw:
        return None
    if isinstance(raw, EncodedMapping):
        return PreEncodedJSON(raw.text)
    return dict(raw)


@lru_cache(maxsize=8192)  # rows of one batch share created_at; replies share their parents'
def sqlite_datetime(value: datetime) -> str:
    """The text SQLAlchemy's SQLite dialect stores for a UTC time, made in C (fast path)."""
    if value.tzinfo is not None and value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _processor(table: Table, name: str, dialect: Dialect) -> _Processor:
    column_type = table.c[name].type
    if isinstance(column_type, UTCDateTime) and dialect.name == "sqlite":
        return sqlite_datetime
    if isinstance(column_type, JSON):
        encode = column_type._cached_bind_processor(dialect)
        if encode is None:
            return None
        return lambda v: v if isinstance(v, PreEncodedJSON) else encode(v)
    return column_type._cached_bind_processor(dialect)


def _plan(table: Table, columns: tuple[str, ...], dialect: Dialect) -> tuple[str, list[_Processor]]:
    key = (dialect.name, table.name, columns)
    if key not in _cache:
        sql = (
            f'INSERT INTO "{table.name}" ({", ".join(columns)}) '
            f"VALUES ({', '.join('?' for _ in columns)})"
        )
        _cache[key] = (sql, [_processor(table, name, dialect) for name in columns])
    return _cache[key]


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` (dicts with the same keys) into ``table``; return their ids in order."""
    if not rows:
        return []
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        result = conn.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), list(rows)
        )
        return [row[0] for row in result]
    start = int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1
    ids = list(range(start, start + len(rows)))
    # Columns that are NULL in every row are left out: SQLite stores NULL for them anyway,
    # and binding fewer values is measurably faster on wide tables like messages.
    columns = ("id", *(k for k in rows[0] if any(row[k] is not None for row in rows)))
    sql, procs = _plan(table, columns, conn.dialect)
    # Column by column: one tight comprehension per column beats a loop per value.
    keys = columns[1:]
    data: list[Sequence[Any]] = [ids]
    for key, proc in zip(keys, procs[1:], strict=True):
        values = [row[key] for row in rows]
        if proc is not None:
            values = [None if v is None else proc(v) for v in values]
        data.append(values)
    conn.exec_driver_sql(sql, list(zip(*data, strict=True)))
    return ids


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _sqlite_time(value: datetime | None) -> str | None:
    return None if value is None else sqlite_datetime(value)


def time_adapter(session: Session) -> Callable[[datetime | None], object]:
    """How this connection's driver wants a UTC time: SQLite's stored text, or naive UTC."""
    return _sqlite_time if session.connection().dialect.name == "sqlite" else _naive_utc


def execute_many(session: Session, sql: str, params: Sequence[tuple[Any, ...]]) -> None:
    """Run one statement (written with ``?`` placeholders) for many parameter tuples.

    For the pipeline's hot UPDATEs: the values are already in the driver's types
    (see :func:`db_time`), so SQLAlchemy's per-row processing is skipped.
    """
    if not params:
        return
    conn = session.connection()
    if conn.dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    conn.exec_driver_sql(sql, list(params))
