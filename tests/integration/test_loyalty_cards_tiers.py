"""Paid membership cards, tiers with history, benefits, merges of customers holding loyalty."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.customers.rules import IdentifierKey
from siyu.customers.service import IdentityResolver, ResolveRequest
from siyu.kit.crypto import PiiCipher
from siyu.loyalty import service
from siyu.loyalty.schemas import (
    CardCancelCreate,
    CardPurchaseCreate,
    EarnCreate,
    OrderEarnCreate,
    RedeemCreate,
    SpendCreate,
    TopupCreate,
)
from siyu.models import LoyaltyAccount, LoyaltyCard
from tests.fixtures.loyalty import T0, clean_audit, customers, order, program_config, refused

DAY = timedelta(days=1)


@pytest.fixture
def ws(session: Session, workspace_id: int) -> int:
    service.apply_program(session, workspace_id, program_config())
    return workspace_id


def _buy(session: Session, ws: int, customer: int, key: str, days: float = 0):  # type: ignore[no-untyped-def]
    body = CardPurchaseCreate(customer_id=customer, plan_code="plus", key=key)
    return service.buy_card(session, ws, body, at=T0 + days * DAY)


def _tier(session: Session, ws: int, customer: int, days: float = 0) -> str | None:
    return service.balance(session, ws, customer, at=T0 + days * DAY).tier


# --- cards ---------------------------------------------------------------------------------


def test_a_card_gives_its_tier_and_benefits_at_once(session: Session, ws: int) -> None:
    (c,) = customers(session, ws, 1)
    assert _tier(session, ws, c) == "member"
    bought = _buy(session, ws, c, "buy-1")
    assert bought.card.status == "active" and bought.card.price_fen == 36_500
    assert {ln.account: ln.amount for ln in bought.posting.lines} == {
        "brand:card_payments": -36_500, "brand:card_revenue": 36_500
    }  # fmt: skip
    shown = service.balance(session, ws, c, at=T0 + DAY)
    assert shown.tier == "black" and [card.id for card in shown.cards] == [bought.card.id]
    assert shown.benefits.points_multiplier_pct == 200 and shown.benefits.exclusive_service
    history = service.tier_history(session, ws, c)
    assert [(h.from_tier, h.to_tier, h.reason) for h in history] == [(None, "black", "join:card")]
    again = _buy(session, ws, c, "buy-1", days=3)
    assert again.posting.replayed and again.card.id == bought.card.id


def test_a_renewal_queues_after_the_live_term(session: Session, ws: int) -> None:
    (c,) = customers(session, ws, 1)
    first = _buy(session, ws, c, "y1")
    second = _buy(session, ws, c, "y2", days=300)
    assert second.card.starts_at == first.card.expires_at
    assert second.card.expires_at == first.card.expires_at + 365 * DAY


def test_cancel_in_cooling_off_refunds_all_then_pro_rata(session: Session, ws: int) -> None:
    c, d = customers(session, ws, 2)
    early = _buy(session, ws, c, "c1")
    cancelled = service.cancel_card(
        session, ws, CardCancelCreate(card_id=early.card.id, key="x1"), at=T0 + 2 * DAY
    )
    assert cancelled.card.refund_fen == 36_500 and cancelled.card.status == "cancelled"
    assert _tier(session, ws, c, 3) == "member"
    history = [(h.from_tier, h.to_tier, h.reason) for h in service.tier_history(session, ws, c)]
    assert history[-1] == ("black", "member", "downgrade")
    late = _buy(session, ws, d, "d1")
    refund = service.cancel_card(
        session, ws, CardCancelCreate(card_id=late.card.id, key="x2"), at=T0 + 100 * DAY
    )
    assert refund.card.refund_fen == 36_500 * 265 // 365
    assert {ln.account: ln.amount for ln in refund.posting.lines}["brand:card_revenue"] == -26_500
    retry = service.cancel_card(session, ws, CardCancelCreate(card_id=late.card.id, key="x2"))
    assert retry.posting.replayed
    clean_audit(session, ws)


def test_expired_or_cancelled_cards_cannot_be_cancelled(session: Session, ws: int) -> None:
    c, d = customers(session, ws, 2)
    card = _buy(session, ws, c, "c1").card
    refused(
        session, ws,
        lambda: service.cancel_card(
            session, ws, CardCancelCreate(card_id=card.id, key="late"), at=T0 + 366 * DAY
        ),
        "loyalty.card_expired",
    )  # fmt: skip
    assert service.expire_cards(session, ws, at=T0 + 366 * DAY) == 1
    assert _tier(session, ws, c, 366) == "member"
    other = _buy(session, ws, d, "d1").card
    service.cancel_card(session, ws, CardCancelCreate(card_id=other.id, key="k1"), at=T0 + DAY)
    refused(
        session, ws,
        lambda: service.cancel_card(session, ws, CardCancelCreate(card_id=other.id, key="k2")),
        "loyalty.card_cancelled",
    )  # fmt: skip
    refused(
        session, ws,
        lambda: service.cancel_card(session, ws, CardCancelCreate(card_id=424_242, key="k3")),
        "loyalty.card_unknown",
    )  # fmt: skip
    refused(
        session, ws,
        lambda: service.buy_card(
            session, ws, CardPurchaseCreate(customer_id=c, plan_code="nope", key="k4")
        ),
        "loyalty.plan_unknown",
    )  # fmt: skip


# --- tiers ---------------------------------------------------------------------------------


def test_tiers_follow_what_was_earned_not_the_balance(session: Session, workspace_id: int) -> None:
    service.apply_program(session, workspace_id, program_config(retain_days=30))
    ws = workspace_id
    spender, earner, redeemer = customers(session, ws, 3)
    order(session, ws, spender, paid_fen=120_000, at=T0)
    service.earn(session, ws, EarnCreate(customer_id=earner, points=3_000, key="e"), at=T0)
    service.earn(session, ws, EarnCreate(customer_id=redeemer, points=3_000, key="r"), at=T0)
    service.redeem(
        session, ws, RedeemCreate(customer_id=redeemer, points=3_000, key="rr"), at=T0 + DAY
    )
    result = service.evaluate_tiers(session, ws, at=T0 + 2 * DAY)
    assert result.upgraded == 3 and result.by_tier == {"silver": 1, "gold": 2}
    assert _tier(session, ws, redeemer, 2) == "gold"  # redeeming does not lower the tier
    # still earned on day 365 (renewed: kept 30 days more), out of the window on day 366
    service.evaluate_tiers(session, ws, at=T0 + 365 * DAY, customer_ids=[spender])
    late = T0 + 366 * DAY
    retained = service.evaluate_tiers(session, ws, at=late, customer_ids=[spender])
    assert retained.retained == 1 and _tier(session, ws, spender, 366) == "silver"
    dropped = service.evaluate_tiers(session, ws, at=late + 30 * DAY, customer_ids=[spender])
    assert dropped.downgraded == 1
    history = service.tier_history(session, ws, spender)
    assert [(h.from_tier, h.to_tier, h.reason) for h in history] == [
        (None, "silver", "join:spend"), ("silver", "member", "downgrade")
    ]  # fmt: skip
    assert "120000 fen" in history[0].detail
    everyone = service.evaluate_tiers(session, ws, at=late + 30 * DAY)
    assert everyone.downgraded == 2  # the two point earners' points left the window too
    again = service.evaluate_tiers(session, ws, at=late + 30 * DAY)
    assert again.upgraded == again.downgraded == 0


def test_refunded_points_no_longer_count_for_tiers(session: Session, ws: int) -> None:
    from sqlalchemy import update

    from siyu.loyalty.schemas import OrderReverseCreate
    from siyu.models import Order

    (c,) = customers(session, ws, 1)
    big = order(session, ws, c, paid_fen=150_000, role="brand")  # 3,000 points
    service.earn_order(session, ws, OrderEarnCreate(order_id=big.id), at=T0)
    session.execute(update(Order).where(Order.id == big.id).values(refunded_fen=150_000))
    service.reverse_order(session, ws, OrderReverseCreate(order_id=big.id), at=T0 + DAY)
    service.evaluate_tiers(session, ws, at=T0 + 2 * DAY)
    assert _tier(session, ws, c, 2) == "member"


# --- merges --------------------------------------------------------------------------------


def test_a_merge_moves_balances_lots_cards_and_keeps_the_better_tier(
    session: Session, ws: int, cipher: PiiCipher
) -> None:
    tb = IdentifierKey("platform_buyer", "taobao", "tb_bob")
    phone = IdentifierKey("phone", "", "19900002222")
    resolver = IdentityResolver(session, ws, cipher, source="test")
    a, b = resolver.resolve([ResolveRequest((tb,), T0, "o1"), ResolveRequest((phone,), T0, "o2")])
    service.earn(session, ws, EarnCreate(customer_id=a, points=100, key="ea"), at=T0)
    service.earn(session, ws, EarnCreate(customer_id=b, points=40, key="eb"), at=T0)
    service.topup(session, ws, TopupCreate(customer_id=b, amount_fen=50_000, key="tb"), at=T0)
    _buy(session, ws, b, "card-b")
    (merged,) = IdentityResolver(session, ws, cipher, source="test").resolve(
        [ResolveRequest((tb, phone), T0 + DAY, "o3")]
    )
    loser = b if merged == a else a
    shown = service.balance(session, ws, merged, at=T0 + 2 * DAY)
    assert (shown.points, shown.principal_fen, shown.bonus_fen) == (140, 50_000, 5_000)
    assert shown.tier == "black" and len(shown.cards) == 1
    orphans = session.scalars(
        select(LoyaltyAccount.id).where(LoyaltyAccount.customer_id == loser)
    ).all()
    assert orphans == []
    cards = session.scalars(select(LoyaltyCard.customer_id)).all()
    assert set(cards) == {merged}
    # what the loser did can still be refunded to the winner
    service.spend(session, ws, SpendCreate(customer_id=merged, amount_fen=1_000, key="s"))
    redeemed = service.redeem(
        session, ws, RedeemCreate(customer_id=merged, points=140, key="r"), at=T0 + 3 * DAY
    )
    assert not redeemed.replayed
    clean_audit(session, ws)
