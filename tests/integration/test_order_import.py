"""Order import: every preset against its sample's truth, idempotency, updates, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from siyu.kit.crypto import PiiCipher
from siyu.kit.errors import SiyuError
from siyu.models import Customer, Identity, ImportBatch, Order, OrderLine, Product, Refund
from siyu.orders.service import import_orders
from tests.fixtures.exports import (
    PRESET_NAMES,
    REFUNDS_IN_FILE,
    WRITERS,
    SampleOrder,
    sample_orders,
    write_unreadable,
    write_with_bad_rows,
)

REASON_WORDS = {
    "scientific_notation": "damaged by Excel",
    "invalid_amount": "not an amount",
    "invalid_date": "not a date/time",
    "negative_quantity": "positive whole number",
    "missing_order_id": "missing order id",
}


def _identifiable(order: SampleOrder) -> bool:
    return bool(order.buyer_id or order.email or ("*" not in order.phone and order.phone))


def _count(session: Session, model: type, workspace_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(model).where(model.workspace_id == workspace_id)  # type: ignore[attr-defined]
        )
        or 0
    )


def _import(session: Session, workspace_id: int, cipher: PiiCipher, path: Path, preset: str,
            tmp_path: Path):  # type: ignore[no-untyped-def]  # fmt: skip
    return import_orders(
        session, workspace_id=workspace_id, cipher=cipher, path=path, preset_name=preset,
        rejects_dir=tmp_path / "rejects",
    )  # fmt: skip


def _expressible_refund(order: SampleOrder, how: str) -> int:
    """The refund a file can state: amounts, or only whole lines/orders by status."""
    if how == "order_status":
        return order.amount_fen if order.fully_refunded else 0
    if how == "line_status":
        refunded = sum(line.amount_fen for line in order.lines if line.fully_refunded)
        return order.amount_fen if order.fully_refunded else refunded
    return order.order_refund_fen or sum(line.refund_fen for line in order.lines)


@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_each_preset_imports_its_sample_exactly(
    preset: str, session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path
) -> None:
    truth = sample_orders(preset)
    path = WRITERS[preset](tmp_path)
    result = _import(session, workspace_id, cipher, path, preset, tmp_path)
    expected = [o for o in truth if _identifiable(o)]
    assert result.created == len(expected)
    unidentified = [r for r in result.rejects if "no usable customer identifier" in r.reason]
    assert len(unidentified) == len(truth) - len(expected)
    stored = {
        o.platform_order_id: o
        for o in session.scalars(select(Order).where(Order.workspace_id == workspace_id))
    }
    for order in expected:
        row = stored[order.order_id]
        assert row.paid_fen == order.amount_fen, order.order_id
        assert row.status == order.status, order.order_id
        assert row.ordered_at == order.ordered_at
        n_lines = session.scalar(
            select(func.count()).select_from(OrderLine).where(OrderLine.order_id == row.id)
        )
        assert n_lines == (len(order.lines) if preset not in ("taobao", "tmall", "pdd") else 1)
        if REFUNDS_IN_FILE[preset] != "none":
            truth_refund = _expressible_refund(order, REFUNDS_IN_FILE[preset])
            assert row.refunded_fen == truth_refund, order.order_id
    repeat_buyers = {o.buyer_id or o.phone for o in expected}
    assert _count(session, Customer, workspace_id) == len(repeat_buyers)
    for identity in session.scalars(select(Identity).where(Identity.workspace_id == workspace_id)):
        assert "*" in identity.masked or "@" in identity.masked
        assert identity.masked not in {o.phone for o in truth}


@pytest.mark.parametrize("preset", ["taobao", "jd", "generic"])
def test_reimport_changes_nothing_then_a_later_export_updates(
    preset: str, session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path
) -> None:
    from dataclasses import replace

    truth = sample_orders(preset)
    first = _import(session, workspace_id, cipher, WRITERS[preset](tmp_path), preset, tmp_path)
    before = [
        _count(session, m, workspace_id)
        for m in (Order, OrderLine, Customer, Identity, Product, Refund)
    ]
    snapshot = session.execute(
        select(Order.id, Order.fingerprint, Order.updated_at).order_by(Order.id)
    ).all()
    again = _import(session, workspace_id, cipher, WRITERS[preset](tmp_path), preset, tmp_path)
    assert (again.created, again.updated) == (0, 0)
    assert again.unchanged == first.created
    after = [
        _count(session, m, workspace_id)
        for m in (Order, OrderLine, Customer, Identity, Product, Refund)
    ]
    assert after == before
    assert (
        session.execute(
            select(Order.id, Order.fingerprint, Order.updated_at).order_by(Order.id)
        ).all()
        == snapshot
    )
    pending = next(o for o in truth if o.status in ("paid", "shipped") and _identifiable(o))
    later = [replace(o, status="completed") if o is pending else o for o in truth]
    (tmp_path / "later").mkdir()
    later_path = WRITERS[preset](tmp_path / "later", orders=later)
    update = _import(session, workspace_id, cipher, later_path, preset, tmp_path)
    assert update.updated == 1
    row = session.scalars(select(Order).where(Order.platform_order_id == pending.order_id)).one()
    assert row.status == "completed"


def test_refunds_partial_and_full(
    session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path
) -> None:
    _import(session, workspace_id, cipher, WRITERS["generic"](tmp_path), "generic", tmp_path)
    orders = session.scalars(select(Order).where(Order.workspace_id == workspace_id)).all()
    kinds = set()
    for order in orders:
        refunds = session.scalars(select(Refund).where(Refund.order_id == order.id)).all()
        assert sum(r.amount_fen for r in refunds) == order.refunded_fen <= order.paid_fen
        for refund in refunds:
            if refund.order_line_id is not None:
                line = session.get(OrderLine, refund.order_line_id)
                assert line is not None and 0 < refund.amount_fen <= line.amount_fen
                assert refund.is_full == (refund.amount_fen == line.amount_fen)
        if order.refunded_fen:
            kinds.add("full" if order.refunded_fen == order.paid_fen else "partial")
    assert kinds == {"full", "partial"}


@pytest.mark.parametrize("preset", ["taobao", "jd", "douyin", "shopify", "generic"])
def test_bad_rows_are_rejected_with_line_column_reason(
    preset: str, session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path
) -> None:
    path, expected = write_with_bad_rows(tmp_path, preset=preset)
    result = _import(session, workspace_id, cipher, path, preset, tmp_path)
    by_line = {r.line: r for r in result.rejects}
    for bad in expected:
        reject = by_line[bad.line]
        assert reject.column == bad.column, (bad, reject)
        assert REASON_WORDS[bad.reason] in reject.reason, (bad, reject)
        assert reject.file == path.name
    assert result.rejects_path is not None and result.rejects_path.exists()
    written = result.rejects_path.read_text(encoding="utf-8-sig")
    assert all(f",{bad.line}," in written for bad in expected)
    good = [o for o in sample_orders(preset) if _identifiable(o)]
    assert result.created == len(good)


def test_unreadable_files_fail_whole_and_write_nothing(
    session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path
) -> None:
    for name, path in write_unreadable(tmp_path).items():
        with pytest.raises(SiyuError) as err:
            _import(session, workspace_id, cipher, path, "", tmp_path)
        message = err.value.message("en")
        assert path.name in message, name
        assert err.value.message("zh-CN") != message
    assert _count(session, Order, workspace_id) == 0
    assert _count(session, ImportBatch, workspace_id) == 0


def test_preset_is_detected_from_headers(
    session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path
) -> None:
    result = import_orders(
        session, workspace_id=workspace_id, cipher=cipher, path=WRITERS["jd"](tmp_path)
    )
    assert result.preset == "jd" and result.created > 0


def test_user_yaml_mapping(
    session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path
) -> None:
    path = tmp_path / "erp.csv"
    path.write_text(
        "单号,时间,状态,会员,实付\nA1,2026-05-01 10:00:00,OK,vip001,¥88.50\n"
        "A2,2026-05-02 11:00:00,WEIRD,vip001,10\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "erp.yaml"
    mapping.write_text(
        "name: erp\nplatform: other\ngrain: order\nrequired: [order_id, ordered_at, order_amount]\n"
        "columns:\n  order_id: [单号]\n  ordered_at: [时间]\n  status: [状态]\n"
        "  buyer_id: [会员]\n  order_amount: [实付]\nstatus_map:\n  OK: completed\n",
        encoding="utf-8",
    )
    result = _import(session, workspace_id, cipher, path, str(mapping), tmp_path)
    assert result.created == 1
    assert [(r.line, r.column) for r in result.rejects] == [(3, "状态")]
    order = session.scalars(select(Order).where(Order.workspace_id == workspace_id)).one()
    assert order.paid_fen == 8850
    bad_mapping = tmp_path / "bad.yaml"
    bad_mapping.write_text("name: bad\nplatform: nowhere\n", encoding="utf-8")
    with pytest.raises(SiyuError) as err:
        _import(session, workspace_id, cipher, path, str(bad_mapping), tmp_path)
    assert "platform" in err.value.message("en")
    assert "platform: 须为以下之一" in err.value.message("zh-CN")


def test_receiver_data_is_encrypted(
    session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path
) -> None:
    truth = sample_orders("taobao")
    _import(session, workspace_id, cipher, WRITERS["taobao"](tmp_path), "taobao", tmp_path)
    row = session.scalars(select(Order).where(Order.platform_order_id == truth[0].order_id)).one()
    assert row.receiver_enc is not None
    assert truth[0].phone.encode() not in row.receiver_enc
    assert truth[0].receiver_name.encode() not in row.receiver_enc
    assert truth[0].phone in cipher.decrypt(row.receiver_enc)


def test_failure_part_way_leaves_the_store_as_it_was(
    session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from siyu.orders import service

    monkeypatch.setattr(service, "WRITE_CHUNK", 2)
    calls = {"n": 0}
    original = service.OrderWriter._insert_new

    def fail_on_second_chunk(self: service.OrderWriter, new: list) -> None:  # type: ignore[type-arg]
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        original(self, new)

    monkeypatch.setattr(service.OrderWriter, "_insert_new", fail_on_second_chunk)
    path = WRITERS["generic"](tmp_path)
    with pytest.raises(RuntimeError), session.begin_nested():
        _import(session, workspace_id, cipher, path, "generic", tmp_path)
    assert calls["n"] == 2
    for model in (Order, OrderLine, Customer, Identity, Product, ImportBatch):
        assert _count(session, model, workspace_id) == 0


def test_workspaces_are_isolated(session: Session, cipher: PiiCipher, tmp_path: Path) -> None:
    from siyu.orders import repository
    from siyu.workspaces.service import ensure

    brand_a, brand_b = ensure(session, "brand-a").id, ensure(session, "brand-b").id
    path = WRITERS["taobao"](tmp_path)
    first = _import(session, brand_a, cipher, path, "taobao", tmp_path)
    second = _import(session, brand_b, cipher, path, "taobao", tmp_path)
    assert first.created == second.created == 5
    for model in (Order, Customer, Identity, Product):
        assert _count(session, model, brand_a) == _count(session, model, brand_b) > 0
    customers_a = set(
        session.scalars(select(Order.customer_id).where(Order.workspace_id == brand_a))
    )
    customers_b = set(
        session.scalars(select(Order.customer_id).where(Order.workspace_id == brand_b))
    )
    assert customers_a.isdisjoint(customers_b)
    shop_a = repository.get_shop(session, brand_a, "taobao")
    assert shop_a is not None
    ids = [o.order_id for o in sample_orders("taobao")]
    assert len(repository.existing_orders(session, brand_a, shop_a.id, ids)) == 5
    assert repository.existing_orders(session, brand_b, shop_a.id, ids) == {}


def test_an_import_gives_sqlite_the_tables_statistics(
    session: Session, cipher: PiiCipher, workspace_id: int, tmp_path: Path
) -> None:
    """A new brand browses its customers before its first daily run: without statistics
    SQLite read a customer's latest order through the workspace's index (every order)."""
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("PostgreSQL's autovacuum keeps its own statistics")
    _import(session, workspace_id, cipher, WRITERS["taobao"](tmp_path), "taobao", tmp_path)
    session.commit()
    analysed = session.execute(text("SELECT DISTINCT tbl FROM sqlite_stat1")).scalars().all()
    assert {"orders", "customer", "identity"} <= set(analysed)
