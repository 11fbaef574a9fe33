"""RFM: rank quintiles with deterministic ties, and the segment grid."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from siyu.analytics.rfm import (
    SEGMENT_GRID,
    SEGMENTS,
    frequency_scores,
    quintile_scores,
    rfm_scores,
    rfm_segments,
    segment_labels,
)
from siyu.analytics.settings import RfmSettings


def test_distinct_values_fill_quintiles_evenly() -> None:
    values = [10, 3, 7, 1, 9, 2, 8, 4, 6, 5]
    assert quintile_scores(values).tolist() == [5, 2, 4, 1, 5, 1, 4, 2, 3, 3]
    assert quintile_scores(values, higher_is_better=False).tolist() == [
        1,
        4,
        2,
        5,
        1,
        5,
        2,
        4,
        3,
        3,
    ]
    assert quintile_scores([5, 4, 3, 2, 1]).tolist() == [5, 4, 3, 2, 1]


def test_ties_share_the_score_of_their_lowest_rank() -> None:
    # seven one-time buyers: nobody is worse, so 1; two-timers: 7 of 10 worse, so 1 + 35 // 10
    assert quintile_scores([1] * 7 + [2, 2, 3]).tolist() == [1] * 7 + [4, 4, 5]
    assert quintile_scores([4, 4, 4]).tolist() == [1, 1, 1]
    assert quintile_scores([]).shape == (0,)


def test_frequency_edges_option() -> None:
    settings = RfmSettings(frequency_edges=(2, 3, 4, 5))
    assert frequency_scores([1, 2, 3, 4, 5, 9], settings=settings).tolist() == [1, 2, 3, 4, 5, 5]


@pytest.mark.parametrize("edges", [(1, 2, 3, 4), (2, 2, 3, 4), (2, 3, 4)])
def test_frequency_edges_are_checked(edges: Any) -> None:
    with pytest.raises(ValueError):
        RfmSettings(frequency_edges=edges)


@pytest.mark.parametrize(
    ("r", "f", "m", "segment"),
    [
        (5, 5, 5, "champions"),
        (5, 4, 4, "champions"),
        (4, 4, 5, "loyal"),
        (3, 5, 3, "loyal"),
        (5, 2, 3, "potential_loyalists"),
        (5, 1, 5, "potential_loyalists"),  # a big first order: FM = 3
        (5, 1, 2, "new_customers"),
        (4, 1, 1, "promising"),
        (3, 3, 3, "need_attention"),
        (3, 1, 2, "about_to_sleep"),
        (2, 3, 4, "at_risk"),
        (1, 5, 5, "cant_lose"),
        (2, 5, 4, "at_risk"),
        (2, 2, 2, "hibernating"),
        (1, 1, 3, "hibernating"),
        (1, 1, 2, "lost"),
        (0, 0, 0, "none"),
    ],
)
def test_segment_rules(r: int, f: int, m: int, segment: str) -> None:
    assert SEGMENTS[int(rfm_segments([r], [f], [m])[0])] == segment


def test_segments_on_frequency_alone() -> None:
    settings = RfmSettings(segment_uses_monetary=False)
    codes = rfm_segments([5, 5, 1], [1, 4, 1], [5, 1, 5], settings=settings)
    assert [SEGMENTS[c] for c in codes] == ["new_customers", "champions", "lost"]


def test_grid_names_every_cell_and_every_segment() -> None:
    assert SEGMENT_GRID.shape == (5, 5)
    assert set(SEGMENT_GRID.ravel().tolist()) == set(range(1, len(SEGMENTS)))


def test_scores_and_segments_end_to_end() -> None:
    recency = [5.0, 50.0, np.nan, 400.0, 20.0, 200.0]
    frequency = [6, 1, 0, 1, 3, 2]
    monetary = [90_000, 5_000, 0, 3_000, 40_000, 20_000]
    result = rfm_scores(recency, frequency, monetary)
    assert result.recency.tolist() == [5, 3, 0, 1, 4, 2]
    assert result.frequency.tolist() == [5, 1, 0, 1, 4, 3]
    assert result.monetary.tolist() == [5, 2, 0, 1, 4, 3]
    assert result.cell().tolist() == [555, 312, 0, 111, 444, 233]
    assert [SEGMENTS[c] for c in result.segment] == [
        "champions",
        "about_to_sleep",
        "none",
        "lost",
        "loyal",
        "at_risk",
    ]
    assert segment_labels(result.segment)[:3].tolist() == ["冠军客户", "即将休眠", "未购"]
    assert segment_labels(result.segment, "en")[3] == "Lost"


@pytest.mark.parametrize(
    ("recency", "frequency", "monetary"),
    [
        ([np.nan], [1], [100]),  # a buyer needs a recency
        ([1.0], [-1], [100]),
        ([1.0, 2.0], [1], [100]),
    ],
)
def test_bad_input_is_refused(
    recency: list[float], frequency: list[int], monetary: list[int]
) -> None:
    with pytest.raises(ValueError):
        rfm_scores(recency, frequency, monetary)


rows = st.lists(
    st.tuples(st.integers(0, 60), st.integers(0, 8), st.integers(0, 10**7)),
    min_size=1,
    max_size=80,
)


@given(rows, st.data())
def test_scores_in_range_and_invariant_to_row_order(
    data: list[tuple[int, int, int]], draw: st.DataObject
) -> None:
    recency = np.array([float(r[0]) for r in data])
    frequency = np.array([r[1] for r in data])
    monetary = np.array([r[2] for r in data])
    result = rfm_scores(recency, frequency, monetary)
    bought = frequency > 0
    for scores in (result.recency, result.frequency, result.monetary):
        assert np.all((scores[bought] >= 1) & (scores[bought] <= 5))
        assert np.all(scores[~bought] == 0)
    assert np.all((result.segment[bought] >= 1) & (result.segment[bought] < len(SEGMENTS)))
    assert np.all(result.segment[~bought] == 0)
    perm = np.array(draw.draw(st.permutations(range(len(data)))))
    shuffled = rfm_scores(recency[perm], frequency[perm], monetary[perm])
    assert np.array_equal(shuffled.cell(), result.cell()[perm])
    assert np.array_equal(shuffled.segment, result.segment[perm])


@given(st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=5, max_size=400, unique=True))
def test_each_quintile_holds_a_fifth_of_distinct_values(values: list[float]) -> None:
    counts = np.bincount(quintile_scores(values), minlength=6)[1:]
    assert counts.sum() == len(values)
    assert np.all(np.abs(counts - len(values) / 5) <= 1)


def test_one_million_customers_in_under_two_seconds() -> None:
    rng = np.random.default_rng(3)
    size = 1_000_000
    frequency = rng.geometric(0.5, size) - 1
    recency = np.where(frequency > 0, rng.uniform(0, 730, size), np.nan)
    monetary = (rng.lognormal(9, 1, size) * frequency).astype(np.int64)
    start = time.perf_counter()
    result = rfm_scores(recency, frequency, monetary)
    assert time.perf_counter() - start < 2.0
    assert np.bincount(result.recency, minlength=6)[1:].min() > 0
