"""The BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005, Marketing Science 24(2)).

While alive a customer buys as a Poisson process with rate ``lam ~ Gamma(r, alpha)`` (shape
``r``, rate ``alpha``); right after each *repeat* purchase they drop out for ever with
probability ``p ~ Beta(a, b)``. For a customer with ``x`` repeat purchases, the last at
``t_x``, observed for ``T`` since the first purchase (FHL 2005, eq. 6):

    L = B(a, b+x)/B(a, b) * Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
        + [x > 0] B(a+1, b+x-1)/B(a, b) * Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))

Everything is computed in log space: the second term over the first is ``exp(d)`` with
``d = ln a - ln(b+x-1) + (r+x) ln((α+T)/(α+t_x))``, so ``ln L = base + softplus(d)`` and
``P(alive) = 1 / (1 + exp(d))`` never overflow. The gradient and Hessian are exact (digamma
and trigamma), and the fit weights each distinct (x, t_x, T) row by its number of customers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Self

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from siyu.analytics.clv._estimator import PurchaseEstimator, PurchaseFunctions
from siyu.analytics.clv.prep import (
    ByValue,
    FloatArray,
    fit_log_parameters,
    group_histories,
    validate_histories,
)

__all__ = [
    "BGNBDModel",
    "BGNBDParams",
    "conditional_expected_purchases",
    "expected_purchases",
    "log_likelihood",
    "log_likelihood_gradient",
    "log_likelihood_hessian",
    "p_alive",
    "time_to_next_purchase",
]


@dataclass(frozen=True)
class BGNBDParams:
    """BG/NBD parameters: purchase rate Gamma(r, alpha), dropout probability Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float

    def as_array(self) -> FloatArray:
        """The parameters as an array (r, alpha, a, b)."""
        return np.array([self.r, self.alpha, self.a, self.b], dtype=np.float64)

    @classmethod
    def from_array(cls, values: ArrayLike) -> Self:
        """Parameters from an array (r, alpha, a, b)."""
        r, alpha, a, b = (float(v) for v in np.asarray(values, dtype=np.float64))
        return cls(r, alpha, a, b)


# --------------------------------------------------------------------------------------------
# Likelihood
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Terms:
    """Per-row pieces shared by the log-likelihood, its gradient and its Hessian."""

    x: FloatArray
    by_x: ByValue
    t_age: FloatArray  # T
    repeat: FloatArray  # 1.0 where x > 0
    gap: FloatArray  # T - t_x
    alpha_t: FloatArray  # α + T
    alpha_tx: FloatArray  # α + t_x
    b_last: FloatArray  # b + x - 1 (1 where x = 0, unused there)
    span: FloatArray  # ln((α+T)/(α+t_x))
    d: FloatArray  # log-odds of "dropped out after the last purchase"


def _terms(
    p: BGNBDParams,
    x: FloatArray,
    t_x: FloatArray,
    t_age: FloatArray,
    by_x: ByValue | None = None,
) -> _Terms:
    by_x = ByValue.of(x) if by_x is None else by_x
    repeat = x > 0
    alpha_tx = p.alpha + t_x
    gap = t_age - t_x
    span = np.log1p(gap / alpha_tx)
    b_last = np.where(repeat, p.b + x - 1.0, 1.0)
    log_odds = by_x.apply(lambda v: np.log(p.a) - np.log(np.where(v > 0, p.b + v - 1.0, 1.0)))
    d = np.where(repeat, log_odds + (p.r + x) * span, -np.inf)
    return _Terms(
        x, by_x, t_age, repeat.astype(np.float64), gap, p.alpha + t_age, alpha_tx, b_last, span, d
    )


def _base(p: BGNBDParams, t: _Terms) -> FloatArray:
    def by_frequency(v: FloatArray) -> FloatArray:
        rate = special.gammaln(p.r + v) - special.gammaln(p.r)
        return np.asarray(rate + special.betaln(p.a, p.b + v) - special.betaln(p.a, p.b))

    head = t.by_x.apply(by_frequency) + p.r * np.log(p.alpha)
    return np.asarray(head - (p.r + t.x) * np.log(t.alpha_t), dtype=np.float64)


