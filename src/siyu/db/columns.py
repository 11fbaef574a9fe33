"""Reading many rows as NumPy columns, and times as epoch seconds computed in the database."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray
from sqlalchemy import Engine, Float, Integer, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from siyu.db.arrow import ArrowReader, open_reader
from siyu.db.child import in_child_process

T = TypeVar("T")


class epoch(FunctionElement[float]):  # noqa: N801  (reads like the SQL function it becomes)
    """Seconds since 1970-01-01 UTC of a time column, as a float (NULL stays NULL)."""

    type = Float()
    inherit_cache = True
    name = "epoch"


@compiles(epoch, "sqlite")
def _epoch_sqlite(element: epoch, compiler: SQLCompiler, **kw: Any) -> str:
    # Times are stored as UTC text 'YYYY-MM-DD HH:MM:SS.ffffff'; julianday keeps the fraction.
    inner = compiler.process(next(iter(element.clauses)), **kw)
    return f"((julianday({inner}) - 2440587.5) * 86400.0)"


@compiles(epoch, "postgresql")
def _epoch_postgresql(element: epoch, compiler: SQLCompiler, **kw: Any) -> str:
    inner = compiler.process(next(iter(element.clauses)), **kw)
    return f"CAST(EXTRACT(EPOCH FROM {inner}) AS DOUBLE PRECISION)"


def epoch_of(column: Any) -> epoch:
    """The epoch-seconds expression of a time column."""
    return epoch(column)


class day_number(FunctionElement[int]):  # noqa: N801
    """Days since 1970-01-01 of a date column, as an integer."""

    type = Integer()
    inherit_cache = True
    name = "day_number"


@compiles(day_number, "sqlite")
def _day_sqlite(element: day_number, compiler: SQLCompiler, **kw: Any) -> str:
    inner = compiler.process(next(iter(element.clauses)), **kw)
    return f"CAST(julianday({inner}) - 2440587.5 AS INTEGER)"


@compiles(day_number, "postgresql")
def _day_postgresql(element: day_number, compiler: SQLCompiler, **kw: Any) -> str:
    inner = compiler.process(next(iter(element.clauses)), **kw)
    return f"({inner} - DATE '1970-01-01')"


def fetch_columns(session: Session, query: Select[*tuple[Any, ...]]) -> list[Sequence[Any]]:
    """Run `query` in the session's transaction and return its result column by column.

    For bulk reads: the rows come straight from the driver (SQLAlchemy builds no Row objects
    and runs no result processors), so select plain numbers and text; times through `epoch`,
    dates through `day_number`. Booleans come back as 0/1 from SQLite.
    """
    result = session.connection().execute(query)
    try:
        rows = result.cursor.fetchall() if result.cursor is not None else []
    finally:
        result.close()
    width = len(query.selected_columns)
    if not rows:
        return [() for _ in range(width)]
    return list(zip(*rows, strict=True))


def floats(values: Sequence[Any]) -> NDArray[np.float64]:
    """A float64 array with NaN where a value is None."""
    if not values:
        return np.zeros(0, dtype=np.float64)
    array = pa.array(values, type=pa.float64())
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.float64)


def ints(values: Sequence[Any]) -> NDArray[np.int64]:
    """An int64 array (no None allowed)."""
    return np.fromiter(values, dtype=np.int64, count=len(values))


def codes(values: Sequence[Any], vocabulary: Sequence[str]) -> NDArray[np.int64]:
    """Each text's index in `vocabulary`, -1 for None or a word outside it."""
    if not values:
        return np.zeros(0, dtype=np.int64)
    encoded = pc.dictionary_encode(pa.array(values, type=pa.string()))
    dictionary = encoded.dictionary.to_pylist()
    lookup = {word: i for i, word in enumerate(vocabulary)}
    mapping = np.asarray([lookup.get(word, -1) for word in dictionary] or [-1], dtype=np.int64)
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    out = np.full(len(values), -1, dtype=np.int64)
    present = ~np.isnan(indices) if indices.dtype.kind == "f" else np.ones(len(values), bool)
    out[present] = mapping[indices[present].astype(np.int64)]
    return out


Source = Session | ArrowReader
"""Where bulk reads come from: the session's own transaction (sees its uncommitted writes
and its locks), or a read-only Arrow reader of the committed state (4x faster, no Python
object per value)."""

_ARROW_TYPES: dict[str, pa.DataType] = {
    "i": pa.int64(), "n": pa.int64(), "f": pa.float64(), "s": pa.string(), "b": pa.bool_(),
}  # fmt: skip
_NO_FLOAT = -1.0e300  # a NULL float travels as this (SQLite's driver types columns by sample)


def _wrapped(query: Select[*tuple[Any, ...]], kinds: str) -> Select[*tuple[Any, ...]]:
    """The query with NULL numbers replaced by sentinels, so every column has one type."""
    sub = query.subquery()
    picked: list[Any] = []
    for column, kind in zip(sub.c, kinds, strict=True):
        if kind == "f":
            picked.append(func.coalesce(column, _NO_FLOAT))
        elif kind == "n":
            picked.append(func.coalesce(column, -1))
        else:
            picked.append(column)
    return select(*picked)


def _typed(values: Any, kind: str) -> NDArray[Any]:
    """A writable array of the kind (Arrow hands out read-only views)."""
    if kind in ("i", "n"):
        return np.array(values, dtype=np.int64)
    if kind == "f":
        out = np.array(values, dtype=np.float64)
        out[out <= _NO_FLOAT] = np.nan
        return out
    if kind == "b":
        return np.array(values, dtype=np.bool_)
    return np.array(values, dtype=object)


def read_columns(source: Source, query: Select[*tuple[Any, ...]], kinds: str) -> list[NDArray[Any]]:
    """Run a query and return its columns as NumPy arrays, typed by `kinds` (one letter per
    column): i int, n nullable int (NULL -> -1), f float (NULL -> NaN), s text, b bool."""
    if len(kinds) != len(query.selected_columns):
        raise ValueError("one kind per selected column")
    wrapped = _wrapped(query, kinds)
    if isinstance(source, Session):
        columns = fetch_columns(source, wrapped)
        return [_typed(list(values), kind) for values, kind in zip(columns, kinds, strict=True)]
    schema = pa.schema([(f"c{i}", _ARROW_TYPES[k]) for i, k in enumerate(kinds)])
    table = source.read(wrapped, schema)
    out = []
    for column, kind in zip(table.columns, kinds, strict=True):
        values = column.to_numpy(zero_copy_only=False)
        out.append(_typed(values, kind))
    return out


def committed_read(engine: Engine, work: Callable[[ArrowReader], T]) -> T:
    """Run `work` with a read-only Arrow reader of the committed state, in a forked child
    process (the ADBC SQLite driver links its own SQLite, and two SQLite copies in one process
    share POSIX locks); its result comes back pickled."""

    def run() -> T:
        with open_reader(engine) as reader:
            return work(reader)

    return in_child_process(run)
