"""All queries behind the figures: published profiles and orders by domain and period."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Integer, case, func, literal_column, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from siyu.models import CustomerProfile, Order, Shop
from siyu.models.enums import OrderStatus

Grain = Literal["day", "month", "year"]
# Orders that count as sales: paid, shipped or completed (not awaiting payment, not closed).
SOLD = (OrderStatus.PAID.value, OrderStatus.SHIPPED.value, OrderStatus.COMPLETED.value)
_CHARS = {"day": 10, "month": 7, "year": 4}
_PG_FORMAT = {"day": "YYYY-MM-DD", "month": "YYYY-MM", "year": "YYYY"}


def _repeat() -> ColumnElement[int]:
    return func.sum(case((CustomerProfile.n_purchases >= 2, 1), else_=0))


def _buyer() -> ColumnElement[int]:
    return func.sum(case((CustomerProfile.n_purchases >= 1, 1), else_=0))


def profile_totals(session: Session, workspace_id: int) -> dict[str, Any]:
    """Customers, buyers, repeaters, mean own cycle, CLV sum and count, publication date."""
    p = CustomerProfile
    row = session.execute(
        select(
            func.count(),
            _buyer(),
            _repeat(),
            func.avg(p.cycle_days),
            func.sum(p.clv_fen),
            func.count(p.clv_fen),
            func.max(p.as_of),
            func.max(p.computed_at),
        ).where(p.workspace_id == workspace_id)
    ).one()
    keys = ("customers", "buyers", "repeaters", "mean_cycle_days", "clv_sum_fen", "clv_count",
            "as_of", "computed_at")  # fmt: skip
    return dict(zip(keys, row, strict=True))


def pool_split(session: Session, workspace_id: int) -> dict[bool, dict[str, Any]]:
    """Per side of the pool (in / out): size, buyers, repeaters, mean CLV and P(alive)."""
    p = CustomerProfile
    rows = session.execute(
        select(
            p.in_pool, func.count(), _buyer(), _repeat(), func.avg(p.clv_fen), func.avg(p.p_alive)
        )
        .where(p.workspace_id == workspace_id)
        .group_by(p.in_pool)
    )
    keys = ("size", "buyers", "repeaters", "mean_clv_fen", "mean_p_alive")
    return {bool(r[0]): dict(zip(keys, r[1:], strict=True)) for r in rows}


def count_by(
    session: Session, workspace_id: int, column: Literal["tier", "stage"]
) -> dict[str, int]:
    """Customers per ladder tier or lifecycle stage."""
    p = CustomerProfile
    col = p.tier if column == "tier" else p.stage
    rows = session.execute(
        select(col, func.count()).where(p.workspace_id == workspace_id).group_by(col)
    )
    return {r[0]: r[1] for r in rows}


def sales_by_domain(
    session: Session, workspace_id: int, since: datetime
) -> dict[str, dict[str, int]]:
    """Per domain (public / private) since a moment: orders, paid, refunded, distinct buyers."""
    rows = session.execute(
        select(
            Shop.domain,
            func.count(),
            func.coalesce(func.sum(Order.paid_fen), 0),
            func.coalesce(func.sum(Order.refunded_fen), 0),
            func.count(func.distinct(Order.customer_id)),
        )
        .join(Shop, Shop.id == Order.shop_id)
        .where(*_sold_since(workspace_id, since))
        .group_by(Shop.domain)
    )
    keys = ("orders", "paid_fen", "refunded_fen", "buyers")
    return {r[0]: dict(zip(keys, (int(v) for v in r[1:]), strict=True)) for r in rows}


def _period(session: Session, grain: Grain) -> ColumnElement[str]:
    """The China-time day, month or year of an order as text (per dialect)."""
    if session.get_bind().dialect.name == "sqlite":
        # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' UTC (migration 0004); China is UTC+8.
        shifted = func.datetime(Order.ordered_at, literal_column("'+8 hours'"))
        return func.substr(shifted, 1, literal_column(str(_CHARS[grain]), Integer))
    local = func.timezone("Asia/Shanghai", Order.ordered_at)
    return func.to_char(local, _PG_FORMAT[grain])


def _sold_since(workspace_id: int, since: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        Order.workspace_id == workspace_id,
        Order.ordered_at >= since,
        Order.status.in_(SOLD),
    )


def sales_by_period(
    session: Session, workspace_id: int, grain: Grain, since: datetime
) -> list[tuple[str, str, int, int]]:
    """(period, domain, orders, paid fen) since a moment, in period order."""
    period = _period(session, grain).label("period")
    rows = session.execute(
        select(period, Shop.domain, func.count(), func.coalesce(func.sum(Order.paid_fen), 0))
        .join(Shop, Shop.id == Order.shop_id)
        .where(*_sold_since(workspace_id, since))
        .group_by(period, Shop.domain)
        .order_by(period)
    )
    return [(r[0], r[1], int(r[2]), int(r[3])) for r in rows]


def buyers_by_period(
    session: Session, workspace_id: int, grain: Grain, since: datetime
) -> dict[str, int]:
    """Distinct buyers per period since a moment."""
    period = _period(session, grain).label("period")
    rows = session.execute(
        select(period, func.count(func.distinct(Order.customer_id)))
        .where(*_sold_since(workspace_id, since))
        .group_by(period)
    )
    return {r[0]: int(r[1]) for r in rows}


def buyers_since(session: Session, workspace_id: int, since: datetime) -> int:
    """Distinct buyers since a moment (both domains)."""
    return int(
        session.scalar(
            select(func.count(func.distinct(Order.customer_id))).where(
                *_sold_since(workspace_id, since)
            )
        )
        or 0
    )


def newest_order_at(session: Session, workspace_id: int) -> datetime | None:
    """When the newest order was placed."""
    return session.scalar(
        select(func.max(Order.ordered_at)).where(Order.workspace_id == workspace_id)
    )
