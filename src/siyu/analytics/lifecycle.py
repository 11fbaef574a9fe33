"""Lifecycle stage after a first purchase, judged against each buyer's own purchase cycle.

A buyer's cycle is the mean gap between their purchases, shrunk toward the population's
cycle by credibility weighting (``k`` pseudo-gaps of the population cycle)::

    cycle_i = (span_i + k * population_cycle) / (gaps_i + k)

where ``span_i = last - first`` is the sum of the buyer's gaps and ``gaps_i = n_i - 1``.
The stage then follows from ``ratio = days since the last purchase / cycle_i``:
active (活跃) up to ``silent_after``, silent (沉默) up to ``dormant_after``, dormant (沉睡)
up to ``churned_after``, churned (流失) beyond; see ``docs/customer-stages.md``.

Times are float days or ``datetime64`` (naive UTC); ``n_purchases`` counts buying
occasions, so orders split on one day should be counted once or they shorten the cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from siyu.analytics.settings import DEFAULT_LIFECYCLE, LifecycleSettings, Locale

FloatArray = NDArray[np.float64]

NONE: Final = 0
ACTIVE: Final = 1
SILENT: Final = 2
DORMANT: Final = 3
CHURNED: Final = 4

STAGES: Final = ("none", "active", "silent", "dormant", "churned")
"""Stage names; a stage's code is its index, so a higher code is a later stage."""

STAGE_LABELS: Final[dict[Locale, tuple[str, ...]]] = {
    "zh-CN": ("未购", "活跃", "沉默", "沉睡", "流失"),
    "en": ("No purchase", "Active", "Silent", "Dormant", "Churned"),
}

_SECONDS_PER_DAY: Final = 86_400.0


@dataclass(frozen=True, slots=True)
class LifecycleResult:
    """Per-customer stage codes with the figures that explain them (NaN for non-buyers)."""

    stage: NDArray[np.int8]
    cycle_days: FloatArray
    days_since: FloatArray
    ratio: FloatArray


@dataclass(frozen=True, slots=True)
class StageTreatment:
    """The playbook for one stage: how often to reach out and how hard to promote."""

    stage: str
    label_zh: str
    label_en: str
    max_contacts_per_30_days: int
    promotion: str
    major_promotions_only: bool
    focus_zh: str
    focus_en: str


def to_days(times: ArrayLike | date) -> FloatArray:
    """Return times as float days: datetime64 as days since 1970-01-01 (NaT → NaN)."""
    if isinstance(times, datetime) and times.tzinfo is not None:
        times = times.astimezone(UTC).replace(tzinfo=None)
    arr = np.asarray(times)
    if arr.dtype == object:
        arr = arr.astype("datetime64[s]")
    if not np.issubdtype(arr.dtype, np.datetime64):
        return arr.astype(np.float64)
    seconds = arr.astype("datetime64[s]").astype(np.int64).astype(np.float64)
    return np.where(np.isnat(arr), np.nan, seconds / _SECONDS_PER_DAY)


def mean_gaps(first: ArrayLike, last: ArrayLike, n_purchases: ArrayLike) -> FloatArray:
    """Return each buyer's mean inter-purchase gap in days (NaN below two purchases)."""
    first_d, last_d, n = _history(first, last, n_purchases)
    gaps = n - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(gaps >= 1, (last_d - first_d) / gaps, np.nan)


def population_cycle(
    first: ArrayLike,
    last: ArrayLike,
    n_purchases: ArrayLike,
    *,
    settings: LifecycleSettings = DEFAULT_LIFECYCLE,
) -> float:
    """Return the median mean gap of repeat buyers, the robust cycle of a typical buyer."""
    return _median_cycle(mean_gaps(first, last, n_purchases), settings)


