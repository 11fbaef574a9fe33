"""Monthly acquisition cohorts and migration on the value ladder between two dates.

A purchase cohort is the China month of a customer's first purchase; a pool cohort the
China month of their first join to the private pool (their first contact, as the pipeline's
entry channel). Cell (c, m) counts the cohort's customers who bought in the m-th month
after the cohort month and sums what they paid, net of refunds; a pool cohort counts only
purchases made at or after the join. Cells of months that have not begun by the moment
the figures are as of are not observed (``observed`` is False) and hold zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

import ibis
import numpy as np
from ibis.expr.types import Table
from numpy.typing import ArrayLike, NDArray

from siyu.analytics import ladder
from siyu.analytics._frames import Frame
from siyu.analytics.periods import china_date, china_day, month_index, month_label, period_key
from siyu.analytics.repurchase import Purchases, prepared_or_new
from siyu.analytics.settings import DEFAULT_LADDER, LadderSettings
from siyu.scoring.features import per_customer_pool, purchases

Basis = Literal["first_purchase", "pool_join"]


@dataclass(frozen=True)
class CohortMatrix:
    """Customers and revenue per acquisition month (rows) and months since (columns)."""

    basis: Basis
    cohorts: tuple[int, ...]  # month indexes (see periods.month_index), ascending
    last_month: int  # month index of the moment the figures are as of
    sizes: NDArray[np.int64]
    customers: NDArray[np.int64]  # [cohort, months since]
    revenue_fen: NDArray[np.int64]

    @property
    def labels(self) -> list[str]:
        """Cohort months as ``YYYY-MM``."""
        return [month_label(c) for c in self.cohorts]

    @property
    def observed(self) -> NDArray[np.bool_]:
        """Whether a cell's month has begun by the moment the figures are as of."""
        offsets = np.arange(self.customers.shape[1])
        return offsets[None, :] <= (self.last_month - np.asarray(self.cohorts))[:, None]

    @property
    def retention(self) -> NDArray[np.float64]:
        """Share of each cohort that bought in each month since (NaN where unobserved)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            share = self.customers / self.sizes[:, None]
        return np.where(self.observed, share, np.nan)


def first_joins(contacts: Table, until: datetime) -> Table:
    """Each customer's first contact up to ``until`` (the entry): channel, join and leave."""
    joined = contacts.filter(contacts.joined_at <= until, contacts.customer_id.notnull())
    ranked = joined.mutate(
        rank=ibis.row_number().over(group_by="customer_id", order_by=["joined_at", "id"])
    )
    first = ranked.filter(ranked["rank"] == 0)
    return first.select(
        "customer_id", "channel_id", "joined_at", "left_at", "left_reason",
        join_day=china_day(first.joined_at),
    )  # fmt: skip


def _first_month(first_cohort: date | None) -> int:
    return month_index(first_cohort) if first_cohort is not None else -1


def _matrix(basis: Basis, sizes: Table, cells: Table, until: datetime) -> CohortMatrix:
    size_frame = sizes.order_by("cohort").execute()
    cohorts = tuple(int(c) for c in size_frame["cohort"])
    last = month_index(china_date(until))
    width = last - cohorts[0] + 1 if cohorts else 0
    customers = np.zeros((len(cohorts), width), dtype=np.int64)
    revenue = np.zeros((len(cohorts), width), dtype=np.int64)
    frame: Frame = cells.execute()
    if cohorts and len(frame):
        row = np.searchsorted(np.asarray(cohorts), frame["cohort"].to_numpy(np.int64))
        col = frame["month"].to_numpy(np.int64) - frame["cohort"].to_numpy(np.int64)
        customers[row, col] = frame["customers"].to_numpy(np.int64)
        revenue[row, col] = frame["net_fen"].to_numpy(np.int64)
    sizes_array = size_frame["customers"].to_numpy(np.int64)
    return CohortMatrix(basis, cohorts, last, sizes_array, customers, revenue)


def _cells(p: Table) -> Table:
    return p.group_by(["cohort", "month"]).aggregate(
        customers=p.customer_id.nunique(), net_fen=p.net_fen.sum()
    )


def purchase_cohorts(
    orders: Table,
    until: datetime,
    *,
    first_cohort: date | None = None,
    prepared: Purchases | None = None,
) -> CohortMatrix:
    """Cohorts by the month of the first purchase (from ``first_cohort``'s month on)."""
    p = prepared_or_new(orders, until, prepared).rows
    p = p.mutate(month=period_key(p.cday, "month"))
    first = p.group_by("customer_id").aggregate(cohort=p.month.min())
    first = first.filter(first.cohort >= _first_month(first_cohort))
    bought = p.join(first, "customer_id")
    sizes = first.group_by("cohort").aggregate(customers=first.count())
    return _matrix("first_purchase", sizes, _cells(bought), until)


