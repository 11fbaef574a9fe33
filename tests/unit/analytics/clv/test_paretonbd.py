"""Pareto/NBD: quadrature against FHL's 2F1 likelihood, exact derivatives, properties."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from siyu.analytics.clv import NotFittedError, ParetoNBDModel, ParetoNBDParams
from siyu.analytics.clv import paretonbd as pn

PROPERTY = settings(max_examples=150, deadline=None, derandomize=True)
log_parameter = st.floats(min_value=math.log(1e-4), max_value=math.log(1e4))


@st.composite
def params(draw: st.DrawFn) -> ParetoNBDParams:
    """Any parameters in [1e-4, 1e4]."""
    return ParetoNBDParams(*(math.exp(draw(log_parameter)) for _ in range(4)))


@st.composite
def history(draw: st.DrawFn) -> tuple[int, float, float]:
    """Any valid (x, t_x, T): x up to 1,000, T from 1e-3 to 1e4, t_x anywhere in [0, T]."""
    x = draw(st.integers(min_value=0, max_value=1000))
    age = math.exp(draw(st.floats(min_value=math.log(1e-3), max_value=math.log(1e4))))
    share = draw(st.floats(min_value=0.0, max_value=1.0))
    return x, (age * share if x > 0 else 0.0), age


def closed_form(p: ParetoNBDParams, x: np.ndarray, tx: np.ndarray, age: np.ndarray) -> np.ndarray:
    """FHL (2005) MATLAB note, with A_0 from SciPy's hyp2f1 (trusted for moderate inputs)."""
    r, alpha, s, beta = p.r, p.alpha, p.s, p.beta
    c = r + s + x
    big, second = (alpha, s + 1.0) if alpha >= beta else (beta, r + x)
    gap = abs(alpha - beta)
    a0 = special.hyp2f1(c, second, c + 1, gap / (big + tx)) / (big + tx) ** c
    a0 = a0 - special.hyp2f1(c, second, c + 1, gap / (big + age)) / (big + age) ** c
    head = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    return np.asarray(head + np.log((alpha + age) ** -(r + x) * (beta + age) ** -s + s / c * a0))


