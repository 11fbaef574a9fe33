"""The demo brand's loyalty: a tier programme, points from its orders, paid members, stored value.

The programme launched a year before the end of the simulated history: orders paid since
then earned points (in bulk, the same postings as one by one), pool joiners of that year
got the joining points, and a seeded sample of customers redeemed points, bought the
PLUS card (a few cancelled it) and used stored value. Every posting goes through the
loyalty use cases, so the demo's ledger passes `siyu loyalty audit`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from siyu.demo.simulator import DemoBrand
from siyu.loyalty import service
from siyu.loyalty.schemas import (
    ActionEarnCreate,
    CardCancelCreate,
    CardPlanConfig,
    CardPurchaseCreate,
    EarnRuleConfig,
    ProgramConfig,
    RedeemCreate,
    SpendCreate,
    SpendRefundCreate,
    TierConfig,
    TopupCreate,
    TopupRefundCreate,
    TopupRuleConfig,
)

DEMO_PROGRAM = ProgramConfig(
    points_validity_days=365,
    bonus_order="bonus_first",
    tier_retain_days=30,
    tiers=[
        TierConfig(code="tea_friend", name="茶友", rank=0),
        TierConfig(
            code="silver_leaf", name="银叶会员", rank=1, min_spend_fen=80_000, discount_bp=200
        ),
        TierConfig(
            code="gold_leaf",
            name="金叶会员",
            rank=2,
            min_spend_fen=200_000,
            min_points_earned=2_000,
            discount_bp=500,
            points_multiplier_pct=150,
            free_shipping=True,
        ),
        TierConfig(
            code="black_gold",
            name="黑金茶客",
            rank=3,
            discount_bp=800,
            points_multiplier_pct=200,
            free_shipping=True,
            exclusive_service=True,
        ),
    ],
    earn_rules=[
        EarnRuleConfig(code="spend", kind="spend", points=1, per_fen=100),
        EarnRuleConfig(
            code="spend_brand", kind="spend", points=2, per_fen=100, product_role="brand"
        ),
        EarnRuleConfig(
            code="spend_traffic", kind="spend", points=1, per_fen=200, product_role="traffic"
        ),
        EarnRuleConfig(
            code="join_pool", kind="action", action="join_pool", points=100, max_times=1
        ),
        EarnRuleConfig(code="review", kind="action", action="review", points=20),
        EarnRuleConfig(code="referral", kind="action", action="referral", points=200),
    ],
    topup_rules=[
        TopupRuleConfig(code="topup_500", min_topup_fen=50_000, bonus_fen=5_000),
        TopupRuleConfig(code="topup_1000", min_topup_fen=100_000, bonus_fen=15_000),
        TopupRuleConfig(code="topup_2000", min_topup_fen=200_000, bonus_fen=40_000),
    ],
    card_plans=[
        CardPlanConfig(
            code="plus",
            name="PLUS 年卡",
            price_fen=19_900,
            duration_days=365,
            tier="black_gold",
            points_multiplier_pct=200,
            free_shipping=True,
            exclusive_service=True,
            cooling_off_days=7,
        ),
    ],
)

MAX_JOINERS = 300
CARD_SHARE = 0.01
STORED_VALUE_SHARE = 0.008
REDEEMING_SHARE = 0.12


@dataclass
class LoyaltySummary:
    """What the demo's loyalty load posted."""

    counts: dict[str, int] = field(default_factory=dict)


def _utc(value: np.datetime64) -> datetime:
    return datetime.fromtimestamp(int(value.astype("datetime64[s]").astype(np.int64)), UTC)


def load_loyalty(
    session: Session, workspace_id: int, brand: DemoBrand, customer_ids: NDArray[np.int64]
) -> LoyaltySummary:
    """Give the loaded demo brand its loyalty programme and a year of loyalty activity."""
    rng = np.random.default_rng(brand.seed + 88)
    end = _utc(brand.end_at) - timedelta(minutes=1)
    launch = end - timedelta(days=365)
    summary = LoyaltySummary()
    service.apply_program(session, workspace_id, DEMO_PROGRAM)
    run = service.earn_orders(session, workspace_id, since=launch, until=end)
    summary.counts["orders earning points"] = run.orders
    summary.counts["joining points"] = _joiners(session, workspace_id, brand, customer_ids, launch)
    spenders = _recent_spenders(brand, customer_ids, launch)
    summary.counts["paid members"] = _cards(session, workspace_id, spenders, rng, launch, end)
    summary.counts["stored-value customers"] = _stored_value(
        session, workspace_id, spenders, rng, launch, end
    )
    summary.counts["redemptions"] = _redemptions(session, workspace_id, spenders, rng, end)
    service.expire_points(session, workspace_id, at=end)
    service.expire_cards(session, workspace_id, at=end)
    tiers = service.evaluate_tiers(session, workspace_id, at=end)
    summary.counts["members above the base tier"] = sum(
        n for code, n in tiers.by_tier.items() if code != "tea_friend"
    )
    return summary