def pool_cohorts(
    orders: Table,
    contacts: Table,
    until: datetime,
    *,
    first_cohort: date | None = None,
    prepared: Purchases | None = None,
) -> CohortMatrix:
    """Cohorts by the month of the first join to the pool; purchases from the join on."""
    entry = first_joins(contacts, until)
    entry = entry.mutate(cohort=period_key(entry.join_day, "month"))
    entry = entry.filter(entry.cohort >= _first_month(first_cohort))
    p = prepared_or_new(orders, until, prepared).rows
    p = p.mutate(month=period_key(p.cday, "month"))
    bought = p.join(entry.select("customer_id", "joined_at", "cohort"), "customer_id")
    bought = bought.filter(bought.ordered_at >= bought.joined_at)
    sizes = entry.group_by("cohort").aggregate(customers=entry.count())
    return _matrix("pool_join", sizes, _cells(bought), until)


@dataclass(frozen=True)
class LadderMigration:
    """How customers moved on the value ladder between two moments."""

    start: datetime
    end: datetime
    matrix: NDArray[np.int64]  # [tier at start, tier at end], tiers as in ladder.TIERS
    pool_start: int
    pool_end: int
    left_pool: int
    joined_pool: int

    @property
    def moved_up(self) -> int:
        """Customers on a higher tier at the end than at the start."""
        return int(np.triu(self.matrix, 1).sum())

    @property
    def moved_down(self) -> int:
        """Customers on a lower tier at the end than at the start."""
        return int(np.tril(self.matrix, -1).sum())

    @property
    def stayed(self) -> int:
        """Customers on the same tier, outside-and-never-bought excluded."""
        return int(np.trace(self.matrix) - self.matrix[ladder.NONE, ladder.NONE])


def tier_inputs(t: dict[str, Table], until: datetime, prepared: Purchases | None = None) -> Frame:
    """Per customer (ascending id): purchases (orders) up to ``until`` and pool membership."""
    customers = t["customers"].select(customer_id="id")
    p = purchases(t["orders"], until) if prepared is None else prepared.upto(until).rows
    counts = p.group_by("customer_id").aggregate(n_purchases=p.count())
    pool = per_customer_pool(t["contacts"], until).select("customer_id", "in_pool")
    frame = customers
    for right in (counts, pool):
        renamed = right.rename(right_id="customer_id")
        frame = frame.left_join(renamed, frame.customer_id == renamed.right_id).drop("right_id")
    out: Frame = frame.order_by("customer_id").execute()
    out["n_purchases"] = out["n_purchases"].fillna(0).astype(np.int64)
    out["in_pool"] = out["in_pool"].fillna(False).astype(bool)
    return out


def tiers_at(
    t: dict[str, Table],
    until: datetime,
    settings: LadderSettings = DEFAULT_LADDER,
    prepared: Purchases | None = None,
    members: ArrayLike | None = None,
) -> tuple[NDArray[np.int8], NDArray[np.bool_]]:
    """Ladder tier codes and pool membership of every customer (ascending id) at ``until``.

    As in the daily pipeline: purchases are orders; ``members`` are the customer ids on the
    member rung at that moment (``loyalty.repository.ladder_members``), none when omitted.
    """
    frame = tier_inputs(t, until, prepared)
    in_pool = frame["in_pool"].to_numpy(bool)
    ids = frame["customer_id"].to_numpy(np.int64)
    is_member = np.isin(ids, np.asarray(members if members is not None else [], np.int64))
    codes = ladder.ladder_tiers(
        frame["n_purchases"].to_numpy(np.int64), in_pool, is_member, settings=settings
    )
    return codes, in_pool


def ladder_migration(
    t: dict[str, Table],
    start: datetime,
    end: datetime,
    *,
    settings: LadderSettings = DEFAULT_LADDER,
    prepared: Purchases | None = None,
    members_start: ArrayLike | None = None,
    members_end: ArrayLike | None = None,
) -> LadderMigration:
    """Tier at ``start`` against tier at ``end`` for every customer, and pool moves.

    ``members_start`` / ``members_end``: customer ids on the member rung at each moment.
    """
    before, pool_before = tiers_at(t, start, settings, prepared, members_start)
    after, pool_after = tiers_at(t, end, settings, prepared, members_end)
    size = len(ladder.TIERS)
    matrix = np.bincount(
        before.astype(np.int64) * size + after.astype(np.int64), minlength=size * size
    ).reshape(size, size)
    return LadderMigration(
        start=start,
        end=end,
        matrix=matrix.astype(np.int64),
        pool_start=int(pool_before.sum()),
        pool_end=int(pool_after.sum()),
        left_pool=int((pool_before & ~pool_after).sum()),
        joined_pool=int((~pool_before & pool_after).sum()),
    )
