"""The demo brand's ground truth, saved beside the store for later analytics tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from siyu.demo.simulator import DemoBrand

TRUTH_COLUMNS = (
    "lam", "p", "alive_at_end", "n_orders", "n_purchases", "channel",
    "expected_purchases_next_365d", "prob_alive_true",
)  # fmt: skip


def save_truth(path: Path, brand: DemoBrand, customer_ids: NDArray[np.int64]) -> Path:
    """Write per-customer truth keyed by store customer id (no personal data) as .npz."""
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = {name: getattr(brand.customers, name) for name in TRUTH_COLUMNS}
    np.savez_compressed(
        path,
        customer_id=customer_ids,
        seed=np.int64(brand.seed),
        end=np.datetime64(brand.end),
        **columns,
    )
    return path