def group_population_cycles(
    first: ArrayLike,
    last: ArrayLike,
    n_purchases: ArrayLike,
    groups: ArrayLike,
    *,
    settings: LifecycleSettings = DEFAULT_LIFECYCLE,
) -> FloatArray:
    """Return, per customer, the population cycle of their group (e.g. first product role).

    A group with fewer than ``min_group_repeaters`` repeat buyers gets the overall cycle.
    """
    gaps = mean_gaps(first, last, n_purchases)
    group_codes = np.asarray(groups, dtype=np.int64)
    if group_codes.shape != gaps.shape:
        raise ValueError("groups must have one code per customer")
    keys, inverse = np.unique(group_codes, return_inverse=True)
    repeat = np.isfinite(gaps)
    medians, counts = _group_medians(inverse[repeat], gaps[repeat], keys.size)
    overall = _median_cycle(gaps, settings)
    own = np.maximum(medians, settings.min_cycle_days)
    per_group = np.where(counts >= settings.min_group_repeaters, own, overall)
    return per_group[inverse]


def own_cycles(
    first: ArrayLike,
    last: ArrayLike,
    n_purchases: ArrayLike,
    population: ArrayLike,
    *,
    settings: LifecycleSettings = DEFAULT_LIFECYCLE,
) -> FloatArray:
    """Return each buyer's cycle: own mean gap shrunk toward ``population`` (scalar or array).

    A one-purchase buyer gets the population cycle; with many gaps the own mean dominates.
    """
    first_d, last_d, n = _history(first, last, n_purchases)
    gaps = np.maximum(n - 1, 0)
    span = np.where(gaps >= 1, last_d - first_d, 0.0)
    k = settings.credibility_k
    cycle = (span + k * np.asarray(population, dtype=np.float64)) / (gaps + k)
    return np.maximum(cycle, settings.min_cycle_days)


def stages_from_ratio(
    ratio: ArrayLike,
    days_since: ArrayLike,
    *,
    settings: LifecycleSettings = DEFAULT_LIFECYCLE,
) -> NDArray[np.int8]:
    """Return stage codes from the ratio thresholds and the churn floor and cap in days.

    A ratio exactly on a threshold stays in the earlier stage.
    """
    r = np.asarray(ratio, dtype=np.float64)
    days = np.asarray(days_since, dtype=np.float64)
    edges = np.asarray(settings.ratio_edges)
    stage = (np.searchsorted(edges, r, side="left") + ACTIVE).astype(np.int8)
    stage[(stage == CHURNED) & (days < settings.churn_floor_days)] = DORMANT
    stage[days > settings.churn_cap_days] = CHURNED
    stage[np.isnan(r) | np.isnan(days)] = NONE
    return stage


def lifecycle_stages(
    first: ArrayLike,
    last: ArrayLike,
    n_purchases: ArrayLike,
    as_of: float | np.datetime64 | date,
    *,
    groups: ArrayLike | None = None,
    population: ArrayLike | None = None,
    settings: LifecycleSettings = DEFAULT_LIFECYCLE,
) -> LifecycleResult:
    """Return each customer's lifecycle stage at ``as_of``, with the cycle and ratio used.

    The population cycle is ``population`` if given, else per group if ``groups`` is given,
    else the overall median. Customers with no purchase get ``NONE`` and NaN figures.
    """
    first_d, last_d, n = _history(first, last, n_purchases)
    now = _as_of_days(as_of, last)
    if population is None:
        population = (
            population_cycle(first_d, last_d, n, settings=settings)
            if groups is None
            else group_population_cycles(first_d, last_d, n, groups, settings=settings)
        )
    bought = n >= 1
    days = np.where(bought, now - last_d, np.nan)
    if np.any(days < 0):
        raise ValueError("a last purchase lies after as_of: drop later orders first")
    cycle = np.where(bought, own_cycles(first_d, last_d, n, population, settings=settings), np.nan)
    ratio = days / cycle
    stage = stages_from_ratio(ratio, days, settings=settings)
    return LifecycleResult(stage=stage, cycle_days=cycle, days_since=days, ratio=ratio)


def stage_labels(codes: ArrayLike, locale: Locale = "zh-CN") -> NDArray[np.str_]:
    """Turn stage codes into labels in ``locale``."""
    return np.asarray(STAGE_LABELS[locale])[np.asarray(codes, dtype=np.intp)]


