"""A tiny brand whose co-purchase, repurchase and trial-to-main figures are worked by hand.

Products (id: role): 10 trial, 20 profit, 30 profit, 40 expansion. Histories (product@first
day, n_days), day = days since the epoch:

    c1: 10@1, 20@5          c4: 20@1 (twice, last day 6), 40@2
    c2: 10@1, 20@3, 40@3    c5: 10@1
    c3: 10@2, 30@4          c6: 30@1, 40@5
"""

from __future__ import annotations

import numpy as np
import pytest

from siyu.analytics.recommend import HistoryMatrix, PurchaseHistories, history_matrix

ROLES = {10: "trial", 20: "profit", 30: "profit", 40: "expansion"}
ROWS = [  # customer, product, first day, last day, n_days
    (1, 10, 1.2, 1.2, 1), (1, 20, 5.5, 5.5, 1),
    (2, 10, 1.0, 1.0, 1), (2, 20, 3.1, 3.1, 1), (2, 40, 3.1, 3.1, 1),
    (3, 10, 2.0, 2.0, 1), (3, 30, 4.0, 4.0, 1),
    (4, 20, 1.0, 6.0, 2), (4, 40, 2.0, 2.0, 1),
    (5, 10, 1.0, 1.0, 1),
    (6, 30, 1.0, 1.0, 1), (6, 40, 5.0, 5.0, 1),
]  # fmt: skip


def histories(rows: list[tuple[int, int, float, float, int]]) -> PurchaseHistories:
    c, p, first, last, days = (np.array(col) for col in zip(*rows, strict=True))
    return PurchaseHistories(
        customer_id=c.astype(np.int64), product_id=p.astype(np.int64),
        first_day=first.astype(np.float64), last_day=last.astype(np.float64),
        n_orders=days.astype(np.int64), n_days=days.astype(np.int64),
        quantity=days.astype(np.int64),
    )  # fmt: skip


@pytest.fixture
def tiny() -> HistoryMatrix:
    return history_matrix(histories(ROWS), ROLES)
