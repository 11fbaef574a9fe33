"""Economics of each diversion channel: who it brings, what they cost, what they are worth.

A channel's joiners are the customers whose first contact with the pool (their entry, as
the daily pipeline's ``entry_channel_id``) came through it, in the window. CAC is the
channel's spend on the window's China days divided by its joiners. Time windows after a
join (bought within 30/90 days, left within 7/30 days, payback months of 30 days) count
only joiners old enough to have lived through the window ("matured"). LTV per joiner is
the gross margin of what joiners paid since joining plus their predicted 12-month CLV
(from the CLV models; a joiner the models do not value counts zero). See
``docs/business-figures.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

import ibis
import numpy as np
from ibis.expr.types import BooleanValue, IntegerValue, Table

from siyu.analytics._frames import Frame
from siyu.analytics.cohorts import first_joins
from siyu.analytics.periods import SECONDS_PER_DAY, china_date
from siyu.analytics.repurchase import Purchases, prepared_or_new

BUY_WINDOWS: Final = (30, 90)
LOSS_WINDOWS: Final = (7, 30)
PAYBACK_MONTH_DAYS: Final = 30
MAX_PAYBACK_MONTHS: Final = 36
REMOVED_BY_STAFF: Final = "removed_by_staff"
"""The one way of leaving that is not the customer's choice; every other leave counts."""


@dataclass(frozen=True, slots=True)
class WindowShare:
    """How many of the joiners old enough for a window did something within it."""

    days: int
    matured: int
    hits: int

    @property
    def share(self) -> float | None:
        """hits / matured, None when no joiner is old enough."""
        return self.hits / self.matured if self.matured else None


@dataclass(frozen=True, slots=True)
class ChannelFigures:
    """One channel's joiners, cost and value (``channel_id`` None: no channel recorded)."""

    channel_id: int | None
    joiners: int
    cost_fen: int
    bought_within: tuple[WindowShare, ...]  # BUY_WINDOWS
    lost_within: tuple[WindowShare, ...]  # LOSS_WINDOWS
    buyers: int  # joiners with a purchase up to the moment, before or after joining
    repeat_buyers: int  # joiners with two purchase occasions or more
    revenue_after_join_fen: int
    predicted_clv_fen: int  # sum over joiners
    margin: float
    payback_months: int | None

    @property
    def cac_fen(self) -> float | None:
        """Cost per joiner (None without joiners)."""
        return self.cost_fen / self.joiners if self.joiners else None

    @property
    def repurchase_rate(self) -> float | None:
        """Share of the joiners who bought that bought on two occasions or more."""
        return self.repeat_buyers / self.buyers if self.buyers else None

    @property
    def ltv_fen(self) -> float | None:
        """Margin since joining plus predicted 12-month CLV, per joiner."""
        if not self.joiners:
            return None
        return (self.margin * self.revenue_after_join_fen + self.predicted_clv_fen) / self.joiners

    @property
    def ltv_cac(self) -> float | None:
        """LTV / CAC (None when the channel cost nothing or has no joiners)."""
        cac, ltv = self.cac_fen, self.ltv_fen
        return ltv / cac if cac and ltv is not None else None


def _seconds(days: int) -> int:
    return days * SECONDS_PER_DAY


def _flag(condition: BooleanValue) -> IntegerValue:
    out: IntegerValue = condition.cast("int64")
    return out


def joiner_rows(
    t: dict[str, Table],
    until: datetime,
    joined_from: datetime | None,
    prepared: Purchases | None = None,
) -> Table:
    """One row per joiner in the window: channel, join and leave, purchases after joining."""
    entry = first_joins(t["contacts"], until)
    if joined_from is not None:
        entry = entry.filter(entry.joined_at >= joined_from)
    entry = entry.mutate(
        joined_s=entry.joined_at.epoch_seconds(), left_s=entry.left_at.epoch_seconds()
    )
    p = prepared_or_new(t["orders"], until, prepared).rows
    occasions = p.group_by("customer_id").aggregate(occasions=p.cday.nunique())
    after = p.join(entry.select("customer_id", "joined_at"), "customer_id")
    after = after.filter(after.ordered_at >= after.joined_at)
    after = after.group_by("customer_id").aggregate(
        revenue_after=after.net_fen.sum(), first_after_s=after.ordered_at.epoch_seconds().min()
    )
    rows = entry
    for part in (occasions, after):
        rows = _left(rows, part)
    return rows


