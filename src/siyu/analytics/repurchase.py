"""Repurchase: rate, cycle, the n-th purchase funnel and the time from purchase n to n+1.

The unit is the purchase occasion: a China day on which a customer made at least one
purchase (``scoring.features.purchases`` says what a purchase is). Two orders on one day
(a split basket, a forgotten item) are one occasion, not a repurchase. A repeat buyer has
at least two occasions; a gap is the number of China days between consecutive occasions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import ibis
import numpy as np
from ibis.expr.types import Table
from ibis.expr.types.relations import CachedTable
from numpy.typing import ArrayLike

from siyu.analytics.periods import china_date, china_day, date_of, day_number, day_start
from siyu.scoring.features import purchases

PURCHASE_COLUMNS: Final = ("id", "customer_id", "shop_domain", "ordered_at", "net_fen", "cday")
"""What the figures read of a purchase (``Purchases.rows`` keeps only these)."""
FUNNEL_DEPTH: Final = 5
"""The funnel follows customers through their first five purchases (the articles' 3 to 5)."""


def dated_purchases(orders: Table, until: datetime) -> Table:
    """Purchases up to ``until`` with their China day number ``cday``."""
    p = purchases(orders, until)
    return p.mutate(cday=china_day(p.ordered_at))


def occasions(orders: Table, until: datetime) -> Table:
    """One row per customer and China day with a purchase up to ``until``.

    Columns: customer_id, cday, net_fen, orders, n (1 for the first occasion) and gap
    (days since the previous occasion; NULL for the first).
    """
    return occasions_of(dated_purchases(orders, until))


@dataclass(frozen=True)
class Purchases:
    """Purchases up to a moment and the occasions they make, computed once for many figures.

    Every figure function takes ``prepared=`` to reuse them (``prepare(..., cache=True)``
    materialises both in the engine); without it each function computes its own.
    """

    until: datetime
    rows: Table  # dated_purchases
    occasions: Table  # occasions_of(rows)

    def upto(self, until: datetime) -> Purchases:
        """The purchases up to an earlier moment (the same object for the same moment).

        Occasions are filtered when ``until`` ends a China day, else recomputed.
        """
        if until == self.until:
            return self
        if until > self.until:
            raise ValueError("prepared purchases end before the moment asked for")
        rows = self.rows.filter(self.rows.ordered_at <= until)
        day = day_number(china_date(until))
        if until == day_start(date_of(day + 1)) - timedelta(microseconds=1):
            return Purchases(until, rows, self.occasions.filter(self.occasions.cday <= day))
        return Purchases(until, rows, occasions_of(rows))

    def release(self) -> None:
        """Free what ``prepare(..., cache=True)`` materialised in the engine."""
        for table in (self.occasions, self.rows):
            if isinstance(table, CachedTable):
                table.release()


def prepare(orders: Table, until: datetime, *, cache: bool = False) -> Purchases:
    """Purchases and occasions up to ``until``; ``cache`` materialises them in the engine."""
    rows = dated_purchases(orders, until).select(*PURCHASE_COLUMNS)
    if cache:
        rows = rows.cache()
    occ = occasions_of(rows)
    return Purchases(until, rows, occ.cache() if cache else occ)


def prepared_or_new(orders: Table, until: datetime, prepared: Purchases | None) -> Purchases:
    """``prepared`` as of ``until``, or purchases computed from ``orders``."""
    return prepare(orders, until) if prepared is None else prepared.upto(until)


def occasions_of(p: Table) -> Table:
    """Occasions (see ``occasions``) of dated purchases."""
    per_day = p.group_by(["customer_id", "cday"]).aggregate(
        net_fen=p.net_fen.sum(), orders=p.count()
    )
    w = ibis.window(group_by="customer_id", order_by="cday")
    return per_day.mutate(
        n=ibis.row_number().over(w) + 1, gap=per_day.cday - per_day.cday.lag().over(w)
    )


def weighted_median(values: ArrayLike, counts: ArrayLike) -> float | None:
    """Median of values repeated ``counts`` times (mean of the two middle ones when even)."""
    v = np.asarray(values, dtype=np.float64)
    c = np.asarray(counts, dtype=np.int64)
    keep = c > 0
    v, c = v[keep], c[keep]
    total = int(c.sum())
    if total == 0:
        return None
    order = np.argsort(v, kind="stable")
    v, cum = v[order], np.cumsum(c[order])
    low = v[np.searchsorted(cum, (total - 1) // 2, side="right")]
    high = v[np.searchsorted(cum, total // 2, side="right")]
    return float((low + high) / 2)


@dataclass(frozen=True, slots=True)
class GapStats:
    """Days from occasion ``n`` to occasion ``n + 1``."""

    n: int
    count: int
    median_days: float | None
    mean_days: float | None


@dataclass(frozen=True, slots=True)
class RepurchaseFigures:
    """Repurchase figures of every buyer up to a moment."""

    buyers: int
    repeat_buyers: int
    median_cycle_days: float | None
    mean_cycle_days: float | None
    funnel: tuple[int, ...]
    """Customers with at least k occasions, k = 1 .. FUNNEL_DEPTH."""
    gaps: tuple[GapStats, ...]
    """From occasion n to n + 1, n = 1 .. FUNNEL_DEPTH - 1."""

    @property
    def rate(self) -> float | None:
        """Share of buyers with a second occasion."""
        return self.repeat_buyers / self.buyers if self.buyers else None

    @property
    def step_conversion(self) -> tuple[float | None, ...]:
        """Share of customers at occasion k who reach k + 1."""
        f = self.funnel
        return tuple(f[k + 1] / f[k] if f[k] else None for k in range(len(f) - 1))


def gap_histogram(occ: Table) -> Table:
    """Count of repeat occasions by previous occasion number (capped) and gap in days."""
    repeat = occ.filter(occ.n >= 2)
    capped = ibis.least(repeat.n - 1, FUNNEL_DEPTH)
    return repeat.group_by(prev=capped, gap=repeat.gap).aggregate(count=repeat.count())


def _gap_stats(n: int, gaps: Sequence[float], counts: Sequence[int]) -> GapStats:
    total = int(np.sum(counts)) if len(counts) else 0
    mean = float(np.dot(gaps, counts) / total) if total else None
    return GapStats(n, total, weighted_median(gaps, counts), mean)


def repurchase_figures(
    orders: Table, until: datetime, *, prepared: Purchases | None = None
) -> RepurchaseFigures:
    """Repurchase rate, cycle, funnel and gaps by n over every purchase up to ``until``."""
    occ = prepared_or_new(orders, until, prepared).occasions
    counts = occ.group_by("n").aggregate(customers=occ.count())
    counts = counts.filter(counts.n <= FUNNEL_DEPTH).execute()
    reached = dict(zip(counts["n"].tolist(), counts["customers"].tolist(), strict=True))
    funnel = tuple(int(reached.get(k, 0)) for k in range(1, FUNNEL_DEPTH + 1))
    hist = gap_histogram(occ).execute()
    prev = hist["prev"].to_numpy(np.int64)
    gap = hist["gap"].to_numpy(np.float64)
    count = hist["count"].to_numpy(np.int64)
    overall = _gap_stats(0, gap, count)
    by_n = tuple(_gap_stats(n, gap[prev == n], count[prev == n]) for n in range(1, FUNNEL_DEPTH))
    return RepurchaseFigures(
        buyers=funnel[0],
        repeat_buyers=funnel[1],
        median_cycle_days=overall.median_days,
        mean_cycle_days=overall.mean_days,
        funnel=funnel,
        gaps=by_n,
    )
