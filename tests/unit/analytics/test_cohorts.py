"""Cohorts and ladder migration of the small brand (see small_brand's docstring)."""

from __future__ import annotations

import numpy as np
from ibis.expr.types import Table

from siyu.analytics import ladder
from siyu.analytics.cohorts import ladder_migration, pool_cohorts, purchase_cohorts
from siyu.analytics.periods import period_of
from tests.fixtures.snapshot import cn

END_OF = {m: period_of("month", cn(f"2026-{m:02d}-01").date()).until for m in (1, 2, 3)}


def test_first_purchase_cohorts(brand: dict[str, Table]) -> None:
    m = purchase_cohorts(brand["orders"], END_OF[3])
    # Jan: C1, C2 (Jan 31 23:30 China); Feb: C3, C4; Mar: C6
    assert m.labels == ["2026-01", "2026-02", "2026-03"]
    assert m.sizes.tolist() == [2, 2, 1]
    assert m.customers.tolist() == [[2, 1, 1], [2, 1, 0], [1, 0, 0]]
    # Jan cohort: 10000 + 5000 + 30000 + 8000 in Jan, C2's 12000 in Feb, C1's 20000 in Mar
    assert m.revenue_fen.tolist() == [[53_000, 12_000, 20_000], [16_000, 5_000, 0], [2_000, 0, 0]]
    expected = [[1, 0.5, 0.5], [1, 0.5, np.nan], [1, np.nan, np.nan]]
    assert np.allclose(m.retention, expected, equal_nan=True)
    later = purchase_cohorts(brand["orders"], END_OF[3], first_cohort=cn("2026-02-14").date())
    assert later.labels == ["2026-02", "2026-03"] and later.customers.tolist() == [[2, 1], [1, 0]]


def test_pool_join_cohorts_count_purchases_from_the_join(brand: dict[str, Table]) -> None:
    m = pool_cohorts(brand["orders"], brand["contacts"], END_OF[3])
    # Jan: C1 (Jan 6), C2, C6; Feb: C3 (bought the day before joining), C5, C7; Mar: C4
    assert m.sizes.tolist() == [3, 3, 1]
    assert m.customers.tolist() == [[2, 1, 2], [0, 0, 0], [0, 0, 0]]
    assert m.revenue_fen[0].tolist() == [38_000, 12_000, 22_000]


def test_ladder_migration_february_to_march(brand: dict[str, Table]) -> None:
    m = ladder_migration(brand, END_OF[2], END_OF[3])
    # C4 repeat -> multi-repeat and C6 potential -> bought once move up, C7 potential leaves
    # the pool without buying: down. C1, C2, C3 stay; C5 stays outside.
    assert (m.moved_up, m.moved_down, m.stayed) == (2, 1, 3)
    assert m.matrix[ladder.REPEAT, ladder.MULTI_REPEAT] == 1
    assert m.matrix[ladder.POTENTIAL, ladder.BOUGHT_ONCE] == 1
    assert m.matrix[ladder.POTENTIAL, ladder.NONE] == 1
    assert m.matrix.sum() == 7
    # pool: C1 C2 C3 C6 C7 at the end of Feb; C1 C2 C4 at the end of March
    assert (m.pool_start, m.pool_end, m.left_pool, m.joined_pool) == (5, 3, 3, 1)


def test_ladder_migration_counts_orders_like_the_pipeline(brand: dict[str, Table]) -> None:
    m = ladder_migration(brand, END_OF[1], END_OF[3])
    # C1 already had three orders (two on Jan 5) at the end of January: multi-repeat
    assert m.matrix[ladder.MULTI_REPEAT, ladder.MULTI_REPEAT] == 1
    assert m.matrix[ladder.BOUGHT_ONCE, ladder.REPEAT] == 1  # C2
    assert m.matrix[ladder.NONE, ladder.MULTI_REPEAT] == 1  # C4
    assert (m.moved_up, m.moved_down, m.stayed) == (4, 0, 1)
    assert (m.pool_start, m.pool_end, m.left_pool, m.joined_pool) == (2, 3, 1, 2)


def test_members_sit_on_the_top_rung(brand: dict[str, Table]) -> None:
    m = ladder_migration(brand, END_OF[1], END_OF[3], members_start=[6], members_end=[2, 6])
    # C6 was a member throughout; C2 (bought once in January) became one
    assert m.matrix[ladder.MEMBER, ladder.MEMBER] == 1
    assert m.matrix[ladder.BOUGHT_ONCE, ladder.MEMBER] == 1
    assert (m.moved_up, m.moved_down, m.stayed) == (3, 0, 2)
