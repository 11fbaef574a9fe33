"""Next-best products per customer: co-purchase, an implicit-feedback model, role rules."""

from siyu.analytics.recommend.evaluate import (
    MethodResult,
    TimeSplit,
    evaluate,
    hits_at_k,
    ndcg_at_k,
    relevance,
    time_split,
)
from siyu.analytics.recommend.histories import (
    HistoryMatrix,
    PurchaseHistories,
    history_matrix,
    load_histories,
    load_roles,
    product_roles,
    purchase_histories,
)
from siyu.analytics.recommend.models import CoPurchaseModel, ImplicitModel, PopularityModel
from siyu.analytics.recommend.recommender import (
    METHODS,
    REASON_LABELS,
    REASONS,
    Method,
    NextBestProducts,
    Recommendations,
)
from siyu.analytics.recommend.rules import (
    EntryToMain,
    entry_to_main,
    repurchasable,
    repurchase_rates,
)
from siyu.analytics.recommend.settings import DEFAULT_RECOMMEND, RecommendSettings

__all__ = [
    "DEFAULT_RECOMMEND",
    "METHODS",
    "REASONS",
    "REASON_LABELS",
    "CoPurchaseModel",
    "EntryToMain",
    "HistoryMatrix",
    "ImplicitModel",
    "Method",
    "MethodResult",
    "NextBestProducts",
    "PopularityModel",
    "PurchaseHistories",
    "RecommendSettings",
    "Recommendations",
    "TimeSplit",
    "entry_to_main",
    "evaluate",
    "history_matrix",
    "hits_at_k",
    "load_histories",
    "load_roles",
    "ndcg_at_k",
    "product_roles",
    "purchase_histories",
    "relevance",
    "repurchasable",
    "repurchase_rates",
    "time_split",
]
