"""The demo brand loads through the real writers, and identity resolution recovers its truth."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.demo.loader import DemoLoader
from siyu.demo.simulator import simulate_brand
from siyu.kit.crypto import PiiCipher
from siyu.models import (
    ChannelCost,
    ConsentRecord,
    Contact,
    Customer,
    Order,
    OrderLine,
    Product,
    Refund,
)


def _count(session: Session, model: type, workspace_id: int) -> int:
    column = model.workspace_id  # type: ignore[attr-defined]
    return (
        session.scalar(select(func.count()).select_from(model).where(column == workspace_id)) or 0
    )


def test_demo_brand_loads_exactly(session: Session, workspace_id: int, cipher: PiiCipher) -> None:
    brand = simulate_brand(orders=3_000, seed=11)
    summary = DemoLoader(session, workspace_id, cipher, brand).load()
    assert _count(session, Order, workspace_id) == len(brand.orders.order_no)
    assert _count(session, OrderLine, workspace_id) == len(brand.lines.order)
    assert _count(session, Product, workspace_id) == len(brand.products)
    assert _count(session, Contact, workspace_id) == len(brand.contacts.customer)
    assert _count(session, ChannelCost, workspace_id) == len(brand.channel_costs.channel)
    assert _count(session, ConsentRecord, workspace_id) == len(brand.consents.customer)
    assert summary.counts["orders"] == len(brand.orders.order_no)
    gmv = session.scalar(select(func.sum(Order.paid_fen)).where(Order.workspace_id == workspace_id))
    assert gmv == int(brand.orders.paid_fen.sum())
    refunded = session.scalar(
        select(func.sum(Refund.amount_fen)).where(Refund.workspace_id == workspace_id)
    )
    assert refunded == int(brand.refunds.amount_fen.sum())
    costs = session.scalar(
        select(func.sum(ChannelCost.amount_fen)).where(ChannelCost.workspace_id == workspace_id)
    )
    assert costs == int(brand.channel_costs.amount_fen.sum())


def test_identity_resolution_recovers_the_simulated_people(
    session: Session, workspace_id: int, cipher: PiiCipher
) -> None:
    brand = simulate_brand(orders=3_000, seed=5)
    DemoLoader(session, workspace_id, cipher, brand).load()
    store_to_truth: dict[int, set[int]] = defaultdict(set)
    rows = session.execute(
        select(Order.platform_order_id, Order.customer_id).where(Order.workspace_id == workspace_id)
    )
    truth_of_order = dict(
        zip(brand.orders.order_no.tolist(), brand.orders.customer.tolist(), strict=True)
    )
    truth_to_store: dict[int, set[int]] = defaultdict(set)
    for order_no, customer_id in rows:
        truth = truth_of_order[order_no]
        store_to_truth[customer_id].add(truth)
        truth_to_store[truth].add(customer_id)
    false_merges = [c for c, people in store_to_truth.items() if len(people) > 1]
    assert false_merges == []
    splits = [t for t, ids in truth_to_store.items() if len(ids) > 1]
    # A person is split only when no record ever ties their identifiers (masked phone + 2nd id).
    assert len(splits) <= 0.005 * len(truth_to_store)
    in_store = _count(session, Customer, workspace_id)
    with_records = set(brand.orders.customer.tolist()) | set(brand.contacts.customer.tolist())
    # Contacts can split a person too (pool ids never seen with the masked-phone orders).
    assert len(with_records) <= in_store <= 1.01 * len(with_records)


def test_no_personal_data_in_clear_in_the_database_file(tmp_path, cipher: PiiCipher) -> None:  # type: ignore[no-untyped-def]
    from siyu.db.engine import make_engine, make_session_factory, unit_of_work
    from siyu.db.migrate import upgrade
    from siyu.workspaces.service import ensure

    brand = simulate_brand(orders=2_000, seed=2)
    engine = make_engine(f"sqlite:///{tmp_path / 'siyu.db'}")
    upgrade(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        DemoLoader(session, ensure(session, "demo").id, cipher, brand).load()
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    raw = (tmp_path / "siyu.db").read_bytes()
    c = brand.customers
    secrets = [
        *c.phone[:200].tolist(),
        *c.name[:200].tolist(),
        *brand.orders.buyer_id[:200].tolist(),
    ]
    secrets += [u for u in c.unionid[:400].tolist() if u] + [
        e for e in c.email[:2000].tolist() if e
    ]
    leaked = [s for s in secrets if s and s.encode() in raw]
    assert leaked == []
    assert brand.products[0].name.encode() in raw  # the scan does see what is stored in clear
