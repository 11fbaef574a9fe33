"""Fast bulk writes shared by repositories.

SQLite: one driver-level executemany of an INSERT compiled once. PostgreSQL: COPY, with ids
taken from the table's sequence beforehand. Either way no per-row RETURNING.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import repeat
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import Connection, Table, func, select
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


def _executemany(
    connection: Connection, table: Table, names: list[str], rows: Iterable[tuple[Any, ...]]
) -> None:
    """One driver-level executemany of the compiled INSERT, with only the needed conversions.

    SQLAlchemy's own executemany builds every row's parameters in Python (about 10 µs a
    row); here the statement is compiled once and only typed columns are converted.
    """
    dialect = connection.dialect
    compiled = table.insert().compile(dialect=dialect, column_keys=names)
    order = [names.index(name) for name in (compiled.positiontup or names)]
    converters = [
        (i, proc)
        for i in order
        if (proc := table.c[names[i]].type.dialect_impl(dialect).bind_processor(dialect))
        is not None
    ]
    params: list[Any] = []
    for row in rows:
        values = list(row)
        for i, proc in converters:
            values[i] = proc(values[i])
        params.append(
            tuple(values[i] for i in order)
            if compiled.positional
            else dict(zip(names, values, strict=True))
        )
    if params:  # an empty list would run the statement once with no parameters
        connection.exec_driver_sql(compiled.string, params)


def _copy(
    connection: Connection, table: Table, names: list[str], rows: Iterable[tuple[Any, ...]]
) -> None:
    """COPY rows into a PostgreSQL table (psycopg adapts each Python value)."""
    quote = connection.dialect.identifier_preparer.quote
    columns = ", ".join(quote(n) for n in names)
    target = connection.dialect.identifier_preparer.format_table(table)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _write(
    connection: Connection, table: Table, names: list[str], rows: Iterable[tuple[Any, ...]]
) -> None:
    if connection.dialect.name == "postgresql":
        _copy(connection, table, names, rows)
    else:
        _executemany(connection, table, names, rows)


def _tuples(
    rows: Sequence[dict[str, Any]], extra: dict[str, Any]
) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    """Column names and row tuples from dict rows (all with the same keys) plus defaults."""
    names = [*rows[0], *extra]
    pick = itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
    return names, (pick(row | extra) if extra else pick(row) for row in rows)


def insert_rows(session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows (all with the same keys) in bulk; no ids returned."""
    if not rows:
        return
    table = table_of(model)
    names, tuples = _tuples(rows, _defaults(table, list(rows[0])))
    _write(session.connection(), table, names, tuples)


def insert_columns(session: Session, model: Any, columns: Mapping[str, Sequence[Any]]) -> None:
    """Insert rows given column by column (equal lengths): no per-row dicts at all."""
    if len({len(values) for values in columns.values()}) > 1:
        raise ValueError("columns of different lengths")
    table = table_of(model)
    extra = _defaults(table, list(columns))
    names = [*columns, *extra]
    # Not strict: the defaults repeat forever; the columns were checked to be equal above.
    rows = zip(*columns.values(), *(repeat(v) for v in extra.values()), strict=False)
    _write(session.connection(), table, names, rows)


def insert_returning_ids(session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert rows and return their ids in the order given.

    PostgreSQL: ids are drawn from the table's sequence first, then the rows are COPied.
    SQLite would fall back to one statement per row for ordered RETURNING, so there we
    executemany and read the ids back: SQLite gives each new row max(rowid) + 1, and our
    transaction holds the only write lock from its first write to its commit, so the ids
    are the consecutive range ending at max(id).
    """
    if not rows:
        return []
    table = table_of(model)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        ids = list(
            connection.execute(
                select(func.nextval(func.pg_get_serial_sequence(table.name, "id"))).select_from(
                    func.generate_series(1, len(rows))
                )
            ).scalars()
        )
        with_ids = [{"id": i, **row} for i, row in zip(ids, rows, strict=True)]
        _copy(connection, table, *_tuples(with_ids, _defaults(table, list(with_ids[0]))))
        return ids
    _executemany(connection, table, *_tuples(rows, _defaults(table, list(rows[0]))))
    last = connection.execute(select(func.max(table.c.id))).scalar_one()
    return list(range(last - len(rows) + 1, last + 1))
