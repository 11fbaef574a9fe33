"""The daily pipeline publishes one profile per customer, repeatably, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from siyu.db import bulk
from siyu.demo.loader import DemoLoader
from siyu.demo.loyalty import load_loyalty
from siyu.demo.simulator import simulate_brand
from siyu.kit.crypto import PiiCipher
from siyu.kit.errors import SiyuError
from siyu.loyalty import repository as loyalty
from siyu.models import Customer, CustomerProfile, Order
from siyu.scoring import service
from siyu.scoring.service import STEPS, run_daily
from siyu.warehouse import snapshot

# The snapshot reads committed data through a connection of its own: commit what is loaded.
pytestmark = pytest.mark.committed


def _profiles(session: Session, workspace_id: int) -> list[CustomerProfile]:
    return list(
        session.scalars(select(CustomerProfile).where(CustomerProfile.workspace_id == workspace_id))
    )


def test_profiles_for_every_customer_and_a_repeat_run_replaces_them(
    session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path
) -> None:
    brand = simulate_brand(orders=2_000, seed=8)
    DemoLoader(session, workspace_id, cipher, brand).load()
    session.commit()
    as_of = datetime(2026, 11, 1, tzinfo=UTC)
    report = run_daily(session, workspace_id, root=tmp_path, as_of=as_of)
    customers = session.scalar(
        select(func.count()).select_from(Customer).where(Customer.workspace_id == workspace_id)
    )
    profiles = _profiles(session, workspace_id)
    assert len(profiles) == customers == report.customers
    assert tuple(report.seconds) == STEPS
    by_tier = {tier: sum(p.tier == tier for p in profiles) for tier in report.tiers}
    assert by_tier == report.tiers
    for p in profiles:
        assert (p.n_purchases == 0) == (p.stage == "none")
        assert p.tier != "repeat" or p.n_purchases == 2
        assert p.in_pool or p.tier != "potential"
    paid = session.scalar(
        select(func.sum(Order.paid_fen - Order.refunded_fen)).where(
            Order.workspace_id == workspace_id,
            Order.status.in_(("paid", "shipped", "completed")),
            Order.refunded_fen < Order.paid_fen,
        )
    )
    assert sum(p.net_paid_fen for p in profiles) == paid
    again = run_daily(session, workspace_id, root=tmp_path, as_of=as_of)
    assert again.tiers == report.tiers and len(_profiles(session, workspace_id)) == customers


def test_after_a_run_sqlite_reads_a_customers_orders_through_the_customer_index(
    session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path
) -> None:
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("PostgreSQL's autovacuum keeps its own statistics")
    DemoLoader(session, workspace_id, cipher, simulate_brand(orders=2_000, seed=8)).load()
    session.commit()
    latest = ("EXPLAIN QUERY PLAN SELECT receiver_enc FROM orders WHERE workspace_id = :w "
              "AND customer_id = 5 ORDER BY ordered_at DESC, id DESC LIMIT 1")  # fmt: skip
    run_daily(session, workspace_id, root=tmp_path, as_of=datetime(2026, 11, 1, tzinfo=UTC))
    plan = " ".join(str(row[-1]) for row in session.execute(text(latest), {"w": workspace_id}))
    assert "ix_order_customer_ordered" in plan  # not the workspace's index: every brand order


def test_an_earlier_as_of_ignores_later_orders(
    session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path
) -> None:
    DemoLoader(session, workspace_id, cipher, simulate_brand(orders=2_000, seed=9)).load()
    session.commit()
    late = run_daily(session, workspace_id, root=tmp_path, as_of=datetime(2026, 11, 1, tzinfo=UTC))
    early = run_daily(session, workspace_id, root=tmp_path, as_of=datetime(2025, 1, 1, tzinfo=UTC))
    assert early.tiers["bought_once"] + early.tiers["repeat"] < (
        late.tiers["bought_once"] + late.tiers["repeat"]
    )


def test_value_figures_separate_the_living_from_the_lapsed(
    session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path
) -> None:
    brand = simulate_brand(orders=4_000, seed=10)
    loaded = DemoLoader(session, workspace_id, cipher, brand).load()
    session.commit()
    run_daily(session, workspace_id, root=tmp_path, as_of=datetime.combine(
        brand.end, datetime.min.time(), tzinfo=UTC))  # fmt: skip
    profile = {p.customer_id: p for p in _profiles(session, workspace_id)}
    alive, lapsed = [], []
    for index, customer_id in enumerate(loaded.customer_ids.tolist()):
        p = profile.get(customer_id)
        if p is None or p.n_purchases == 0:
            continue
        assert p.p_alive is not None and 0.0 <= p.p_alive <= 1.0
        assert p.clv_fen is not None and p.clv_fen >= 0
        assert p.expected_purchases_365d is not None and p.expected_purchases_365d >= 0
        if p.n_purchases >= 2:
            (alive if brand.customers.alive_at_end[index] else lapsed).append(p)
    assert len(alive) > 50 and len(lapsed) > 50
    mean = lambda group, f: sum(getattr(p, f) for p in group) / len(group)  # noqa: E731
    assert mean(alive, "p_alive") > mean(lapsed, "p_alive") + 0.1
    assert mean(alive, "expected_purchases_365d") > 1.5 * mean(lapsed, "expected_purchases_365d")
    for p in profile.values():
        assert (p.p_alive is None) == (p.n_purchases == 0)


def test_an_empty_workspace_runs_and_publishes_nothing(
    session: Session, workspace_id: int, tmp_path: Path
) -> None:
    report = run_daily(session, workspace_id, root=tmp_path, as_of=datetime(2026, 1, 1, tzinfo=UTC))
    assert report.customers == 0 and _profiles(session, workspace_id) == []


def _published(session: Session, workspace_id: int) -> list[tuple[object, ...]]:
    """Every published figure but the computation time, by customer."""
    return sorted(
        (p.customer_id, p.as_of, p.tier, p.stage, p.rfm_segment, p.n_purchases, p.net_paid_fen,
         p.p_alive, p.expected_purchases_365d, p.clv_fen, p.next_purchase_at, p.entry_channel_id)
        for p in _profiles(session, workspace_id)
    )  # fmt: skip


def _crash_at(step: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the pipeline fail part-way through `step`."""

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(f"crash in {step}")

    if step == "snapshot":  # after the first two files of the refresh are written
        original, calls = snapshot._write, {"n": 0}

        def write_then_fail(path: Path, table: object) -> None:
            calls["n"] += 1
            if calls["n"] > 2:
                fail()
            original(path, table)  # type: ignore[arg-type]

        monkeypatch.setattr(snapshot, "_write", write_then_fail)
    elif step == "publish":  # after the old rows are deleted and half the new ones written
        insert = bulk.insert_columns

        def insert_half_then_fail(
            session: Session, model: object, columns: dict[str, list[object]], shared: object
        ) -> None:
            half = len(columns["customer_id"]) // 2
            insert(session, model, {k: v[:half] for k, v in columns.items()}, shared)  # type: ignore[arg-type]
            fail()

        monkeypatch.setattr(bulk, "insert_columns", insert_half_then_fail)
    else:
        target = {"features": "customer_features", "segments": "segment", "value": "value"}
        monkeypatch.setattr(service, target[step], fail)


