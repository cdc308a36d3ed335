"""Fast multi-row inserts that hand back the new primary keys, in order.

The pipeline inserts thousands of rows per batch. On SQLite SQLAlchemy would
fall back to one statement per row to keep RETURNING in order, so there we
number the rows ourselves from ``max(id)`` and hand the driver plain tuples,
after taking SQLite's write lock (:func:`models.db.take_write_lock`): SQLite has
one writer at a time, so two writers never hand out the same ids. On PostgreSQL
the ids come from the table's sequence and the rows go in with ``COPY``, which
psycopg does not parse as it parses a thousand-row ``INSERT``. Values still go
through each column type's own bind processor, so what is stored is exactly
what the ORM would store.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Table, func, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from models.base import UTCDateTime
from models.db import take_write_lock

_Processor = Callable[[Any], Any] | None  # a column type's bind processor
_cache: dict[tuple[str, str, tuple[str, ...]], tuple[str, list[_Processor]]] = {}


class PreEncodedJSON(str):
    """JSON text that is already encoded (an imported line): stored as it is."""


class EncodedMapping(Mapping[str, Any]):
    """A payload kept as the JSON text it came from, so storing it as ``raw``
    needs no second encoding (an import reads millions of lines). It is decoded
    only if someone reads it as a mapping."""

    __slots__ = ("_data", "text")

    def __init__(self, text: str, data: dict[str, Any] | None = None) -> None:
        self.text = text
        self._data = data

    @property
    def data(self) -> dict[str, Any]:
        if self._data is None:
            decoded = json.loads(self.text)
            self._data = decoded if isinstance(decoded, dict) else {}
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


def raw_column(raw: Any, pre_encoded: bool = True) -> Any:
    """The value to store in a ``raw`` JSON column for a payload.

    ``pre_encoded``: the JSON text of an :class:`EncodedMapping` can go in as it is
    (:func:`insert_rows` on SQLite); otherwise the mapping goes through the column
    type like any other (PostgreSQL would store text as a JSON string).
    """
    if isinstance(raw, EncodedMapping):
        return PreEncodedJSON(raw.text) if pre_encoded else raw.data
    if not raw:
        return None
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
    """The statement that takes ``columns`` (SQLite: an INSERT of one row; PostgreSQL:
    a COPY) and each column's bind processor."""
    key = (dialect.name, table.name, columns)
    if key not in _cache:
        names = ", ".join(columns)
        # names from the schema's own Table; values are bound or copied (bandit B608)
        if dialect.name == "sqlite":
            sql = (
                f'INSERT INTO "{table.name}" ({names}) '  # nosec B608
                f"VALUES ({', '.join('?' for _ in columns)})"
            )
        else:
            sql = f'COPY "{table.name}" ({names}) FROM STDIN'
        _cache[key] = (sql, [_processor(table, name, dialect) for name in columns])
    return _cache[key]


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` (dicts with the same keys) into ``table``; return their ids in order."""
    if not rows:
        return []
    columns = {key: [row[key] for row in rows] for key in rows[0]}
    return insert_columns(session, table, len(rows), columns)


class Same:
    """One value for every row of an :func:`insert_columns` call."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class Ready(list[Any]):
    """Column values already in the SQLite driver's form (pre-encoded JSON text): not
    converted again. Only for SQLite; elsewhere pass the values themselves."""


def insert_columns(
    session: Session,
    table: Table,
    count: int,
    columns: Mapping[str, Sequence[Any] | Same],
) -> list[int]:
    """:func:`insert_rows` for ``count`` rows given column by column, so the caller builds
    one list per column instead of one dict per row; a :class:`Same` value is shared by
    every row (and converted for the driver once); :class:`Ready` values are not converted."""
    if not count:
        return []
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        take_write_lock(session)  # max(id) must be read by the only writer
        start = int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1
        ids = list(range(start, start + count))
        sql, rows = _rows(conn.dialect, table, ids, columns)
        conn.exec_driver_sql(sql, rows)
        return ids
    if any(isinstance(v, Ready) for v in columns.values()):
        raise ValueError("Ready columns are for SQLite only")
    ids = sorted(
        conn.execute(
            select(func.nextval(func.pg_get_serial_sequence(table.name, "id"))).select_from(
                func.generate_series(1, count)
            )
        ).scalars()
    )
    sql, rows = _rows(conn.dialect, table, ids, columns)
    driver: Any = conn.connection.driver_connection
    with driver.cursor() as cur, cur.copy(sql) as out:
        for row in rows:
            out.write_row(row)
    return ids


def _rows(
    dialect: Dialect, table: Table, ids: list[int], columns: Mapping[str, Sequence[Any] | Same]
) -> tuple[str, list[tuple[Any, ...]]]:
    """The statement and the rows with their ``ids``, each value through its column's bind
    processor; columns that are NULL in every row are left out (the default applies)."""
    count = len(ids)
    names: list[str] = ["id"]
    given: list[Sequence[Any] | Same] = [ids]
    for name, values in columns.items():
        if isinstance(values, Same):
            if values.value is not None:
                names.append(name)
                given.append(values)
        elif values.count(None) != len(values):  # all-NULL columns are left out
            names.append(name)
            given.append(values)
    sql, procs = _plan(table, tuple(names), dialect)
    data: list[Sequence[Any]] = []
    for values, proc in zip(given, procs, strict=True):
        if isinstance(values, Same):
            one = values.value if proc is None else proc(values.value)
            data.append([one] * count)
        elif proc is not None and values is not ids and not isinstance(values, Ready):
            data.append([None if v is None else proc(v) for v in values])
        else:
            data.append(values)
    return sql, list(zip(*data, strict=True))


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
