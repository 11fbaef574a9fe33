"""DuckDB and PySpark compute the same customer features and business figures from the same
snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime
from pathlib import Path

import ibis
import numpy as np
import pyarrow as pa
import pytest
from ibis.backends import BaseBackend
from sqlalchemy.orm import Session

from siyu.analytics.operating import operating_series
from siyu.analytics.periods import period_of, periods_ending
from siyu.demo.loader import DemoLoader
from siyu.demo.simulator import simulate_brand
from siyu.kit.crypto import PiiCipher
from siyu.reports.service import compute_figures
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


def _assert_same(a: object, b: object, where: str) -> None:
    """Equal results, floats to 12 digits, walking dataclasses, tuples and arrays."""
    if is_dataclass(a) and not isinstance(a, type):
        for field in fields(a):
            _assert_same(getattr(a, field.name), getattr(b, field.name), f"{where}.{field.name}")
    elif isinstance(a, tuple | list):
        assert isinstance(b, tuple | list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and np.allclose(a, b, rtol=1e-12, equal_nan=True), where
    elif isinstance(a, float):
        assert b == pytest.approx(a, rel=1e-12, nan_ok=True), where
    else:
        assert a == b, where


@pytest.mark.spark
def test_every_report_figure_agrees(
    session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path, spark: BaseBackend
) -> None:
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("the store's database plays no part once the snapshot is written")
    brand = simulate_brand(orders=3_000, seed=13)
    loaded = DemoLoader(session, workspace_id, cipher, brand).load()
    session.commit()
    SnapshotWriter(session.get_bind(), workspace_id, tmp_path).refresh()
    ids = loaded.customer_ids
    clv = pa.table({"customer_id": ids, "clv_fen": pa.array((ids * 37 % 5_000).tolist())})
    month = period_of("month", brand.end)
    found = []
    for backend in (connect("duckdb"), spark):
        t = tables(backend, tmp_path)
        figures = compute_figures(t, month, clv=ibis.memtable(clv), clv_as_of=brand.end)
        days = operating_series(t, periods_ending(period_of("day", brand.end), 8))
        years = operating_series(t, periods_ending(period_of("year", brand.end), 3))
        found.append((figures, days, years))
    duckdb, on_spark = found
    assert duckdb[0].repurchase.buyers > 500 and len(duckdb[0].channels) >= 8
    assert duckdb[0].trend[-1].gmv_fen > 0 and duckdb[1][-1].orders > 0
    _assert_same(duckdb, on_spark, "figures")
