"""Time-split evaluation: hit rate and NDCG at k of each method against later purchases.

Train on the purchases up to a cut date; each customer who bought before the cut and after
it is a test customer, and the products bought after it are that customer's relevant set.
Products first sold after the cut cannot be recommended by any method and are left out of
the relevant sets (customers left with none are not test customers).

* hit rate@k: the share of test customers with at least one relevant product in their top k;
* NDCG@k (binary relevance): ``DCG / IDCG`` with ``DCG = sum_r rel_r / log2(r + 1)`` over
  ranks ``r = 1..k`` and ``IDCG`` the DCG of a list with all ``min(|relevant|, k)`` relevant
  products first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from siyu.analytics.recommend.histories import (
    FloatArray,
    HistoryMatrix,
    IntArray,
    PurchaseHistories,
    history_matrix,
)
from siyu.analytics.recommend.recommender import METHODS, Method, NextBestProducts

BoolMatrix = NDArray[np.bool_]


def relevance(recommended: IntArray, relevant: sp.csr_matrix) -> BoolMatrix:
    """Whether each recommended product (-1: none) is in its row's relevant set."""
    dense: BoolMatrix = relevant.toarray().astype(bool)
    hit: BoolMatrix = np.take_along_axis(dense, np.maximum(recommended, 0), axis=1)
    return hit & (recommended >= 0)


def hits_at_k(rel: BoolMatrix, k: int) -> NDArray[np.bool_]:
    """Per customer: at least one relevant product among the first k."""
    hit: NDArray[np.bool_] = np.asarray(rel[:, :k].any(axis=1), dtype=bool)
    return hit


def ndcg_at_k(rel: BoolMatrix, n_relevant: IntArray, k: int) -> FloatArray:
    """Per customer NDCG@k with binary relevance (0 for a customer with nothing relevant)."""
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (rel[:, :k] * discount[: rel[:, :k].shape[1]]).sum(axis=1)
    ideal_cum = np.concatenate([[0.0], np.cumsum(discount)])
    idcg = ideal_cum[np.minimum(n_relevant, k)]
    out: FloatArray = np.divide(dcg, idcg, out=np.zeros_like(dcg), where=idcg > 0)
    return out


@dataclass(frozen=True)
class MethodResult:
    """How one method did on the test customers, and how long it took."""

    method: str
    rules: bool
    hit_rate: float
    ndcg: float
    customers: int
    seconds: float
    hit_rate_se: float  # standard errors over test customers
    ndcg_se: float


@dataclass(frozen=True)
class TimeSplit:
    """Training matrix and the test customers' relevant products (same product columns)."""

    train: HistoryMatrix
    rows: IntArray  # test customers' rows in train
    relevant: sp.csr_matrix  # (test customers, products)


def time_split(train: HistoryMatrix, test: PurchaseHistories) -> TimeSplit:
    """Relevant sets of the customers who bought both before and after the cut."""
    later = history_matrix(
        test, {}, customer_ids=train.customer_ids, product_ids=train.product_ids
    ).days
    bought_before = np.diff(train.days.indptr) > 0
    rows = np.flatnonzero(bought_before & (np.diff(later.indptr) > 0)).astype(np.int64)
    relevant = sp.csr_matrix(later[rows], dtype=np.float32)
    relevant.data[:] = 1.0
    return TimeSplit(train=train, rows=rows, relevant=relevant)


def evaluate(
    model: NextBestProducts,
    split: TimeSplit,
    *,
    methods: tuple[Method, ...] = METHODS,
    rules: tuple[bool, ...] = (True,),
    k: int = 10,
) -> list[MethodResult]:
    """Hit rate and NDCG at k of each method (with and/or without the rules)."""
    n_relevant = np.diff(split.relevant.indptr).astype(np.int64)
    results = []
    for with_rules in rules:
        for method in methods:
            started = time.perf_counter()
            hits, gains, offset = [], [], 0
            for batch in model.recommend(split.rows, method=method, rules=with_rules, top=k):
                size = batch.rows.size
                rel = relevance(batch.product, split.relevant[offset : offset + size])
                hits.append(hits_at_k(rel, k))
                gains.append(ndcg_at_k(rel, n_relevant[offset : offset + size], k))
                offset += size
            seconds = time.perf_counter() - started
            hit = np.concatenate(hits).astype(np.float64) if hits else np.zeros(0)
            gain = np.concatenate(gains) if gains else np.zeros(0)
            results.append(
                MethodResult(
                    method=method,
                    rules=with_rules,
                    hit_rate=_mean(hit),
                    ndcg=_mean(gain),
                    customers=int(hit.size),
                    seconds=seconds,
                    hit_rate_se=_se(hit),
                    ndcg_se=_se(gain),
                )
            )
    return results


def _mean(values: FloatArray) -> float:
    return float(values.mean()) if values.size else float("nan")


def _se(values: FloatArray) -> float:
    return float(values.std(ddof=1) / np.sqrt(values.size)) if values.size > 1 else float("nan")