def _random_data(seed: int, n: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


@pytest.mark.parametrize("seed", range(8))
def test_likelihood_equals_the_closed_form(seed: int) -> None:
    """Random moderate parameters, both the alpha >= beta and the alpha < beta branch."""
    rng = np.random.default_rng(seed)
    p = ParetoNBDParams(*np.exp(rng.uniform(np.log(0.1), np.log(20.0), 4)))
    x, tx, age = _random_data(seed)
    np.testing.assert_allclose(
        pn.log_likelihood(p, x, tx, age), closed_form(p, x, tx, age), rtol=1e-10, atol=1e-10
    )


def test_likelihood_with_equal_alpha_and_beta() -> None:
    p = ParetoNBDParams(0.6, 12.0, 0.9, 12.0)
    x, tx, age = _random_data(1)
    np.testing.assert_allclose(
        pn.log_likelihood(p, x, tx, age), closed_form(p, x, tx, age), rtol=1e-10
    )


@pytest.mark.parametrize("seed", range(6))
def test_gradient_matches_central_differences(seed: int) -> None:
    """The gradient is exact (differentiation under the integral), not a difference quotient."""
    rng = np.random.default_rng(100 + seed)
    point = np.exp(rng.uniform(np.log(0.05), np.log(20.0), 4))
    x, tx, age = _random_data(seed)

    def total(values: np.ndarray) -> float:
        return float(pn.log_likelihood(ParetoNBDParams.from_array(values), x, tx, age).sum())

    analytic = pn.log_likelihood_gradient(ParetoNBDParams.from_array(point), x, tx, age).sum(0)
    np.testing.assert_allclose(analytic, _central_difference(total, point), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("seed", range(4))
def test_hessian_matches_differences_of_the_gradient(seed: int) -> None:
    rng = np.random.default_rng(200 + seed)
    point = np.exp(rng.uniform(np.log(0.05), np.log(20.0), 4))
    x, tx, age = _random_data(seed)

    def gradient(values: np.ndarray) -> np.ndarray:
        p = ParetoNBDParams.from_array(values)
        return np.asarray(pn.log_likelihood_gradient(p, x, tx, age).sum(axis=0))

    analytic = pn.log_likelihood_hessian(ParetoNBDParams.from_array(point), x, tx, age)
    np.testing.assert_allclose(analytic, _central_difference(gradient, point), rtol=1e-5, atol=1e-6)


def test_conditional_expectation_is_smooth_at_s_equal_one() -> None:
    """The (1 - ((beta+T)/(beta+T+t))^(s-1)) / (s-1) factor has a removable singularity."""
    values = [
        float(
            pn.conditional_expected_purchases(
                ParetoNBDParams(0.5, 10.0, s, 12.0), 3, 20, 30, horizon=52
            )
        )
        for s in (1.0 - 1e-6, 1.0, 1.0 + 1e-6)
    ]
    assert values[0] == pytest.approx(values[1], rel=1e-5)
    assert values[2] == pytest.approx(values[1], rel=1e-5)


def test_new_customer_expectation_matches_simulation() -> None:
    """E[X(t)] = r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)], checked by sampling."""
    p = ParetoNBDParams(0.8, 10.0, 1.5, 20.0)
    rng = np.random.default_rng(4)
    lam = rng.gamma(p.r, 1 / p.alpha, 2_000_000)
    mu = rng.gamma(p.s, 1 / p.beta, 2_000_000)
    active = np.minimum(rng.exponential(1 / mu), 30.0)
    assert float(pn.expected_purchases(p, 30.0)) == pytest.approx(np.mean(lam * active), rel=0.01)


def test_predictions_need_a_fit() -> None:
    with pytest.raises(NotFittedError):
        ParetoNBDModel().conditional_expected_purchases(1, 1.0, 2.0, horizon=1.0)


# --------------------------------------------------------------------------------------------
# Properties for any valid input, extremes included
# --------------------------------------------------------------------------------------------


@PROPERTY
@given(params(), history())
def test_log_likelihood_and_gradient_are_finite(
    p: ParetoNBDParams, h: tuple[int, float, float]
) -> None:
    x, tx, age = h
    assert np.isfinite(pn.log_likelihood(p, x, tx, age)).all()
    assert np.isfinite(pn.log_likelihood_gradient(p, x, tx, age)).all()
    assert np.isfinite(pn.log_likelihood_hessian(p, x, tx, age)).all()


@PROPERTY
@given(params(), history(), st.floats(min_value=0.0, max_value=1.0))
def test_p_alive_is_a_probability_that_falls_with_time_since_last_purchase(
    p: ParetoNBDParams, h: tuple[int, float, float], shrink: float
) -> None:
    x, tx, age = h
    later, earlier = pn.p_alive(p, x, tx, age), pn.p_alive(p, x, tx * shrink, age)
    assert 0.0 <= earlier <= 1.0 and 0.0 <= later <= 1.0
    assert earlier <= later * (1 + 1e-9) + 1e-300


@PROPERTY
@given(
    params(),
    history(),
    st.floats(min_value=math.log(1e-3), max_value=math.log(1e4)),
    st.floats(min_value=1.0, max_value=100.0),
)
def test_expected_purchases_are_non_negative_and_grow_with_the_horizon(
    p: ParetoNBDParams, h: tuple[int, float, float], log_horizon: float, stretch: float
) -> None:
    x, tx, age = h
    short = math.exp(log_horizon)
    near = float(pn.conditional_expected_purchases(p, x, tx, age, horizon=short))
    far = float(pn.conditional_expected_purchases(p, x, tx, age, horizon=short * stretch))
    assert np.isfinite(near) and np.isfinite(far)
    assert 0.0 <= near <= far * (1 + 1e-12) + 1e-300
    new_near, new_far = pn.expected_purchases(p, short), pn.expected_purchases(p, short * stretch)
    assert 0.0 <= new_near <= new_far * (1 + 1e-12) + 1e-300
