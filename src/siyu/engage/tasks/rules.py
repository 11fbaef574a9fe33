"""Which customers belong on a staff member's list today and why, pure.

Reasons, each with its own expected lift from a personal contact:

* due_repurchase: their own purchase cycle ends within a few days (the store manager who
  knows each regular's cycle);
* slipping: an active customer past most of their own cycle, about to turn silent;
* deleted_us: deleted the staff member on WeCom in the last days (a call or a text to ask
  why, and to invite them back);
* high_value_unserved: in the top tier of predicted value and not contacted for a while.

A customer with several reasons gets the most valuable one.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from siyu.analytics import lifecycle
from siyu.engage.playbooks.schemas import TaskSettings

REASONS: Final = ("due_repurchase", "slipping", "deleted_us", "high_value_unserved")
Floats = NDArray[np.float64]


def reason_masks(
    *,
    stage: NDArray[np.int64],
    days_to_due: Floats,
    days_since_purchase: Floats,
    cycle_days: Floats,
    clv_fen: Floats,
    days_since_touch: Floats,
    deleted_us: NDArray[np.bool_],
    settings: TaskSettings,
) -> NDArray[np.bool_]:
    """A (customers x REASONS) matrix: which reasons apply to whom."""
    with np.errstate(invalid="ignore", divide="ignore"):
        buying = np.isin(stage, [lifecycle.ACTIVE, lifecycle.SILENT])
        due = buying & (np.abs(days_to_due) <= settings.due_window_days)
        ratio = days_since_purchase / cycle_days
        slipping = (stage == lifecycle.ACTIVE) & (ratio >= settings.slipping_from) & (ratio <= 1)
        known = clv_fen[~np.isnan(clv_fen)]
        edge = float(np.quantile(known, settings.high_value_quantile)) if known.size else np.inf
        unserved = np.isnan(days_since_touch) | (days_since_touch >= settings.unserved_days)
        valuable = (clv_fen >= edge) & unserved & (stage != lifecycle.CHURNED)
    return np.column_stack([due, slipping, deleted_us, valuable])


def best_reason(masks: NDArray[np.bool_], value: Floats, uplift: Floats) -> tuple[
        NDArray[np.int64], Floats]:  # fmt: skip
    """Each customer's most valuable reason (-1: none) and its expected value in fen
    (`value` is the customer's order value times P(alive); `uplift` is per reason)."""
    worth = np.where(masks, value[:, None] * uplift[None, :], -np.inf)
    best = np.argmax(worth, axis=1)
    chosen = worth[np.arange(best.size), best]
    return np.where(np.isfinite(chosen), best, -1).astype(np.int64), chosen


def ranks_within(staff: NDArray[np.int64], value: Floats) -> NDArray[np.int64]:
    """1-based rank of each task on its staff member's list, most valuable first."""
    order = np.lexsort((-value, staff))
    ranks = np.empty(staff.size, dtype=np.int64)
    sorted_staff = staff[order]
    starts = np.r_[0, np.flatnonzero(sorted_staff[1:] != sorted_staff[:-1]) + 1]
    run = np.repeat(starts, np.diff(np.r_[starts, staff.size]))
    ranks[order] = np.arange(staff.size) - run + 1
    return ranks
