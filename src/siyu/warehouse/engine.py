"""Read the snapshot through Ibis (DuckDB in-process)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ibis
from ibis.backends import BaseBackend
from ibis.expr.types import Table

from siyu.warehouse.schemas import SCHEMAS


def connect(**options: Any) -> BaseBackend:
    """Open an in-process DuckDB backend."""
    return ibis.duckdb.connect(**options)


def tables(backend: BaseBackend, root: Path) -> dict[str, Table]:
    """Register every snapshot table on the backend and return them by name."""
    return {
        name: backend.read_parquet(str(root / name / "*.parquet"), table_name=f"siyu_{name}")
        for name in SCHEMAS
    }