@pytest.mark.parametrize("step", STEPS)
def test_a_crash_at_any_step_keeps_the_last_profiles_and_the_next_run_completes(
    session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, step: str,
) -> None:  # fmt: skip
    DemoLoader(session, workspace_id, cipher, simulate_brand(orders=1_500, seed=13)).load()
    session.commit()
    earlier, later = datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
    run_daily(session, workspace_id, root=tmp_path / "warehouse", as_of=earlier)
    session.commit()
    before = _published(session, workspace_id)
    with monkeypatch.context() as patched:
        _crash_at(step, patched)
        with pytest.raises(OSError, match=f"crash in {step}"):
            run_daily(session, workspace_id, root=tmp_path / "warehouse", as_of=later)
    session.rollback()  # what the CLI's unit of work does on any error
    assert _published(session, workspace_id) == before
    run_daily(session, workspace_id, root=tmp_path / "warehouse", as_of=later)
    session.commit()
    resumed = _published(session, workspace_id)
    run_daily(session, workspace_id, root=tmp_path / "from-scratch", as_of=later)
    assert resumed == _published(session, workspace_id)
    assert {row[1] for row in resumed} == {later.date()} and len(resumed) == len(before)
    assert not list(tmp_path.rglob("*.tmp"))


def test_both_purchase_models_predict_the_demo_brands_holdout(
    session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path
) -> None:
    """The demo brand (8,000 orders, seed 14) checked on its last 180 days: each model's
    total predicted purchases is within 10% of the actual, and rows of the conditional
    expectations table with at least 300 customers within 20%."""
    brand = simulate_brand(orders=8_000, seed=14)
    DemoLoader(session, workspace_id, cipher, brand).load()
    session.commit()
    as_of = datetime.combine(brand.end, datetime.min.time(), tzinfo=UTC)
    snapshot.SnapshotWriter(session.get_bind(), workspace_id, tmp_path).refresh()
    checks = service.check_models("duckdb", tmp_path, as_of, holdout_days=180)
    assert [c.model for c in checks] == list(service.PURCHASE_MODELS)
    for check in checks:
        report = check.report
        assert report.total_actual > 300
        assert abs(report.relative_error) < 0.10, (check.model, report.relative_error)
        big = report.customers >= 300
        assert big.sum() >= 2
        np.testing.assert_allclose(report.mean_predicted[big], report.mean_actual[big], rtol=0.2)


def test_a_model_check_on_too_little_history_says_so(
    session: Session, workspace_id: int, tmp_path: Path
) -> None:
    snapshot.SnapshotWriter(session.get_bind(), workspace_id, tmp_path).refresh()
    with pytest.raises(SiyuError) as too_little:
        service.check_models("duckdb", tmp_path, datetime(2026, 1, 1, tzinfo=UTC), 180)
    assert too_little.value.key == "models.too_little"
    assert "--holdout-days" in too_little.value.message("zh-CN")


def test_paid_card_holders_and_upper_tiers_are_the_ladders_members(
    session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path
) -> None:
    brand = simulate_brand(orders=3_000, seed=16)
    loaded = DemoLoader(session, workspace_id, cipher, brand).load()
    load_loyalty(session, workspace_id, brand, loaded.customer_ids)
    session.commit()
    as_of = datetime.combine(brand.end, datetime.min.time(), tzinfo=UTC)
    report = run_daily(session, workspace_id, root=tmp_path, as_of=as_of)
    members = set(loyalty.ladder_members(session, workspace_id, as_of))
    assert report.tiers["member"] == len(members) > 10
    tiers = {p.customer_id: p.tier for p in _profiles(session, workspace_id)}
    assert {c for c, tier in tiers.items() if tier == "member"} == members
