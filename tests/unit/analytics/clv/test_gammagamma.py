"""Gamma-Gamma: exact derivatives, the posterior mean spend, properties, input checks."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from siyu.analytics.clv import GammaGammaModel, GammaGammaParams, NotFittedError
from siyu.analytics.clv import gammagamma as gg

PROPERTY = settings(max_examples=150, deadline=None, derandomize=True)
log_parameter = st.floats(min_value=math.log(1e-4), max_value=math.log(1e4))


def _data(seed: int, n: int = 80) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(1, 20, n).astype(float), rng.gamma(2.0, 30.0, n)


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


@pytest.mark.parametrize("seed", range(5))
def test_gradient_and_hessian_match_differences(seed: int) -> None:
    rng = np.random.default_rng(seed)
    point = np.exp(rng.uniform(np.log(0.5), np.log(30.0), 3))
    x, m = _data(seed)

    def total(values: np.ndarray) -> float:
        return float(gg.log_likelihood(GammaGammaParams.from_array(values), x, m).sum())

    def gradient(values: np.ndarray) -> np.ndarray:
        p = GammaGammaParams.from_array(values)
        return np.asarray(gg.log_likelihood_gradient(p, x, m).sum(axis=0))

    p = GammaGammaParams.from_array(point)
    np.testing.assert_allclose(
        gradient(point), _central_difference(total, point), rtol=1e-6, atol=1e-6
    )
    np.testing.assert_allclose(
        gg.log_likelihood_hessian(p, x, m),
        _central_difference(gradient, point),
        rtol=1e-5,
        atol=1e-6,
    )


def test_density_integrates_to_one() -> None:
    """f(m_x | p, q, gamma, x) is a density in m_x (x = 3)."""
    p = GammaGammaParams(4.0, 3.0, 20.0)

    def density(m: float) -> float:
        return float(np.exp(gg.log_likelihood(p, 3.0, m)))

    assert integrate.quad(density, 0.0, np.inf)[0] == pytest.approx(1.0, abs=1e-8)


def test_expected_spend_is_the_credibility_weighted_mean() -> None:
    """E[M | x, m_x] = (q-1)/(px+q-1) * p*gamma/(q-1) + px/(px+q-1) * m_x; x = 0 gets the mean."""
    p = GammaGammaParams(6.0, 4.0, 15.0)
    x, m = np.array([0.0, 1.0, 10.0]), np.array([0.0, 30.0, 30.0])
    weight = p.p * x / (p.p * x + p.q - 1)
    expected = (1 - weight) * p.population_mean + weight * m
    np.testing.assert_allclose(gg.conditional_expected_spend(p, x, m), expected)
    assert p.population_mean == pytest.approx(30.0)


def test_expected_spend_is_infinite_where_the_mean_does_not_exist() -> None:
    spend = gg.conditional_expected_spend(GammaGammaParams(0.1, 0.5, 10.0), [0, 1, 9], [0, 5, 5])
    assert spend[0] == np.inf and spend[1] == np.inf and np.isfinite(spend[2])


def test_fit_skips_customers_without_repeat_purchases() -> None:
    x, m = _data(3, 500)
    with_zeros = GammaGammaModel().fit(np.append(x, [0, 0]), np.append(m, [0.0, 0.0]))
    without = GammaGammaModel().fit(x, m)
    np.testing.assert_allclose(with_zeros.params_.as_array(), without.params_.as_array())
    assert with_zeros.n_customers_ == 500


def test_weights_count_customers() -> None:
    x, m = _data(4, 300)
    doubled = GammaGammaModel().fit(np.tile(x, 2), np.tile(m, 2))
    weighted = GammaGammaModel().fit(x, m, weights=2.0)
    np.testing.assert_allclose(doubled.params_.as_array(), weighted.params_.as_array(), rtol=1e-7)
    assert weighted.log_likelihood_ == pytest.approx(doubled.log_likelihood_)


def test_bad_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="positive monetary"):
        GammaGammaModel().fit([1, 2], [10.0, 0.0])
    with pytest.raises(ValueError, match="repeat purchases"):
        GammaGammaModel().fit([0, 0], [0.0, 0.0])
    with pytest.raises(NotFittedError):
        GammaGammaModel().conditional_expected_spend([1], [1.0])


@PROPERTY
@given(
    log_parameter,
    log_parameter,
    log_parameter,
    st.integers(min_value=1, max_value=1000),
    st.floats(min_value=math.log(1e-2), max_value=math.log(1e6)),
)
def test_log_likelihood_gradient_and_spend_are_finite(
    lp: float, lq: float, lg: float, x: int, log_m: float
) -> None:
    p = GammaGammaParams(math.exp(lp), math.exp(lq), math.exp(lg))
    m = math.exp(log_m)
    assert np.isfinite(gg.log_likelihood(p, x, m)).all()
    assert np.isfinite(gg.log_likelihood_gradient(p, x, m)).all()
    assert np.isfinite(gg.log_likelihood_hessian(p, x, m)).all()
    spend = float(gg.conditional_expected_spend(p, x, m))
    assert spend > 0 and (np.isfinite(spend) or p.p * x + p.q <= 1.0)
