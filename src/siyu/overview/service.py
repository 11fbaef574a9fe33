"""The overview: pool size next to its quality, the ladder, stages, GMV public vs private."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from siyu.analytics import ladder, lifecycle
from siyu.analytics.settings import Locale
from siyu.kit.clock import CHINA_TZ, utcnow
from siyu.overview import repository
from siyu.overview.repository import Grain
from siyu.overview.schemas import (
    CountRead,
    OverviewRead,
    PoolSideRead,
    SalesRead,
    TrendPointRead,
    TrendRead,
)

LADDER_STEPS = ladder.TIERS[1:]  # "none" (outside the pool, never bought) is no rung
TREND_SPAN: dict[str, int] = {"day": 90, "month": 24, "year": 10}


def label_locale(locale: str) -> Locale:
    """The analytics label set for a console locale."""
    return "en" if locale == "en" else "zh-CN"


def _share(part: int | None, whole: int | None) -> float | None:
    return None if not whole else (part or 0) / whole


def _pool_side(found: dict[str, Any] | None) -> PoolSideRead:
    found = found or {}
    size = int(found.get("size") or 0)
    repeaters = int(found.get("repeaters") or 0)
    clv = found.get("mean_clv_fen")
    alive = found.get("mean_p_alive")
    return PoolSideRead(
        size=size,
        buyers=int(found.get("buyers") or 0),
        repeat_buyers=repeaters,
        repeat_share=_share(repeaters, size),
        mean_clv_fen=None if clv is None else round(float(clv)),
        mean_p_alive=None if alive is None else float(alive),
    )


def _sales(found: dict[str, int] | None) -> SalesRead:
    found = found or {}
    orders, paid = found.get("orders", 0), found.get("paid_fen", 0)
    return SalesRead(
        orders=orders,
        gmv_fen=paid,
        refunded_fen=found.get("refunded_fen", 0),
        buyers=found.get("buyers", 0),
        aov_fen=round(paid / orders) if orders else None,
    )


def _counts(
    found: dict[str, int], names: tuple[str, ...], labels: tuple[str, ...]
) -> list[CountRead]:
    return [
        CountRead(key=name, label=label, customers=found.get(name, 0))
        for name, label in zip(names, labels, strict=True)
    ]


def overview(
    session: Session, workspace_id: int, *, locale: str, window_days: int = 365
) -> OverviewRead:
    """Compute the overview figures of a workspace."""
    totals = repository.profile_totals(session, workspace_id)
    pool = repository.pool_split(session, workspace_id)
    tiers = repository.count_by(session, workspace_id, "tier")
    stages = repository.count_by(session, workspace_id, "stage")
    since = utcnow() - timedelta(days=window_days)
    sales = repository.sales_by_domain(session, workspace_id, since)
    public, private = sales.get("public") or {}, sales.get("private") or {}
    both = {k: public.get(k, 0) + private.get(k, 0) for k in ("orders", "paid_fen", "refunded_fen")}
    both["buyers"] = repository.buyers_since(session, workspace_id, since)
    clv_count = totals["clv_count"] or 0
    lang = label_locale(locale)
    return OverviewRead(
        as_of=totals["as_of"],
        computed_at=totals["computed_at"],
        customers=totals["customers"] or 0,
        buyers=int(totals["buyers"] or 0),
        repeat_buyers=int(totals["repeaters"] or 0),
        repurchase_rate=_share(totals["repeaters"], totals["buyers"]),
        mean_cycle_days=None
        if totals["mean_cycle_days"] is None
        else float(totals["mean_cycle_days"]),
        clv_total_fen=int(totals["clv_sum_fen"]) if clv_count else None,
        clv_mean_fen=round(int(totals["clv_sum_fen"]) / clv_count) if clv_count else None,
        pool=_pool_side(pool.get(True)),
        outside_pool=_pool_side(pool.get(False)),
        ladder=_counts(tiers, LADDER_STEPS, ladder.TIER_LABELS[lang][1:]),
        stages=_counts(stages, lifecycle.STAGES, lifecycle.STAGE_LABELS[lang]),
        window_days=window_days,
        public=_sales(public),
        private=_sales(private),
        total=_sales(both),
    )


def _periods(grain: Grain, today: date) -> list[str]:
    span = TREND_SPAN[grain]
    if grain == "day":
        return [(today - timedelta(days=span - 1 - i)).isoformat() for i in range(span)]
    if grain == "month":
        months = [(today.year * 12 + today.month - 1) - (span - 1 - i) for i in range(span)]
        return [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in months]
    return [f"{today.year - (span - 1 - i):04d}" for i in range(span)]


def _period_start(period: str) -> datetime:
    parts = [int(p) for p in period.split("-")] + [1, 1]
    return datetime(parts[0], parts[1], parts[2], tzinfo=CHINA_TZ)


def trend(session: Session, workspace_id: int, grain: Grain) -> TrendRead:
    """Sales per day (90 days), month (24 months) or year (10 years), every period present."""
    periods = _periods(grain, utcnow().astimezone(CHINA_TZ).date())
    found: dict[str, TrendPointRead] = {
        p: TrendPointRead(period=p, public_fen=0, private_fen=0, orders=0, buyers=0)
        for p in periods
    }
    since = _period_start(periods[0])
    for period, domain, orders, paid in repository.sales_by_period(
        session, workspace_id, grain, since
    ):
        point = found.get(period)
        if point is None:
            continue
        if domain == "private":
            point.private_fen += paid
        else:
            point.public_fen += paid
        point.orders += orders
    for period, buyers in repository.buyers_by_period(session, workspace_id, grain, since).items():
        if period in found:
            found[period].buyers = buyers
    return TrendRead(grain=grain, points=list(found.values()))
