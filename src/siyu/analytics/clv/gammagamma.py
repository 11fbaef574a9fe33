"""The Gamma-Gamma model of spend per purchase.

Colombo & Jiang (1999), "A stochastic RFM model", Journal of Interactive Marketing 13(3);
Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves for Customer Base
Analysis", Journal of Marketing Research 42(4), 415-430; Fader & Hardie (2013), "The
Gamma-Gamma Model of Monetary Value" (www.brucehardie.com/notes/025/).

Each purchase of a customer is worth ``z ~ Gamma(p, nu)`` (shape p, rate nu), and
``nu ~ Gamma(q, gamma)`` across customers. The mean ``m_x`` of a customer's ``x`` repeat
purchases then has density

    f(m_x | p, q, γ, x) = Γ(px+q) / (Γ(px) Γ(q)) * γ^q m_x^(px-1) x^(px) / (γ + x m_x)^(px+q)

and the expected spend per purchase given ``(x, m_x)`` is
``(γ + x m_x) p / (px + q - 1)``, a weighted average of the population mean
``pγ/(q-1)`` and the customer's own mean. Spend is independent of the purchase process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from siyu.analytics.clv._estimator import MaximumLikelihoodModel
from siyu.analytics.clv.prep import ByValue, FloatArray, fit_log_parameters

__all__ = [
    "GammaGammaModel",
    "GammaGammaParams",
    "conditional_expected_spend",
    "log_likelihood",
    "log_likelihood_gradient",
    "log_likelihood_hessian",
]


@dataclass(frozen=True)
class GammaGammaParams:
    """Gamma-Gamma parameters: purchase value Gamma(p, nu), nu ~ Gamma(q, gamma)."""

    p: float
    q: float
    gamma: float

    def as_array(self) -> FloatArray:
        """The parameters as an array (p, q, gamma)."""
        return np.array([self.p, self.q, self.gamma], dtype=np.float64)

    @classmethod
    def from_array(cls, values: ArrayLike) -> Self:
        """Parameters from an array (p, q, gamma)."""
        p, q, gamma = (float(v) for v in np.asarray(values, dtype=np.float64))
        return cls(p, q, gamma)

    @property
    def population_mean(self) -> float:
        """Mean spend per purchase across customers, p*gamma/(q-1); inf when q <= 1."""
        return self.p * self.gamma / (self.q - 1.0) if self.q > 1.0 else float("inf")


def _validate(frequency: ArrayLike, monetary: ArrayLike) -> tuple[FloatArray, FloatArray]:
    x, m = np.broadcast_arrays(
        np.asarray(frequency, dtype=np.float64), np.asarray(monetary, dtype=np.float64)
    )
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(m))):
        raise ValueError("frequency and monetary value must be finite")
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("frequency must be a non-negative integer")
    if np.any(m[x > 0] <= 0):
        raise ValueError("customers with repeat purchases need a positive monetary value")
    return x.astype(np.float64), m.astype(np.float64)


@dataclass(frozen=True, eq=False)
class _Repeaters:
    """Customers with x > 0: x, mean spend, and what the likelihood needs of them, once."""

    x: FloatArray
    by_x: ByValue
    log_m: FloatArray
    log_xm: FloatArray
    xm: FloatArray  # x * m_x, the customer's repeat spend in total

    @classmethod
    def of(cls, x: FloatArray, m: FloatArray) -> _Repeaters:
        if np.any(x <= 0) or np.any(m <= 0):
            raise ValueError("the likelihood needs x > 0 and a positive monetary value")
        x, m = x.ravel(), m.ravel()
        return cls(x, ByValue.of(x), np.log(m), np.log(x * m), x * m)


def _log_lik(params: GammaGammaParams, d: _Repeaters) -> FloatArray:
    p, q, g = params.p, params.q, params.gamma

    def by_frequency(v: FloatArray) -> FloatArray:
        pv = p * v
        return np.asarray(special.gammaln(pv + q) - special.gammaln(pv) + pv * np.log(v))

    head = d.by_x.apply(by_frequency) - special.gammaln(q) + q * np.log(g)
    px = p * d.x
    return np.asarray(head + (px - 1.0) * d.log_m - (px + q) * np.log(g + d.xm))


def log_likelihood(
    params: GammaGammaParams, frequency: ArrayLike, monetary: ArrayLike
) -> FloatArray:
    """Log-density of each customer's mean repeat spend given x (customers with x > 0)."""
    x, m = _validate(frequency, monetary)
    return _log_lik(params, _Repeaters.of(x, m)).reshape(x.shape)


def _gradient(params: GammaGammaParams, d: _Repeaters) -> FloatArray:
    p, q, g = params.p, params.q, params.gamma
    log_total = np.log(g + d.xm)
    psi_px = d.by_x.apply(lambda v: special.digamma(p * v + q) - special.digamma(p * v))
    psi_q = d.by_x.apply(lambda v: special.digamma(p * v + q) - special.digamma(q))
    d_p = d.x * (psi_px + d.log_xm - log_total)
    d_q = psi_q + np.log(g) - log_total
    d_gamma = q / g - (p * d.x + q) / (g + d.xm)
    return np.stack([d_p, d_q, d_gamma], axis=-1)


