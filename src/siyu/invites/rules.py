"""Pure rules of invite lists: score buyers outside the pool, pick where to reach each, spend
a budget.

Score = weighted percentile ranks of predicted value (12-month CLV), repurchase intent
(P(alive) × expected purchases in 365 days) and recency of the last purchase. The brand's
stage sets the weights: a mature brand favours proven repeat buyers (and leaves one-time
buyers the model has given up on); a new brand also builds a pool of recent first-time
buyers, who are most receptive right after buying.

Each customer is reached where it costs least per expected joiner among the touchpoints
open to them: a package card in their next order (only when a next order is expected
soon), an SMS (needs a phone and no SMS opt-out), or the customer-service chat (only right
after a purchase, while a conversation is plausible). The budget is spent down the ranking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

Stage = Literal["new", "growing", "mature"]
STAGES: tuple[Stage, ...] = ("new", "growing", "mature")
TOUCHPOINTS = ("package_card", "sms", "customer_service")

# (value, intent, recency) weights per stage
WEIGHTS: dict[Stage, tuple[float, float, float]] = {
    "new": (0.30, 0.30, 0.40),
    "growing": (0.40, 0.40, 0.20),
    "mature": (0.45, 0.50, 0.05),
}
MATURE_MIN_P_ALIVE = 0.2  # a mature brand skips one-time buyers below this


@dataclass(frozen=True, slots=True)
class Touchpoint:
    """What reaching one customer at a touchpoint costs and how often they join."""

    cost_fen: int
    join_rate: float


DEFAULT_TOUCHPOINTS: dict[str, Touchpoint] = {
    # a card rides in a parcel the customer opens; an SMS is cheap but mostly ignored; a CS
    # agent asks in a conversation the customer started
    "package_card": Touchpoint(cost_fen=40, join_rate=0.15),
    "sms": Touchpoint(cost_fen=5, join_rate=0.01),
    "customer_service": Touchpoint(cost_fen=50, join_rate=0.25),
}
CARD_HORIZON_DAYS = 45.0  # a card needs an order expected within this many days
CS_WINDOW_DAYS = 14.0  # customer service invites in the chat after a recent purchase


@dataclass(frozen=True)
class Candidates:
    """Buyers outside the pool, one array entry each (NaN where the model has no figure)."""

    customer_id: NDArray[np.int64]
    n_purchases: NDArray[np.int64]
    clv_fen: NDArray[np.float64]
    net_paid_fen: NDArray[np.float64]
    p_alive: NDArray[np.float64]
    expected_purchases: NDArray[np.float64]
    days_since_purchase: NDArray[np.float64]
    days_to_next: NDArray[np.float64]
    has_phone: NDArray[np.bool_]
    sms_opt_out: NDArray[np.bool_]


def _rank(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Percentile rank in [0, 1] (ties share the mean rank; NaN ranks lowest)."""
    n = len(values)
    if n == 0:
        return np.zeros(0)
    filled = np.where(np.isnan(values), -np.inf, values)
    order = np.argsort(filled, kind="stable")
    ranks = np.empty(n)
    ranks[order] = np.arange(n, dtype=np.float64)
    # average ties so equal customers score equally
    _, inverse = np.unique(filled, return_inverse=True)
    sums = np.bincount(inverse, weights=ranks)
    counts = np.bincount(inverse)
    averaged = (sums / counts)[inverse]
    return averaged / max(n - 1, 1)


def scores(c: Candidates, stage: Stage) -> NDArray[np.float64]:
    """Priority score in [0, 1] per candidate (-1 where the stage excludes them)."""
    value = np.where(np.isnan(c.clv_fen), c.net_paid_fen * 0.5, c.clv_fen)
    intent = np.nan_to_num(c.p_alive, nan=0.0) * np.nan_to_num(c.expected_purchases, nan=0.0)
    recency = -np.nan_to_num(c.days_since_purchase, nan=np.inf)
    w_value, w_intent, w_recency = WEIGHTS[stage]
    score = w_value * _rank(value) + w_intent * _rank(intent) + w_recency * _rank(recency)
    if stage == "mature":
        weak = (c.n_purchases < 2) & (np.nan_to_num(c.p_alive, nan=0.0) < MATURE_MIN_P_ALIVE)
        score = np.where(weak, -1.0, score)
    return score


def eligible(c: Candidates) -> dict[str, NDArray[np.bool_]]:
    """Which touchpoints can reach each candidate."""
    return {
        "package_card": np.nan_to_num(c.days_to_next, nan=np.inf) <= CARD_HORIZON_DAYS,
        "sms": c.has_phone & ~c.sms_opt_out,
        "customer_service": np.nan_to_num(c.days_since_purchase, nan=np.inf) <= CS_WINDOW_DAYS,
    }


@dataclass(frozen=True)
class InviteList:
    """The chosen invites, best first: indexes into the candidates, touchpoint, cost."""

    index: NDArray[np.int64]
    score: NDArray[np.float64]
    touchpoint: list[str]
    cost_fen: NDArray[np.int64]
    join_rate: NDArray[np.float64]
    skipped_unreachable: int


def plan(
    c: Candidates,
    *,
    stage: Stage,
    budget_fen: int,
    touchpoints: dict[str, Touchpoint] | None = None,
    limit: int | None = None,
) -> InviteList:
    """Rank candidates and assign each the cheapest touchpoint per expected joiner, in budget."""
    points = touchpoints or DEFAULT_TOUCHPOINTS
    score = scores(c, stage)
    open_to = eligible(c)
    # cost per expected joiner of each touchpoint; unreachable = inf
    per_joiner = np.stack(
        [
            np.where(
                open_to[name], points[name].cost_fen / max(points[name].join_rate, 1e-9), np.inf
            )
            for name in TOUCHPOINTS
        ]
    )
    best = np.argmin(per_joiner, axis=0)
    reachable = np.isfinite(per_joiner.min(axis=0)) if len(score) else np.zeros(0, bool)
    ranked = np.argsort(-score, kind="stable")
    ranked = ranked[score[ranked] >= 0]
    unreachable = int((~reachable[ranked]).sum())
    ranked = ranked[reachable[ranked]]
    costs = np.array([points[TOUCHPOINTS[b]].cost_fen for b in best[ranked]], dtype=np.int64)
    within = np.cumsum(costs) <= budget_fen
    chosen = ranked[within][:limit] if limit else ranked[within]
    names = [TOUCHPOINTS[b] for b in best[chosen]]
    return InviteList(
        index=chosen.astype(np.int64),
        score=score[chosen],
        touchpoint=names,
        cost_fen=np.array([points[n].cost_fen for n in names], dtype=np.int64),
        join_rate=np.array([points[n].join_rate for n in names]),
        skipped_unreachable=unreachable,
    )
