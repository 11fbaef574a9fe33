"""What the estimators share: hyper-parameters, learned attributes, the fitted check, and
for the two purchase models the per-customer predictions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Generic, NamedTuple, Self, TypeVar

import numpy as np
from numpy.typing import ArrayLike

from siyu.analytics.clv.prep import FloatArray, LogParameterFit, NotFittedError

P = TypeVar("P")


class MaximumLikelihoodModel(Generic[P]):
    """Base of the estimators: ``fit`` stores its result with ``_remember``; learned attributes
    end in ``_`` (scikit-learn style)."""

    params_type: ClassVar[Any]  # the parameter dataclass, with ``from_array``

    params_: P
    standard_errors_: P
    covariance_: FloatArray
    log_likelihood_: float
    n_customers_: float
    n_rows_: int
    n_iter_: int
    converged_: bool

    def __init__(self, *, penalizer: float = 0.0, tol: float = 1e-9, max_iter: int = 2000):
        self.penalizer = penalizer
        self.tol = tol
        self.max_iter = max_iter

    def _remember(self, fit: LogParameterFit, *, n_customers: float, n_rows: int) -> Self:
        """Store a fit's result as the learned attributes; return self."""
        self.params_ = self.params_type.from_array(fit.params)
        self.standard_errors_ = self.params_type.from_array(np.sqrt(np.diag(fit.covariance)))
        self.covariance_ = fit.covariance
        self.log_likelihood_ = fit.log_likelihood
        self.n_customers_ = n_customers
        self.n_rows_ = n_rows
        self.n_iter_ = fit.n_iter
        self.converged_ = fit.converged
        return self

    @classmethod
    def from_params(cls, params: P) -> Self:
        """A model with known parameters (no fit), for predictions."""
        model = cls()
        model.params_ = params
        return model

    def _fitted(self) -> P:
        if not hasattr(self, "params_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit first")
        return self.params_


class PurchaseFunctions(NamedTuple):
    """A purchase model's prediction functions, each taking the parameters first."""

    p_alive: Callable[..., FloatArray]
    conditional_expected_purchases: Callable[..., FloatArray]
    expected_purchases: Callable[..., FloatArray]
    time_to_next_purchase: Callable[..., FloatArray]
    log_likelihood: Callable[..., FloatArray]


class PurchaseEstimator(MaximumLikelihoodModel[P]):
    """Base of BG/NBD and Pareto/NBD: predictions through the model's own functions."""

    functions: ClassVar[PurchaseFunctions]

    def p_alive(self, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike) -> FloatArray:
        """Probability that each customer is alive at T."""
        return self.functions.p_alive(self._fitted(), frequency, recency, age)

    def conditional_expected_purchases(
        self, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike, *, horizon: ArrayLike
    ) -> FloatArray:
        """Expected purchases of each customer in (T, T + horizon]."""
        return self.functions.conditional_expected_purchases(
            self._fitted(), frequency, recency, age, horizon=horizon
        )

    def expected_purchases(self, horizon: ArrayLike) -> FloatArray:
        """Expected repeat purchases in (0, horizon] of a newly acquired customer."""
        return self.functions.expected_purchases(self._fitted(), horizon)

    def time_to_next_purchase(
        self, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike, *, probability: float = 0.5
    ) -> FloatArray:
        """Time after T by which a customer who stays alive buys again (median by default)."""
        return self.functions.time_to_next_purchase(
            self._fitted(), frequency, recency, age, probability=probability
        )

    def log_likelihood(
        self, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike
    ) -> FloatArray:
        """Log-likelihood of each customer under the fitted parameters."""
        return self.functions.log_likelihood(self._fitted(), frequency, recency, age)
