"""Read the snapshot through Ibis: DuckDB in-process by default, PySpark when configured.

The same Ibis expressions run on both (a parity test checks it); PySpark is the optional
extra `siyu[spark]` for brands that outgrow one machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import ibis
from ibis.backends import BaseBackend
from ibis.expr.types import Table

from siyu.warehouse.schemas import SCHEMAS

EngineName = Literal["duckdb", "pyspark"]


def connect(engine: EngineName = "duckdb", **options: Any) -> BaseBackend:
    """Open an Ibis backend: in-process DuckDB, or PySpark (local mode unless given a session)."""
    if engine == "duckdb":
        return ibis.duckdb.connect(**options)
    from pyspark.sql import SparkSession  # the optional extra siyu[spark]

    session = options.pop("session", None) or (
        SparkSession.builder.master(options.pop("master", "local[2]"))
        .appName("siyu")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .getOrCreate()
    )
    return ibis.pyspark.connect(session, **options)


def tables(backend: BaseBackend, root: Path) -> dict[str, Table]:
    """Register every snapshot table on the backend and return them by name."""
    # Spark reads a folder of Parquet files; DuckDB wants a glob.
    pattern = "" if backend.name == "pyspark" else "*.parquet"
    return {
        name: backend.read_parquet(str(root / name / pattern), table_name=f"siyu_{name}")
        for name in SCHEMAS
    }
