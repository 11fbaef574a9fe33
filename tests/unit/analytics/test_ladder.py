"""Value ladder: tiers from order counts, pool and member flags."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from siyu.analytics.ladder import (
    BOUGHT_ONCE,
    MEMBER,
    MULTI_REPEAT,
    NONE,
    POTENTIAL,
    REPEAT,
    TIERS,
    ladder_tiers,
    tier_counts,
    tier_labels,
)
from siyu.analytics.settings import LadderSettings


def test_each_rule_by_hand() -> None:
    orders = [0, 0, 1, 1, 2, 2, 3, 10, 0, 1, 0]
    in_pool = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 1]
    member = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1]
    codes = ladder_tiers(orders, in_pool, member)
    assert codes.dtype == np.int8
    assert codes.tolist() == [
        NONE,
        POTENTIAL,
        BOUGHT_ONCE,
        BOUGHT_ONCE,
        REPEAT,
        REPEAT,
        MULTI_REPEAT,
        MULTI_REPEAT,
        MEMBER,
        MEMBER,
        MEMBER,
    ]


def test_thresholds_come_from_settings_and_are_inclusive() -> None:
    settings = LadderSettings(repeat_orders=3, multi_repeat_orders=5)
    codes = ladder_tiers([1, 2, 3, 4, 5, 6], [True] * 6, [False] * 6, settings=settings)
    assert [TIERS[c] for c in codes] == [
        "bought_once",
        "bought_once",
        "repeat",
        "repeat",
        "multi_repeat",
        "multi_repeat",
    ]


@pytest.mark.parametrize(("repeat", "multi"), [(1, 3), (3, 3), (4, 3)])
def test_settings_reject_bad_thresholds(repeat: int, multi: int) -> None:
    with pytest.raises(ValueError):
        LadderSettings(repeat_orders=repeat, multi_repeat_orders=multi)


def test_labels_in_both_languages_and_counts() -> None:
    codes = ladder_tiers([0, 1, 2, 3, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 1])
    assert tier_labels(codes).tolist() == [
        "潜在客户",
        "首购客户",
        "复购客户",
        "多次复购客户",
        "会员",
    ]
    assert tier_labels(codes, "en").tolist() == [
        "Potential",
        "Bought once",
        "Repeat",
        "Multi-repeat",
        "Member",
    ]
    assert tier_counts(codes) == {
        "none": 0,
        "potential": 1,
        "bought_once": 1,
        "repeat": 1,
        "multi_repeat": 1,
        "member": 1,
    }


def test_empty_input() -> None:
    assert ladder_tiers([], [], []).shape == (0,)


@pytest.mark.parametrize(
    ("orders", "in_pool", "member"),
    [([-1], [True], [False]), ([1, 2], [True], [False]), ([1.5], [True], [False])],
)
def test_bad_input_is_refused(orders: list[float], in_pool: list[bool], member: list[bool]) -> None:
    with pytest.raises(ValueError):
        ladder_tiers(orders, in_pool, member)


customers = st.lists(
    st.tuples(st.integers(0, 50), st.integers(0, 50), st.booleans(), st.booleans()),
    max_size=60,
)


@given(customers)
def test_codes_in_range_and_monotone_in_orders(rows: list[tuple[int, int, bool, bool]]) -> None:
    orders = np.array([r[0] for r in rows], dtype=np.int64)
    more = orders + np.array([r[1] for r in rows], dtype=np.int64)
    pool = np.array([r[2] for r in rows], dtype=bool)
    member = np.array([r[3] for r in rows], dtype=bool)
    codes = ladder_tiers(orders, pool, member)
    assert np.all((codes >= NONE) & (codes <= MEMBER))
    assert np.all(ladder_tiers(more, pool, member) >= codes)
    assert np.all((codes == MEMBER) == member)


def test_one_million_customers_in_under_two_seconds() -> None:
    rng = np.random.default_rng(7)
    n = 1_000_000
    orders = rng.geometric(0.6, n) - 1
    in_pool, member = rng.random(n) < 0.3, rng.random(n) < 0.02
    start = time.perf_counter()
    codes = ladder_tiers(orders, in_pool, member)
    assert time.perf_counter() - start < 2.0
    assert codes.shape == (n,)