def explain_stage(
    stage: int, days_since: float, cycle_days: float, locale: Locale = "zh-CN"
) -> str:
    """Return one sentence saying why a customer is in a stage, for the console."""
    label = STAGE_LABELS[locale][stage]
    if stage == NONE:
        return label
    ratio = days_since / cycle_days
    if locale == "en":
        return (
            f"{label}: {days_since:.0f} days since the last purchase vs an own cycle of "
            f"{cycle_days:.0f} days ({ratio:.1f}×)"
        )
    return (
        f"{label}：距上次购买 {days_since:.0f} 天，"
        f"自身购买周期 {cycle_days:.0f} 天（{ratio:.1f} 倍）"
    )


def stage_treatments() -> tuple[StageTreatment, ...]:
    """Return the default playbook per stage (active, silent, dormant, churned), as data."""
    return (
        StageTreatment(
            stage="active",
            label_zh="活跃",
            label_en="Active",
            max_contacts_per_30_days=4,
            promotion="none",
            major_promotions_only=False,
            focus_zh="保证触达频次，传递产品价值：内容、用法、新品；不以促销打折为主",
            focus_en="Keep in touch to convey product value: content, usage, new items; "
            "no discounts",
        ),
        StageTreatment(
            stage="silent",
            label_zh="沉默",
            label_en="Silent",
            max_contacts_per_30_days=2,
            promotion="small",
            major_promotions_only=False,
            focus_zh="保持一定触达节奏，开始少量营销和小额优惠，刺激再次消费",
            focus_en="Keep a contact rhythm and start small offers to prompt the next purchase",
        ),
        StageTreatment(
            stage="dormant",
            label_zh="沉睡",
            label_en="Dormant",
            max_contacts_per_30_days=1,
            promotion="large",
            major_promotions_only=False,
            focus_zh="控制有限的触达次数，用力度更大的活动召回",
            focus_en="Few, limited contacts with a bigger win-back offer",
        ),
        StageTreatment(
            stage="churned",
            label_zh="流失",
            label_en="Churned",
            max_contacts_per_30_days=1,
            promotion="major",
            major_promotions_only=True,
            focus_zh="降低触达频次，只在大促（618、双11 等）时触达",
            focus_en="Rare contact, only during major promotions (6.18, Double 11)",
        ),
    )


def _history(
    first: ArrayLike, last: ArrayLike, n_purchases: ArrayLike
) -> tuple[FloatArray, FloatArray, NDArray[np.int64]]:
    first_d, last_d = to_days(first), to_days(last)
    n = np.asarray(n_purchases, dtype=np.int64)
    if first_d.ndim != 1 or first_d.shape != last_d.shape or first_d.shape != n.shape:
        raise ValueError("first, last and n_purchases must be 1-D arrays of one length")
    if np.any(n < 0):
        raise ValueError("n_purchases must be >= 0")
    if np.any((n >= 1) & np.isnan(last_d)) or np.any((n >= 2) & ~(first_d <= last_d)):
        raise ValueError("buyers need a last purchase, repeat buyers a first one not after it")
    return first_d, last_d, n


def _as_of_days(as_of: float | np.datetime64 | date, last: ArrayLike) -> float:
    times = np.asarray(last)
    dated = np.issubdtype(times.dtype, np.datetime64) or times.dtype == object
    if times.size and isinstance(as_of, date | np.datetime64) != dated:
        raise ValueError("as_of and the purchase times must both be dates or both be days")
    return float(to_days(as_of))


def _median_cycle(gaps: FloatArray, settings: LifecycleSettings) -> float:
    repeat = gaps[np.isfinite(gaps)]
    if repeat.size == 0:
        return settings.default_cycle_days
    return max(float(np.median(repeat)), settings.min_cycle_days)


def _group_medians(
    keys: NDArray[np.intp], values: FloatArray, n_groups: int
) -> tuple[FloatArray, NDArray[np.int64]]:
    """Return the median of ``values`` per key in ``range(n_groups)`` and each key's count."""
    order = np.lexsort((values, keys))
    ordered = values[order]
    counts = np.bincount(keys, minlength=n_groups).astype(np.int64)
    starts = np.cumsum(counts) - counts
    top = max(ordered.size - 1, 0)
    low = np.clip(starts + (counts - 1) // 2, 0, top)
    high = np.clip(starts + counts // 2, 0, top)
    if ordered.size == 0:
        return np.full(n_groups, np.nan), counts
    medians = np.where(counts > 0, (ordered[low] + ordered[high]) / 2, np.nan)
    return medians, counts
