"""Calibration/holdout validation of a purchase model, as in the papers' tables.

Orders before the calibration end give each customer's (x, t_x, T); purchases in
[calibration end, holdout end) are counted per calibration customer (customers first seen in
the holdout are left out). The report compares the model's conditional expectations over the
holdout length with those counts, per customer and averaged by calibration frequency
("conditional expectations", FHL 2005 figure 4).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from siyu.analytics.clv.prep import (
    FloatArray,
    Histories,
    IntArray,
    histories_from_orders,
    purchases_between,
)
from siyu.analytics.clv.value import PurchaseModel

__all__ = ["HoldoutReport", "HoldoutSplit", "holdout_report", "split_orders"]


@dataclass(frozen=True, eq=False)
class HoldoutSplit:
    """Calibration histories and, per calibration customer, purchases in the holdout."""

    calibration: Histories
    holdout_purchases: IntArray
    holdout_length: float  # in model units


def split_orders(
    customer_index: ArrayLike,
    order_day: ArrayLike,
    calibration_end: float,
    holdout_end: float,
    *,
    period_days: float = 1.0,
    unit_days: float = 1.0,
) -> HoldoutSplit:
    """Split per-order arrays (float days) at ``calibration_end`` into calibration and holdout.

    ``calibration_end`` should be a multiple of ``period_days`` so that no period straddles it.
    """
    if holdout_end <= calibration_end:
        raise ValueError("holdout_end must come after calibration_end")
    calibration = histories_from_orders(
        customer_index, order_day, calibration_end, period_days=period_days, unit_days=unit_days
    )
    holdout = purchases_between(
        calibration.customer,
        customer_index,
        order_day,
        calibration_end,
        holdout_end,
        period_days=period_days,
    )
    return HoldoutSplit(calibration, holdout, (holdout_end - calibration_end) / unit_days)


@dataclass(frozen=True, eq=False)
class HoldoutReport:
    """Predicted vs actual holdout purchases, per customer and by calibration frequency."""

    predicted: FloatArray  # per customer
    actual: IntArray  # per customer
    frequency: IntArray  # table: calibration frequency (the last row is "this many or more")
    customers: IntArray  # table: customers in the row
    mean_predicted: FloatArray  # table: mean predicted holdout purchases
    mean_actual: FloatArray  # table: mean actual holdout purchases

    @property
    def total_predicted(self) -> float:
        """Predicted purchases of all customers in the holdout."""
        return float(self.predicted.sum())

    @property
    def total_actual(self) -> float:
        """Actual purchases of all customers in the holdout."""
        return float(self.actual.sum())

    @property
    def relative_error(self) -> float:
        """(predicted - actual) / actual over all customers."""
        return (self.total_predicted - self.total_actual) / max(self.total_actual, 1.0)


def holdout_report(
    model: PurchaseModel, split: HoldoutSplit, *, max_frequency: int = 7
) -> HoldoutReport:
    """Compare a fitted model's holdout predictions with the actual purchases."""
    cal = split.calibration
    predicted = model.conditional_expected_purchases(
        cal.frequency, cal.recency, cal.age, horizon=split.holdout_length
    )
    bucket = np.minimum(cal.frequency, max_frequency)
    customers = np.bincount(bucket, minlength=max_frequency + 1)
    seen = np.maximum(customers, 1)
    return HoldoutReport(
        predicted=predicted,
        actual=split.holdout_purchases,
        frequency=np.arange(max_frequency + 1, dtype=np.int64),
        customers=customers.astype(np.int64),
        mean_predicted=np.bincount(bucket, predicted, max_frequency + 1) / seen,
        mean_actual=np.bincount(bucket, split.holdout_purchases, max_frequency + 1) / seen,
    )