def _left(rows: Table, part: Table) -> Table:
    renamed = part.rename(right_id="customer_id")
    return rows.left_join(renamed, rows.customer_id == renamed.right_id).drop("right_id")


def with_clv(rows: Table, clv: Table | None) -> Table:
    """Joiner rows with each joiner's predicted CLV (NULL when unknown)."""
    if clv is None:
        return rows.mutate(clv_fen=ibis.literal(None, "int64"))
    return _left(rows, clv.select("customer_id", "clv_fen"))


def _aggregates(rows: Table, until: datetime) -> dict[str, IntegerValue]:
    until_s = int(until.timestamp())
    delay = rows.first_after_s - rows.joined_s
    left_early = rows.left_s - rows.joined_s
    by_customer = rows.left_reason.isnull() | (rows.left_reason != REMOVED_BY_STAFF)
    out: dict[str, IntegerValue] = {
        "joiners": rows.count(),
        "buyers": _flag(rows.occasions.fill_null(0) >= 1).sum(),
        "repeat_buyers": _flag(rows.occasions.fill_null(0) >= 2).sum(),
        "revenue_after": rows.revenue_after.fill_null(0).sum(),
        "clv": rows.clv_fen.fill_null(0).sum(),
    }
    for days in (*BUY_WINDOWS, *LOSS_WINDOWS):
        out[f"matured_{days}"] = _flag(rows.joined_s <= until_s - _seconds(days)).sum()
    for days in BUY_WINDOWS:
        hit = (rows.joined_s <= until_s - _seconds(days)) & (delay <= _seconds(days))
        out[f"bought_{days}"] = _flag(hit.fill_null(False)).sum()
    for days in LOSS_WINDOWS:
        hit = (rows.joined_s <= until_s - _seconds(days)) & by_customer
        hit = hit & (left_early <= _seconds(days))
        out[f"lost_{days}"] = _flag(hit.fill_null(False)).sum()
    return out


