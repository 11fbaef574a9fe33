"""Scorers and role rules against figures worked by hand on the tiny brand (see conftest)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from siyu.analytics.clv.prep import NotFittedError
from siyu.analytics.recommend import (
    CoPurchaseModel,
    HistoryMatrix,
    ImplicitModel,
    PopularityModel,
    entry_to_main,
    history_matrix,
    repurchasable,
    repurchase_rates,
)
from siyu.analytics.recommend.settings import RecommendSettings
from tests.unit.analytics.recommend.conftest import ROLES, histories

# columns: products 10, 20, 30, 40


def test_matrix_indexes_customers_and_products(tiny: HistoryMatrix) -> None:
    assert tiny.shape == (6, 4)
    assert tiny.product_ids.tolist() == [10, 20, 30, 40]
    assert tiny.roles.tolist() == ["trial", "profit", "profit", "expansion"]
    assert tiny.days.toarray()[3].tolist() == [0, 2, 0, 1]
    assert tiny.last_day.tolist() == [5.5, 3.1, 4.0, 6.0, 1.0, 5.0]


def test_popularity_counts_distinct_buyers(tiny: HistoryMatrix) -> None:
    model = PopularityModel().fit(tiny.days)
    assert model.popularity_.tolist() == [4, 3, 2, 3]
    assert model.score(tiny.owned()[:2]).tolist() == [[1.0, 0.75, 0.5, 0.75]] * 2


def test_co_purchase_cosine_with_minimum_support(tiny: HistoryMatrix) -> None:
    # both: (10,20)=2 (10,30)=1 (10,40)=1 (20,40)=2 (30,40)=1; buyers 10:4 20:3 30:2 40:3
    model = CoPurchaseModel(min_support=2).fit(tiny.days)
    expected = np.zeros((4, 4))
    expected[0, 1] = expected[1, 0] = 2 / math.sqrt(4 * 3)
    expected[1, 3] = expected[3, 1] = 2 / math.sqrt(3 * 3)
    assert model.similarity_.toarray() == pytest.approx(expected, abs=1e-6)
    # c1 owns 10 and 20; c5 owns 10
    scores = model.score(tiny.owned()[[0, 4]])
    assert scores[0] == pytest.approx([2 / math.sqrt(12), 2 / math.sqrt(12), 0, 2 / 3], abs=1e-6)
    assert scores[1] == pytest.approx([0, 2 / math.sqrt(12), 0, 0], abs=1e-6)


def test_co_purchase_with_support_one_keeps_every_pair(tiny: HistoryMatrix) -> None:
    sim = CoPurchaseModel(min_support=1).fit(tiny.days).similarity_.toarray()
    assert sim[2, 3] == pytest.approx(1 / math.sqrt(2 * 3))
    assert sim[1, 2] == 0.0 and np.diag(sim).tolist() == [0, 0, 0, 0]


def test_repurchase_rates_shrink_to_the_role(tiny: HistoryMatrix) -> None:
    # eligible (bought anything on a later day): 10: c1 c2 c3; 20: c4; 30: c6; 40: c4.
    # Repeated: 20 by c4. Role rates: trial 0/3, profit 1/2, expansion 0/1.
    rates = repurchase_rates(tiny, prior=2.0)
    assert rates == pytest.approx([0.0, (1 + 2 * 0.5) / 3, (0 + 2 * 0.5) / 3, 0.0])
    assert repurchase_rates(tiny, prior=0.0) == pytest.approx([0.0, 1.0, 0.0, 0.0])


def test_entry_products_are_never_repurchasable(tiny: HistoryMatrix) -> None:
    settings = RecommendSettings(repurchase_threshold=0.0, repurchase_prior=2.0)
    assert repurchasable(tiny, settings).tolist() == [False, True, True, True]
    settings = RecommendSettings(repurchase_threshold=0.5, repurchase_prior=2.0)
    assert repurchasable(tiny, settings).tolist() == [False, True, False, False]


def test_entry_to_main_counts_later_main_purchases(tiny: HistoryMatrix) -> None:
    # c1: 10@1 -> 20@5; c2: 10@1 -> 20@3; c3: 10@2 -> 30@4; c5 never converts
    found = entry_to_main(tiny)
    assert found.pairs.toarray()[0].tolist() == [0, 2, 1, 0]
    assert found.pairs.toarray()[1:].sum() == 0
    assert found.converted.tolist() == [3, 0, 0, 0]
    assert found.base == pytest.approx([0, 2 / 3, 1 / 3, 0])
    owner_of_10 = sp.csr_matrix(np.array([[1.0, 0, 0, 0]]))
    assert found.probabilities(owner_of_10, prior=0.0)[0] == pytest.approx([0, 2 / 3, 1 / 3, 0])
    # prior 3 mixes in the base (here equal to the entry's own mix) with 3 pseudo-customers
    nobody = sp.csr_matrix((1, 4))
    assert found.probabilities(nobody, prior=3.0)[0] == pytest.approx(found.base)


def test_a_main_bought_the_same_day_as_the_entry_is_not_later() -> None:
    same_day = history_matrix(histories([(1, 10, 3.2, 3.2, 1), (1, 20, 3.9, 3.9, 1)]), ROLES)
    assert entry_to_main(same_day).pairs.nnz == 0


def test_implicit_model_is_deterministic_and_thread_independent() -> None:
    rng = np.random.default_rng(0)
    days = sp.random(300, 12, density=0.2, format="csr", random_state=rng) * 3
    days.data = np.ceil(days.data)
    one = ImplicitModel(factors=3, threads=1, seed=5).fit(days)
    two = ImplicitModel(factors=3, threads=2, seed=5).fit(days)
    assert np.array_equal(one.item_factors_, two.item_factors_)
    assert np.array_equal(one.user_factors_, two.user_factors_)
    other = ImplicitModel(factors=3, threads=2, seed=6).fit(days)
    assert not np.array_equal(one.item_factors_, other.item_factors_)


def test_implicit_model_learns_two_tastes() -> None:
    # 40 customers buy within {0, 1, 2}, 40 within {3, 4, 5}; each owns two of their three
    rows, cols = [], []
    for c in range(80):
        group = 0 if c < 40 else 3
        for k in range(3):
            if k != c % 3:
                rows.append(c)
                cols.append(group + k)
    days = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(80, 6))
    model = ImplicitModel(factors=2, threads=2, seed=0).fit(days)
    scores = model.score(np.array([0, 40]))
    # customer 0 owns 1 and 2 and lacks 0; customer 40 owns 4 and 5 and lacks 3
    assert scores[0, 0] > scores[0, 3:].max()
    assert scores[1, 3] > scores[1, :3].max()


def test_unfitted_models_say_so(tiny: HistoryMatrix) -> None:
    with pytest.raises(NotFittedError):
        PopularityModel().score(tiny.owned())
    with pytest.raises(NotFittedError):
        CoPurchaseModel().score(tiny.owned())
    with pytest.raises(NotFittedError):
        ImplicitModel().score(np.array([0]))
