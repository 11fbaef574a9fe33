"""Sufficient statistics: (x, t_x, T) and mean repeat spend from orders, grouping to rows."""

from __future__ import annotations

import time

import numpy as np
import pytest

from siyu.analytics.clv import (
    BGNBDModel,
    group_histories,
    histories_from_orders,
    mean_repeat_spend,
)
from siyu.analytics.clv.prep import purchases_between, validate_histories
from siyu.demo.simulator import simulate_purchases

# customer 0: days 10.2, 10.9 (same day: one purchase), 15.5, 30.0 (at the end: left out)
# customer 2: one order on day 3; customer 5: days 0.5 and 29.9; customer 1 has no order
CUSTOMER = np.array([2, 0, 0, 5, 0, 0, 5])
DAY = np.array([3.0, 10.2, 10.9, 0.5, 15.5, 30.0, 29.9])
AMOUNT = np.array([50.0, 20.0, 5.0, 8.0, 40.0, 99.0, 12.0])


def test_histories_from_orders_collapse_days_and_drop_late_orders() -> None:
    hist = histories_from_orders(CUSTOMER, DAY, 30.0)
    np.testing.assert_array_equal(hist.customer, [0, 2, 5])
    np.testing.assert_array_equal(hist.frequency, [1, 0, 1])
    np.testing.assert_allclose(hist.recency, [5.0, 0.0, 29.0])  # day 15 - day 10; 29 - 0
    np.testing.assert_allclose(hist.age, [20.0, 27.0, 30.0])  # end 30 - first purchase day
    assert len(hist) == 3


def test_histories_in_weeks_scale_times_only() -> None:
    days = histories_from_orders(CUSTOMER, DAY, 28.0)
    weeks = histories_from_orders(CUSTOMER, DAY, 28.0, unit_days=7.0)
    np.testing.assert_array_equal(days.frequency, weeks.frequency)
    np.testing.assert_allclose(weeks.recency * 7.0, days.recency)
    np.testing.assert_allclose(weeks.age * 7.0, days.age)


def test_weekly_periods_merge_purchases_in_one_week() -> None:
    hist = histories_from_orders(CUSTOMER, DAY, 28.0, period_days=7.0, unit_days=7.0)
    # customer 0 buys in weeks 1 and 2; customer 5's day-29.9 order is after the end
    np.testing.assert_array_equal(hist.frequency, [1, 0, 0])
    np.testing.assert_allclose(hist.recency, [1.0, 0.0, 0.0])
    np.testing.assert_allclose(hist.age, [3.0, 4.0, 4.0])


def test_mean_repeat_spend_leaves_out_the_first_purchase() -> None:
    spend = mean_repeat_spend(CUSTOMER, DAY, AMOUNT, 30.0)
    # customer 0: first purchase = 20 + 5 on day 10; repeat = 40. customer 5: repeat = 12
    np.testing.assert_allclose(spend, [40.0, 0.0, 12.0])


def test_purchases_between_counts_occasions_of_known_customers() -> None:
    counts = purchases_between(np.array([0, 2, 5]), CUSTOMER, DAY, 15.0, 31.0)
    np.testing.assert_array_equal(counts, [2, 0, 1])


def test_group_histories_matches_numpy_unique_rows() -> None:
    rng = np.random.default_rng(5)
    x = rng.poisson(1.0, 5000).astype(float)
    age = np.floor(rng.uniform(1, 60, 5000)) / 7.0
    recency = np.where(x > 0, np.floor(age * 7.0 * rng.random(5000)) / 7.0, 0.0)
    rows = group_histories(x, recency, age)
    unique, inverse, counts = np.unique(
        np.column_stack((x, recency, age)), axis=0, return_inverse=True, return_counts=True
    )
    np.testing.assert_array_equal(rows.frequency, unique[:, 0])
    np.testing.assert_array_equal(rows.recency, unique[:, 1])
    np.testing.assert_array_equal(rows.age, unique[:, 2])
    np.testing.assert_array_equal(rows.count, counts)
    np.testing.assert_array_equal(rows.inverse, inverse.ravel())
    assert rows.n_customers == 5000


def test_group_histories_sums_weights() -> None:
    rows = group_histories([0, 1, 1, 0], [0, 2, 2, 0], [5, 6, 6, 5], weights=[1, 2, 3, 4])
    np.testing.assert_array_equal(rows.count, [5.0, 5.0])
    np.testing.assert_array_equal(rows.inverse, [0, 1, 1, 0])


def test_recency_of_customers_without_repeats_is_ignored() -> None:
    _, recency, _ = validate_histories([0, 1], [3.0, 2.0], [5.0, 5.0])
    np.testing.assert_array_equal(recency, [0.0, 2.0])


@pytest.mark.parametrize(
    ("frequency", "recency", "age", "message"),
    [
        ([-1], [0.0], [5.0], "non-negative integer"),
        ([1.5], [1.0], [5.0], "non-negative integer"),
        ([1], [6.0], [5.0], r"\[0, age\]"),
        ([1], [-1.0], [5.0], r"\[0, age\]"),
        ([0], [0.0], [0.0], "positive"),
        ([1], [np.nan], [5.0], "finite"),
    ],
)
def test_invalid_histories_are_rejected(
    frequency: list[float], recency: list[float], age: list[float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        group_histories(frequency, recency, age)


def test_a_million_customers_fit_in_the_time_of_their_distinct_rows() -> None:
    """1,000,000 customers drawn from 2,000 distinct BG/NBD histories: the fit works on those
    rows. The parameters equal the weighted fit of the distinct rows, and the whole fit
    (grouping included) takes well under the 10 s allowed here (about 0.3 s on one core).
    """
    rng = np.random.default_rng(11)
    lam, p = rng.gamma(0.5, 1 / 10.0, 2000), rng.beta(1.0, 3.0, 2000)
    start = rng.uniform(0.0, 20.0, 2000)
    history = simulate_purchases(lam, p, start, 52.0, rng, dropout_at_first=False)
    last = history.day[history.first + history.count - 1]
    x = (history.count - 1).astype(float)
    recency, age = last - start, 52.0 - start
    counts = rng.multinomial(1_000_000 - 2000, np.full(2000, 1 / 2000)) + 1
    pick = np.repeat(np.arange(2000), counts)
    started = time.perf_counter()
    model = BGNBDModel().fit(x[pick], recency[pick], age[pick])
    elapsed = time.perf_counter() - started
    weighted = BGNBDModel().fit(x, recency, age, weights=counts)
    assert model.n_customers_ == 1_000_000
    assert model.n_rows_ <= 2000
    assert model.converged_
    np.testing.assert_allclose(model.params_.as_array(), weighted.params_.as_array(), rtol=1e-7)
    assert elapsed < 10.0
