"""Ranking with the role rules, and the metrics, against lists worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from siyu.analytics.recommend import (
    REASONS,
    HistoryMatrix,
    NextBestProducts,
    RecommendSettings,
    evaluate,
    history_matrix,
    hits_at_k,
    ndcg_at_k,
    relevance,
    time_split,
)
from tests.unit.analytics.recommend.conftest import ROLES, ROWS, histories

SETTINGS = RecommendSettings(
    min_support=2, repurchase_threshold=0.5, repurchase_prior=2.0, trial_to_main_prior=5.0
)


def _lists(model: NextBestProducts, rows: list[int], **kwargs: object) -> list[list[object]]:
    (batch,) = model.recommend(np.array(rows), **kwargs)  # type: ignore[arg-type]
    ids = model.history_.product_ids
    out = []
    for products, reasons, scores in zip(batch.product, batch.reason, batch.score, strict=True):
        out.append([
            (int(ids[p]), REASONS[r], round(float(s), 4))
            for p, r, s in zip(products, reasons, scores, strict=True)
            if p >= 0
        ])  # fmt: skip
    return out


def test_trial_buyer_gets_the_main_products_first(tiny: HistoryMatrix) -> None:
    model = NextBestProducts(SETTINGS).fit(tiny)
    # c5 owns only the trial 10: mains 20 (2/3) and 30 (1/3) by trial-to-main; 10 is excluded
    # (entry); 40 has no co-purchase signal from 10 and comes by popularity (3 of 4 buyers)
    (c5,) = _lists(model, [4], method="co_purchase")
    assert c5 == [(20, "trial_to_main", 0.6667), (30, "trial_to_main", 0.3333),
                  (40, "popular", 0.75)]  # fmt: skip


def test_co_purchase_ranks_and_keeps_repurchasable_owned_products(tiny: HistoryMatrix) -> None:
    model = NextBestProducts(SETTINGS).fit(tiny)
    # c1 owns 10 and 20: scores 10: 0.577 (excluded: entry), 20: 0.577 (owned, repurchasable:
    # rate 2/3), 40: 2/3; then 30 by popularity (2 of 4)
    (c1,) = _lists(model, [0], method="co_purchase")
    assert c1 == [(40, "co_purchase", 0.6667), (20, "co_purchase", 0.5774), (30, "popular", 0.5)]


def test_owned_products_below_the_repurchase_rate_are_left_out(tiny: HistoryMatrix) -> None:
    model = NextBestProducts(SETTINGS).fit(tiny)
    # c4 owns 20 (repurchasable) and 40 (rate 0): 40 is left out
    (c4,) = _lists(model, [3], method="popularity")
    assert [p for p, _, _ in c4] == [10, 20, 30]


def test_without_rules_popularity_is_the_same_list_for_everyone(tiny: HistoryMatrix) -> None:
    model = NextBestProducts(SETTINGS).fit(tiny)
    lists = _lists(model, [0, 4], method="popularity", rules=False)
    # ties (20 and 40: 3 buyers each) go by product order
    assert lists[0] == lists[1] == [(10, "popular", 1.0), (20, "popular", 0.75),
                                    (40, "popular", 0.75), (30, "popular", 0.5)]  # fmt: skip


def test_top_cuts_the_list_and_ties_at_the_cut_go_by_product_order(tiny: HistoryMatrix) -> None:
    model = NextBestProducts(SETTINGS).fit(tiny)
    (c1,) = _lists(model, [0], method="popularity", rules=False, top=2)
    assert [p for p, _, _ in c1] == [10, 20]


def test_blend_and_implicit_use_the_factor_model(tiny: HistoryMatrix) -> None:
    settings = RecommendSettings(min_support=2, min_customers=2, factors=2)
    model = NextBestProducts(settings).fit(tiny)
    assert model.implicit_ is not None
    for method in ("implicit", "blend"):
        for products in _lists(model, list(range(6)), method=method):
            reasons = {r for _, r, _ in products}
            assert reasons <= {"implicit", "co_purchase", "trial_to_main"}


def test_too_few_customers_fall_back_to_co_purchase(tiny: HistoryMatrix) -> None:
    model = NextBestProducts(SETTINGS).fit(tiny)
    assert model.implicit_ is None  # 6 customers < min_customers
    assert _lists(model, [0], method="blend") == _lists(model, [0], method="co_purchase")


# -- metrics ----------------------------------------------------------------------------------


def test_hit_rate_and_ndcg_by_hand() -> None:
    recommended = np.array([[3, 1, 2], [0, -1, -1]])
    relevant = sp.csr_matrix(np.array([[0, 1, 1, 0, 0, 0], [0, 0, 0, 0, 0, 1]], dtype=float))
    rel = relevance(recommended, relevant)
    assert rel.tolist() == [[False, True, True], [False, False, False]]
    n_relevant = np.array([2, 1])
    assert hits_at_k(rel, 3).tolist() == [True, False]
    # row 0: DCG = 1/log2(3) + 1/log2(4); IDCG = 1 + 1/log2(3)
    dcg, idcg = 1 / math.log2(3) + 0.5, 1 + 1 / math.log2(3)
    assert ndcg_at_k(rel, n_relevant, 3) == pytest.approx([dcg / idcg, 0.0])
    assert ndcg_at_k(rel, n_relevant, 2) == pytest.approx([(1 / math.log2(3)) / idcg, 0.0])
    assert hits_at_k(rel, 1).tolist() == [False, False]


def test_ndcg_is_one_for_a_perfect_list_and_zero_without_relevant_products() -> None:
    rel = np.array([[True, True, False], [False, False, False]])
    assert ndcg_at_k(rel, np.array([2, 0]), 3) == pytest.approx([1.0, 0.0])


def test_time_split_keeps_returning_customers_and_known_products(tiny: HistoryMatrix) -> None:
    later = histories([
        (1, 30, 9.0, 9.0, 1), (1, 99, 9.0, 9.0, 1),  # 99 is new: cannot be recommended
        (5, 99, 9.0, 9.0, 1),  # only a new product: not a test customer
        (7, 10, 9.0, 9.0, 1),  # a new customer: not a test customer
        (4, 20, 8.0, 9.0, 2), (4, 40, 8.0, 8.0, 1),
    ])  # fmt: skip
    split = time_split(tiny, later)
    assert tiny.customer_ids[split.rows].tolist() == [1, 4]
    assert split.relevant.toarray().tolist() == [[0, 0, 1, 0], [0, 1, 0, 1]]


def test_evaluate_by_hand(tiny: HistoryMatrix) -> None:
    later = histories([(1, 30, 9.0, 9.0, 1), (5, 40, 9.0, 9.0, 1)])
    split = time_split(tiny, later)
    model = NextBestProducts(SETTINGS).fit(tiny)
    results = evaluate(model, split, methods=("co_purchase", "popularity"), rules=(True,), k=2)
    # co-purchase top 2: c1 [40, 20] (30 missed); c5 [20, 30] (40 missed): no hit
    # popularity with rules: c1 [20, 40] (10 excluded); c5 [20, 30] by trial-to-main
    co, popular = results
    assert (co.hit_rate, co.ndcg, co.customers) == (0.0, 0.0, 2)
    assert (popular.hit_rate, popular.ndcg) == (0.0, 0.0)
    results = evaluate(model, split, methods=("co_purchase",), rules=(True,), k=3)
    # k=3: c1 [40, 20, 30] hits at rank 3: NDCG 1/log2(4) = 0.5; c5 [20, 30, 40] at rank 3
    assert results[0].hit_rate == 1.0
    assert results[0].ndcg == pytest.approx(0.5)


def test_history_matrix_with_fixed_ids_drops_unknown_pairs() -> None:
    m = history_matrix(
        histories(ROWS), ROLES, customer_ids=np.array([1, 2]), product_ids=np.array([10, 40])
    )
    assert m.days.toarray().tolist() == [[1, 0], [1, 1]]
