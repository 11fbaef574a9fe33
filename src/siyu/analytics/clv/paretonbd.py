"""The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987, Management Science 33(1)).

While alive a customer buys as a Poisson process with rate ``lam ~ Gamma(r, alpha)``; the
lifetime is exponential with rate ``mu ~ Gamma(s, beta)``. For a customer with ``x`` repeat
purchases, the last at ``t_x``, observed for ``T``, the likelihood splits on the time of death
``tau`` (alive at T, or dead at some ``tau`` in (t_x, T]):

    L = Γ(r+x) α^r β^s / Γ(r) * [ (α+T)^-(r+x) (β+T)^-s + J ],
    J = s * ∫_{t_x}^{T} (α+τ)^-(r+x) (β+τ)^-(s+1) dτ.

Fader, Hardie & Lee's note "A Note on Implementing the Pareto/NBD Model in MATLAB" (2005)
writes J in closed form, ``s/(r+s+x) * A_0`` with A_0 a difference of two Gauss
hypergeometric functions (one form for alpha >= beta, another for alpha < beta). Here J is
evaluated from its integral instead, which is the same number: the log-integrand in
``u = ln(min(alpha, beta) + tau)`` is concave, so Gauss-Legendre (two panels of 16 nodes, split
at the peak) on the stretch where it is within exp(-36) of its peak gives ln J to ~1e-10 for
any parameters, in log space, where SciPy's hyp2f1 in the closed form can be off by 1e-3 or
overflow. The tests check it against the closed form. Because J is an integral over a
parameter-free range,
the gradient and Hessian are exact by differentiating under the integral sign and use the same
nodes: ``d ln L`` is an average of the per-node (and "alive") log-derivatives, weighted by the
posterior of the death time, and the Hessian adds their covariance. No finite differences.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Self

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from siyu.analytics.clv._estimator import PurchaseEstimator, PurchaseFunctions
from siyu.analytics.clv.bgnbd import waiting_time_quantile
from siyu.analytics.clv.prep import (
    ByValue,
    FloatArray,
    fit_log_parameters,
    group_histories,
    validate_histories,
)

__all__ = [
    "ParetoNBDModel",
    "ParetoNBDParams",
    "conditional_expected_purchases",
    "expected_purchases",
    "log_likelihood",
    "log_likelihood_gradient",
    "log_likelihood_hessian",
    "p_alive",
    "time_to_next_purchase",
]


@dataclass(frozen=True)
class ParetoNBDParams:
    """Pareto/NBD parameters: purchase rate Gamma(r, alpha), dropout rate Gamma(s, beta)."""

    r: float
    alpha: float
    s: float
    beta: float

    def as_array(self) -> FloatArray:
        """The parameters as an array (r, alpha, s, beta)."""
        return np.array([self.r, self.alpha, self.s, self.beta], dtype=np.float64)

    @classmethod
    def from_array(cls, values: ArrayLike) -> Self:
        """Parameters from an array (r, alpha, s, beta)."""
        r, alpha, s, beta = (float(v) for v in np.asarray(values, dtype=np.float64))
        return cls(r, alpha, s, beta)


# --------------------------------------------------------------------------------------------
# The death-time integral J by quadrature
# --------------------------------------------------------------------------------------------

_NODES = 16  # per panel; two panels per row
_GL_X, _GL_W = np.polynomial.legendre.leggauss(_NODES)
_LOG_GL_W = np.log(_GL_W)
_CUT = 36.0  # the integrand is dropped where it is below exp(-_CUT) of its peak
_NEWTON_STEPS = 60


@dataclass(frozen=True, eq=False)
class _Nodes:
    """Quadrature nodes of J per row, each (n, k): ln(weight * integrand) and, at each node
    tau, ln(alpha+tau), ln(beta+tau) and their reciprocals 1/(alpha+tau), 1/(beta+tau)."""

    log_mass: FloatArray
    log_alpha_tau: FloatArray
    log_beta_tau: FloatArray
    inv_alpha_tau: FloatArray
    inv_beta_tau: FloatArray


@dataclass(frozen=True)
class _Shape:
    """The log-integrand g(u) = ln s + u - kappa ln(alpha+tau) - (s+1) ln(beta+tau).

    With m = min(alpha, beta) and u = ln(m + tau), one of ln(alpha+tau), ln(beta+tau) is u
    itself and the other is logaddexp(u, ln|alpha - beta|).
    """

    kappa: FloatArray
    s: float
    alpha_smaller: bool
    log_gap: float  # ln|alpha - beta|, -inf when equal

    def logs(self, u: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(ln(alpha+tau), ln(beta+tau)) at u."""
        other = np.asarray(np.logaddexp(u, self.log_gap), dtype=np.float64)
        return (u, other) if self.alpha_smaller else (other, u)

    def value(self, u: FloatArray, kappa: FloatArray) -> FloatArray:
        """g at u (kappa broadcast against u)."""
        la, lb = self.logs(u)
        return np.asarray(np.log(self.s) + u - kappa * la - (self.s + 1.0) * lb)

    def slope(self, u: FloatArray, kappa: FloatArray) -> FloatArray:
        """g'(u)."""
        la, lb = self.logs(u)
        return np.asarray(1.0 - kappa * np.exp(u - la) - (self.s + 1.0) * np.exp(u - lb))


