"""Lifecycle stage against each buyer's own, shrunk purchase cycle."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from siyu.analytics.lifecycle import (
    ACTIVE,
    CHURNED,
    DORMANT,
    NONE,
    SILENT,
    STAGES,
    explain_stage,
    group_population_cycles,
    lifecycle_stages,
    mean_gaps,
    own_cycles,
    population_cycle,
    stage_labels,
    stage_treatments,
    stages_from_ratio,
    to_days,
)
from siyu.analytics.settings import DEFAULT_LIFECYCLE, LifecycleSettings

K = DEFAULT_LIFECYCLE.credibility_k


def test_to_days_reads_numbers_datetime64_and_python_dates() -> None:
    times = np.array(["1970-01-02T12:00", "NaT"], dtype="datetime64[m]")
    days = to_days(times)
    assert days[0] == 1.5 and np.isnan(days[1])
    assert to_days([3, 4.5]).tolist() == [3.0, 4.5]
    assert float(to_days(date(1970, 1, 11))) == 10.0
    east8 = datetime(1970, 1, 11, 8, tzinfo=timezone(timedelta(hours=8)))
    assert float(to_days(east8)) == 10.0


def test_mean_gaps_and_population_cycle() -> None:
    first = [0.0, 0.0, 0.0, 10.0, 5.0]
    last = [0.0, 30.0, 90.0, 130.0, 5.0]
    n = [1, 2, 4, 3, 0]
    gaps = mean_gaps(first, last, n)
    assert np.isnan(gaps[0]) and np.isnan(gaps[4])
    assert gaps[1:4].tolist() == [30.0, 30.0, 60.0]
    assert population_cycle(first, last, n) == 30.0


def test_population_cycle_falls_back_and_has_a_floor() -> None:
    assert population_cycle([0.0], [0.0], [1]) == DEFAULT_LIFECYCLE.default_cycle_days
    assert population_cycle([0.0, 0.0], [2.0, 4.0], [2, 2]) == DEFAULT_LIFECYCLE.min_cycle_days


def test_own_cycle_is_credibility_weighted() -> None:
    cycles = own_cycles([0.0, 0.0, 0.0], [0.0, 30.0, 200.0], [1, 2, 11], 60.0)
    # (span + k * population) / (gaps + k) with k = 2
    assert cycles.tolist() == pytest.approx([60.0, 50.0, 320.0 / 12.0])
    # (2 + 2 * 5) / (2 + 2) = 3 days is held at the 7-day floor
    assert own_cycles([0.0], [2.0], [3], 5.0).tolist() == [7.0]


def test_population_per_group_with_fallback_for_small_groups() -> None:
    settings = LifecycleSettings(min_group_repeaters=2)
    first = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    last = [20.0, 40.0, 0.0, 100.0, 0.0, 300.0]
    n = [2, 2, 1, 2, 1, 2]
    groups = [1, 1, 1, 2, 2, 3]
    cycles = group_population_cycles(first, last, n, groups, settings=settings)
    overall = population_cycle(first, last, n, settings=settings)
    assert overall == 70.0
    assert cycles.tolist() == [30.0, 30.0, 30.0, 70.0, 70.0, 70.0]


def _stage_at(days_since: float, cycle: float) -> int:
    result = lifecycle_stages([0.0], [0.0], [1], days_since, population=cycle)
    assert result.cycle_days[0] == cycle
    return int(result.stage[0])


@pytest.mark.parametrize(
    ("days", "stage"),
    [
        (0.0, ACTIVE),
        (100.0, ACTIVE),
        (100.001, SILENT),
        (200.0, SILENT),
        (200.001, DORMANT),
        (400.0, DORMANT),
        (400.001, CHURNED),
    ],
)
def test_ratio_thresholds_exactly(days: float, stage: int) -> None:
    assert _stage_at(days, 100.0) == stage


@pytest.mark.parametrize(
    ("days", "cycle", "stage"),
    [
        (59.9, 10.0, DORMANT),  # ratio 6 but never churned before 60 days
        (60.0, 10.0, CHURNED),
        (730.0, 300.0, DORMANT),  # ratio 2.43
        (730.001, 300.0, CHURNED),  # always churned after 730 days
    ],
)
def test_churn_floor_and_cap_in_days(days: float, cycle: float, stage: int) -> None:
    assert _stage_at(days, cycle) == stage


def test_explained_figures_and_non_buyers() -> None:
    result = lifecycle_stages([0.0, 0.0, np.nan], [40.0, 0.0, np.nan], [2, 1, 0], 135.0)
    population = 40.0
    assert result.cycle_days[0] == pytest.approx((40.0 + K * population) / (1 + K))
    assert result.days_since[:2].tolist() == [95.0, 135.0]
    assert result.ratio[0] == pytest.approx(95.0 / 40.0)
    assert result.stage.tolist() == [DORMANT, DORMANT, NONE]
    assert np.isnan(result.cycle_days[2]) and np.isnan(result.ratio[2])
    assert stage_labels(result.stage).tolist() == ["沉睡", "沉睡", "未购"]
    assert stage_labels([1, 2, 3, 4], "en").tolist() == ["Active", "Silent", "Dormant", "Churned"]


def test_datetimes_give_the_same_answer_as_days() -> None:
    base = np.datetime64("2025-01-01T00:00", "s")
    first_d, last_d, n = np.array([0.0, 10.0, 0.0]), np.array([50.0, 10.0, 300.0]), [3, 1, 4]
    as_days = lifecycle_stages(first_d, last_d, n, 400.0)
    as_dates = lifecycle_stages(
        base + (first_d * 86400).astype("timedelta64[s]"),
        base + (last_d * 86400).astype("timedelta64[s]"),
        n,
        datetime(2026, 2, 5, tzinfo=UTC),
    )
    assert as_dates.stage.tolist() == as_days.stage.tolist()
    assert as_dates.ratio == pytest.approx(as_days.ratio)


@pytest.mark.parametrize(
    ("first", "last", "n", "as_of"),
    [
        ([0.0], [10.0], [1], 5.0),  # purchase after as_of
        ([20.0], [10.0], [2], 30.0),  # first after last
        ([0.0], [np.nan], [1], 30.0),  # buyer without a last purchase
        ([0.0], [10.0], [-1], 30.0),
        ([0.0], [10.0, 11.0], [1], 30.0),
    ],
)
def test_bad_input_is_refused(
    first: list[float], last: list[float], n: list[int], as_of: float
) -> None:
    with pytest.raises(ValueError):
        lifecycle_stages(first, last, n, as_of)


def test_dates_and_days_do_not_mix() -> None:
    with pytest.raises(ValueError):
        lifecycle_stages([0.0], [1.0], [1], np.datetime64("2025-01-01"))


@pytest.mark.parametrize(
    "changes",
    [
        {"silent_after": 2.0, "dormant_after": 2.0},
        {"credibility_k": 0.0},
        {"churn_floor_days": 800.0},
        {"min_group_repeaters": 0},
    ],
)
def test_settings_reject_inconsistent_thresholds(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        LifecycleSettings(**changes)


def test_treatments_follow_the_playbook() -> None:
    table = stage_treatments()
    assert tuple(t.stage for t in table) == STAGES[1:]
    assert [t.label_zh for t in table] == ["活跃", "沉默", "沉睡", "流失"]
    assert [t.promotion for t in table] == ["none", "small", "large", "major"]
    contacts = [t.max_contacts_per_30_days for t in table]
    assert contacts == sorted(contacts, reverse=True)
    assert [t.major_promotions_only for t in table] == [False, False, False, True]


def test_explain_stage() -> None:
    assert explain_stage(SILENT, 95.0, 60.0, "en") == (
        "Silent: 95 days since the last purchase vs an own cycle of 60 days (1.6×)"
    )
    assert (
        explain_stage(SILENT, 95.0, 60.0) == "沉默：距上次购买 95 天，自身购买周期 60 天（1.6 倍）"
    )
    assert explain_stage(NONE, float("nan"), float("nan"), "en") == "No purchase"


histories = st.lists(
    st.tuples(
        st.floats(0, 1000),  # first purchase day
        st.floats(0, 1000),  # span to the last purchase
        st.integers(0, 30),  # purchases
        st.floats(0, 1000),  # days from the last purchase to as_of
    ),
    min_size=1,
    max_size=40,
)


def _arrays(rows: list[tuple[float, float, int, float]]) -> tuple[np.ndarray, ...]:
    first = np.array([r[0] for r in rows])
    n = np.array([r[2] for r in rows])
    last = first + np.where(n >= 2, [r[1] for r in rows], 0.0)
    first = np.where(n >= 1, first, np.nan)
    last = np.where(n >= 1, last, np.nan)
    return first, last, n


@given(histories, st.floats(0, 2000))
def test_stages_in_range_figures_finite_and_never_better_later(
    rows: list[tuple[float, float, int, float]], later: float
) -> None:
    first, last, n = _arrays(rows)
    as_of = float(np.nanmax(last, initial=0.0)) + max(r[3] for r in rows)
    now = lifecycle_stages(first, last, n, as_of)
    assert np.all((now.stage >= NONE) & (now.stage <= CHURNED))
    bought = n >= 1
    assert np.all(now.stage[bought] >= ACTIVE) and np.all(now.stage[~bought] == NONE)
    assert np.all(np.isfinite(now.cycle_days[bought]) & np.isfinite(now.ratio[bought]))
    assert np.all(now.cycle_days[bought] >= DEFAULT_LIFECYCLE.min_cycle_days)
    afterwards = lifecycle_stages(first, last, n, as_of + later)
    assert np.all(afterwards.stage >= now.stage)


@given(
    st.floats(0, 3000),
    st.floats(0.01, 1000),
    st.floats(0.01, 1000),
)
def test_shorter_own_cycle_is_the_same_or_a_later_stage(
    days: float, cycle_a: float, cycle_b: float
) -> None:
    short, long_ = min(cycle_a, cycle_b), max(cycle_a, cycle_b)
    stages = stages_from_ratio([days / short, days / long_], [days, days])
    assert stages[0] >= stages[1]


@given(st.floats(0, 500), st.floats(0, 500), st.integers(2, 40), st.floats(1, 300))
def test_longer_own_history_with_the_same_last_purchase(
    span_a: float, span_b: float, n: int, population: float
) -> None:
    assume(span_a != span_b)
    short, long_ = min(span_a, span_b), max(span_a, span_b)
    result = lifecycle_stages(
        [1000.0 - short, 1000.0 - long_], [1000.0, 1000.0], [n, n], 1200.0, population=population
    )
    assert result.cycle_days[0] <= result.cycle_days[1]
    assert result.stage[0] >= result.stage[1]


@given(st.floats(7, 365), st.floats(7, 365))
def test_shrinkage_many_gaps_own_mean_one_gap_population(gap: float, population: float) -> None:
    many = 1000
    cycles = own_cycles([0.0, 0.0], [gap * many, gap], [many + 1, 2], population)
    assert abs(cycles[0] - gap) <= K / (many + K) * abs(population - gap) + 1e-9
    assert abs(cycles[1] - population) <= abs(gap - population) / (1 + K) + 1e-9
    assert abs(cycles[1] - population) <= abs(cycles[1] - gap) + 1e-9


def test_one_million_customers_in_under_two_seconds() -> None:
    rng = np.random.default_rng(11)
    size = 1_000_000
    n = rng.geometric(0.5, size) - 1
    first = rng.uniform(0, 700, size)
    last = np.minimum(first + rng.exponential(60, size) * np.maximum(n - 1, 0), 729.0)
    groups = rng.integers(0, 6, size)
    start = time.perf_counter()
    result = lifecycle_stages(first, last, n, 730.0, groups=groups)
    assert time.perf_counter() - start < 2.0
    assert set(np.unique(result.stage).tolist()) == {NONE, ACTIVE, SILENT, DORMANT, CHURNED}
