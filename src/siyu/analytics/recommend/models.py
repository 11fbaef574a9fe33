"""The three scorers: popularity, item-to-item co-purchase and an implicit-feedback model.

Each follows scikit-learn's shape: hyper-parameters in ``__init__``, ``fit`` on a customer x
product matrix of buying occasions returns ``self``, learned attributes end in ``_``, and
``score`` gives one row of product scores per customer (higher is better, 0 = no signal).
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from siyu.analytics.clv.prep import NotFittedError
from siyu.analytics.recommend.histories import FloatArray, IntArray

Scores = NDArray[np.float32]


def _binary(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """The same pattern with every stored value 1.0 (float32)."""
    out = sp.csr_matrix(matrix, dtype=np.float32, copy=True)
    out.data[:] = 1.0
    return out


def _check_fitted(model: Any, attribute: str) -> None:
    if not hasattr(model, attribute):
        raise NotFittedError(f"this {type(model).__name__} is not fitted yet; call fit first")


class PopularityModel:
    """Products ranked by how many customers bought them (the baseline)."""

    popularity_: FloatArray

    def fit(self, days: sp.csr_matrix) -> Self:
        """Count each product's distinct buyers."""
        self.popularity_ = np.bincount(days.indices, minlength=days.shape[1]).astype(np.float64)
        return self

    def score(self, owned: sp.csr_matrix) -> Scores:
        """The same scores (buyer shares) for every customer."""
        _check_fitted(self, "popularity_")
        share = self.popularity_ / max(float(self.popularity_.max(initial=0.0)), 1.0)
        return np.broadcast_to(share.astype(np.float32), owned.shape).copy()


class CoPurchaseModel:
    """Item-to-item cosine over customers: ``|A ∩ B| / sqrt(|A| |B|)`` for products A, B.

    A pair counts only when at least ``min_support`` customers bought both; a customer's score
    for a product sums its similarity to every product the customer owns.
    """

    similarity_: sp.csr_matrix

    def __init__(self, *, min_support: int = 3) -> None:
        self.min_support = min_support

    def fit(self, days: sp.csr_matrix) -> Self:
        """Cosine similarity between products' buyer sets, thresholded by support."""
        owned = _binary(days)
        both = (owned.T @ owned).tocsr().astype(np.float64)
        size = both.diagonal()
        both.setdiag(0.0)
        both.data[both.data < self.min_support] = 0.0
        both.eliminate_zeros()
        rows = np.repeat(np.arange(both.shape[0]), np.diff(both.indptr))
        both.data = both.data / np.sqrt(size[rows] * size[both.indices])
        self.similarity_ = both.astype(np.float32)
        return self

    def score(self, owned: sp.csr_matrix) -> Scores:
        """Sum of similarities to the owned products, per customer row."""
        _check_fitted(self, "similarity_")
        return np.asarray((_binary(owned) @ self.similarity_).todense(), dtype=np.float32)


class ImplicitModel:
    """Alternating least squares for implicit feedback (Hu, Koren & Volinsky 2008) by
    the ``implicit`` library; confidence grows with ``alpha`` x buying occasions.

    The fit is deterministic for a seed: each least-squares step solves every customer (or
    product) on its own, so threads change the speed, not the factors.
    """

    user_factors_: NDArray[np.float32]
    item_factors_: NDArray[np.float32]

    def __init__(
        self,
        *,
        factors: int = 32,
        regularization: float = 1.0,
        alpha: float = 1.0,
        iterations: int = 10,
        threads: int = 2,
        seed: int = 0,
    ) -> None:
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.threads = threads
        self.seed = seed

    def fit(self, days: sp.csr_matrix) -> Self:
        """Factor the customer x product matrix of buying occasions."""
        from implicit.cpu.als import AlternatingLeastSquares

        # implicit runs its own threads (and checks BLAS when built): BLAS threads on top of
        # them only contend
        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(
                factors=self.factors, regularization=self.regularization, alpha=self.alpha,
                iterations=self.iterations, num_threads=self.threads, random_state=self.seed,
            )  # fmt: skip
            model.fit(sp.csr_matrix(days, dtype=np.float32), show_progress=False)
        self.user_factors_ = np.asarray(model.user_factors, dtype=np.float32)
        self.item_factors_ = np.asarray(model.item_factors, dtype=np.float32)
        return self

    def score(self, rows: IntArray) -> Scores:
        """Predicted preference of the fitted customers at ``rows`` for every product."""
        _check_fitted(self, "user_factors_")
        return np.asarray(self.user_factors_[rows] @ self.item_factors_.T, dtype=np.float32)
