"""Next-best products per customer: the models, the role rules and the ranking together.

Ranking, per customer, in tiers (a higher tier always comes first):

1. ``trial_to_main``: for a customer who owns an entry product (trial/traffic) and no main
   product, the ``trial_to_main_slots`` main products that buyers of those entry products
   most often bought next;
2. the model's products with a signal (co-purchase similarity above 0, any implicit-model
   score, either in the blend), by the model's score;
3. ``popular``: the rest by popularity, so every list is full when enough products may be
   recommended.

Owned products are left out unless repurchasable (see :mod:`.rules`). With ``rules=False``
neither the exclusion nor tier 1 applies (to measure what the rules add).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final, Literal, Self

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from siyu.analytics.clv.prep import NotFittedError
from siyu.analytics.recommend.histories import FloatArray, HistoryMatrix, IntArray
from siyu.analytics.recommend.models import CoPurchaseModel, ImplicitModel, PopularityModel
from siyu.analytics.recommend.rules import (
    BoolArray,
    EntryToMain,
    entry_to_main,
    repurchasable,
    role_mask,
)
from siyu.analytics.recommend.settings import DEFAULT_RECOMMEND, RecommendSettings
from siyu.analytics.settings import Locale

Method = Literal["popularity", "co_purchase", "implicit", "blend"]
METHODS: Final[tuple[Method, ...]] = ("popularity", "co_purchase", "implicit", "blend")
REASONS: Final = ("co_purchase", "implicit", "trial_to_main", "popular")
"""Why a product was recommended; a reason's code is its index."""
REASON_LABELS: Final[dict[Locale, tuple[str, ...]]] = {
    "zh-CN": ("常一起购买", "相似客户偏好", "体验装之后的正装", "热销"),
    "en": ("bought together", "customers like them", "after the trial", "popular"),
}
CO_PURCHASE, IMPLICIT, TRIAL_TO_MAIN, POPULAR = range(4)
BATCH = 4_096  # customers scored at once: bounds memory at BATCH x products floats


@dataclass(frozen=True)
class Recommendations:
    """Top products of some customers: ``product`` holds column indices, -1 past the end."""

    rows: IntArray  # customer row indices in the history matrix
    product: IntArray  # (customers, top)
    score: NDArray[np.float32]  # the reason's own score (see docs/next-best-products.md)
    reason: NDArray[np.int8]  # index into REASONS, -1 past the end


@dataclass(frozen=True)
class _Keyed:
    """Ranking keys (tiers + a within-tier order) with each candidate's reason and score."""

    key: FloatArray
    reason: NDArray[np.int8]
    score: NDArray[np.float32]


class NextBestProducts:
    """Fit every scorer and the role rules on a history matrix; recommend top products."""

    popularity_: PopularityModel
    co_purchase_: CoPurchaseModel
    implicit_: ImplicitModel | None
    repurchasable_: BoolArray
    entry_to_main_: EntryToMain
    history_: HistoryMatrix

    def __init__(self, settings: RecommendSettings = DEFAULT_RECOMMEND) -> None:
        self.settings = settings

    def fit(self, history: HistoryMatrix) -> Self:
        """Fit popularity, co-purchase, the implicit model (with enough buyers) and the rules."""
        s = self.settings
        self.history_ = history
        self.popularity_ = PopularityModel().fit(history.days)
        self.co_purchase_ = CoPurchaseModel(min_support=s.min_support).fit(history.days)
        self.implicit_ = None
        if history.shape[0] >= s.min_customers and history.shape[1] >= 2:
            self.implicit_ = ImplicitModel(
                factors=implicit_factors(history.shape[1], s.factors),
                regularization=s.regularization, alpha=s.alpha, iterations=s.iterations,
                threads=s.threads, seed=s.seed,
            ).fit(history.days)  # fmt: skip
        self.repurchasable_ = repurchasable(history, s)
        self.entry_to_main_ = entry_to_main(history, s)
        return self

    def recommend(
        self,
        rows: IntArray | None = None,
        *,
        method: Method = "blend",
        rules: bool = True,
        top: int | None = None,
    ) -> Iterator[Recommendations]:
        """Top products of the customers at ``rows`` (all by default), batch by batch."""
        if not hasattr(self, "history_"):
            raise NotFittedError("this NextBestProducts is not fitted yet; call fit first")
        rows = np.arange(self.history_.shape[0]) if rows is None else rows
        n = min(top or self.settings.top, self.history_.shape[1])
        owned_all = self.history_.owned()
        for start in range(0, rows.size, BATCH):
            batch = rows[start : start + BATCH]
            # small products: BLAS threads cost more to wake than they save (25x on a busy box)
            with threadpool_limits(1, "blas"):
                keyed = self._keys(batch, owned_all[batch], method, rules)
                found = _top(batch, keyed, n)
            yield found

    def _keys(self, batch: IntArray, owned: sp.csr_matrix, method: Method, rules: bool) -> _Keyed:
        popular = self.popularity_.score(owned)
        key = popular.astype(np.float64)
        reason = np.full(key.shape, POPULAR, dtype=np.int8)
        score = popular.copy()
        if method != "popularity":
            signal, model_score, model_reason = self._model(batch, owned, method)
            key = np.where(signal, 2.0 + _row_scaled(model_score, signal), key)
            reason = np.where(signal, model_reason, reason).astype(np.int8)
            score = np.where(signal, model_score, score).astype(np.float32)
        if rules:
            self._trial_to_main(owned, key, reason, score)
            excluded = owned.toarray().astype(bool) & ~self.repurchasable_[None, :]
            key[excluded] = -np.inf
        return _Keyed(key, reason, score)

    def _model(
        self, batch: IntArray, owned: sp.csr_matrix, method: Method
    ) -> tuple[BoolArray, NDArray[np.float32], NDArray[np.int8]]:
        """Which products carry the model's signal, its score and the reason to show."""
        co = self.co_purchase_.score(owned)
        co_signal = co > 0
        if method == "co_purchase" or self.implicit_ is None:
            return co_signal, co, np.full(co.shape, CO_PURCHASE, dtype=np.int8)
        implicit = self.implicit_.score(batch)
        if method == "implicit":
            every = np.ones(implicit.shape, dtype=bool)
            return every, implicit, np.full(implicit.shape, IMPLICIT, dtype=np.int8)
        k = self.settings.blend_k
        co_part = np.where(co_signal, 1.0 / (k + 1.0 + _ranks(co)), 0.0)
        implicit_part = 1.0 / (k + 1.0 + _ranks(implicit))
        blend = (co_part + implicit_part).astype(np.float32)
        reason = np.where(co_part >= implicit_part, CO_PURCHASE, IMPLICIT).astype(np.int8)
        return np.ones(blend.shape, dtype=bool), blend, reason

    def _trial_to_main(
        self,
        owned: sp.csr_matrix,
        key: FloatArray,
        reason: NDArray[np.int8],
        score: NDArray[np.float32],
    ) -> None:
        """Put the likeliest main products first for entry buyers without a main product."""
        s = self.settings
        entry = role_mask(self.history_, s.entry_roles)
        main = role_mask(self.history_, s.main_roles)
        has_entry = np.asarray(owned[:, entry].sum(axis=1)).ravel() > 0
        has_main = np.asarray(owned[:, main].sum(axis=1)).ravel() > 0
        who = np.flatnonzero(has_entry & ~has_main)
        slots = min(s.trial_to_main_slots, int(main.sum()))
        if who.size == 0 or slots == 0:
            return
        entries = owned[who].multiply(entry[None, :].astype(np.float32)).tocsr()
        p = self.entry_to_main_.probabilities(entries, s.trial_to_main_prior)
        p = np.where(main[None, :], p, -1.0)
        best = np.argsort(-p, axis=1, kind="stable")[:, :slots]
        chosen = np.take_along_axis(p, best, axis=1) > 0
        r, c = np.repeat(who, slots)[chosen.ravel()], best.ravel()[chosen.ravel()]
        key[r, c] = 4.0 + np.take_along_axis(p, best, axis=1).ravel()[chosen.ravel()]
        reason[r, c] = TRIAL_TO_MAIN
        score[r, c] = p[np.repeat(np.arange(who.size), slots)[chosen.ravel()], c]


