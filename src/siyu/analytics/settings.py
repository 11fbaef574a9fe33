"""Thresholds of the value ladder, the lifecycle stages and RFM, with documented defaults.

Every default is explained in ``docs/customer-stages.md``. The objects are frozen so one
instance can be shared by the daily pipeline and the console; build a new one to change a
threshold (``dataclasses.replace(DEFAULT_LIFECYCLE, churned_after=5.0)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Locale = Literal["zh-CN", "en"]
"""The languages every label table carries."""


@dataclass(frozen=True, slots=True)
class LadderSettings:
    """Order counts that move a buyer up the value ladder (价值阶梯)."""

    repeat_orders: int = 2
    """Orders from which a buyer is a repeat buyer (复购客户)."""
    multi_repeat_orders: int = 3
    """Orders from which a buyer is a multi-repeat buyer (多次复购客户)."""

    def __post_init__(self) -> None:
        if not 2 <= self.repeat_orders < self.multi_repeat_orders:
            raise ValueError("need 2 <= repeat_orders < multi_repeat_orders")


@dataclass(frozen=True, slots=True)
class LifecycleSettings:
    """How each buyer's own purchase cycle is estimated and when a stage begins."""

    credibility_k: float = 2.0
    """Pseudo-gaps of the population cycle mixed into each buyer's own mean gap."""
    default_cycle_days: float = 90.0
    """Population cycle when the data hold no repeat buyer at all."""
    min_cycle_days: float = 7.0
    """Floor on any cycle: orders a few days apart are one buying occasion, not a rhythm."""
    min_group_repeaters: int = 30
    """Repeat buyers a group needs before it gets its own population cycle."""
    silent_after: float = 1.0
    """Silent (沉默) once days since the last purchase exceed this many own cycles."""
    dormant_after: float = 2.0
    """Dormant (沉睡) once the ratio exceeds this."""
    churned_after: float = 4.0
    """Churned (流失) once the ratio exceeds this."""
    churn_floor_days: float = 60.0
    """Never churned while fewer days than this have passed since the last purchase."""
    churn_cap_days: float = 730.0
    """Always churned once more days than this have passed since the last purchase."""

    def __post_init__(self) -> None:
        if self.credibility_k <= 0 or self.min_cycle_days <= 0 or self.default_cycle_days <= 0:
            raise ValueError("credibility_k, min_cycle_days and default_cycle_days must be > 0")
        if not 0 < self.silent_after < self.dormant_after < self.churned_after:
            raise ValueError("need 0 < silent_after < dormant_after < churned_after")
        if not 0 <= self.churn_floor_days <= self.churn_cap_days:
            raise ValueError("need 0 <= churn_floor_days <= churn_cap_days")
        if self.min_group_repeaters < 1:
            raise ValueError("min_group_repeaters must be >= 1")

    @property
    def ratio_edges(self) -> tuple[float, float, float]:
        """The three ratio thresholds, low to high."""
        return (self.silent_after, self.dormant_after, self.churned_after)


@dataclass(frozen=True, slots=True)
class RfmSettings:
    """How frequency is scored and whether monetary value enters the segment."""

    frequency_edges: tuple[int, int, int, int] | None = None
    """None: rank quintiles. Else order counts where F scores 2, 3, 4 and 5 begin."""
    segment_uses_monetary: bool = True
    """Segment on R and FM = floor((F + M) / 2); False: on R and F alone."""

    def __post_init__(self) -> None:
        edges = self.frequency_edges
        if edges is not None and (
            len(edges) != 4 or edges[0] < 2 or list(edges) != sorted(set(edges))
        ):
            raise ValueError("frequency_edges must be four increasing order counts >= 2")


@dataclass(frozen=True, slots=True)
class AnalyticsSettings:
    """All customer-stage thresholds in one object."""

    ladder: LadderSettings = field(default_factory=LadderSettings)
    lifecycle: LifecycleSettings = field(default_factory=LifecycleSettings)
    rfm: RfmSettings = field(default_factory=RfmSettings)


DEFAULT_LADDER = LadderSettings()
DEFAULT_LIFECYCLE = LifecycleSettings()
DEFAULT_RFM = RfmSettings()
DEFAULT_ANALYTICS = AnalyticsSettings()
