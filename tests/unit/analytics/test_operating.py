"""Operating figures of the small brand by China month, day and year (by hand)."""

from __future__ import annotations

from datetime import date

import ibis
import pytest
from ibis.expr.types import Table

from siyu.analytics.operating import operating_series, pool_quality
from siyu.analytics.periods import period_of, periods_ending


def test_monthly_figures(brand: dict[str, Table]) -> None:
    months = periods_ending(period_of("month", date(2026, 3, 1)), 3)
    jan, feb, mar = operating_series(brand, months)
    # Jan: orders 1, 2 (C1, one day), 3, 5 (C2 at 23:30 China)
    assert (jan.gmv_public_fen, jan.gmv_private_fen, jan.orders) == (18_000, 35_000, 4)
    assert (jan.aov_fen, jan.private_share) == (13_250, pytest.approx(35 / 53))
    assert (jan.buyers, jan.new_buyers, jan.repeat_buyers, jan.median_cycle_days) == (2, 2, 1, 20)
    # pool: C2 and C6 at the end; C1 (Jan 6-8), C2, C6 during; C1 and C2 bought
    assert (jan.pool_size, jan.pool_members, jan.pool_buyers) == (2, 3, 2)
    assert jan.conversion == pytest.approx(2 / 3)
    # Feb: order 6 (00:30 China on Feb 1), 7, 10 (less 1000 refunded), 11; closed 8 excluded
    assert (feb.gmv_public_fen, feb.gmv_private_fen, feb.orders) == (9_000, 19_000, 4)
    assert (feb.buyers, feb.new_buyers, feb.repeat_buyers) == (3, 2, 2)
    assert feb.median_cycle_days == 7.0  # gaps 1 (C2) and 13 (C4)
    assert (feb.pool_size, feb.pool_members, feb.pool_buyers) == (5, 6, 2)
    # Mar: orders 4, 12, 13 (23:59 on the 31st); 9 refunded in full, 14 a guest
    assert (mar.gmv_public_fen, mar.gmv_private_fen, mar.orders) == (20_000, 7_000, 3)
    assert (mar.buyers, mar.new_buyers, mar.repeat_buyers) == (3, 1, 2)
    assert (mar.repurchase_rate, mar.median_cycle_days) == (pytest.approx(2 / 3), 22.5)
    assert (mar.pool_size, mar.pool_members, mar.pool_buyers, mar.conversion) == (3, 6, 3, 0.5)


def test_daily_figures_split_at_china_midnight(brand: dict[str, Table]) -> None:
    days = [period_of("day", date(2026, 1, 31)), period_of("day", date(2026, 2, 1))]
    last_jan, first_feb = operating_series(brand, days)
    assert (last_jan.gmv_public_fen, last_jan.gmv_private_fen, last_jan.new_buyers) == (8_000, 0, 1)
    assert (first_feb.gmv_private_fen, first_feb.repeat_buyers) == (12_000, 1)
    assert first_feb.median_cycle_days == 1.0


def test_yearly_and_empty_periods(brand: dict[str, Table]) -> None:
    y2025, y2026 = operating_series(brand, periods_ending(period_of("year", date(2026, 1, 1)), 2))
    assert (y2025.gmv_fen, y2025.buyers, y2025.aov_fen, y2025.conversion) == (0, 0, None, None)
    assert (y2026.gmv_fen, y2026.orders, y2026.buyers, y2026.repeat_buyers) == (108_000, 11, 5, 3)
    # pool at the end of 2026: C1, C2, C4; every customer was a member at some moment
    assert (y2026.pool_size, y2026.pool_members) == (3, 7)
    assert operating_series(brand, []) == []


def test_pool_quality(brand: dict[str, Table]) -> None:
    end = period_of("month", date(2026, 3, 1)).until
    clv = ibis.memtable(
        {"customer_id": [1, 2, 3, 4], "clv_fen": [5_000, None, 7_000, 1_000]},
        schema={"customer_id": "int64", "clv_fen": "int64"},
    )
    q = pool_quality(brand, end, clv=clv)
    # C1, C2, C4 in the pool, all bought since January; C3 (7000) has left
    assert (q.size, q.recent_buyers, q.recent_share) == (3, 3, 1.0)
    assert (q.valued, q.clv_fen, q.clv_per_member_fen) == (2, 6_000, 2_000)
    month = pool_quality(brand, end, recent_days=30)
    # 30 days back from March 31: C1 bought on March 1 at noon, too early; C4 on March 10
    assert (month.recent_buyers, month.clv_fen) == (1, 0)


def test_pool_quality_when_no_member_is_valued(brand: dict[str, Table]) -> None:
    clv = ibis.memtable({"customer_id": [1, 2]}).mutate(clv_fen=ibis.null("int64"))
    q = pool_quality(brand, period_of("month", date(2026, 3, 1)).until, clv=clv)
    assert (q.size, q.valued, q.clv_fen) == (3, 0, 0)
