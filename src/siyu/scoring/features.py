"""Per-customer features from the snapshot, as Ibis expressions (engine-portable).

A purchase is an order that was paid (status paid, shipped or completed; a paid amount
above zero) and not refunded in full. Times are days since the Unix epoch (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import ibis
import numpy as np
from ibis.expr.types import Table
from numpy.typing import NDArray

PURCHASE_STATUSES = ("paid", "shipped", "completed")
SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class CustomerFeatures:
    """Arrays aligned on `customer_id` (ascending), one row per customer in the store."""

    customer_id: NDArray[np.int64]
    n_purchases: NDArray[np.int64]
    n_purchase_days: NDArray[np.int64]  # distinct days with a purchase (for cycles and CLV)
    first_day: NDArray[np.float64]  # NaN without a purchase
    last_day: NDArray[np.float64]
    net_paid_fen: NDArray[np.int64]
    mean_repeat_fen: NDArray[np.float64]  # mean net value of purchases after the first
    in_pool: NDArray[np.bool_]
    entry_channel_id: NDArray[np.int64]  # -1: never joined through a channel
    margin: float  # gross margin ratio of goods with a known unit cost

    def __len__(self) -> int:
        return int(self.customer_id.size)


def purchases(orders: Table, until: datetime) -> Table:
    """Orders placed up to `until` that count as purchases, with their net value and day."""
    kept = orders.filter(
        orders.ordered_at <= until,
        orders.status.isin(PURCHASE_STATUSES),
        orders.paid_fen > 0,
        orders.refunded_fen < orders.paid_fen,
        orders.customer_id.notnull(),
    )
    return kept.mutate(
        net_fen=kept.paid_fen - kept.refunded_fen,
        day=kept.ordered_at.epoch_seconds().cast("float64") / SECONDS_PER_DAY,
    )


def purchase_days(orders: Table, until: datetime) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Customer id and day of every purchase up to `until` (for calibration/holdout checks)."""
    frame = purchases(orders, until).select("customer_id", "day").execute()
    return frame["customer_id"].to_numpy(np.int64), frame["day"].to_numpy(np.float64)


def per_customer_purchases(orders: Table, until: datetime) -> Table:
    """Count, first and last day, and value of each customer's purchases up to `until`."""
    p = purchases(orders, until)
    grouped = p.group_by("customer_id").aggregate(
        n_purchases=p.count(),
        n_purchase_days=p.day.floor().nunique(),
        first_day=p.day.min(),
        last_day=p.day.max(),
        net_paid_fen=p.net_fen.sum(),
        first_net_fen=p.net_fen.argmin(p.day),
    )
    return grouped


def per_customer_pool(contacts: Table, until: datetime) -> Table:
    """Whether each customer is in the pool at `until`, and the channel they first joined by."""
    contacts = contacts.filter(contacts.joined_at <= until)
    ranked = contacts.mutate(
        rank=ibis.row_number().over(group_by="customer_id", order_by=["joined_at", "id"])
    )
    first = ranked.filter(ranked["rank"] == 0).select("customer_id", entry_channel_id="channel_id")
    active = contacts.group_by("customer_id").aggregate(
        in_pool=((contacts.left_at.isnull() | (contacts.left_at > until)).cast("int64")).max() > 0
    )
    return active.join(first, "customer_id")


def gross_margin(lines: Table) -> float:
    """Gross margin ratio over lines whose product has a unit cost (0.0 when none has)."""
    known = lines.filter(lines.unit_cost_fen.notnull())
    totals = known.aggregate(
        revenue=known.amount_fen.sum(),
        cost=(known.unit_cost_fen * known.quantity).sum(),
    ).execute()
    revenue = totals["revenue"].iloc[0]
    if not revenue or revenue != revenue:
        return 0.0
    return float(1.0 - totals["cost"].iloc[0] / revenue)


def _left_join(left: Table, right: Table) -> Table:
    """Left join on customer_id, keeping one customer_id column."""
    right = right.rename(right_customer_id="customer_id")
    joined = left.left_join(right, left.customer_id == right.right_customer_id)
    return joined.drop("right_customer_id")


def customer_features(t: dict[str, Table], until: datetime) -> CustomerFeatures:
    """Compute the features of every customer from the snapshot tables, as of `until`."""
    customers = t["customers"].select(customer_id="id")
    joined = _left_join(customers, per_customer_purchases(t["orders"], until))
    pool = per_customer_pool(t["contacts"], until)
    frame = _left_join(joined, pool).order_by("customer_id").execute()
    n = frame["n_purchases"].fillna(0).to_numpy(np.int64)
    net = frame["net_paid_fen"].fillna(0).to_numpy(np.int64)
    first_net = frame["first_net_fen"].fillna(0).to_numpy(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_repeat = np.where(n > 1, (net - first_net) / np.maximum(n - 1, 1), np.nan)
    return CustomerFeatures(
        customer_id=frame["customer_id"].to_numpy(np.int64),
        n_purchases=n,
        n_purchase_days=frame["n_purchase_days"].fillna(0).to_numpy(np.int64),
        first_day=frame["first_day"].to_numpy(np.float64, na_value=np.nan),
        last_day=frame["last_day"].to_numpy(np.float64, na_value=np.nan),
        net_paid_fen=net,
        mean_repeat_fen=mean_repeat,
        in_pool=frame["in_pool"].fillna(False).to_numpy(bool),
        entry_channel_id=frame["entry_channel_id"].fillna(-1).to_numpy(np.int64),
        margin=gross_margin(t["order_lines"]),
    )
