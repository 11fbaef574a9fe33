"""Per-customer value: expected purchases by period, next purchase, spend and discounted CLV."""

from __future__ import annotations

import numpy as np
import pytest

from siyu.analytics.clv import (
    DAYS_PER_MONTH,
    BGNBDModel,
    BGNBDParams,
    GammaGammaModel,
    GammaGammaParams,
    ParetoNBDModel,
    ParetoNBDParams,
    customer_value,
    discount_factors,
    expected_purchases_by_period,
)

PURCHASES = BGNBDModel.from_params(BGNBDParams(0.55, 130.0, 1.2, 2.0))
SPEND = GammaGammaModel.from_params(GammaGammaParams(6.0, 3.8, 70.0))
X = np.array([0.0, 1.0, 4.0, 4.0, 12.0])
RECENCY = np.array([0.0, 100.0, 300.0, 300.0, 20.0])
AGE = np.array([50.0, 400.0, 320.0, 320.0, 400.0])
MONEY = np.array([0.0, 80.0, 150.0, 150.0, 60.0])


def test_discount_factors_are_end_of_period() -> None:
    np.testing.assert_allclose(discount_factors(3, 0.1), [1 / 1.1, 1 / 1.21, 1 / 1.331])
    with pytest.raises(ValueError):
        discount_factors(0, 0.1)


def test_clv_is_margin_times_spend_times_discounted_purchases() -> None:
    """CLV recomputed from cumulative conditional expectations at month ends."""
    value = customer_value(
        PURCHASES, SPEND, X, RECENCY, AGE, MONEY, periods=6, discount_rate=0.02, margin=0.4
    )
    ends = DAYS_PER_MONTH * np.arange(7)
    cumulative = np.stack(
        [PURCHASES.conditional_expected_purchases(X, RECENCY, AGE, horizon=t) for t in ends], 1
    )
    per_month = np.diff(cumulative, axis=1)
    spend = SPEND.conditional_expected_spend(X, MONEY)
    expected = 0.4 * spend * (per_month / 1.02 ** np.arange(1, 7)).sum(axis=1)
    np.testing.assert_allclose(value.clv, expected, rtol=1e-10)
    np.testing.assert_allclose(value.expected_purchases, cumulative[:, -1], rtol=1e-10)
    np.testing.assert_allclose(value.expected_spend, spend)
    np.testing.assert_allclose(value.p_alive, PURCHASES.p_alive(X, RECENCY, AGE))
    np.testing.assert_allclose(
        value.next_purchase_in, PURCHASES.time_to_next_purchase(X, RECENCY, AGE)
    )


def test_without_discounting_clv_is_margin_spend_and_purchases() -> None:
    value = customer_value(PURCHASES, SPEND, X, RECENCY, AGE, MONEY, discount_rate=0.0, margin=0.5)
    np.testing.assert_allclose(value.clv, 0.5 * value.expected_spend * value.expected_purchases)


def test_per_customer_margins_and_duplicate_histories() -> None:
    margins = np.array([0.1, 0.2, 0.3, 0.6, 0.5])
    value = customer_value(PURCHASES, SPEND, X, RECENCY, AGE, MONEY, margin=margins)
    assert value.clv[3] == pytest.approx(2 * value.clv[2])  # same history, twice the margin
    assert value.expected_purchases[2] == value.expected_purchases[3]
    assert np.all(value.clv >= 0) and np.all(np.isfinite(value.clv))


def test_periods_add_up_and_do_not_go_negative() -> None:
    by_period = expected_purchases_by_period(
        PURCHASES, X, RECENCY, AGE, periods=24, period_length=7.0
    )
    assert by_period.shape == (5, 24)
    assert np.all(by_period >= 0)
    total = PURCHASES.conditional_expected_purchases(X, RECENCY, AGE, horizon=24 * 7.0)
    np.testing.assert_allclose(by_period.sum(axis=1), total, rtol=1e-10)


def test_works_with_pareto_and_weekly_units() -> None:
    """Model fitted in weeks: periods are months expressed in weeks."""
    weekly = ParetoNBDModel.from_params(ParetoNBDParams(0.55, 10.6, 0.61, 11.7))
    value = customer_value(
        weekly, SPEND, X, RECENCY / 7, AGE / 7, MONEY, period_length=DAYS_PER_MONTH / 7
    )
    assert np.all(np.isfinite(value.clv)) and np.all(value.clv >= 0)
    assert np.all((value.p_alive >= 0) & (value.p_alive <= 1))
    # recent, frequent buyers are worth more than the one who stopped long ago
    assert value.clv[2] > value.clv[1]