def _joiners(
    session: Session,
    workspace_id: int,
    brand: DemoBrand,
    customer_ids: NDArray[np.int64],
    launch: datetime,
) -> int:
    """The joining points of the latest pool joiners since the launch (one per customer)."""
    contacts = brand.contacts
    joined = contacts.joined_at >= np.datetime64(launch.replace(tzinfo=None), "s")
    order = np.argsort(contacts.joined_at)[::-1]
    done: set[int] = set()
    for k in order[joined[order]]:
        customer = int(customer_ids[int(contacts.customer[k])])
        if customer == 0 or customer in done:
            continue
        done.add(customer)
        key = f"demo:join:{customer}"
        body = ActionEarnCreate(customer_id=customer, action="join_pool", key=key)
        service.earn_action(session, workspace_id, body, at=_utc(contacts.joined_at[k]))
        if len(done) >= MAX_JOINERS:
            break
    return len(done)


def _recent_spenders(
    brand: DemoBrand, customer_ids: NDArray[np.int64], launch: datetime
) -> NDArray[np.int64]:
    """Store ids of customers who bought since the launch, biggest spenders first."""
    orders = brand.orders
    recent = orders.ordered_at >= np.datetime64(launch.replace(tzinfo=None), "s")
    spend = np.bincount(
        orders.customer[recent], weights=orders.paid_fen[recent], minlength=len(customer_ids)
    )
    ranked = np.argsort(spend)[::-1]
    ranked = ranked[spend[ranked] > 0]
    ids = customer_ids[ranked]
    ids = ids[ids > 0]
    _, first = np.unique(ids, return_index=True)  # a merged customer appears once
    return ids[np.sort(first)]


def _cards(
    session: Session,
    workspace_id: int,
    spenders: NDArray[np.int64],
    rng: np.random.Generator,
    launch: datetime,
    end: datetime,
) -> int:
    """Big spenders buy the PLUS card at a random time of the year; a few cancel it."""
    n = max(5, int(len(spenders) * CARD_SHARE))
    buyers = rng.choice(spenders[: n * 4], size=min(n, len(spenders)), replace=False)
    for customer in buyers.tolist():
        bought = launch + timedelta(days=float(rng.uniform(0, 360)))
        key = f"demo:card:{customer}"
        body = CardPurchaseCreate(customer_id=customer, plan_code="plus", key=key)
        posted = service.buy_card(session, workspace_id, body, at=bought)
        if rng.random() < 0.06:
            cancelled = bought + timedelta(days=float(rng.uniform(1, 60)))
            if cancelled < end:
                cancel = CardCancelCreate(card_id=posted.card.id, key=f"demo:cancel:{customer}")
                service.cancel_card(session, workspace_id, cancel, at=cancelled)
    return len(buyers)


def _stored_value(
    session: Session,
    workspace_id: int,
    spenders: NDArray[np.int64],
    rng: np.random.Generator,
    launch: datetime,
    end: datetime,
) -> int:
    """Some regulars top up (500, 1,000 or 2,000 yuan), then pay with it; a few get refunds."""
    n = max(5, int(len(spenders) * STORED_VALUE_SHARE))
    holders = rng.choice(spenders[: n * 10], size=min(n, len(spenders)), replace=False)
    for customer in holders.tolist():
        at = launch + timedelta(days=float(rng.uniform(0, 300)))
        amount = int(rng.choice([50_000, 100_000, 200_000], p=[0.6, 0.3, 0.1]))
        top = f"demo:topup:{customer}"
        body = TopupCreate(customer_id=customer, amount_fen=amount, key=top)
        service.topup(session, workspace_id, body, at=at)
        left = amount + (5_000 if amount == 50_000 else 15_000 if amount == 100_000 else 40_000)
        for k in range(int(rng.integers(0, 4))):
            at += timedelta(days=float(rng.uniform(3, 20)))
            price = min(left, int(rng.integers(50, 400)) * 100)
            if at >= end or price <= 0:
                break
            key = f"demo:spend:{customer}:{k}"
            paid = SpendCreate(customer_id=customer, amount_fen=price, key=key, reference="demo")
            service.spend(session, workspace_id, paid, at=at)
            left -= price
            if rng.random() < 0.05:
                refund = SpendRefundCreate(spend_key=key, amount_fen=price, key=f"{key}:refund")
                service.refund_spend(session, workspace_id, refund, at=at + timedelta(days=2))
                left += price
        refund_at = at + timedelta(days=5)
        if rng.random() < 0.03 and refund_at < end and _principal(session, workspace_id, customer):
            refund_body = TopupRefundCreate(topup_key=top, key=f"{top}:refund")
            service.refund_topup(session, workspace_id, refund_body, at=refund_at)
    return len(holders)


def _redemptions(
    session: Session,
    workspace_id: int,
    spenders: NDArray[np.int64],
    rng: np.random.Generator,
    end: datetime,
) -> int:
    """Some big recent buyers with 300 points or more exchange some for gifts."""
    done = 0
    holders = service.points_holders(session, workspace_id, minimum=300)
    for customer in spenders[: len(spenders) // 4].tolist():
        points = holders.get(customer, 0)
        if points < 300 or rng.random() > REDEEMING_SHARE:
            continue
        spend = int(rng.integers(1, points // 100 + 1)) * 100
        key = f"demo:redeem:{customer}"
        body = RedeemCreate(customer_id=customer, points=spend, key=key, reference="gift")
        service.redeem(session, workspace_id, body, at=end)
        done += 1
    return done


def _principal(session: Session, workspace_id: int, customer: int) -> int:
    return service.balance(session, workspace_id, customer).principal_fen
