"""Parameter recovery on data simulated from each model's own process (fixed seeds).

Each test draws customers from known parameters, fits, and asserts every parameter is within
3 standard errors (from the inverse observed information) of the truth, with standard errors
below 10% of each parameter and the estimate within 25% of it (so a large standard error
cannot make the check vacuous). Sample sizes and settings are in each test's docstring.
"""

from __future__ import annotations

import numpy as np

from siyu.analytics.clv import BGNBDModel, GammaGammaModel, ParetoNBDModel
from siyu.demo.simulator import simulate_purchases


def _assert_recovered(estimate: np.ndarray, standard_error: np.ndarray, truth: np.ndarray) -> None:
    assert np.all(np.isfinite(standard_error))
    assert np.all(np.abs(estimate - truth) < 3.0 * standard_error), (estimate, standard_error)
    assert np.all(standard_error < 0.10 * truth), standard_error
    np.testing.assert_allclose(estimate, truth, rtol=0.25)


def test_bgnbd_recovers_its_parameters() -> None:
    """40,000 customers from the demo simulator's BG/NBD process (dropout only after repeat
    purchases), r=0.55, alpha=130 days, a=1.2, b=2.0, first purchases uniform over two years,
    observed to day 730, exact (unrounded) times. Tolerance: 3 SE."""
    rng = np.random.default_rng(2)
    n, truth = 40_000, np.array([0.55, 130.0, 1.2, 2.0])
    lam = rng.gamma(truth[0], 1.0 / truth[1], n)
    p = rng.beta(truth[2], truth[3], n)
    acquired = rng.uniform(0.0, 730.0, n)
    history = simulate_purchases(lam, p, acquired, 730.0, rng, dropout_at_first=False)
    last = history.day[history.first + history.count - 1]
    model = BGNBDModel().fit(history.count - 1, last - acquired, 730.0 - acquired)
    assert model.converged_
    _assert_recovered(model.params_.as_array(), model.standard_errors_.as_array(), truth)


def test_pareto_recovers_its_parameters() -> None:
    """40,000 customers from the Pareto/NBD process: lam ~ Gamma(0.8, 40), mu ~ Gamma(1.2, 150),
    exponential lifetimes, Poisson purchases while alive, T uniform on [180, 730] days.
    Tolerance: 3 SE."""
    rng = np.random.default_rng(1)
    n, truth = 40_000, np.array([0.8, 40.0, 1.2, 150.0])
    lam = rng.gamma(truth[0], 1.0 / truth[1], n)
    mu = rng.gamma(truth[2], 1.0 / truth[3], n)
    age = rng.uniform(180.0, 730.0, n)
    active = np.minimum(rng.exponential(1.0 / mu), age)
    x = rng.poisson(lam * active)
    recency = np.where(x > 0, active * rng.random(n) ** (1.0 / np.maximum(x, 1)), 0.0)
    model = ParetoNBDModel().fit(x, recency, age)
    assert model.converged_
    _assert_recovered(model.params_.as_array(), model.standard_errors_.as_array(), truth)


def test_gamma_gamma_recovers_its_parameters() -> None:
    """50,000 repeat buyers with x = 1 + Poisson(3) repeat purchases, nu ~ Gamma(3.8, 70),
    purchase values Gamma(6, nu), so the mean of x values is Gamma(6x, x nu).
    Tolerance: 3 SE."""
    rng = np.random.default_rng(3)
    n, truth = 50_000, np.array([6.0, 3.8, 70.0])
    x = 1 + rng.poisson(3.0, n)
    nu = rng.gamma(truth[1], 1.0 / truth[2], n)
    mean_spend = rng.gamma(truth[0] * x, 1.0 / (x * nu))
    model = GammaGammaModel().fit(x, mean_spend)
    assert model.converged_
    _assert_recovered(model.params_.as_array(), model.standard_errors_.as_array(), truth)
