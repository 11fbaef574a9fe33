"""BG/NBD: exact derivatives, the 2F1 path against quadrature, and properties on any input."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siyu.analytics.clv import BGNBDModel, BGNBDParams, NotFittedError
from siyu.analytics.clv import bgnbd as bg
from siyu.demo.simulator import PopulationParams, bgnbd_expected_repeat_purchases

PROPERTY = settings(max_examples=150, deadline=None, derandomize=True)
log_parameter = st.floats(min_value=math.log(1e-4), max_value=math.log(1e4))


@st.composite
def params(draw: st.DrawFn) -> BGNBDParams:
    """Any parameters in [1e-4, 1e4]."""
    return BGNBDParams(*(math.exp(draw(log_parameter)) for _ in range(4)))


@st.composite
def history(draw: st.DrawFn) -> tuple[int, float, float]:
    """Any valid (x, t_x, T): x up to 1,000, T from 1e-3 to 1e4, t_x anywhere in [0, T]."""
    x = draw(st.integers(min_value=0, max_value=1000))
    age = math.exp(draw(st.floats(min_value=math.log(1e-3), max_value=math.log(1e4))))
    share = draw(st.floats(min_value=0.0, max_value=1.0))
    return x, (age * share if x > 0 else 0.0), age


def _random_data(seed: int, n: int = 50) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.poisson(2.0, n).astype(float)
    age = rng.uniform(1.0, 60.0, n)
    return x, np.where(x > 0, age * rng.random(n), 0.0), age


def _central_difference(
    fn: Callable[[np.ndarray], Any], point: np.ndarray, step: float = 1e-6
) -> np.ndarray:
    columns = []
    for i in range(point.size):
        h = step * point[i]
        up, down = point.copy(), point.copy()
        up[i] += h
        down[i] -= h
        columns.append((fn(up) - fn(down)) / (2 * h))
    return np.stack(columns, axis=-1)


@pytest.mark.parametrize("seed", range(6))
def test_gradient_matches_central_differences(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    point = np.exp(rng.uniform(np.log(0.05), np.log(20.0), 4))
    x, tx, age = _random_data(seed)

    def total(values: np.ndarray) -> float:
        return float(bg.log_likelihood(BGNBDParams.from_array(values), x, tx, age).sum())

    analytic = bg.log_likelihood_gradient(BGNBDParams.from_array(point), x, tx, age).sum(axis=0)
    np.testing.assert_allclose(analytic, _central_difference(total, point), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("seed", range(4))
def test_hessian_matches_differences_of_the_gradient(seed: int) -> None:
    rng = np.random.default_rng(200 + seed)
    point = np.exp(rng.uniform(np.log(0.05), np.log(20.0), 4))
    x, tx, age = _random_data(seed)

    def gradient(values: np.ndarray) -> np.ndarray:
        p = BGNBDParams.from_array(values)
        return np.asarray(bg.log_likelihood_gradient(p, x, tx, age).sum(axis=0))

    analytic = bg.log_likelihood_hessian(BGNBDParams.from_array(point), x, tx, age)
    np.testing.assert_allclose(analytic, _central_difference(gradient, point), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "population", [(0.55, 130.0, 1.2, 2.0), (0.243, 4.414, 0.793, 2.426), (2.0, 30.0, 3.5, 8.0)]
)
def test_new_customer_expectation_matches_the_simulator_series(
    population: tuple[float, float, float, float],
) -> None:
    """FHL eq. 9 against the demo simulator's own 2F1 power series (dropout after repeats)."""
    r, alpha, a, b = population
    truth = PopulationParams(r=r, alpha=alpha, a=a, b=b, dropout_at_first=False)
    for t in (1.0, 30.0, 365.0):
        ours = float(bg.expected_purchases(BGNBDParams(r, alpha, a, b), t))
        assert ours == pytest.approx(bgnbd_expected_repeat_purchases(truth, t), rel=1e-9)


def test_closed_form_and_quadrature_agree_on_ordinary_parameters() -> None:
    """The 2F1 (Euler form) path and the numerical integral give the same expectation."""
    rng = np.random.default_rng(3)
    n = 400
    r, alpha, b = np.exp(rng.uniform(np.log(0.05), np.log(20), (3, n)))
    a = np.exp(rng.uniform(np.log(0.05), np.log(20), n))
    x = rng.integers(0, 60, n).astype(float)
    y = np.exp(rng.uniform(np.log(1e-3), np.log(50.0), n))
    closed = np.array(
        [
            bg._euler_closed_form(BGNBDParams(r[i], alpha[i], a[i], b[i]), r[i] + x, b[i] + x, y)[i]
            for i in range(n)
        ]
    )
    integrated = bg._integrated(r + x, a, b + x, y)
    keep = np.abs(a - 1.0) > 1e-3
    np.testing.assert_allclose(integrated[keep], closed[keep], rtol=1e-7)


