"""Calibration/holdout split and the predicted-vs-actual report, on tiny and simulated data."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from siyu.analytics.clv import (
    BGNBDModel,
    BGNBDParams,
    ParetoNBDModel,
    holdout_report,
    split_orders,
)
from siyu.demo.simulator import simulate_purchases


def test_split_counts_holdout_purchases_of_calibration_customers() -> None:
    customer = np.array([0, 0, 0, 1, 2, 2, 2])
    day = np.array([1.0, 5.0, 12.0, 15.0, 3.0, 11.2, 11.7])  # customer 1 starts in the holdout
    split = split_orders(customer, day, 10.0, 20.0)
    np.testing.assert_array_equal(split.calibration.customer, [0, 2])
    np.testing.assert_array_equal(split.calibration.frequency, [1, 0])
    np.testing.assert_array_equal(split.holdout_purchases, [1, 1])  # two orders on day 11: one
    assert split.holdout_length == 10.0


def test_split_needs_a_holdout_after_the_calibration() -> None:
    with pytest.raises(ValueError, match="after"):
        split_orders([0], [1.0], 10.0, 10.0)


def test_report_table_averages_by_calibration_frequency() -> None:
    split = split_orders([0, 0, 1, 2, 2, 2], [0.0, 3.0, 1.0, 0.5, 1.5, 2.5], 5.0, 10.0)
    report = holdout_report(
        BGNBDModel.from_params(BGNBDParams(1.0, 2.0, 1.5, 3.0)), split, max_frequency=1
    )
    np.testing.assert_array_equal(report.frequency, [0, 1])
    np.testing.assert_array_equal(report.customers, [1, 2])  # x = 1 and x = 2 share the "1+" row
    assert report.mean_predicted[1] == pytest.approx(report.predicted[[0, 2]].mean())


def _bgnbd_orders(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lam, p = rng.gamma(0.55, 1 / 130.0, n), rng.beta(1.2, 2.0, n)
    acquired = rng.uniform(0.0, 365.0, n)
    history = simulate_purchases(lam, p, acquired, 730.0 - 1e-9, rng, dropout_at_first=False)
    return history.customer, history.day


def _pareto_orders(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lam, mu = rng.gamma(0.8, 1 / 40.0, n), rng.gamma(1.2, 1 / 150.0, n)
    acquired = rng.uniform(0.0, 365.0, n)
    end = np.minimum(acquired + rng.exponential(1 / mu), 730.0)
    repeats = rng.poisson(lam * (end - acquired))
    owner = np.repeat(np.arange(n), repeats)
    day = acquired[owner] + (end - acquired)[owner] * rng.random(owner.size)
    return np.concatenate([np.arange(n), owner]), np.concatenate([acquired, day])


@pytest.mark.parametrize(
    ("model", "orders", "seed"),
    [(BGNBDModel, _bgnbd_orders, 1), (ParetoNBDModel, _pareto_orders, 2)],
)
def test_holdout_predictions_track_actual_purchases(
    model: type[BGNBDModel] | type[ParetoNBDModel],
    orders: Callable[[int, int], tuple[np.ndarray, np.ndarray]],
    seed: int,
) -> None:
    """40,000 simulated customers acquired over a year, calibrated on days [0, 365), predicted
    for [365, 730), orders collapsed to one purchase per day as in production.

    Aggregate predicted purchases are within 4% of the actual ones (the sampling sd of the
    total is about 1.5% here); rows of the conditional-expectations table with at least 1,000
    customers are within 10%.
    """
    customer, day = orders(seed, 40_000)
    split = split_orders(customer, day, 365.0, 730.0)
    cal = split.calibration
    fitted = model().fit(cal.frequency, cal.recency, cal.age)
    report = holdout_report(fitted, split)
    assert abs(report.relative_error) < 0.04
    big = report.customers >= 1000
    np.testing.assert_allclose(report.mean_predicted[big], report.mean_actual[big], rtol=0.10)
    assert report.total_actual == split.holdout_purchases.sum()