def _nodes(p: ParetoNBDParams, x: FloatArray, t_x: FloatArray, t_age: FloatArray) -> _Nodes:
    m = min(p.alpha, p.beta)
    with np.errstate(divide="ignore"):
        shape = _Shape(_r_plus(p, x), p.s, p.alpha <= p.beta, float(np.log(abs(p.alpha - p.beta))))
    u, log_w = _panels(p, shape, np.log(m + t_x), np.log(m + t_age))
    near = np.exp(u)  # min(alpha, beta) + tau
    far = near + abs(p.alpha - p.beta)  # max(alpha, beta) + tau
    log_far = np.log(far)
    la, lb = (u, log_far) if shape.alpha_smaller else (log_far, u)
    inv_near, inv_far = 1.0 / near, 1.0 / far
    g = np.log(p.s) + u - shape.kappa[:, None] * la - (p.s + 1.0) * lb
    return _Nodes(
        log_mass=log_w + g,
        log_alpha_tau=la,
        log_beta_tau=lb,
        inv_alpha_tau=inv_near if shape.alpha_smaller else inv_far,
        inv_beta_tau=inv_far if shape.alpha_smaller else inv_near,
    )


def _panels(
    p: ParetoNBDParams, shape: _Shape, u0: FloatArray, u1: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Nodes u and log-weights, (n, 2 * _NODES): two Gauss-Legendre panels per row covering
    the stretch of [u0, u1] where g is within _CUT of its peak, split at the peak if inside."""
    peak_at = np.clip(_stationary_point(p, shape.kappa), u0, u1)
    peak = shape.value(peak_at, shape.kappa)
    right = _cutoff(shape, peak_at, peak, u1)
    left = _cutoff(shape, peak_at, peak, u0)
    interior = (peak_at > left) & (peak_at < right)
    split = np.where(interior, peak_at, (left + right) / 2.0)
    half = np.stack([(split - left) / 2.0, (right - split) / 2.0], axis=1)  # (n, 2)
    centre = np.stack([(split + left) / 2.0, (right + split) / 2.0], axis=1)
    u = (centre[:, :, None] + half[:, :, None] * _GL_X).reshape(u0.size, -1)
    with np.errstate(divide="ignore"):
        log_w = (np.log(half)[:, :, None] + _LOG_GL_W).reshape(u0.size, -1)
    return u, log_w


def _r_plus(p: ParetoNBDParams, x: FloatArray) -> FloatArray:
    """r + x, the posterior shape of the purchase rate."""
    return np.asarray(p.r + x, dtype=np.float64)


def _stationary_point(p: ParetoNBDParams, kappa: FloatArray) -> FloatArray:
    """Where g'(u) = 0: only when alpha <= beta and kappa < 1; else -inf (g is decreasing)."""
    if p.alpha > p.beta:
        return np.full_like(kappa, -np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        point = np.log((1.0 - kappa) * (p.beta - p.alpha) / (kappa + p.s))
    return np.where(kappa < 1.0, point, -np.inf)


def _cutoff(shape: _Shape, peak_at: FloatArray, peak: FloatArray, end: FloatArray) -> FloatArray:
    """Between peak_at and end, where g = peak - _CUT (end if g stays above).

    g is concave, so Newton's method started at the end approaches the crossing from outside
    monotonically and never passes it.
    """
    u = end.copy()
    rows = np.flatnonzero(shape.value(u, shape.kappa) < peak - _CUT)
    for _ in range(_NEWTON_STEPS):
        if rows.size == 0:
            break
        kappa = shape.kappa[rows]
        excess = shape.value(u[rows], kappa) - (peak[rows] - _CUT)
        moved = u[rows] - excess / shape.slope(u[rows], kappa)
        bound = peak_at[rows]
        u[rows] = np.where(end[rows] > bound, np.maximum(moved, bound), np.minimum(moved, bound))
        rows = rows[excess < -1e-6]
    return u


# --------------------------------------------------------------------------------------------
# Likelihood
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Terms:
    """Per-row log-likelihood and the posterior weights of "alive at T" and of each node."""

    x: FloatArray
    by_x: ByValue
    t_age: FloatArray
    log_lik: FloatArray
    alive: FloatArray  # P(alive at T | data)
    node_weight: FloatArray  # (n, k), rows sum to 1 - alive
    nodes: _Nodes


def _terms(
    p: ParetoNBDParams,
    x: FloatArray,
    t_x: FloatArray,
    t_age: FloatArray,
    by_x: ByValue | None = None,
) -> _Terms:
    by_x = ByValue.of(x) if by_x is None else by_x
    kappa = _r_plus(p, x)
    log_norm = by_x.apply(lambda v: special.gammaln(p.r + v) - special.gammaln(p.r))
    log_norm = log_norm + p.r * np.log(p.alpha) + p.s * np.log(p.beta)
    log_alive = -kappa * np.log(p.alpha + t_age) - p.s * np.log(p.beta + t_age)
    nodes = _nodes(p, x, t_x, t_age)
    top = np.max(nodes.log_mass, axis=1)
    shift = np.where(np.isfinite(top), top, 0.0)
    scaled = np.exp(nodes.log_mass - shift[:, None])
    with np.errstate(divide="ignore"):
        log_dead = shift + np.log(np.sum(scaled, axis=1))
    log_total = np.logaddexp(log_alive, log_dead)
    return _Terms(
        x=x,
        by_x=by_x,
        t_age=t_age,
        log_lik=np.asarray(log_norm + log_total, dtype=np.float64),
        alive=np.exp(log_alive - log_total),
        node_weight=scaled * np.exp(np.where(np.isfinite(top), top - log_total, -np.inf))[:, None],
        nodes=nodes,
    )


_CHUNK = 4096  # rows per block: keeps the (rows, nodes) arrays small enough to stay in cache


@dataclass(frozen=True, eq=False)
class _Rows:
    """Flat (x, t_x, T) with their distinct frequencies, walked in blocks of _CHUNK rows."""

    x: FloatArray
    t_x: FloatArray
    t_age: FloatArray
    by_x: ByValue

    @classmethod
    def of(cls, x: FloatArray, t_x: FloatArray, t_age: FloatArray) -> _Rows:
        x, t_x, t_age = x.ravel(), t_x.ravel(), t_age.ravel()
        return cls(x, t_x, t_age, ByValue.of(x))

    def terms(self, p: ParetoNBDParams) -> Iterator[tuple[slice, _Terms]]:
        """Per block: its rows and their terms."""
        for start in range(0, self.x.size, _CHUNK):
            rows = slice(start, start + _CHUNK)
            by_x = ByValue(self.by_x.values, self.by_x.index[rows])
            yield rows, _terms(p, self.x[rows], self.t_x[rows], self.t_age[rows], by_x)


def _prepare(
    frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> tuple[_Rows, tuple[int, ...]]:
    x, t_x, t_age = validate_histories(frequency, recency, age)
    return _Rows.of(x, t_x, t_age), x.shape


def _per_row(p: ParetoNBDParams, rows: _Rows, pick: Callable[[_Terms], FloatArray]) -> FloatArray:
    parts = [pick(t) for _, t in rows.terms(p)]
    return np.concatenate(parts) if parts else np.zeros(0)


def log_likelihood(
    params: ParetoNBDParams, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> FloatArray:
    """Log-likelihood of each customer's (x, t_x, T)."""
    rows, shape = _prepare(frequency, recency, age)
    return _per_row(params, rows, lambda t: t.log_lik).reshape(shape)


def _component_gradients(
    p: ParetoNBDParams, t: _Terms
) -> tuple[list[FloatArray], list[FloatArray]]:
    """Log-derivatives of "alive" (n,) and of each node (n, k), centred by ln alpha, ln beta."""
    kappa = _r_plus(p, t.x)
    log_a, log_b = np.log(p.alpha), np.log(p.beta)
    alive = [
        -np.log1p(t.t_age / p.alpha),
        -kappa / (p.alpha + t.t_age),
        -np.log1p(t.t_age / p.beta),
        -p.s / (p.beta + t.t_age),
    ]
    nodes = t.nodes
    dead = [
        -(nodes.log_alpha_tau - log_a),
        -kappa[:, None] * nodes.inv_alpha_tau,
        1.0 / p.s - (nodes.log_beta_tau - log_b),
        -(p.s + 1.0) * nodes.inv_beta_tau,
    ]
    return alive, dead


def _expect(t: _Terms, alive: FloatArray | float, dead: FloatArray | float) -> FloatArray:
    """Per-row posterior expectation over "alive at T" and the death-time nodes."""
    return np.asarray(t.alive * alive + np.sum(t.node_weight * dead, axis=1), dtype=np.float64)


def _gradient(p: ParetoNBDParams, t: _Terms) -> FloatArray:
    """Exact gradient: d ln(norm) plus the posterior mean of the component log-derivatives."""
    kappa, nodes, w, alive = _r_plus(p, t.x), t.nodes, t.node_weight, t.alive
    dead = np.sum(w, axis=1)

    def node_mean(values: FloatArray) -> FloatArray:
        return np.asarray(np.einsum("ij,ij->i", w, values))

    shift_a = node_mean(nodes.log_alpha_tau) - dead * np.log(p.alpha)
    shift_b = node_mean(nodes.log_beta_tau) - dead * np.log(p.beta)
    psi = t.by_x.apply(lambda v: special.digamma(p.r + v) - special.digamma(p.r))
    d_r = psi - alive * np.log1p(t.t_age / p.alpha) - shift_a
    d_alpha = p.r / p.alpha - kappa * (alive / (p.alpha + t.t_age) + node_mean(nodes.inv_alpha_tau))
    d_s = dead / p.s - alive * np.log1p(t.t_age / p.beta) - shift_b
    d_beta = p.s / p.beta - alive * p.s / (p.beta + t.t_age)
    d_beta = d_beta - (p.s + 1.0) * node_mean(nodes.inv_beta_tau)
    return np.stack([d_r, d_alpha, d_s, d_beta], axis=-1)


def log_likelihood_gradient(
    params: ParetoNBDParams, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> FloatArray:
    """Exact gradient of each customer's log-likelihood in (r, alpha, s, beta); shape (n, 4)."""
    rows, shape = _prepare(frequency, recency, age)
    gradient = _per_row(params, rows, lambda t: _gradient(params, t))
    return gradient.reshape((*shape, 4))


def _hessian(p: ParetoNBDParams, t: _Terms, weight: FloatArray) -> FloatArray:
    """Hessian of the log-likelihood: that of ln(norm) + E[d2 phi] + Cov[d phi], weighted."""
    kappa = _r_plus(p, t.x)
    alive, dead = _component_gradients(p, t)
    inv_at, inv_bt = 1.0 / (p.alpha + t.t_age), 1.0 / (p.beta + t.t_age)
    inv_a_tau, inv_b_tau = t.nodes.inv_alpha_tau, t.nodes.inv_beta_tau
    second: dict[tuple[int, int], tuple[FloatArray | float, FloatArray | float]] = {
        (0, 1): (-inv_at, -inv_a_tau),
        (1, 1): (kappa * inv_at**2, kappa[:, None] * inv_a_tau**2),
        (2, 2): (0.0, -1.0 / p.s**2),
        (2, 3): (-inv_bt, -inv_b_tau),
        (3, 3): (p.s * inv_bt**2, (p.s + 1.0) * inv_b_tau**2),
    }
    norm: dict[tuple[int, int], FloatArray | float] = {
        (0, 0): t.by_x.apply(lambda v: _trigamma(p.r + v) - _trigamma(p.r)),
        (0, 1): 1.0 / p.alpha,
        (1, 1): -p.r / p.alpha**2,
        (2, 3): 1.0 / p.beta,
        (3, 3): -p.s / p.beta**2,
    }
    mean = [_expect(t, a, d) for a, d in zip(alive, dead, strict=True)]
    h = np.zeros((4, 4))
    for i in range(4):
        for j in range(i, 4):
            on_alive, on_dead = second.get((i, j), (0.0, 0.0))
            moment = _expect(t, on_alive + alive[i] * alive[j], on_dead + dead[i] * dead[j])
            row = norm.get((i, j), 0.0) + moment - mean[i] * mean[j]
            h[i, j] = h[j, i] = float(weight @ row)
    return h


def _trigamma(z: FloatArray | float) -> FloatArray:
    return np.asarray(special.polygamma(1, z), dtype=np.float64)


def log_likelihood_hessian(
    params: ParetoNBDParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    *,
    weights: ArrayLike | None = None,
) -> FloatArray:
    """Exact Hessian of the total (weighted) log-likelihood in (r, alpha, s, beta)."""
    rows, shape = _prepare(frequency, recency, age)
    if weights is None:
        return _total_hessian(params, rows, np.ones(rows.x.size))
    weight = np.broadcast_to(np.asarray(weights, dtype=np.float64), shape).reshape(-1)
    return _total_hessian(params, rows, weight)


def _total_hessian(p: ParetoNBDParams, rows: _Rows, weight: FloatArray) -> FloatArray:
    return np.asarray(sum((_hessian(p, t, weight[r]) for r, t in rows.terms(p)), np.zeros((4, 4))))


def _total(p: ParetoNBDParams, rows: _Rows, weight: FloatArray) -> tuple[float, FloatArray]:
    value, grad = 0.0, np.zeros(4)
    for r, t in rows.terms(p):
        value += float(weight[r] @ t.log_lik)
        grad += weight[r] @ _gradient(p, t)
    return value, grad


# --------------------------------------------------------------------------------------------
# Predictions
# --------------------------------------------------------------------------------------------


def p_alive(
    params: ParetoNBDParams, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
) -> FloatArray:
    """Probability that each customer is still alive at T."""
    rows, shape = _prepare(frequency, recency, age)
    return _per_row(params, rows, lambda t: t.alive).reshape(shape)


def conditional_expected_purchases(
    params: ParetoNBDParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    *,
    horizon: ArrayLike,
) -> FloatArray:
    """Expected purchases in (T, T + horizon] given each history (SMC 1987; FHL 2005 note).

    ``P(alive) * (r+x)(beta+T) / ((alpha+T)(s-1)) * [1 - ((beta+T)/(beta+T+t))^(s-1)]``,
    with the s = 1 limit taken smoothly.
    """
    x, t_x, t_age = validate_histories(frequency, recency, age)
    t = _horizon(horizon)
    alive = p_alive(params, x, t_x, t_age)
    rate = _r_plus(params, x) / (params.alpha + t_age)
    lifetime = _growth(params.s - 1.0, np.log1p(t / (params.beta + t_age)))
    return np.asarray(alive * rate * (params.beta + t_age) * lifetime, dtype=np.float64)


def expected_purchases(params: ParetoNBDParams, horizon: ArrayLike) -> FloatArray:
    """Expected repeat purchases in (0, horizon] of a customer just acquired."""
    t = _horizon(horizon)
    lifetime = _growth(params.s - 1.0, np.log1p(t / params.beta))
    return np.asarray(params.r / params.alpha * params.beta * lifetime, dtype=np.float64)


def time_to_next_purchase(
    params: ParetoNBDParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    age: ArrayLike,
    *,
    probability: float = 0.5,
) -> FloatArray:
    """Time after T by which a customer who stays alive buys again (median by default)."""
    x, _, t_age = validate_histories(frequency, recency, age)
    return waiting_time_quantile(params.r, params.alpha, x, t_age, probability)


def _growth(eps: float, log_ratio: FloatArray) -> FloatArray:
    """(1 - exp(-eps * L)) / eps, equal to L in the limit eps -> 0."""
    product = eps * log_ratio
    if eps == 0.0:
        return np.asarray(log_ratio, dtype=np.float64)
    small = np.abs(product) < 1e-8
    return np.asarray(
        np.where(small, log_ratio * (1.0 - product / 2.0), -np.expm1(-product) / eps),
        dtype=np.float64,
    )


def _horizon(horizon: ArrayLike) -> FloatArray:
    t = np.asarray(horizon, dtype=np.float64)
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError("horizon must be finite and non-negative")
    return t


# --------------------------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------------------------


class ParetoNBDModel(PurchaseEstimator[ParetoNBDParams]):
    """Pareto/NBD estimator: ``fit`` on (x, t_x, T), then per-customer predictions."""

    params_type = ParetoNBDParams
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
        data = _Rows.of(rows.frequency, rows.recency, rows.age)

        def total(values: FloatArray) -> tuple[float, FloatArray]:
            return _total(ParetoNBDParams.from_array(values), data, rows.count)

        def hessian(values: FloatArray) -> FloatArray:
            return _total_hessian(ParetoNBDParams.from_array(values), data, rows.count)

        fit = fit_log_parameters(
            total,
            hessian,
            _start(rows.frequency, rows.age, rows.count),
            total_weight=rows.n_customers,
            penalizer=self.penalizer,
            tol=self.tol,
            max_iter=self.max_iter,
            trust_region=False,  # the Hessian costs about three likelihood evaluations here
        )
        return self._remember(fit, n_customers=rows.n_customers, n_rows=len(rows))


def _start(x: FloatArray, t_age: FloatArray, count: FloatArray) -> FloatArray:
    """Starting values: r = s = 1, alpha matching the mean purchase rate, beta the mean age."""
    mean_age = max(float(count @ t_age) / max(float(count.sum()), 1.0), 1e-12)
    mean_rate = max(float(count @ x) / max(float(count @ t_age), 1e-12), 1e-6)
    return np.array([1.0, 1.0 / mean_rate, 1.0, mean_age])
