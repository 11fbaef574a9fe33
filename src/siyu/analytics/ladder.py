"""The value ladder (价值阶梯): potential → bought once → repeat → multi-repeat → member.

Codes are small integers in ladder order, so ``codes >= REPEAT`` selects repeat buyers and
above. An "order" here is whatever the caller counts: siyu's pipeline passes paid orders
that are neither closed nor fully refunded, each counted once across platforms.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from siyu.analytics.settings import DEFAULT_LADDER, LadderSettings, Locale

NONE: Final = 0
POTENTIAL: Final = 1
BOUGHT_ONCE: Final = 2
REPEAT: Final = 3
MULTI_REPEAT: Final = 4
MEMBER: Final = 5

TIERS: Final = ("none", "potential", "bought_once", "repeat", "multi_repeat", "member")
"""Tier names; a tier's code is its index."""

TIER_LABELS: Final[dict[Locale, tuple[str, ...]]] = {
    "zh-CN": ("池外未购", "潜在客户", "首购客户", "复购客户", "多次复购客户", "会员"),
    "en": ("Outside", "Potential", "Bought once", "Repeat", "Multi-repeat", "Member"),
}


def ladder_tiers(
    orders: ArrayLike,
    in_pool: ArrayLike,
    is_member: ArrayLike,
    *,
    settings: LadderSettings = DEFAULT_LADDER,
) -> NDArray[np.int8]:
    """Return each customer's ladder tier code (see ``TIERS``).

    A member is ``MEMBER`` whatever else holds; otherwise the order count decides, and a
    customer with no order is ``POTENTIAL`` inside the private pool and ``NONE`` outside it.
    Buyers outside the pool keep their buyer tier: that is who to invite first.
    """
    n_orders = np.asarray(orders)
    pool = np.asarray(in_pool, dtype=bool)
    member = np.asarray(is_member, dtype=bool)
    _check(n_orders, pool, member)
    codes = np.where(pool, np.int8(POTENTIAL), np.int8(NONE))
    codes[n_orders >= 1] = BOUGHT_ONCE
    codes[n_orders >= settings.repeat_orders] = REPEAT
    codes[n_orders >= settings.multi_repeat_orders] = MULTI_REPEAT
    codes[member] = MEMBER
    return codes


def tier_labels(codes: ArrayLike, locale: Locale = "zh-CN") -> NDArray[np.str_]:
    """Turn tier codes into labels in ``locale``."""
    return np.asarray(TIER_LABELS[locale])[np.asarray(codes, dtype=np.intp)]


def tier_counts(codes: ArrayLike) -> dict[str, int]:
    """Count customers per tier, every tier present (zero when empty)."""
    counts = np.bincount(np.asarray(codes, dtype=np.intp), minlength=len(TIERS))
    return dict(zip(TIERS, counts.tolist(), strict=True))


def _check(
    orders: NDArray[np.generic], in_pool: NDArray[np.bool_], member: NDArray[np.bool_]
) -> None:
    if orders.ndim != 1 or orders.shape != in_pool.shape or orders.shape != member.shape:
        raise ValueError("orders, in_pool and is_member must be 1-D arrays of one length")
    if orders.size and not np.issubdtype(orders.dtype, np.integer):
        raise ValueError("orders must be integer counts")
    if orders.size and orders.min() < 0:
        raise ValueError("orders must be >= 0")
