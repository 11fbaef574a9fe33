"""The small hand-worked brand as Ibis tables on DuckDB."""

from __future__ import annotations

from pathlib import Path

import pytest
from ibis.expr.types import Table

from siyu.warehouse.engine import connect, tables
from tests.fixtures.snapshot import small_brand


@pytest.fixture(scope="module")
def brand(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Table]:
    root = small_brand().write(tmp_path_factory.mktemp("snapshot"))
    return tables(connect("duckdb"), Path(root))
