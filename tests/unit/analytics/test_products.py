"""Product roles of the small brand (by hand).

Lines by occasion: C1 101 trial + 102 traffic (1st), 201 profit (2nd, 3rd); C2 101 (1st),
201 (2nd); C3 102 (1st; the refunded 101 does not count); C4 101 (1st), 102 (2nd),
101 (3rd); C6 102 (1st).
"""

from __future__ import annotations

from datetime import date

from ibis.expr.types import Table

from siyu.analytics.periods import day_start, period_of
from siyu.analytics.products import ProductFigures, product_roles

END_OF_MARCH = period_of("month", date(2026, 3, 1)).until


def _fields(f: ProductFigures) -> tuple[int, ...]:
    return (f.buyers, f.revenue_fen, f.first_buyers, f.returned, f.later_main,
            f.repeat_buyers, f.repeat_revenue_fen, f.rebought)  # fmt: skip


def test_product_roles_by_hand(brand: dict[str, Table]) -> None:
    roles = product_roles(brand["orders"], brand["order_lines"], END_OF_MARCH)
    assert (roles.first_purchasers, roles.returned, roles.later_main) == (5, 3, 2)
    trial, traffic, profit = roles.products
    assert (trial.key, trial.role) == (101, "trial")
    # C1, C2, C4 started with it; all came back; C1 and C2 went on to the profit product
    assert _fields(trial) == (3, 27_000, 3, 3, 2, 1, 5_000, 1)
    assert (trial.return_rate, trial.to_main_rate) == (1.0, 2 / 3)
    assert roles.first_share(trial) == 3 / 5
    # C1, C3, C6 started with it, only C1 came back; C4 bought it on a later occasion
    assert _fields(traffic) == (4, 20_000, 3, 1, 1, 1, 7_000, 0)
    # nobody started with it; C1 bought it on two occasions
    assert _fields(profit) == (2, 62_000, 0, 0, 0, 2, 62_000, 1)
    assert profit.repurchase_rate == 0.5 and profit.return_rate is None
    by_role = {f.key: _fields(f) for f in roles.roles}
    assert by_role == {"trial": _fields(trial), "traffic": _fields(traffic),
                       "profit": _fields(profit)}  # fmt: skip


def test_a_later_cohort(brand: dict[str, Table]) -> None:
    february = day_start(date(2026, 2, 1))
    roles = product_roles(
        brand["orders"], brand["order_lines"], END_OF_MARCH, acquired_from=february
    )
    # C2's first purchase was on January 31 (China time): not in the February cohort
    assert (roles.first_purchasers, roles.returned, roles.later_main) == (3, 1, 0)
    trial, traffic = roles.products
    assert _fields(trial) == (1, 9_000, 1, 1, 0, 1, 5_000, 1)
    assert (traffic.buyers, traffic.first_buyers, traffic.returned, traffic.repeat_buyers) == (
        3, 2, 0, 1,
    )  # fmt: skip