def _payback_cells(p: Table, rows: Table, until: datetime) -> Table:
    """Revenue after joining by channel, joiner age in 30-day months, and month after join."""
    month = _seconds(PAYBACK_MONTH_DAYS)
    until_s = int(until.timestamp())
    ages = rows.mutate(age=ibis.least((until_s - rows.joined_s) // month, MAX_PAYBACK_MONTHS))
    bought = p.join(ages.select("customer_id", "channel_id", "joined_s", "age"), "customer_id")
    bought = bought.mutate(since=(bought.ordered_at.epoch_seconds() - bought.joined_s) // month)
    bought = bought.filter(bought.since >= 0, bought.since < MAX_PAYBACK_MONTHS)
    return bought.group_by(["channel_id", "age", "since"]).aggregate(net_fen=bought.net_fen.sum())


def _joiner_ages(rows: Table, until: datetime) -> Table:
    month = _seconds(PAYBACK_MONTH_DAYS)
    until_s = int(until.timestamp())
    aged = rows.mutate(age=ibis.least((until_s - rows.joined_s) // month, MAX_PAYBACK_MONTHS))
    return aged.group_by(["channel_id", "age"]).aggregate(joiners=aged.count())


def payback_months(cac_fen: float, margin: float, ages: Frame, cells: Frame) -> int | None:
    """First m such that joiners at least m months old earned CAC in margin within m months.

    ``ages``: joiners by age (whole 30-day months since joining, capped); ``cells``: net
    revenue by joiner age and month since joining. None if not reached in the history.
    """
    size = MAX_PAYBACK_MONTHS + 1
    joiners = np.zeros(size, dtype=np.int64)
    joiners[ages["age"].to_numpy(np.int64)] = ages["joiners"].to_numpy(np.int64)
    revenue = np.zeros((size, size), dtype=np.float64)
    np.add.at(
        revenue,
        (cells["age"].to_numpy(np.int64), cells["since"].to_numpy(np.int64)),
        cells["net_fen"].to_numpy(np.float64),
    )
    for m in range(1, size):
        old_enough = joiners[m:].sum()
        if old_enough == 0:
            return None
        if margin * revenue[m:, :m].sum() / old_enough >= cac_fen:
            return m
    return None


def _key(value: object) -> int | None:
    return None if value is None or value != value else int(value)  # type: ignore[call-overload]


def channel_economics(
    t: dict[str, Table],
    until: datetime,
    *,
    joined_from: datetime | None = None,
    clv: Table | None = None,
    margin: float = 0.0,
    prepared: Purchases | None = None,
) -> list[ChannelFigures]:
    """Figures of every channel with joiners or spend in the window, by channel id.

    ``clv``: per-customer predicted CLV (customer_id, clv_fen) from the published profiles;
    ``margin``: the gross margin ratio that turns revenue into margin.
    """
    bought = prepared_or_new(t["orders"], until, prepared)
    # The CLV memtable joins after the cache: Ibis's PySpark backend does not register
    # memtables for cache().
    with joiner_rows(t, until, joined_from, bought).cache() as rows:
        valued = with_clv(rows, clv)
        totals = valued.group_by("channel_id").aggregate(**_aggregates(valued, until)).execute()
        ages = _joiner_ages(rows, until).execute()
        cells = _payback_cells(bought.rows, rows, until).execute()
    costs = t["channel_costs"]
    costs = costs.filter(costs.day <= china_date(until))
    if joined_from is not None:
        costs = costs.filter(costs.day >= china_date(joined_from))
    spend = costs.group_by("channel_id").aggregate(cost=costs.amount_fen.sum()).execute()
    cost_of = {_key(c): int(v) for c, v in zip(spend["channel_id"], spend["cost"], strict=True)}
    rows_of = zip(totals["channel_id"], totals.itertuples(), strict=True)
    by_channel = {_key(c): r for c, r in rows_of}
    figures = []
    for channel in sorted(by_channel.keys() | cost_of.keys(), key=lambda c: (c is None, c or 0)):
        figures.append(
            _figures(channel, by_channel.get(channel), cost_of.get(channel, 0), margin,
                     _of(ages, channel), _of(cells, channel))
        )  # fmt: skip
    return figures


def _of(frame: Frame, channel: int | None) -> Frame:
    ids = frame["channel_id"]
    return frame[ids.isna()] if channel is None else frame[ids == channel]


def _figures(
    channel: int | None,
    row: object,
    cost: int,
    margin: float,
    ages: Frame,
    cells: Frame,
) -> ChannelFigures:
    def get(name: str) -> int:
        return 0 if row is None else int(getattr(row, name))

    joiners = get("joiners")
    payback = payback_months(cost / joiners, margin, ages, cells) if joiners and cost else None
    return ChannelFigures(
        channel_id=channel,
        joiners=joiners,
        cost_fen=cost,
        bought_within=tuple(
            WindowShare(d, get(f"matured_{d}"), get(f"bought_{d}")) for d in BUY_WINDOWS
        ),
        lost_within=tuple(
            WindowShare(d, get(f"matured_{d}"), get(f"lost_{d}")) for d in LOSS_WINDOWS
        ),
        buyers=get("buyers"),
        repeat_buyers=get("repeat_buyers"),
        revenue_after_join_fen=get("revenue_after"),
        predicted_clv_fen=get("clv"),
        margin=margin,
        payback_months=payback,
    )