def log_likelihood(
    params: BGNBDParams, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> FloatArray:
    """Log-likelihood of each customer's (x, t_x, T)."""
    t = _terms(params, *validate_histories(frequency, recency, age))
    return _base(params, t) + np.logaddexp(0.0, t.d)


def _gradient(p: BGNBDParams, t: _Terms) -> FloatArray:
    x, w = t.x, special.expit(t.d)
    digamma = special.digamma
    shrink = t.gap / (t.alpha_t * t.alpha_tx)  # 1/(α+t_x) - 1/(α+T)
    psi_r = t.by_x.apply(lambda v: digamma(p.r + v) - digamma(p.r))
    psi_ab = t.by_x.apply(lambda v: digamma(p.a + p.b) - digamma(p.a + p.b + v))
    psi_b = t.by_x.apply(lambda v: digamma(p.b + v) - digamma(p.b))
    d_r = psi_r - np.log1p(t.t_age / p.alpha) + w * t.span
    d_alpha = p.r / p.alpha - (p.r + x) / t.alpha_t - w * (p.r + x) * shrink
    d_a = psi_ab + w / p.a
    d_b = psi_b + psi_ab - w / t.b_last
    return np.stack([d_r, d_alpha, d_a, d_b], axis=-1)


def log_likelihood_gradient(
    params: BGNBDParams, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> FloatArray:
    """Exact gradient of each customer's log-likelihood in (r, alpha, a, b); shape (n, 4)."""
    return _gradient(params, _terms(params, *validate_histories(frequency, recency, age)))


def _trigamma(z: FloatArray | float) -> FloatArray:
    return np.asarray(special.polygamma(1, z), dtype=np.float64)


def _hessian(p: BGNBDParams, t: _Terms, weight: FloatArray) -> FloatArray:
    x, w = t.x, special.expit(t.d)
    zero = np.zeros_like(x)
    shrink = t.gap / (t.alpha_t * t.alpha_tx)
    ab = t.by_x.apply(lambda v: _trigamma(p.a + p.b) - _trigamma(p.a + p.b + v))
    base = {
        (0, 0): t.by_x.apply(lambda v: _trigamma(p.r + v) - _trigamma(p.r)),
        (0, 1): t.t_age / (p.alpha * t.alpha_t),
        (1, 1): -p.r / p.alpha**2 + (p.r + x) / t.alpha_t**2,
        (2, 2): ab,
        (2, 3): ab,
        (3, 3): t.by_x.apply(lambda v: _trigamma(p.b + v) - _trigamma(p.b)) + ab,
    }
    second_d = {
        (0, 1): -shrink,
        (1, 1): (p.r + x) * shrink * (1.0 / t.alpha_tx + 1.0 / t.alpha_t),
        (2, 2): -t.repeat / p.a**2,
        (3, 3): t.repeat / t.b_last**2,
    }
    grad_d = [t.span, -(p.r + x) * shrink, t.repeat / p.a, -t.repeat / t.b_last]
    h = np.zeros((4, 4))
    for i in range(4):
        for j in range(i, 4):
            entry = base.get((i, j), zero) + w * second_d.get((i, j), zero)
            entry = entry + w * (1.0 - w) * grad_d[i] * grad_d[j]
            h[i, j] = h[j, i] = float(np.sum(weight * entry))
    return h


def log_likelihood_hessian(
    params: BGNBDParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    *,
    weights: ArrayLike | None = None,
) -> FloatArray:
    """Exact Hessian of the total (weighted) log-likelihood in (r, alpha, a, b); shape (4, 4)."""
    x, t_x, t_age = validate_histories(frequency, recency, age)
    weight = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    return _hessian(params, _terms(params, x, t_x, t_age), weight)


# --------------------------------------------------------------------------------------------
# Predictions
# --------------------------------------------------------------------------------------------


def p_alive(
    params: BGNBDParams, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> FloatArray:
    """Probability that each customer is still alive at T (FHL 2005, eq. 11)."""
    t = _terms(params, *validate_histories(frequency, recency, age))
    return np.asarray(special.expit(-t.d), dtype=np.float64)


def conditional_expected_purchases(
    params: BGNBDParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    *,
    horizon: ArrayLike,
) -> FloatArray:
    """Expected purchases in (T, T + horizon] given each history (FHL 2005, eq. 10)."""
    x, t_x, t_age = validate_histories(frequency, recency, age)
    alive = p_alive(params, x, t_x, t_age)
    return alive * _expected_if_alive(params, x, t_age, _horizon(horizon))


def expected_purchases(params: BGNBDParams, horizon: ArrayLike) -> FloatArray:
    """Expected repeat purchases in (0, horizon] of a customer just acquired (FHL 2005, eq. 9)."""
    t = _horizon(horizon)
    zero = np.zeros_like(t)
    return _expected_if_alive(params, zero, zero, t)


def time_to_next_purchase(
    params: BGNBDParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    *,
    probability: float = 0.5,
) -> FloatArray:
    """Time after T by which a customer who stays alive buys again with ``probability``.

    Given alive at T, the wait is exponential with rate ``lam ~ Gamma(r + x, alpha + T)``, so
    ``P(wait <= t) = 1 - ((alpha + T)/(alpha + T + t))**(r + x)``; the default is its median.
    """
    x, _, t_age = validate_histories(frequency, recency, age)
    return waiting_time_quantile(params.r, params.alpha, x, t_age, probability)


def waiting_time_quantile(
    r: float, alpha: float, x: FloatArray, t_age: FloatArray, probability: float
) -> FloatArray:
    """Quantile of the Gamma-mixed exponential wait ``(alpha+T) * ((1-q)**(-1/(r+x)) - 1)``."""
    if not 0.0 < probability < 1.0:
        raise ValueError("probability must lie in (0, 1)")
    exponent = -np.log1p(-probability) / (r + x)
    with np.errstate(over="ignore"):
        return np.asarray((alpha + t_age) * np.expm1(exponent), dtype=np.float64)


def _horizon(horizon: ArrayLike) -> FloatArray:
    t = np.asarray(horizon, dtype=np.float64)
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError("horizon must be finite and non-negative")
    return t


# Expected purchases of a customer alive at T ------------------------------------------------
#
# Given alive, lam | data ~ Gamma(A, alpha+T) and p | data ~ Beta(a, B) with A = r+x, B = b+x,
# and the expected purchases in (T, T+t] are E_p[(1 - (1 + p y)^-A) / p] with y = t/(alpha+T).
# The closed form (FHL eq. 10) is (a+B-1)/(a-1) * [1 - (1-z)^A 2F1(A, B; a+B-1; z)],
# z = y/(1+y). Euler's transformation turns the bracket into
# 1 - (1-z)^(a-1) 2F1(a+b-r-1, a-1; a+B-1; z), whose first two parameters do not grow with x:
# SciPy's hyp2f1 is accurate there for ordinary parameters (it agrees with the quadrature
# below to ~1e-9). Where it is not (non-finite, outside the bounds below, or a within 1e-5 of
# 1 where the prefactor cancels) the expectation is integrated numerically instead.
#
# Bounds: h(p) = (1 - (1+py)^-A)/p is convex, so with m = a/(a+B),
# h(m) <= E[h(p)] <= A*y*(1-m) + h(1)*m (Jensen, and the chord of h on [0, 1]).


def _expected_if_alive(
    params: BGNBDParams, x: FloatArray, t_age: FloatArray, horizon: FloatArray
) -> FloatArray:
    x, t_age, horizon = np.broadcast_arrays(x, t_age, horizon)
    shape = x.shape
    big_a = (params.r + x).ravel()
    big_b = (params.b + x).ravel()
    y = (horizon / (params.alpha + t_age)).ravel()
    a = np.full_like(y, params.a)
    lower, upper = _bounds(big_a, a, big_b, y)
    value = _euler_closed_form(params, big_a, big_b, y)
    bad = ~((value >= lower * (1 - 1e-10)) & (value <= upper * (1 + 1e-10)))
    bad |= (abs(params.a - 1.0) < 1e-5) & (y > 0)
    if np.any(bad):
        value[bad] = _integrated(big_a[bad], a[bad], big_b[bad], y[bad])
    return np.clip(value, lower, upper).reshape(shape)


def _euler_closed_form(
    params: BGNBDParams, big_a: FloatArray, big_b: FloatArray, y: FloatArray
) -> FloatArray:
    r, a, b = params.r, params.a, params.b
    c = a + big_b - 1.0
    z = y / (1.0 + y)
    with np.errstate(all="ignore"):
        series = special.hyp2f1(a + b - r - 1.0, a - 1.0, c, z)
        bracket = 1.0 - np.exp(-(a - 1.0) * np.log1p(y)) * series
        return np.asarray(c / (a - 1.0) * bracket, dtype=np.float64)


def _h(big_a: FloatArray, p: FloatArray, y: FloatArray) -> FloatArray:
    return np.asarray(-np.expm1(-big_a * np.log1p(p * y)) / p, dtype=np.float64)


def _bounds(
    big_a: FloatArray, a: FloatArray, big_b: FloatArray, y: FloatArray
) -> tuple[FloatArray, FloatArray]:
    mean = a / (a + big_b)
    lower = _h(big_a, mean, y)
    upper = big_a * y * (1.0 - mean) + _h(big_a, np.ones_like(y), y) * mean
    return lower, np.maximum(upper, lower)


# Numerical integration (the fallback) --------------------------------------------------------
#
# E_p[h(p)] is split at p = 1/2. Below, in v = ln p, the integrand (1-(1+py)^-A) p^(a-1)
# (1-p)^(B-1) is log-concave or increasing; above, in w = ln(1-p), h(p) p^(a-1) (1-p)^B is
# too. For a log-unimodal integrand, find the mode (golden section), the points where the
# log-integrand has fallen by CUT (bisection), and apply 8-point Gauss-Legendre on panels that
# grow geometrically away from the mode, merged with eight equal panels: narrow peaks, long
# exponential tails and both together are resolved.

_GL_X, _GL_W = np.polynomial.legendre.leggauss(8)
_GRADED = np.concatenate(([0.0], 4.0 ** np.arange(-2, 11)))
_EVEN = np.linspace(0.0, 1.0, 9)[1:]
_CUT = 45.0
_FAR = 1e7
_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0
_SEARCH_STEPS = 64  # intervals are at most 1e7 wide: 0.618**64 * 1e7 < 1e-5


def _log_1m_power(log_py: FloatArray, log_a: FloatArray) -> FloatArray:
    """ln(1 - (1 + p*y)^-A) from ln(p*y) and ln(A), without underflow for tiny p*y."""
    soft = np.where(
        log_py < -30.0,
        log_py,
        np.where(
            log_py > 30.0,
            np.log(np.maximum(log_py, 1.0)),
            np.log(np.log1p(np.exp(np.clip(log_py, -30.0, 30.0)))),
        ),
    )
    log_q = log_a + soft
    q = np.exp(log_q)
    with np.errstate(divide="ignore"):
        small = log_q + np.log1p(-np.minimum(q, 1e-6) / 2.0)
        return np.where(q < 1e-6, small, np.log(-np.expm1(-q)))


def _integrated(big_a: FloatArray, a: FloatArray, big_b: FloatArray, y: FloatArray) -> FloatArray:
    log_a, log_y = np.log(big_a)[:, None], np.log(y)[:, None]
    a2, b2 = a[:, None], big_b[:, None]

    def lower_half(v: FloatArray) -> FloatArray:
        return np.asarray(
            _log_1m_power(v + log_y, log_a) + (a2 - 1.0) * v + (b2 - 1.0) * np.log1p(-np.exp(v))
        )

    def upper_half(w: FloatArray) -> FloatArray:
        log_p = np.log(-np.expm1(w))
        return np.asarray(_log_1m_power(log_p + log_y, log_a) + (a2 - 2.0) * log_p + b2 * w)

    half = np.full_like(y, np.log(0.5))
    start_low = np.minimum(np.minimum(-log_a[:, 0] - log_y[:, 0], -np.log(big_b)), 0.0)
    start_low = np.maximum(start_low - 60.0 - _CUT / np.minimum(a, 1.0), -_FAR)
    start_high = np.minimum(np.log(big_b / (a + big_b)), np.log(0.5))
    start_high = np.maximum(start_high - 60.0 - _CUT / np.minimum(big_b, 1.0), -_FAR)
    total = np.logaddexp(
        _log_integral(lower_half, start_low, half), _log_integral(upper_half, start_high, half)
    )
    return np.asarray(np.exp(total - special.betaln(a, big_b)), dtype=np.float64)


def _log_integral(
    log_f: Callable[[FloatArray], FloatArray], lo: FloatArray, hi: FloatArray
) -> FloatArray:
    """ln of the integral of exp(log_f) over [lo, hi], for log_f unimodal; row-wise."""
    mode, peak = _mode(log_f, lo, hi)
    total = np.full_like(lo, -np.inf)
    for side, end in ((-1.0, lo), (1.0, hi)):
        reach = np.abs(_cutoff(log_f, mode, peak, end) - mode)
        edges = np.sort(
            np.concatenate(
                (np.minimum(_GRADED[None, :], reach[:, None]), reach[:, None] * _EVEN[None, :]),
                axis=1,
            ),
            axis=1,
        )
        half_width = (edges[:, 1:] - edges[:, :-1]) / 2.0
        centre = (edges[:, 1:] + edges[:, :-1]) / 2.0
        offsets = centre[:, :, None] + half_width[:, :, None] * _GL_X
        points = (mode[:, None, None] + side * offsets).reshape(lo.size, -1)
        weights = (half_width[:, :, None] * _GL_W).reshape(lo.size, -1)
        with np.errstate(divide="ignore"):
            part = special.logsumexp(log_f(points) - peak[:, None], b=weights, axis=1)
        total = np.logaddexp(total, part)
    return np.asarray(peak + total, dtype=np.float64)


def _mode(
    log_f: Callable[[FloatArray], FloatArray], lo: FloatArray, hi: FloatArray
) -> tuple[FloatArray, FloatArray]:
    left, right = lo.copy(), hi.copy()
    for _ in range(_SEARCH_STEPS):
        m1 = right - _GOLDEN * (right - left)
        m2 = left + _GOLDEN * (right - left)
        rising = log_f(m1[:, None])[:, 0] <= log_f(m2[:, None])[:, 0]
        left = np.where(rising, m1, left)
        right = np.where(rising, right, m2)
    candidates = np.stack([lo, (left + right) / 2.0, hi], axis=1)
    values = log_f(candidates)
    best = np.argmax(values, axis=1)
    rows = np.arange(lo.size)
    return candidates[rows, best], values[rows, best]


def _cutoff(
    log_f: Callable[[FloatArray], FloatArray], mode: FloatArray, peak: FloatArray, end: FloatArray
) -> FloatArray:
    """The point between mode and end where log_f has fallen by _CUT (end if it never does)."""
    floor = peak - _CUT
    reaches_end = log_f(end[:, None])[:, 0] >= floor
    inside, outside = mode.copy(), end.copy()
    for _ in range(_SEARCH_STEPS):
        middle = (inside + outside) / 2.0
        above = log_f(middle[:, None])[:, 0] >= floor
        inside = np.where(above, middle, inside)
        outside = np.where(above, outside, middle)
    return np.where(reaches_end, end, outside)


# --------------------------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------------------------


class BGNBDModel(PurchaseEstimator[BGNBDParams]):
    """BG/NBD estimator: ``fit`` on (x, t_x, T), then per-customer predictions."""

    params_type = BGNBDParams
    functions = PurchaseFunctions(
        p_alive, conditional_expected_purchases, expected_purchases, time_to_next_purchase,
        log_likelihood,
    )  # fmt: skip

    def fit(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        age: ArrayLike,
        *,
        weights: ArrayLike | None = None,
    ) -> Self:
        """Maximum-likelihood fit on customers' (x, t_x, T), grouped to unique rows."""
        rows = group_histories(frequency, recency, age, weights=weights)
        by_x = ByValue.of(rows.frequency)

        def terms(p: BGNBDParams) -> _Terms:
            return _terms(p, rows.frequency, rows.recency, rows.age, by_x)

        def total(values: FloatArray) -> tuple[float, FloatArray]:
            p = BGNBDParams.from_array(values)
            t = terms(p)
            ll = _base(p, t) + np.logaddexp(0.0, t.d)
            return float(rows.count @ ll), rows.count @ _gradient(p, t)

        def hessian(values: FloatArray) -> FloatArray:
            p = BGNBDParams.from_array(values)
            return _hessian(p, terms(p), rows.count)

        fit = fit_log_parameters(
            total,
            hessian,
            _start(rows.frequency, rows.age, rows.count),
            total_weight=rows.n_customers,
            penalizer=self.penalizer,
            tol=self.tol,
            max_iter=self.max_iter,
        )
        return self._remember(fit, n_customers=rows.n_customers, n_rows=len(rows))


def _start(x: FloatArray, t_age: FloatArray, count: FloatArray) -> FloatArray:
    """Starting values: r = 1 and alpha matching the mean purchase rate; a = b = 1."""
    mean_rate = max(float(count @ x) / max(float(count @ t_age), 1e-12), 1e-6)
    return np.array([1.0, 1.0 / mean_rate, 1.0, 1.0])
