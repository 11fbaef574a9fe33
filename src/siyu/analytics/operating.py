"""Operating figures per China-time day, month or year: GMV, buyers, pool, conversion.

GMV is what purchases paid net of refunds (``scoring.features.purchases``), split by the
shop's domain (public marketplaces or the brand's private shops). Buyers are the
customers with a purchase in the period ("active customers"). The period's repurchase rate
is the share of its buyers who made a repeat purchase in it (a purchase occasion that is
not their first ever); its cycle the median gap, in China days, before those repeat
occasions. The pool at a moment holds customers with a contact joined and not yet left;
pool conversion is the share of customers in the pool at some moment of the period who
bought in it. See ``docs/business-figures.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import ibis
from ibis.expr.types import Table

from siyu.analytics._frames import Frame
from siyu.analytics.periods import Grain, Period, day_number, period_key
from siyu.analytics.repurchase import Purchases, prepared_or_new, weighted_median
from siyu.scoring.features import per_customer_pool

PRIVATE = "private"
RECENT_DAYS = 90


@dataclass(frozen=True, slots=True)
class OperatingFigures:
    """One period's figures."""

    period: Period
    gmv_public_fen: int
    gmv_private_fen: int
    orders: int
    buyers: int
    new_buyers: int  # made their first purchase ever in the period
    repeat_buyers: int  # made a repeat purchase in the period
    median_cycle_days: float | None  # days before the period's repeat purchases
    pool_size: int  # in the pool at the end of the period
    pool_members: int  # in the pool at some moment of the period
    pool_buyers: int  # of those, bought in the period

    @property
    def gmv_fen(self) -> int:
        """Public plus private GMV."""
        return self.gmv_public_fen + self.gmv_private_fen

    @property
    def private_share(self) -> float | None:
        """Private-domain share of GMV."""
        return self.gmv_private_fen / self.gmv_fen if self.gmv_fen else None

    @property
    def aov_fen(self) -> float | None:
        """Average order value: GMV per purchase order."""
        return self.gmv_fen / self.orders if self.orders else None

    @property
    def repurchase_rate(self) -> float | None:
        """Share of the period's buyers who made a repeat purchase in it."""
        return self.repeat_buyers / self.buyers if self.buyers else None

    @property
    def conversion(self) -> float | None:
        """Share of the period's pool members who bought in it."""
        return self.pool_buyers / self.pool_members if self.pool_members else None


def _calendar(periods: Sequence[Period]) -> Table:
    return ibis.memtable(
        {
            "key": [p.key for p in periods],
            "start_s": [int(p.start.timestamp()) for p in periods],
            "end_s": [int(p.end.timestamp()) for p in periods],
        }
    )


def _by_key(frame: Frame, column: str) -> dict[int, int]:
    return {int(k): int(v) for k, v in zip(frame["key"], frame[column], strict=True)}


def _sales(p: Table, grain: Grain, keys: list[int], lo: int, hi: int) -> Table:
    p = p.filter(p.cday >= lo, p.cday <= hi)
    p = p.mutate(key=period_key(p.cday, grain))
    p = p.filter(p.key.isin(keys))
    private = p.shop_domain == PRIVATE
    return p.group_by("key").aggregate(
        gmv_public=ibis.ifelse(private, 0, p.net_fen).sum(),
        gmv_private=ibis.ifelse(private, p.net_fen, 0).sum(),
        orders=p.count(),
    )


def _members(contacts: Table, calendar: Table) -> Table:
    """(key, customer_id, at_end): customers with a contact open at some moment of each
    period, and whether one is still open at its end (one range join for both)."""
    c = contacts.filter(contacts.customer_id.notnull())
    c = c.mutate(joined_s=c.joined_at.epoch_seconds(), left_s=c.left_at.epoch_seconds())
    during = c.join(
        calendar, [c.joined_s < calendar.end_s, c.left_s.isnull() | (c.left_s >= calendar.start_s)]
    )
    at_end = (during.left_s.isnull() | (during.left_s >= during.end_s)).cast("int64")
    return during.group_by(["key", "customer_id"]).aggregate(at_end=at_end.max())


