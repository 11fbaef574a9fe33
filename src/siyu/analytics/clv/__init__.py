"""Customer lifetime value: BG/NBD, Pareto/NBD and Gamma-Gamma models, value and holdout.

Pure NumPy/SciPy on per-customer arrays; see docs/clv-models.md.
"""

from siyu.analytics.clv.bgnbd import BGNBDModel, BGNBDParams
from siyu.analytics.clv.gammagamma import GammaGammaModel, GammaGammaParams
from siyu.analytics.clv.holdout import HoldoutReport, HoldoutSplit, holdout_report, split_orders
from siyu.analytics.clv.paretonbd import ParetoNBDModel, ParetoNBDParams
from siyu.analytics.clv.prep import (
    ConvergenceWarning,
    GroupedHistories,
    Histories,
    NotFittedError,
    group_histories,
    histories_from_orders,
    mean_repeat_spend,
)
from siyu.analytics.clv.value import (
    DAYS_PER_MONTH,
    CustomerValue,
    customer_value,
    discount_factors,
    expected_purchases_by_period,
)

__all__ = [
    "DAYS_PER_MONTH",
    "BGNBDModel",
    "BGNBDParams",
    "ConvergenceWarning",
    "CustomerValue",
    "GammaGammaModel",
    "GammaGammaParams",
    "GroupedHistories",
    "Histories",
    "HoldoutReport",
    "HoldoutSplit",
    "NotFittedError",
    "ParetoNBDModel",
    "ParetoNBDParams",
    "customer_value",
    "discount_factors",
    "expected_purchases_by_period",
    "group_histories",
    "histories_from_orders",
    "holdout_report",
    "mean_repeat_spend",
    "split_orders",
]
