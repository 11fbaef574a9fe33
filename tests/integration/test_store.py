"""The store: migrations on both backends match the models; readiness checks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session

from siyu.db.base import Base
from siyu.db.bulk import insert_rows
from siyu.db.engine import make_engine
from siyu.db.migrate import (
    alembic_config,
    current_revision,
    ensure_current,
    head_revision,
    upgrade,
)
from siyu.kit.errors import StoreNotReadyError
from siyu.models import Workspace


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


def test_sqlite_times_share_one_text_format_after_bulk_and_orm_writes(tmp_path: Path) -> None:
    """Migration 0004 normalises old rows; bulk writes now store what the ORM stores."""
    engine = make_engine(f"sqlite:///{tmp_path / 'times.db'}")
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0003")
            for slug, created in (("a", "2024-01-02 03:04:05+00:00"),
                                  ("b", "2024-01-02 03:04:05.123456+00:00"),
                                  ("c", "2024-01-02 03:04:05")):  # fmt: skip
                conn.exec_driver_sql(
                    "INSERT INTO workspace (slug, name, created_at) VALUES (?, ?, ?)",
                    (slug, slug, created),
                )
        upgrade(engine)
        with Session(engine) as session:
            midnight = datetime(2024, 1, 2, tzinfo=UTC)
            insert_rows(session, Workspace, [{"slug": "d", "name": "d", "created_at": midnight}])
            session.add(Workspace(slug="e", name="e", created_at=midnight))
            session.commit()
        with engine.connect() as conn:
            stored = dict(conn.exec_driver_sql("SELECT slug, created_at FROM workspace").all())
        assert stored == {
            "a": "2024-01-02 03:04:05.000000", "b": "2024-01-02 03:04:05.123456",
            "c": "2024-01-02 03:04:05.000000", "d": "2024-01-02 00:00:00.000000",
            "e": "2024-01-02 00:00:00.000000",
        }  # fmt: skip
    finally:
        engine.dispose()
