"""The store: migrations on both backends match the models; readiness checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from siyu.db.base import Base
from siyu.db.engine import make_engine
from siyu.db.migrate import current_revision, ensure_current, head_revision, upgrade
from siyu.kit.errors import StoreNotReadyError


def test_migrated_schema_matches_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []
    assert current_revision(engine) == head_revision()


@pytest.mark.parametrize(
    "fresh_db_url",
    ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)
def test_missing_store_is_reported_then_created(fresh_db_url: str) -> None:
    engine = make_engine(fresh_db_url)
    try:
        with pytest.raises(StoreNotReadyError) as missing:
            ensure_current(engine)
        assert missing.value.key == "store.missing"
        assert "siyu init" in missing.value.message("en")
        assert "siyu init" in missing.value.message("zh-CN")
        upgrade(engine)
        ensure_current(engine)
        upgrade(engine)  # a second init is a no-op
        assert "orders" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_store_behind_is_reported(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'older0000000'")
        with pytest.raises(StoreNotReadyError) as behind:
            ensure_current(engine)
        assert behind.value.key == "store.behind"
        assert "older0000000" in behind.value.message("en")
    finally:
        engine.dispose()


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