def implicit_factors(n_products: int, most: int) -> int:
    """Latent factors for a catalogue: about sqrt(products), at most ``most``.

    More factors than a catalogue has tastes only memorise each customer's own basket (on
    the demo brand's 28 products 16 factors lost 7 points of hit rate to 4-6).
    """
    return max(1, min(most, math.ceil(math.sqrt(n_products))))


def _ranks(scores: NDArray[np.float32]) -> FloatArray:
    """0-based rank of each product within its row, best first (ties by product order)."""
    order = np.argsort(-scores, axis=1, kind="stable")
    ranks = np.empty(scores.shape, dtype=np.float64)
    np.put_along_axis(ranks, order, np.arange(scores.shape[1], dtype=np.float64)[None, :], axis=1)
    return ranks


def _row_scaled(values: NDArray[np.float32], signal: BoolArray) -> FloatArray:
    """Each row's signalled values mapped into [0, 1] keeping their order (min to max)."""
    v = values.astype(np.float64)
    low = np.where(signal, v, np.inf).min(axis=1, keepdims=True)
    high = np.where(signal, v, -np.inf).max(axis=1, keepdims=True)
    span = np.where(high > low, high - low, 1.0)
    return np.clip(np.where(signal, (v - low) / span, 0.0), 0.0, 1.0)


def _top(batch: IntArray, keyed: _Keyed, n: int) -> Recommendations:
    """The n best keys of each row, best first, ties by product order; -inf slots become -1."""
    key = keyed.key
    part = _best_columns(key, n)
    order = np.argsort(-np.take_along_axis(key, part, axis=1), axis=1, kind="stable")
    product = np.take_along_axis(part, order, axis=1)
    valid = np.isfinite(np.take_along_axis(key, product, axis=1))

    def pick(values: NDArray[np.generic], empty: float) -> NDArray[np.generic]:
        return np.where(valid, np.take_along_axis(values, product, axis=1), empty)

    return Recommendations(
        rows=batch,
        product=np.where(valid, product, -1).astype(np.int64),
        score=pick(keyed.score, 0.0).astype(np.float32),
        reason=pick(keyed.reason, -1).astype(np.int8),
    )


def _best_columns(key: FloatArray, n: int) -> IntArray:
    """Columns of each row's n largest keys in column order; at the cut, lower columns win."""
    if n >= key.shape[1]:
        return np.broadcast_to(np.arange(key.shape[1]), key.shape).copy()
    cut = -np.partition(-key, n - 1, axis=1)[:, n - 1 : n]
    above = key > cut
    tied = key == cut
    room = n - above.sum(axis=1, keepdims=True)
    chosen = above | (tied & (np.cumsum(tied, axis=1) <= room))
    return np.nonzero(chosen)[1].reshape(key.shape[0], n).astype(np.int64)
