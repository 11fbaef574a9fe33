"""Purchase histories through Ibis (DuckDB) on a hand-made snapshot."""

from __future__ import annotations

from datetime import UTC, datetime

import ibis
import pyarrow as pa
import pytest
from ibis.expr.types import Table

from siyu.analytics.recommend import load_histories, load_roles
from siyu.warehouse.schemas import SCHEMAS


def _at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def _day(moment: datetime) -> float:
    return moment.timestamp() / 86_400


def _table(name: str, rows: list[dict[str, object]]) -> Table:
    schema = SCHEMAS[name]
    columns = {f.name: [row.get(f.name) for row in rows] for f in schema}
    return ibis.memtable(pa.table(columns, schema=schema))


ORDERS = [  # id, customer, status, ordered_at, paid, refunded
    (1, 1, "completed", _at(1), 100, 0),
    (2, 1, "paid", _at(3), 250, 50),  # its line of product 40 was returned
    (3, 1, "closed", _at(4), 0, 0),  # an abandoned checkout: not a purchase
    (4, 2, "completed", _at(2), 90, 90),  # refunded in full: not a purchase
    (5, 2, "completed", _at(5), 300, 100),  # part of a line refunded: still owned
    (6, 1, "completed", _at(3, 20), 100, 0),  # same day as order 2
    (7, 2, "shipped", _at(10), 100, 0),  # after the cut
    (8, None, "completed", _at(2), 100, 0),  # no customer
]
LINES = [  # id, order, product, role, quantity, amount
    (1, 1, 10, "trial", 1, 100),
    (2, 2, 20, "profit", 2, 200),
    (3, 2, 40, "expansion", 1, 50),
    (4, 3, 30, "profit", 1, 300),
    (5, 4, 20, "profit", 1, 90),
    (6, 5, 20, "profit", 1, 300),
    (7, 5, None, None, 1, 0),
    (8, 6, 20, "profit", 1, 100),
    (9, 7, 10, "trial", 1, 100),
    (10, 8, 30, "profit", 1, 100),
]
REFUNDS = [  # id, order, line, amount
    (1, 2, 3, 50),
    (2, 5, 6, 100),
    (3, 4, None, 90),
]


@pytest.fixture
def snapshot() -> dict[str, Table]:
    return {
        "orders": _table("orders", [
            dict(id=i, customer_id=c, status=s, ordered_at=t, paid_fen=p, refunded_fen=r)
            for i, c, s, t, p, r in ORDERS
        ]),
        "order_lines": _table("order_lines", [
            dict(id=i, order_id=o, product_id=p, product_role=role, quantity=q, amount_fen=a)
            for i, o, p, role, q, a in LINES
        ]),
        "refunds": _table("refunds", [
            dict(id=i, order_id=o, order_line_id=line, amount_fen=a) for i, o, line, a in REFUNDS
        ]),
    }  # fmt: skip


def test_histories_keep_purchased_and_unreturned_lines(snapshot: dict[str, Table]) -> None:
    h = load_histories(snapshot, _at(8))
    assert list(zip(h.customer_id.tolist(), h.product_id.tolist(), strict=True)) == [
        (1, 10), (1, 20), (2, 20),
    ]  # fmt: skip
    assert h.first_day.tolist() == pytest.approx([_day(_at(1)), _day(_at(3)), _day(_at(5))])
    assert h.last_day.tolist() == pytest.approx([_day(_at(1)), _day(_at(3, 20)), _day(_at(5))])
    assert h.n_orders.tolist() == [1, 2, 1]
    assert h.n_days.tolist() == [1, 1, 1]  # orders 2 and 6 fall on one day
    assert h.quantity.tolist() == [1, 3, 1]


def test_histories_since_a_cut(snapshot: dict[str, Table]) -> None:
    h = load_histories(snapshot, _at(11), since=_at(8))
    assert (h.customer_id.tolist(), h.product_id.tolist()) == ([2], [10])
    assert len(load_histories(snapshot, _at(11), since=_at(10, 12))) == 0


def test_roles_of_every_named_product(snapshot: dict[str, Table]) -> None:
    assert load_roles(snapshot) == {10: "trial", 20: "profit", 30: "profit", 40: "expansion"}