def test_expectation_is_continuous_through_a_equal_one() -> None:
    """At a = 1 the closed form is 0/0; the integral takes over without a jump."""
    values = [
        float(
            bg.conditional_expected_purchases(BGNBDParams(0.5, 10.0, a, 2.0), 3, 20, 30, horizon=52)
        )
        for a in (1.0 - 1e-3, 1.0 - 1e-7, 1.0, 1.0 + 1e-7, 1.0 + 1e-3)
    ]
    assert all(np.isfinite(values))
    assert values[1] == pytest.approx(values[2], rel=1e-6)
    assert values[3] == pytest.approx(values[2], rel=1e-6)
    slope_left = (values[2] - values[0]) / 1e-3
    slope_right = (values[4] - values[2]) / 1e-3
    assert slope_left == pytest.approx(slope_right, rel=0.01)  # smooth, not just continuous


def test_predictions_need_a_fit() -> None:
    with pytest.raises(NotFittedError):
        BGNBDModel().p_alive(1, 1.0, 2.0)


def test_time_to_next_purchase_is_the_median_of_the_lomax_wait() -> None:
    """Given alive, wait ~ Exp(lam), lam ~ Gamma(r+x, alpha+T): check the median by sampling."""
    model = BGNBDModel.from_params(BGNBDParams(0.7, 20.0, 1.0, 3.0))
    median = float(model.time_to_next_purchase(4, 30.0, 40.0))
    rng = np.random.default_rng(9)
    lam = rng.gamma(0.7 + 4, 1.0 / (20.0 + 40.0), 400_000)
    waits = rng.exponential(1.0 / lam)
    assert np.median(waits) == pytest.approx(median, rel=0.01)
    quartile = float(model.time_to_next_purchase(4, 30.0, 40.0, probability=0.25))
    assert np.quantile(waits, 0.25) == pytest.approx(quartile, rel=0.01)


# --------------------------------------------------------------------------------------------
# Properties for any valid input, extremes included
# --------------------------------------------------------------------------------------------


@PROPERTY
@given(params(), history())
def test_log_likelihood_and_gradient_are_finite(
    p: BGNBDParams, h: tuple[int, float, float]
) -> None:
    x, tx, age = h
    assert np.isfinite(bg.log_likelihood(p, x, tx, age)).all()
    assert np.isfinite(bg.log_likelihood_gradient(p, x, tx, age)).all()
    assert np.isfinite(bg.log_likelihood_hessian(p, x, tx, age)).all()


@PROPERTY
@given(params(), history(), st.floats(min_value=0.0, max_value=1.0))
def test_p_alive_is_a_probability_that_falls_with_time_since_last_purchase(
    p: BGNBDParams, h: tuple[int, float, float], shrink: float
) -> None:
    x, tx, age = h
    later, earlier = bg.p_alive(p, x, tx, age), bg.p_alive(p, x, tx * shrink, age)
    assert 0.0 <= earlier <= 1.0 and 0.0 <= later <= 1.0
    assert earlier <= later + 1e-12


@PROPERTY
@given(
    params(),
    history(),
    st.floats(min_value=math.log(1e-3), max_value=math.log(1e4)),
    st.floats(min_value=1.0, max_value=100.0),
)
def test_expected_purchases_are_non_negative_and_grow_with_the_horizon(
    p: BGNBDParams, h: tuple[int, float, float], log_horizon: float, stretch: float
) -> None:
    x, tx, age = h
    short = math.exp(log_horizon)
    near = float(bg.conditional_expected_purchases(p, x, tx, age, horizon=short))
    far = float(bg.conditional_expected_purchases(p, x, tx, age, horizon=short * stretch))
    assert np.isfinite(near) and np.isfinite(far)
    assert 0.0 <= near <= far * (1 + 1e-6) + 1e-300
    new_near = float(bg.expected_purchases(p, short))
    new_far = float(bg.expected_purchases(p, short * stretch))
    assert 0.0 <= new_near <= new_far * (1 + 1e-6) + 1e-300
    assert np.isfinite(bg.time_to_next_purchase(p, x, tx, age)).all() or p.r + x < 1e-3
