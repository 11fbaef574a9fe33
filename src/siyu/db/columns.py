"""Reading many rows as NumPy columns, and times as epoch seconds computed in the database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray
from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


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


def fetch_columns(session: Session, query: Select[*tuple[Any, ...]]) -> list[Sequence[Any]]:
    """Run `query` and return its result column by column (Python values)."""
    rows = session.execute(query).all()
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
