"""Purchase histories per (customer, product) from the snapshot, as Ibis expressions.

A purchased product is a line of a purchase (see :func:`siyu.scoring.features.purchases`:
paid, not refunded in full) with a known product, unless the line itself was refunded in
full (returned goods are not owned). Days are days since the Unix epoch (UTC), as in
:mod:`siyu.scoring.features`. Everything up to ``execute()`` runs on DuckDB or PySpark.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import scipy.sparse as sp
from ibis.expr.types import Table
from numpy.typing import NDArray

from siyu.scoring.features import purchases

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


def kept_lines(lines: Table, refunds: Table) -> Table:
    """Lines with a product that were not refunded in full on their own."""
    by_line = refunds.filter(refunds.order_line_id.notnull())
    by_line = by_line.group_by(line_id="order_line_id").aggregate(
        line_refund=by_line.amount_fen.sum()
    )
    known = lines.filter(lines.product_id.notnull())
    joined = known.left_join(by_line, known.id == by_line.line_id)
    returned = (
        joined.line_refund.notnull()
        & (joined.line_refund > 0)
        & (joined.line_refund >= joined.amount_fen)
    )
    return joined.filter(~returned).select("order_id", "product_id", "quantity")


def purchased_lines(t: dict[str, Table], until: datetime, since: datetime | None = None) -> Table:
    """Kept lines of purchases in (since, until], with customer, order and day."""
    bought = purchases(t["orders"], until)
    if since is not None:
        bought = bought.filter(bought.ordered_at > since)
    bought = bought.select(order_id="id", customer_id="customer_id", day="day")
    lines = kept_lines(t["order_lines"], t["refunds"])
    return bought.join(lines, "order_id")


def purchase_histories(
    t: dict[str, Table], until: datetime, since: datetime | None = None
) -> Table:
    """One row per (customer, product) bought in (since, until]: first/last day and counts."""
    lines = purchased_lines(t, until, since)
    return lines.group_by(["customer_id", "product_id"]).aggregate(
        first_day=lines.day.min(),
        last_day=lines.day.max(),
        n_orders=lines.order_id.nunique(),
        n_days=lines.day.floor().nunique(),
        quantity=lines.quantity.sum(),
    )


def product_roles(lines: Table) -> Table:
    """Each product's role as the snapshot's lines carry it (empty string when unknown)."""
    known = lines.filter(lines.product_id.notnull())
    return known.group_by("product_id").aggregate(role=known.product_role.max().fill_null(""))


@dataclass(frozen=True)
class PurchaseHistories:
    """Arrays of :func:`purchase_histories`, sorted by (customer_id, product_id)."""

    customer_id: IntArray
    product_id: IntArray
    first_day: FloatArray
    last_day: FloatArray
    n_orders: IntArray
    n_days: IntArray  # distinct days with a purchase of the product: buying occasions
    quantity: IntArray

    def __len__(self) -> int:
        return int(self.customer_id.size)


def load_histories(
    t: dict[str, Table], until: datetime, since: datetime | None = None
) -> PurchaseHistories:
    """Execute :func:`purchase_histories` into arrays sorted by customer, then product."""
    frame = purchase_histories(t, until, since).order_by(["customer_id", "product_id"]).execute()
    return PurchaseHistories(
        customer_id=frame["customer_id"].to_numpy(np.int64),
        product_id=frame["product_id"].to_numpy(np.int64),
        first_day=frame["first_day"].to_numpy(np.float64),
        last_day=frame["last_day"].to_numpy(np.float64),
        n_orders=frame["n_orders"].to_numpy(np.int64),
        n_days=frame["n_days"].to_numpy(np.int64),
        quantity=frame["quantity"].fillna(0).to_numpy(np.int64),
    )


def load_roles(t: dict[str, Table]) -> dict[int, str]:
    """Product id to role, for every product the snapshot's lines name."""
    frame = product_roles(t["order_lines"]).execute()
    ids = frame["product_id"].to_numpy(np.int64).tolist()
    return dict(zip(ids, frame["role"].astype(str).tolist(), strict=True))


@dataclass(frozen=True)
class HistoryMatrix:
    """Histories as sparse customer x product matrices on dense indices.

    ``days`` holds the buying occasions (``n_days``) and ``first`` the first day of each
    (customer, product) pair, on the same sparsity pattern (CSR, sorted indices).
    """

    customer_ids: IntArray
    product_ids: IntArray
    roles: NDArray[np.str_]
    days: sp.csr_matrix
    first: sp.csr_matrix
    last_day: FloatArray  # each customer's last purchase day

    @property
    def shape(self) -> tuple[int, int]:
        """(customers, products)."""
        return (self.customer_ids.size, self.product_ids.size)

    def owned(self) -> sp.csr_matrix:
        """1.0 where the customer bought the product (float32)."""
        owned = self.days.copy().astype(np.float32)
        owned.data[:] = 1.0
        return owned


def history_matrix(
    h: PurchaseHistories,
    roles: dict[int, str],
    *,
    customer_ids: IntArray | None = None,
    product_ids: IntArray | None = None,
) -> HistoryMatrix:
    """Index the histories; given id lists fix the rows/columns (pairs outside are dropped)."""
    customers = np.unique(h.customer_id) if customer_ids is None else customer_ids
    products = np.unique(h.product_id) if product_ids is None else product_ids
    row = _positions(customers, h.customer_id)
    col = _positions(products, h.product_id)
    keep = (row >= 0) & (col >= 0)
    row, col = row[keep], col[keep]
    shape = (customers.size, products.size)
    days = sp.csr_matrix((h.n_days[keep].astype(np.float64), (row, col)), shape=shape)
    first = sp.csr_matrix((h.first_day[keep], (row, col)), shape=shape)
    last_day = np.full(customers.size, np.nan)
    if row.size:
        np.fmax.at(last_day, row, h.last_day[keep])
    role_of = np.array([roles.get(int(p), "") for p in products.tolist()], dtype=np.str_)
    for m in (days, first):
        m.sort_indices()
    return HistoryMatrix(customers, products, role_of, days, first, last_day)


def _positions(sorted_ids: IntArray, values: IntArray) -> IntArray:
    """Index of each value in the sorted id array, -1 where it is absent."""
    if sorted_ids.size == 0:
        return np.full(values.size, -1, dtype=np.int64)
    at = np.clip(np.searchsorted(sorted_ids, values), 0, sorted_ids.size - 1)
    return np.where(sorted_ids[at] == values, at, -1).astype(np.int64)
