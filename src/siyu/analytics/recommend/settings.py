"""Hyper-parameters and role rules of the next-best-product recommender, with defaults.

Every default is explained in ``docs/next-best-products.md``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RecommendSettings:
    """What the recommender learns from and which rules it applies."""

    top: int = 10
    """Products recommended per customer."""
    min_support: int = 3
    """Customers who bought both products before a co-purchase pair counts."""
    entry_roles: tuple[str, ...] = ("traffic", "trial")
    """Entry products (引流款, 体验装): bought once to try, never recommended again."""
    main_roles: tuple[str, ...] = ("profit",)
    """Main products (利润款): what an entry buyer should move on to."""
    trial_to_main_slots: int = 2
    """Main products put first for a customer who owns an entry product but no main one."""
    trial_to_main_prior: float = 5.0
    """Pseudo-customers of the overall main mix mixed into each entry product's own mix."""
    repurchase_threshold: float = 0.08
    """An owned product is recommended again when this share of its buyers rebought it."""
    repurchase_prior: float = 20.0
    """Pseudo-buyers at the role's rate mixed into each product's own repurchase rate."""
    factors: int = 32
    """Most latent factors of the implicit model; it uses ``min(factors, ceil(sqrt(products)))``."""
    regularization: float = 1.0
    """L2 regularisation of the implicit-feedback model."""
    alpha: float = 1.0
    """Confidence per buying occasion (implicit feedback: ``c = alpha * occasions``)."""
    iterations: int = 10
    """Alternating least squares sweeps."""
    threads: int = 2
    """Threads of the implicit-feedback fit (results do not depend on it)."""
    seed: int = 0
    """Seed of the implicit model's initial factors (the fit is deterministic given it)."""
    blend_k: float = 10.0
    """Rank offset of the reciprocal-rank blend: ``1 / (k + rank)`` per model."""
    min_customers: int = 30
    """Buyers below which only co-purchase and popularity are used (too little to factor)."""

    def __post_init__(self) -> None:
        if self.top < 1 or self.min_support < 1 or self.factors < 1 or self.iterations < 1:
            raise ValueError("top, min_support, factors and iterations must be >= 1")
        if not 0.0 <= self.repurchase_threshold <= 1.0:
            raise ValueError("repurchase_threshold must be within [0, 1]")
        if min(self.trial_to_main_prior, self.repurchase_prior, self.alpha) < 0:
            raise ValueError("priors and alpha must be >= 0")
        if self.threads < 1 or self.trial_to_main_slots < 0 or self.blend_k <= 0:
            raise ValueError("need threads >= 1, trial_to_main_slots >= 0, blend_k > 0")


DEFAULT_RECOMMEND = RecommendSettings()
