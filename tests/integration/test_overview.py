"""Figures from SQL on both backends: China-time periods, domains, profile counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from siyu.kit.clock import utcnow
from siyu.models import Customer, CustomerProfile, Order, Shop
from siyu.overview import repository, service


def _shop(session: Session, ws: int, code: str, domain: str) -> Shop:
    shop = Shop(workspace_id=ws, code=code, name=code, platform="tmall", domain=domain)
    session.add(shop)
    session.flush()
    return shop


def _order(session: Session, ws: int, shop: Shop, at: datetime, paid: int, customer: int,
           status: str = "completed") -> None:  # fmt: skip
    session.add(
        Order(workspace_id=ws, shop_id=shop.id, customer_id=customer, platform_order_id=f"o{at}",
              status=status, ordered_at=at, paid_fen=paid, fingerprint="x")
    )  # fmt: skip


def _customers(session: Session, ws: int, n: int) -> list[int]:
    rows = [Customer(workspace_id=ws) for _ in range(n)]
    session.add_all(rows)
    session.flush()
    return [c.id for c in rows]


def test_periods_are_china_days(session: Session, workspace_id: int) -> None:
    public = _shop(session, workspace_id, "tm", "public")
    private = _shop(session, workspace_id, "mp", "private")
    a, b = _customers(session, workspace_id, 2)
    # 15:59 UTC is 23:59 in China; 16:00 UTC is the next China day.
    _order(session, workspace_id, public, datetime(2026, 2, 28, 15, 59, tzinfo=UTC), 100, a)
    _order(session, workspace_id, private, datetime(2026, 2, 28, 16, 0, tzinfo=UTC), 200, b)
    _order(session, workspace_id, private, datetime(2026, 3, 1, 3, 0, tzinfo=UTC), 300, b)
    _order(session, workspace_id, public, datetime(2026, 3, 2, tzinfo=UTC), 999, a, "closed")
    session.flush()
    since = datetime(2026, 1, 1, tzinfo=UTC)
    days = repository.sales_by_period(session, workspace_id, "day", since)
    assert days == [("2026-02-28", "public", 1, 100), ("2026-03-01", "private", 2, 500)]
    months = repository.sales_by_period(session, workspace_id, "month", since)
    assert [(m[0], m[1]) for m in months] == [("2026-02", "public"), ("2026-03", "private")]
    assert repository.buyers_by_period(session, workspace_id, "year", since) == {"2026": 2}
    sales = repository.sales_by_domain(session, workspace_id, since)
    assert sales["private"] == {"orders": 2, "paid_fen": 500, "refunded_fen": 0, "buyers": 1}
    assert repository.buyers_since(session, workspace_id, since) == 2


def test_trend_has_every_period_and_splits_domains(session: Session, workspace_id: int) -> None:
    public = _shop(session, workspace_id, "jd", "public")
    private = _shop(session, workspace_id, "wx", "private")
    (c,) = _customers(session, workspace_id, 1)
    now = utcnow()
    _order(session, workspace_id, public, now - timedelta(days=2), 1000, c)
    _order(session, workspace_id, private, now - timedelta(days=2), 500, c)
    session.flush()
    days = service.trend(session, workspace_id, "day")
    assert len(days.points) == 90
    assert sum(p.public_fen for p in days.points) == 1000
    assert sum(p.private_fen for p in days.points) == 500
    busy = [p for p in days.points if p.orders]
    assert len(busy) == 1 and busy[0].orders == 2 and busy[0].buyers == 1
    assert len(service.trend(session, workspace_id, "month").points) == 24


def test_overview_from_profiles(session: Session, workspace_id: int) -> None:
    ids = _customers(session, workspace_id, 4)
    today = date(2026, 3, 1)
    rows = [  # tier, stage, purchases, in pool, clv
        ("potential", "none", 0, True, None),
        ("bought_once", "active", 1, False, 1000),
        ("repeat", "silent", 2, True, 5000),
        ("multi_repeat", "active", 5, True, 9000),
    ]
    for cid, (tier, stage, n, pool, clv) in zip(ids, rows, strict=True):
        session.add(CustomerProfile(
            workspace_id=workspace_id, customer_id=cid, as_of=today, tier=tier, stage=stage,
            cycle_days=30.0 if n > 1 else None, days_since_purchase=10.0, rfm_r=1, rfm_f=1,
            rfm_m=1, rfm_segment="x", n_purchases=n, net_paid_fen=n * 100, p_alive=0.5,
            clv_fen=clv, in_pool=pool, computed_at=utcnow(),
        ))  # fmt: skip
    session.flush()
    figures = service.overview(session, workspace_id, locale="en")
    assert figures.as_of == today and figures.customers == 4
    assert (figures.buyers, figures.repeat_buyers, figures.repurchase_rate) == (3, 2, 2 / 3)
    assert figures.pool.size == 3 and figures.pool.repeat_buyers == 2
    assert figures.pool.repeat_share == 2 / 3 and figures.outside_pool.repeat_share == 0
    assert figures.clv_total_fen == 15000 and figures.clv_mean_fen == 5000
    assert [r.customers for r in figures.ladder] == [1, 1, 1, 1, 0]
    assert figures.ladder[0].label == "Potential"
    zh = service.overview(session, workspace_id, locale="zh-CN")
    assert zh.stages[1].label == "活跃" and zh.stages[1].customers == 2
