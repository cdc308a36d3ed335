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

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

_Processor = Callable[[Any], Any] | None  # a column type's bind processor
_cache: dict[tuple[str, str, tuple[str, ...]], tuple[str, list[_Processor]]] = {}


def _plan(table: Table, columns: tuple[str, ...], dialect: Dialect) -> tuple[str, list[_Processor]]:
    key = (dialect.name, table.name, columns)
    if key not in _cache:
        sql = (
            f'INSERT INTO "{table.name}" ({", ".join(columns)}) '
            f"VALUES ({', '.join('?' for _ in columns)})"
        )
        procs: list[_Processor] = [
            table.c[name].type._cached_bind_processor(dialect) for name in columns
        ]
        _cache[key] = (sql, procs)
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
    columns = ("id", *rows[0].keys())
    sql, procs = _plan(table, columns, conn.dialect)
    value_procs = procs[1:]
    params = []
    for row_id, row in zip(ids, rows, strict=True):
        values: list[Any] = [row_id]
        for proc, value in zip(value_procs, row.values(), strict=True):
            values.append(proc(value) if proc is not None and value is not None else value)
        params.append(tuple(values))
    conn.exec_driver_sql(sql, params)
    return ids
