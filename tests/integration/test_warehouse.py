"""The Parquet snapshot: complete on the first run, then only what changed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from siyu.demo.loader import DemoLoader
from siyu.demo.simulator import simulate_brand
from siyu.kit.clock import utcnow
from siyu.kit.crypto import PiiCipher
from siyu.models import Contact, Order, OrderLine, Refund
from siyu.warehouse import snapshot
from siyu.warehouse.engine import connect, tables

# The snapshot reads committed data through a connection of its own: commit what is loaded.
pytestmark = pytest.mark.committed


@pytest.fixture
def small_buckets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot, "BUCKET_IDS", 400)
    monkeypatch.setattr(snapshot, "WATERMARK_MARGIN", timedelta(0))


def _sum(session: Session, column: object, workspace_id: int) -> int:
    model = column.class_  # type: ignore[attr-defined]
    return session.scalar(select(func.sum(column)).where(model.workspace_id == workspace_id)) or 0


@pytest.mark.usefixtures("small_buckets")
def test_first_run_exports_every_fact_and_duckdb_reads_them(
    session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path
) -> None:
    DemoLoader(session, workspace_id, cipher, simulate_brand(orders=2_000, seed=3)).load()
    session.commit()
    report = snapshot.SnapshotWriter(session.get_bind(), workspace_id, tmp_path).refresh()
    assert report.full and report.buckets["orders"] > 1
    t = tables(connect(), tmp_path)
    assert t["orders"].count().execute() == session.scalar(
        select(func.count()).select_from(Order).where(Order.workspace_id == workspace_id)
    )
    assert t["orders"].paid_fen.sum().execute() == _sum(session, Order.paid_fen, workspace_id)
    assert t["order_lines"].amount_fen.sum().execute() == _sum(
        session, OrderLine.amount_fen, workspace_id
    )
    assert t["refunds"].amount_fen.sum().execute() == _sum(session, Refund.amount_fen, workspace_id)
    assert t["contacts"].count().execute() == session.scalar(
        select(func.count()).select_from(Contact).where(Contact.workspace_id == workspace_id)
    )
    assert set(t["orders"].shop_domain.execute()) == {"public", "private"}
    assert t["order_lines"].product_role.isnull().sum().execute() == 0


@pytest.mark.usefixtures("small_buckets")
def test_second_run_rewrites_only_changed_buckets(
    session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path
) -> None:
    DemoLoader(session, workspace_id, cipher, simulate_brand(orders=2_000, seed=4)).load()
    session.commit()
    writer = snapshot.SnapshotWriter(session.get_bind(), workspace_id, tmp_path)
    writer.refresh()
    files = sorted((tmp_path / "orders").glob("bucket-*.parquet"))
    before = {f.name: f.stat().st_mtime_ns for f in files}
    target = session.scalars(
        select(Order).where(Order.workspace_id == workspace_id).order_by(Order.id)
    ).first()
    assert target is not None
    session.execute(
        update(Order).where(Order.id == target.id).values(status="closed", updated_at=utcnow())
    )
    session.commit()
    report = writer.refresh()
    assert not report.full
    assert report.buckets == {"orders": 1, "order_lines": 1, "refunds": 1, "contacts": 0}
    changed = f"bucket-{target.id // 400:06d}.parquet"
    after = {f.name: f.stat().st_mtime_ns for f in (tmp_path / "orders").glob("bucket-*.parquet")}
    assert [n for n in after if after[n] != before[n]] == [changed]
    t = tables(connect(), tmp_path)
    status = t["orders"].filter(t["orders"].id == target.id).status.execute()
    assert list(status) == ["closed"]


def test_an_empty_workspace_still_has_readable_tables(
    session: Session, workspace_id: int, tmp_path: Path
) -> None:
    snapshot.SnapshotWriter(session.get_bind(), workspace_id, tmp_path).refresh()
    t = tables(connect(), tmp_path)
    assert all(table.count().execute() == 0 for table in t.values())


@pytest.mark.usefixtures("small_buckets")
def test_a_crash_part_way_is_completed_by_the_next_run(
    session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    DemoLoader(session, workspace_id, cipher, simulate_brand(orders=2_000, seed=6)).load()
    session.commit()
    writer = snapshot.SnapshotWriter(session.get_bind(), workspace_id, tmp_path)
    writer.refresh()
    session.execute(update(Order).where(Order.workspace_id == workspace_id).values(
        refunded_fen=0, updated_at=utcnow()))  # fmt: skip
    session.commit()
    original = snapshot.SnapshotWriter._write_bucket
    calls = {"n": 0}

    def crash_on_third(self: snapshot.SnapshotWriter, *args: object) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        original(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(snapshot.SnapshotWriter, "_write_bucket", crash_on_third)
    with pytest.raises(OSError):
        writer.refresh()
    monkeypatch.setattr(snapshot.SnapshotWriter, "_write_bucket", original)
    writer.refresh()
    t = tables(connect(), tmp_path)
    assert t["orders"].refunded_fen.sum().execute() == 0
    assert t["orders"].count().execute() == session.scalar(
        select(func.count()).select_from(Order).where(Order.workspace_id == workspace_id)
    )
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.usefixtures("small_buckets")
def test_a_deleted_order_leaves_the_snapshot_on_the_next_run(
    session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path
) -> None:
    DemoLoader(session, workspace_id, cipher, simulate_brand(orders=2_000, seed=15)).load()
    session.commit()
    writer = snapshot.SnapshotWriter(session.get_bind(), workspace_id, tmp_path)
    writer.refresh()
    ids = session.scalars(select(Order.id).where(Order.workspace_id == workspace_id)).all()
    gone, emptied = ids[0], [i for i in ids if i // 400 == ids[-1] // 400]
    for order_id in [gone, *emptied]:  # no updated_at moves: only the counts tell
        session.execute(delete(Refund).where(Refund.order_id == order_id))
        session.execute(delete(OrderLine).where(OrderLine.order_id == order_id))
        session.execute(delete(Order).where(Order.id == order_id))
    session.commit()
    report = writer.refresh()
    assert report.buckets["orders"] == 2
    t = tables(connect(), tmp_path)
    assert t["orders"].count().execute() == len(ids) - 1 - len(emptied)
    assert t["orders"].filter(t["orders"].id == gone).count().execute() == 0
    assert t["order_lines"].filter(t["order_lines"].order_id == gone).count().execute() == 0
    assert not _bucket_file(tmp_path, "orders", ids[-1]).exists()


def _bucket_file(root: Path, name: str, row_id: int) -> Path:
    return root / name / f"bucket-{row_id // 400:06d}.parquet"
