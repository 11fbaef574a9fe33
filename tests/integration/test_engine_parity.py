"""DuckDB and PySpark compute the same customer features from the same snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from ibis.backends import BaseBackend
from sqlalchemy.orm import Session

from siyu.demo.loader import DemoLoader
from siyu.demo.simulator import simulate_brand
from siyu.kit.crypto import PiiCipher
from siyu.scoring.features import customer_features
from siyu.warehouse.engine import connect, tables
from siyu.warehouse.snapshot import SnapshotWriter

# The snapshot reads committed data through a connection of its own: commit what is loaded.
pytestmark = pytest.mark.committed


@pytest.fixture(scope="module")
def spark() -> Iterator[BaseBackend]:
    backend = connect("pyspark")
    yield backend
    backend.disconnect()


@pytest.mark.spark
def test_duckdb_and_pyspark_agree(
    session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path, spark: BaseBackend
) -> None:
    DemoLoader(session, workspace_id, cipher, simulate_brand(orders=3_000, seed=12)).load()
    session.commit()
    SnapshotWriter(session.get_bind(), workspace_id, tmp_path).refresh()
    as_of = datetime(2026, 10, 1, tzinfo=UTC)
    on_duckdb = customer_features(tables(connect("duckdb"), tmp_path), as_of)
    on_spark = customer_features(tables(spark, tmp_path), as_of)
    assert len(on_duckdb) > 1_000
    for field in fields(on_duckdb):
        a, b = getattr(on_duckdb, field.name), getattr(on_spark, field.name)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype, field.name
            assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), field.name
        else:
            assert a == pytest.approx(b, rel=1e-12), field.name
