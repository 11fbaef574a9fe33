"""Repurchase figures of the small brand (tests/fixtures/snapshot.small_brand).

Occasions: C1 Jan 5, Jan 25 (+20 days), Mar 1 (+35); C2 Jan 31, Feb 1 (+1);
C3 Feb 10; C4 Feb 15, Feb 28 (+13), Mar 10 (+10); C6 Mar 31.
"""

from __future__ import annotations

import pytest
from ibis.expr.types import Table

from siyu.analytics.periods import period_of
from siyu.analytics.repurchase import occasions, repurchase_figures, weighted_median
from tests.fixtures.snapshot import cn

END_OF_MARCH = period_of("month", cn("2026-03-01").date()).until


def test_weighted_median() -> None:
    assert weighted_median([1, 3], [1, 1]) == 2.0
    assert weighted_median([5, 1, 3], [1, 2, 0]) == 1.0
    assert weighted_median([10, 20], [2, 2]) == 15.0
    assert weighted_median([], []) is None


def test_occasions_are_china_days(brand: dict[str, Table]) -> None:
    occ = occasions(brand["orders"], END_OF_MARCH).order_by(["customer_id", "cday"]).execute()
    c1 = occ[occ.customer_id == 1]
    assert c1["orders"].tolist() == [2, 1, 1] and c1["net_fen"].tolist() == [15_000, 30_000, 20_000]
    c2 = occ[occ.customer_id == 2]
    assert c2["n"].tolist() == [1, 2] and c2["gap"].tolist()[1] == 1
    assert sorted(occ.customer_id.unique().tolist()) == [1, 2, 3, 4, 6]


def test_repurchase_figures_by_hand(brand: dict[str, Table]) -> None:
    r = repurchase_figures(brand["orders"], END_OF_MARCH)
    assert (r.buyers, r.repeat_buyers, r.rate) == (5, 3, 0.6)
    assert r.funnel == (5, 3, 2, 0, 0)
    assert r.step_conversion == (0.6, pytest.approx(2 / 3), 0.0, None)
    # all gaps 1, 10, 13, 20, 35
    assert (r.median_cycle_days, r.mean_cycle_days) == (13.0, 15.8)
    first, second, third, _ = r.gaps
    assert (first.count, first.median_days, first.mean_days) == (3, 13.0, pytest.approx(34 / 3))
    assert (second.count, second.median_days, second.mean_days) == (2, 22.5, 22.5)
    assert (third.count, third.median_days, third.mean_days) == (0, None, None)


def test_an_earlier_moment_sees_less(brand: dict[str, Table]) -> None:
    r = repurchase_figures(brand["orders"], period_of("month", cn("2026-01-01").date()).until)
    # January: C1 (Jan 5, Jan 25) and C2 (Jan 31, China time)
    assert (r.buyers, r.repeat_buyers, r.median_cycle_days) == (2, 1, 20.0)
