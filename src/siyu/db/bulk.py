"""Fast bulk writes shared by repositories.

SQLite: one driver-level executemany of an INSERT compiled once. PostgreSQL: COPY, with ids
taken from the table's sequence beforehand. Either way no per-row RETURNING.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from itertools import repeat
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import JSON, Connection, Dialect, Table, func, select
from sqlalchemy.orm import Session


def table_of(model: Any) -> Table:
    """Return the Core table of an ORM class."""
    return cast(Table, model.__table__)


def _defaults(table: Table, given: Sequence[str]) -> dict[str, Any]:
    """Python-side column defaults for the columns a batch leaves out (evaluated once)."""
    values: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.name in given or default is None or not hasattr(default, "arg"):
            continue
        values[column.name] = default.arg(None) if callable(default.arg) else default.arg
    return values


class _Batch:
    """Rows to insert, held column by column; constants are stored once, not per row."""

    def __init__(
        self, table: Table, columns: Mapping[str, Sequence[Any]], constants: Mapping[str, Any]
    ) -> None:
        lengths = {len(values) for values in columns.values()}
        if len(lengths) > 1:
            raise ValueError("columns of different lengths")
        self.size = lengths.pop() if lengths else 0
        self.columns = dict(columns)
        self.constants = {**_defaults(table, [*columns, *constants]), **constants}
        self.names = [*self.columns, *self.constants]

    def series(self, names: Sequence[str], convert: Mapping[str, Any]) -> Iterator[tuple[Any, ...]]:
        """Row tuples in the order of `names`, each value passed through `convert[name]`."""
        parts: list[Iterable[Any]] = []
        for name in names:
            proc = convert.get(name)
            if name in self.constants:
                value = self.constants[name]
                parts.append(repeat(proc(value) if proc else value, self.size))
            else:
                values = self.columns[name]
                parts.append(map(proc, values) if proc else values)
        return zip(*parts, strict=True)


def _executemany(connection: Connection, table: Table, batch: _Batch) -> None:
    """One driver-level executemany of the compiled INSERT, converting column by column.

    SQLAlchemy's own executemany builds every row's parameters in Python (about 10 µs a
    row); here the statement is compiled once, typed columns are converted with one map
    each and constants once.
    """
    sql, order, convert = _compiled_insert(table, tuple(batch.names), connection.dialect)
    params = list(batch.series(order, convert))
    if params:  # an empty list would run the statement once with no parameters
        connection.exec_driver_sql(sql, params)


@lru_cache(maxsize=256)
def _compiled_insert(
    table: Table, names: tuple[str, ...], dialect: Dialect
) -> tuple[str, list[str], dict[str, Any]]:
    """The INSERT's SQL, its parameter order and the column converters, compiled once per
    column set: compiling costs ~0.3 ms, more than a small write (one webhook order)."""
    compiled = table.insert().compile(dialect=dialect, column_keys=list(names))
    assert compiled.positional, "SQLite's driver takes positional parameters"
    order = list(compiled.positiontup or names)
    convert = {
        name: proc
        for name in order
        if (proc := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
    }
    return compiled.string, order, convert


def _copy(connection: Connection, table: Table, batch: _Batch) -> None:
    """COPY rows into a PostgreSQL table (psycopg adapts each Python value; JSON columns are
    serialised here, psycopg has no default adapter for a dict)."""
    quote = connection.dialect.identifier_preparer.quote
    columns = ", ".join(quote(n) for n in batch.names)
    target = connection.dialect.identifier_preparer.format_table(table)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    as_json = {n: _json_text for n in batch.names if isinstance(table.c[n].type, JSON)}
    with cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
        for row in batch.series(batch.names, as_json):
            copy.write_row(row)


def _json_text(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _write(connection: Connection, table: Table, batch: _Batch) -> None:
    if batch.size == 0:
        return
    if connection.dialect.name == "postgresql":
        _copy(connection, table, batch)
    else:
        _executemany(connection, table, batch)


def _columns_of(rows: Sequence[dict[str, Any]]) -> dict[str, Sequence[Any]]:
    """Dict rows (all with the same keys) turned into columns."""
    names = list(rows[0])
    pick = itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
    return dict(zip(names, zip(*map(pick, rows), strict=True), strict=True))


def insert_rows(session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows (all with the same keys) in bulk; no ids returned."""
    if rows:
        table = table_of(model)
        _write(session.connection(), table, _Batch(table, _columns_of(rows), {}))


def insert_columns(
    session: Session,
    model: Any,
    columns: Mapping[str, Sequence[Any]],
    constants: Mapping[str, Any] | None = None,
) -> None:
    """Insert rows given column by column (equal lengths), plus values shared by every row."""
    table = table_of(model)
    _write(session.connection(), table, _Batch(table, columns, constants or {}))


def insert_returning_ids(session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert rows (all with the same keys) and return their ids in the order given."""
    return insert_columns_returning_ids(session, model, _columns_of(rows), {}) if rows else []


def insert_columns_returning_ids(
    session: Session,
    model: Any,
    columns: Mapping[str, Sequence[Any]],
    constants: Mapping[str, Any] | None = None,
) -> list[int]:
    """Insert rows given column by column plus shared values; return their ids in order.

    PostgreSQL: ids are drawn from the table's sequence first, then the rows are COPied.
    SQLite would fall back to one statement per row for ordered RETURNING, so there we
    executemany and read the ids back: SQLite gives each new row max(rowid) + 1, and our
    transaction holds the only write lock from its first write to its commit, so the ids
    are the consecutive range ending at max(id).
    """
    table = table_of(model)
    batch = _Batch(table, columns, constants or {})
    if batch.size == 0:
        return []
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        ids = list(
            connection.execute(
                select(func.nextval(func.pg_get_serial_sequence(table.name, "id"))).select_from(
                    func.generate_series(1, batch.size)
                )
            ).scalars()
        )
        _copy(connection, table, _Batch(table, {"id": ids, **batch.columns}, constants or {}))
        return ids
    _executemany(connection, table, batch)
    last = connection.execute(select(func.max(table.c.id))).scalar_one()
    return list(range(last - batch.size + 1, last + 1))