def log_likelihood_gradient(
    params: GammaGammaParams, frequency: ArrayLike, monetary: ArrayLike
) -> FloatArray:
    """Exact gradient of each customer's log-likelihood in (p, q, gamma); shape (n, 3)."""
    x, m = _validate(frequency, monetary)
    return _gradient(params, _Repeaters.of(x, m)).reshape((*x.shape, 3))


def _trigamma(z: FloatArray | float) -> FloatArray:
    return np.asarray(special.polygamma(1, z), dtype=np.float64)


def _hessian(params: GammaGammaParams, d: _Repeaters, weight: FloatArray) -> FloatArray:
    p, q, g = params.p, params.q, params.gamma
    total = g + d.xm
    tri_sum = d.by_x.apply(lambda v: _trigamma(p * v + q))
    entries = {
        (0, 0): d.x**2 * (tri_sum - d.by_x.apply(lambda v: _trigamma(p * v))),
        (0, 1): d.x * tri_sum,
        (0, 2): -d.x / total,
        (1, 1): tri_sum - _trigamma(q),
        (1, 2): d.xm / (g * total),
        (2, 2): -q / g**2 + (p * d.x + q) / total**2,
    }
    h = np.zeros((3, 3))
    for (i, j), entry in entries.items():
        h[i, j] = h[j, i] = float(weight @ entry)
    return h


def log_likelihood_hessian(
    params: GammaGammaParams,
    frequency: ArrayLike,
    monetary: ArrayLike,
    *,
    weights: ArrayLike | None = None,
) -> FloatArray:
    """Exact Hessian of the total (weighted) log-likelihood in (p, q, gamma); shape (3, 3)."""
    x, m = _validate(frequency, monetary)
    if weights is None:
        return _hessian(params, _Repeaters.of(x, m), np.ones(x.size))
    weight = np.broadcast_to(np.asarray(weights, dtype=np.float64), x.shape).reshape(-1)
    return _hessian(params, _Repeaters.of(x, m), weight)


def conditional_expected_spend(
    params: GammaGammaParams, frequency: ArrayLike, monetary: ArrayLike
) -> FloatArray:
    """Expected spend per purchase given x repeat purchases of mean m_x (FHL 2005, eq. 5).

    Customers without repeat purchases get the population mean. Where ``px + q <= 1`` the
    posterior mean does not exist and the result is ``inf``.
    """
    x, m = _validate(frequency, monetary)
    p, q, g = params.p, params.q, params.gamma
    m = np.where(x > 0, m, 0.0)
    denominator = p * x + q - 1.0
    with np.errstate(divide="ignore"):
        spend = np.where(denominator > 0, (g + x * m) * p / denominator, np.inf)
    return np.asarray(spend, dtype=np.float64)


class GammaGammaModel(MaximumLikelihoodModel[GammaGammaParams]):
    """Gamma-Gamma estimator of spend per purchase, fitted on customers with x > 0."""

    params_type = GammaGammaParams

    def fit(
        self, frequency: ArrayLike, monetary: ArrayLike, *, weights: ArrayLike | None = None
    ) -> Self:
        """Maximum-likelihood fit on (x, mean repeat spend); customers with x = 0 are skipped."""
        x, m = _validate(frequency, monetary)
        w = np.broadcast_to(
            np.ones(1) if weights is None else np.asarray(weights, dtype=np.float64), x.shape
        )
        keep = x > 0
        if not np.any(keep):
            raise ValueError("Gamma-Gamma needs customers with repeat purchases")
        # Mean spends are continuous, so customers rarely share a row: no grouping here.
        data = _Repeaters.of(x[keep], m[keep])
        count = np.ascontiguousarray(w[keep], dtype=np.float64)

        def total(values: FloatArray) -> tuple[float, FloatArray]:
            p = GammaGammaParams.from_array(values)
            return float(count @ _log_lik(p, data)), count @ _gradient(p, data)

        def hessian(values: FloatArray) -> FloatArray:
            return _hessian(GammaGammaParams.from_array(values), data, count)

        mean_spend = float(count @ np.exp(data.log_m)) / float(count.sum())
        fit = fit_log_parameters(
            total,
            hessian,
            np.array([1.0, 2.0, mean_spend]),
            total_weight=float(count.sum()),
            penalizer=self.penalizer,
            tol=self.tol,
            max_iter=self.max_iter,
        )
        return self._remember(fit, n_customers=float(count.sum()), n_rows=int(data.x.size))

    def conditional_expected_spend(self, frequency: ArrayLike, monetary: ArrayLike) -> FloatArray:
        """Expected spend per purchase of each customer."""
        return conditional_expected_spend(self._fitted(), frequency, monetary)
