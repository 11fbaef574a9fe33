"""Per-customer value: P(alive), expected purchases, next purchase, spend and discounted CLV.

Definitions (all times in the purchase model's unit, counted from the end of observation):

* ``expected_purchases``: expected purchases in (T, T + periods * period_length].
* ``next_purchase_in``: the median wait until the next purchase *for a customer who stays
  alive*. Under both BG/NBD and Pareto/NBD a customer alive at T buys next after an
  exponential wait whose rate has posterior Gamma(r + x, alpha + T), so the wait is
  Lomax-distributed and its median is ``(alpha + T) * (2**(1/(r+x)) - 1)``. It is closed-form,
  exists for everyone (a mean would be infinite when r + x <= 1) and is read together with
  ``p_alive``. The expected next purchase date is the end of observation plus this wait.
* ``expected_spend``: expected spend per purchase (Gamma-Gamma).
* ``clv``: margin * expected_spend * sum_k (E[purchases in period k]) / (1 + d)^k, for k = 1..K
  periods of ``period_length`` (e.g. months), purchases discounted at the end of their period.
  ``margin`` is the share of spend kept after product costs (scalar or per customer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike

from siyu.analytics.clv.prep import FloatArray, group_histories

__all__ = [
    "DAYS_PER_MONTH",
    "CustomerValue",
    "PurchaseModel",
    "SpendModel",
    "customer_value",
    "discount_factors",
    "expected_purchases_by_period",
]

DAYS_PER_MONTH = 365.25 / 12.0


class PurchaseModel(Protocol):
    """What value and holdout need of a fitted purchase model (BG/NBD or Pareto/NBD)."""

    def p_alive(self, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike) -> FloatArray:
        """Probability that each customer is alive at T."""
        ...

    def conditional_expected_purchases(
        self, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike, *, horizon: ArrayLike
    ) -> FloatArray:
        """Expected purchases of each customer in (T, T + horizon]."""
        ...

    def time_to_next_purchase(
        self, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike, *, probability: float = 0.5
    ) -> FloatArray:
        """Time after T by which a customer who stays alive buys again."""
        ...


class SpendModel(Protocol):
    """What value needs of a fitted spend model (Gamma-Gamma)."""

    def conditional_expected_spend(self, frequency: ArrayLike, monetary: ArrayLike) -> FloatArray:
        """Expected spend per purchase of each customer."""
        ...


@dataclass(frozen=True, eq=False)
class CustomerValue:
    """Per-customer figures, aligned with the input arrays."""

    p_alive: FloatArray
    expected_purchases: FloatArray
    next_purchase_in: FloatArray
    expected_spend: FloatArray
    clv: FloatArray


def discount_factors(periods: int, rate: float) -> FloatArray:
    """1 / (1 + rate)^k for k = 1..periods (cash flows at the end of each period)."""
    if periods < 1:
        raise ValueError("periods must be at least 1")
    if rate <= -1.0:
        raise ValueError("the discount rate must exceed -1")
    return np.asarray((1.0 + rate) ** -np.arange(1, periods + 1, dtype=np.float64))


def expected_purchases_by_period(
    model: PurchaseModel,
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    *,
    periods: int,
    period_length: float,
) -> FloatArray:
    """Expected purchases of each customer in each of the next periods; shape (n, periods).

    Computed once per distinct (x, t_x, T) and spread back to customers.
    """
    if period_length <= 0:
        raise ValueError("period_length must be positive")
    rows = group_histories(frequency, recency, age)
    ends = period_length * np.arange(periods + 1, dtype=np.float64)
    cumulative = model.conditional_expected_purchases(
        rows.frequency[:, None], rows.recency[:, None], rows.age[:, None], horizon=ends[None, :]
    )
    per_period = np.maximum(np.diff(cumulative, axis=1), 0.0)
    return np.asarray(per_period[rows.inverse], dtype=np.float64)


def customer_value(
    purchases: PurchaseModel,
    spend: SpendModel,
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    monetary: ArrayLike,
    *,
    periods: int = 12,
    period_length: float = DAYS_PER_MONTH,
    discount_rate: float = 0.01,
    margin: ArrayLike = 1.0,
) -> CustomerValue:
    """P(alive), expected purchases, next purchase, spend and discounted CLV per customer.

    ``period_length`` is in the purchase model's time unit (the default is a month in days);
    ``discount_rate`` is per period; ``monetary`` is the mean spend of repeat purchases.
    """
    x = np.asarray(frequency, dtype=np.float64)
    by_period = expected_purchases_by_period(
        purchases, x, recency, age, periods=periods, period_length=period_length
    )
    per_order = spend.conditional_expected_spend(x, monetary)
    discounted = by_period @ discount_factors(periods, discount_rate)
    return CustomerValue(
        p_alive=purchases.p_alive(x, recency, age),
        expected_purchases=by_period.sum(axis=1),
        next_purchase_in=purchases.time_to_next_purchase(x, recency, age),
        expected_spend=per_order,
        clv=np.asarray(np.asarray(margin, dtype=np.float64) * per_order * discounted),
    )
