"""Row-to-order rules, without a database."""

from __future__ import annotations

from siyu.orders.presets import load_preset
from siyu.orders.rules import OrderBuilder

HEADERS = ["order_id", "ordered_at", "status", "buyer_id", "phone", "order_amount", "shipping",
           "order_refund", "line_id", "sku", "quantity", "unit_price", "line_amount",
           "line_refund"]  # fmt: skip


def _build(rows: list[list[str]]):  # type: ignore[no-untyped-def]
    builder = OrderBuilder(load_preset("generic"), HEADERS, "t.csv")
    builder.add_rows((n + 2, row) for n, row in enumerate(rows))
    return builder.finish()


def test_rows_group_into_orders_with_totals_in_fen() -> None:
    orders, rejects = _build([
        ["A", "2026-01-01 10:00:00", "completed", "b1", "19900001111", "30.00", "5", "", "A-1",
         "S1", "2", "10.00", "20.00", ""],
        ["B", "2026-01-02 10:00:00", "paid", "b2", "", "9.90", "0", "", "B-1", "S2", "1", "9.90",
         "9.90", ""],
        ["A", "2026-01-01 10:00:00", "completed", "b1", "19900001111", "30.00", "5", "", "A-2",
         "S3", "1", "5.00", "5.00", ""],
    ])  # fmt: skip
    assert rejects == []
    a = next(o for o in orders if o.order_id == "A")
    assert [line.line_key for line in a.lines] == ["A-1", "A-2"]
    assert (a.goods_fen, a.paid_fen, a.shipping_fen) == (2500, 3000, 500)
    assert {k.kind for k in a.identifiers} == {"platform_buyer", "phone"}


def test_one_bad_row_rejects_its_whole_order() -> None:
    orders, rejects = _build([
        ["A", "2026-01-01 10:00:00", "completed", "b1", "", "30.00", "0", "", "A-1", "S1", "1",
         "10", "10", ""],
        ["A", "2026-01-01 10:00:00", "completed", "b1", "", "30.00", "0", "", "A-2", "S1", "x",
         "20", "20", ""],
    ])  # fmt: skip
    assert orders == []
    assert [(r.line, r.column) for r in rejects] == [(2, "order_id"), (3, "quantity")]
    assert "another row of order A" in rejects[0].reason


def test_order_refund_adds_shipping_on_top_of_line_refunds() -> None:
    orders, rejects = _build([
        ["A", "2026-01-01 10:00:00", "closed", "b1", "", "25.00", "5", "25.00", "A-1", "S1", "1",
         "20", "20", "20"],
    ])  # fmt: skip
    assert rejects == []
    assert (orders[0].refunded_fen, orders[0].lines[0].refund_fen) == (2500, 2000)


def test_refund_above_paid_is_rejected() -> None:
    orders, rejects = _build([
        ["A", "2026-01-01 10:00:00", "closed", "b1", "", "10.00", "0", "99", "A-1", "S1", "1",
         "10", "10", ""],
    ])  # fmt: skip
    assert orders == [] and "exceeds the paid amount" in rejects[0].reason


def test_masked_phone_alone_identifies_nobody() -> None:
    orders, rejects = _build([
        ["A", "2026-01-01 10:00:00", "paid", "", "199****1111", "10.00", "0", "", "A-1", "S1",
         "1", "10", "10", ""],
    ])  # fmt: skip
    assert orders == [] and "no usable customer identifier" in rejects[0].reason