def operating_series(
    t: dict[str, Table], periods: Sequence[Period], *, prepared: Purchases | None = None
) -> list[OperatingFigures]:
    """Figures of each period (all of one grain), in the order given."""
    if not periods:
        return []
    grain = periods[0].grain
    keys = [p.key for p in periods]
    lo = min(day_number(p.first) for p in periods)
    hi = max(day_number(p.last) for p in periods)
    until = max(p.until for p in periods)
    bought = prepared_or_new(t["orders"], until, prepared)
    sales = _sales(bought.rows, grain, keys, lo, hi).execute()
    occ = bought.occasions.filter(bought.occasions.cday >= lo, bought.occasions.cday <= hi)
    occ = occ.mutate(key=period_key(occ.cday, grain))
    with occ.filter(occ.key.isin(keys)).cache() as in_periods:
        return _series(t, periods, sales, in_periods)


def _series(
    t: dict[str, Table], periods: Sequence[Period], sales: Frame, occ: Table
) -> list[OperatingFigures]:
    people = occ.group_by("key").aggregate(
        buyers=occ.customer_id.nunique(),
        new_buyers=(occ.n == 1).cast("int64").sum(),
        repeat_buyers=occ.customer_id.nunique(where=occ.n >= 2),
    )
    repeat = occ.filter(occ.n >= 2)
    gaps = repeat.group_by(["key", "gap"]).aggregate(count=repeat.count()).execute()
    bought = occ.select("key", "customer_id").distinct().mutate(bought=ibis.literal(1, "int64"))
    members = _members(t["contacts"], _calendar(periods))
    flagged = members.left_join(bought, ["key", "customer_id"]).select(
        "key", "at_end", bought=ibis.coalesce(bought.bought, 0)
    )
    pool = (
        flagged.group_by("key")
        .aggregate(
            pool_size=flagged.at_end.sum(),
            pool_members=flagged.count(),
            pool_buyers=flagged.bought.sum(),
        )
        .execute()
    )
    counts = people.execute()
    return [_assemble(p, sales, counts, gaps, pool) for p in periods]


def _assemble(
    period: Period,
    sales: Frame,
    people: Frame,
    gaps: Frame,
    pool: Frame,
) -> OperatingFigures:
    k = period.key

    def value(frame: Frame, column: str) -> int:
        return _by_key(frame, column).get(k, 0)

    mine = gaps[gaps["key"] == k]
    return OperatingFigures(
        period=period,
        gmv_public_fen=value(sales, "gmv_public"),
        gmv_private_fen=value(sales, "gmv_private"),
        orders=value(sales, "orders"),
        buyers=value(people, "buyers"),
        new_buyers=value(people, "new_buyers"),
        repeat_buyers=value(people, "repeat_buyers"),
        median_cycle_days=weighted_median(mine["gap"], mine["count"]),
        pool_size=value(pool, "pool_size"),
        pool_members=value(pool, "pool_members"),
        pool_buyers=value(pool, "pool_buyers"),
    )


@dataclass(frozen=True, slots=True)
class PoolQuality:
    """The pool at a moment next to its quality: recent buyers and predicted value."""

    at: datetime
    size: int
    recent_buyers: int  # members who bought in the RECENT_DAYS days up to the moment
    recent_days: int
    valued: int  # members with a predicted CLV
    clv_fen: int  # their predicted 12-month CLV, summed

    @property
    def recent_share(self) -> float | None:
        """Share of the pool that bought in the recent days."""
        return self.recent_buyers / self.size if self.size else None

    @property
    def clv_per_member_fen(self) -> float | None:
        """Predicted CLV per pool member (a member the models do not value counts zero)."""
        return self.clv_fen / self.size if self.size else None


def pool_quality(
    t: dict[str, Table],
    at: datetime,
    *,
    clv: Table | None = None,
    recent_days: int = RECENT_DAYS,
    prepared: Purchases | None = None,
) -> PoolQuality:
    """Pool size at ``at``, its recent buyers and its predicted CLV (from ``clv``)."""
    pool = per_customer_pool(t["contacts"], at)
    members = pool.filter(pool.in_pool).select("customer_id")
    p = prepared_or_new(t["orders"], at, prepared).rows
    recent = p.filter(p.ordered_at > at - timedelta(days=recent_days))
    recent = recent.select("customer_id").distinct()
    size = int(members.count().execute())
    recent_buyers = int(members.join(recent, "customer_id").count().execute())
    valued, clv_fen = 0, 0
    if clv is not None:
        scored = members.join(clv.filter(clv.clv_fen.notnull()), "customer_id")
        totals = scored.aggregate(n=scored.count(), fen=scored.clv_fen.sum()).execute()
        valued = int(totals["n"].iloc[0])
        fen = totals["fen"].iloc[0]
        clv_fen = 0 if fen is None or fen != fen else int(fen)  # an empty sum is NULL
    return PoolQuality(at, size, recent_buyers, recent_days, valued, clv_fen)
