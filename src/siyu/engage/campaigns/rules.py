"""Campaign rules, pure: randomised assignment to arms and variants, the brand-wide holdout,
message templates, and the statistics of results against control.

Assignment hashes (seed, customer id) with SplitMix64 into a uniform number: it is random
with respect to everything about the customer, reproducible (a launch resumed after a crash
assigns the same arms), and needs no stored random state. The holdout hashes a workspace salt
instead of a campaign seed, so the same customers sit out of every campaign.

Results compare arms by intention to treat (everyone assigned) and among the eligible (those
the contact policy admitted, or, in control, would have admitted: the same decision made for
them at launch without sending). Differences in rates get Newcombe's hybrid score interval
(from two Wilson intervals); differences in revenue per customer get Welch's interval.
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from scipy import stats

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

ARMS: Final = ("treatment", "control", "holdout")
TREATMENT, CONTROL, HOLDOUT = 0, 1, 2
OFFERS: Final = ("none", "small", "large", "major")
DEFAULT_UPLIFT: Final[dict[str, float]] = {
    "none": 0.005,
    "small": 0.015,
    "large": 0.03,
    "major": 0.04,
}
"""Prior lift in purchase probability per message by offer, before a brand has measured its
own (a brand replaces them with the increments its campaigns' results show)."""
VARIABLES: Final[dict[str, tuple[str, str]]] = {
    "name": (
        "the customer's name (filled in at send time, never stored)",
        "客户称呼（发送时填入，不存储）",
    ),
    "stage": ("lifecycle stage", "生命周期阶段"),
    "tier": ("ladder tier", "价值阶梯"),
    "product": ("suggested product", "推荐商品"),
    "offer": ("the campaign's offer text", "活动优惠"),
    "days_since_purchase": ("days since the last purchase", "距上次购买天数"),
    "brand": ("the brand's name", "品牌名"),
}
SEND_TIME_VARIABLES: Final = frozenset({"name"})

_MASK64: Final = (1 << 64) - 1


def splitmix64(values: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """SplitMix64's finaliser: a well-mixed 64-bit hash of each value."""
    with np.errstate(over="ignore"):
        z = values + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return np.asarray(z ^ (z >> np.uint64(31)), dtype=np.uint64)


def uniform(customer_ids: IntArray, seed: int) -> FloatArray:
    """A uniform number in [0, 1) per customer, fixed by (seed, customer id)."""
    mixed = customer_ids.astype(np.uint64) ^ splitmix64(np.array([seed & _MASK64], np.uint64))
    return (splitmix64(mixed) >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def in_holdout(customer_ids: IntArray, *, salt: int, share: float) -> NDArray[np.bool_]:
    """Who sits in the brand-wide holdout (out of every campaign that honours it)."""
    if share <= 0:
        return np.zeros(customer_ids.size, dtype=np.bool_)
    return uniform(customer_ids, salt) < share


def assign(
    customer_ids: IntArray, *, seed: int, control_share: float, weights: Sequence[float]
) -> tuple[IntArray, IntArray]:
    """Arm (TREATMENT or CONTROL) and variant index of each customer; variants split the
    treatment arm by weight, independently of the arm draw."""
    arm = np.where(uniform(customer_ids, seed) < control_share, CONTROL, TREATMENT)
    edges = np.cumsum(np.asarray(weights, dtype=np.float64))
    edges = edges / edges[-1]
    variant = np.searchsorted(edges, uniform(customer_ids, seed ^ 0x5EED), side="right")
    return arm.astype(np.int64), np.minimum(variant, len(weights) - 1).astype(np.int64)


def template_fields(text: str) -> set[str]:
    """The {variables} a template uses."""
    found = set()
    for _literal, name, _spec, _conversion in string.Formatter().parse(text):
        if name is not None:
            found.add(name)
    return found


def unknown_fields(content: Mapping[str, Any]) -> set[str]:
    """Variables in any text of the content that siyu cannot fill."""
    used: set[str] = set()
    for value in content.values():
        if isinstance(value, str):
            try:
                used |= template_fields(value)
            except ValueError:
                used.add("{")
    return used - set(VARIABLES)


class _Keep(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(content: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    """Fill the variables siyu knows now; send-time ones ({name}) stay for the worker."""
    filled = _Keep(values)
    return {k: v.format_map(filled) if isinstance(v, str) else v for k, v in content.items()}


# ----------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class Estimate:
    """A difference (treatment minus control) with its confidence interval and p-value."""

    value: float
    low: float
    high: float
    p_value: float

    def scaled(self, factor: float) -> Estimate:
        """The estimate times a constant (e.g. per-customer lift times customers treated)."""
        return Estimate(self.value * factor, self.low * factor, self.high * factor, self.p_value)


def wilson(successes: int, n: int, z: float) -> tuple[float, float]:
    """Wilson score interval of a proportion."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def proportion_difference(
    x_t: int, n_t: int, x_c: int, n_c: int, *, confidence: float = 0.95
) -> Estimate:
    """Difference of two proportions with Newcombe's hybrid score interval (method 10) and a
    two-sided z-test p-value."""
    if n_t == 0 or n_c == 0:
        return Estimate(math.nan, math.nan, math.nan, math.nan)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p_t, p_c = x_t / n_t, x_c / n_c
    l_t, u_t = wilson(x_t, n_t, z)
    l_c, u_c = wilson(x_c, n_c, z)
    diff = p_t - p_c
    low = diff - math.sqrt((p_t - l_t) ** 2 + (u_c - p_c) ** 2)
    high = diff + math.sqrt((u_t - p_t) ** 2 + (p_c - l_c) ** 2)
    pooled = (x_t + x_c) / (n_t + n_c)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_t + 1 / n_c))
    p_value = float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else 1.0
    return Estimate(diff, low, high, p_value)


def mean_difference(
    treated: FloatArray, control: FloatArray, *, confidence: float = 0.95
) -> Estimate:
    """Difference of two means with Welch's interval (t quantile, Welch-Satterthwaite
    degrees of freedom) and p-value."""
    n_t, n_c = treated.size, control.size
    if n_t < 2 or n_c < 2:
        return Estimate(math.nan, math.nan, math.nan, math.nan)
    diff = float(treated.mean() - control.mean())
    v_t, v_c = float(treated.var(ddof=1)) / n_t, float(control.var(ddof=1)) / n_c
    se = math.sqrt(v_t + v_c)
    if se == 0:
        return Estimate(diff, diff, diff, 1.0 if diff == 0 else 0.0)
    df = (v_t + v_c) ** 2 / (v_t**2 / (n_t - 1) + v_c**2 / (n_c - 1))
    t = float(stats.t.ppf(0.5 + confidence / 2, df))
    p_value = float(2 * stats.t.sf(abs(diff) / se, df))
    return Estimate(diff, diff - t * se, diff + t * se, p_value)
