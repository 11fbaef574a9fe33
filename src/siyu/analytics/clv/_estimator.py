"""What the three estimators share: hyper-parameters, learned attributes, the fitted check."""

from __future__ import annotations

from typing import Any, ClassVar, Generic, Self, TypeVar

import numpy as np

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
