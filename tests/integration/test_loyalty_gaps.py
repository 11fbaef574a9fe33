"""Paying a card from stored value, and refunding redeemed points (both backends)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from siyu.loyalty import service
from siyu.loyalty.schemas import (
    CardCancelCreate,
    CardPurchaseCreate,
    EarnCreate,
    OrderReverseCreate,
    RedeemCreate,
    RedeemRefundCreate,
    TopupCreate,
)
from tests.fixtures.loyalty import T0, clean_audit, customers, order, program_config, refused

DAY = timedelta(days=1)


@pytest.fixture
def ws(session: Session, workspace_id: int) -> int:
    service.apply_program(session, workspace_id, program_config())
    return workspace_id


def _lines(posting: object) -> dict[str, int]:
    return {ln.account: ln.amount for ln in posting.lines}  # type: ignore[attr-defined]


def test_a_card_paid_from_stored_value_draws_bonus_first_and_refunds_there(
    session: Session, ws: int
) -> None:
    (c,) = customers(session, ws, 1)
    service.topup(session, ws, TopupCreate(customer_id=c, amount_fen=50_000, key="t"), at=T0)
    body = CardPurchaseCreate(customer_id=c, plan_code="plus", key="b", pay_with="stored_value")
    bought = service.buy_card(session, ws, body, at=T0)
    assert _lines(bought.posting) == {
        "brand:card_payments": -36_500, "brand:card_revenue": 36_500,
        f"c{c}:sv_bonus": -5_000, "brand:sv_bonus_spent": 5_000,
        f"c{c}:sv_principal": -31_500, "brand:sv_principal_spent": 31_500,
    }  # fmt: skip
    shown = service.balance(session, ws, c, at=T0 + DAY)
    assert (shown.principal_fen, shown.bonus_fen, shown.tier) == (18_500, 0, "black")
    cancel = CardCancelCreate(card_id=bought.card.id, key="x")
    refunded = service.cancel_card(session, ws, cancel, at=T0 + 100 * DAY)
    back = 36_500 * 265 // 365
    assert _lines(refunded.posting)[f"c{c}:sv_principal"] == back  # principal first
    assert f"c{c}:sv_bonus" not in _lines(refunded.posting)
    after = service.balance(session, ws, c, at=T0 + 100 * DAY)
    assert after.principal_fen == 18_500 + back and after.tier == "member"
    clean_audit(session, ws)


def test_a_card_costing_more_than_the_stored_value_is_refused(session: Session, ws: int) -> None:
    (c,) = customers(session, ws, 1)
    service.topup(session, ws, TopupCreate(customer_id=c, amount_fen=10_000, key="t"), at=T0)
    body = CardPurchaseCreate(customer_id=c, plan_code="plus", key="b", pay_with="stored_value")
    refused(session, ws, lambda: service.buy_card(session, ws, body, at=T0),
            "loyalty.insufficient_balance")  # fmt: skip


def test_refunded_redemption_points_come_back_once_and_never_more(
    session: Session, ws: int
) -> None:
    (c,) = customers(session, ws, 1)
    service.earn(session, ws, EarnCreate(customer_id=c, points=500, key="e"), at=T0)
    service.redeem(session, ws, RedeemCreate(customer_id=c, points=300, key="r"), at=T0 + DAY)
    body = RedeemRefundCreate(redeem_key="r", points=200, key="rr1")
    back = service.refund_redeem(session, ws, body, at=T0 + 2 * DAY)
    assert _lines(back) == {f"c{c}:points": 200, "brand:points_redeemed": -200}
    assert service.refund_redeem(session, ws, body, at=T0 + 3 * DAY).replayed
    assert service.balance(session, ws, c, at=T0 + 3 * DAY).points == 400
    too_many = RedeemRefundCreate(redeem_key="r", points=101, key="rr2")
    error = refused(session, ws, lambda: service.refund_redeem(session, ws, too_many),
                    "loyalty.points_refund_too_large")  # fmt: skip
    assert "100" in error.message("en")
    unknown = RedeemRefundCreate(redeem_key="nope", points=1, key="rr3")
    refused(session, ws, lambda: service.refund_redeem(session, ws, unknown),
            "loyalty.posting_unknown")  # fmt: skip
    # the points expire as if earned when they were redeemed
    assert service.balance(session, ws, c, at=T0 + DAY + 366 * DAY).points == 0
    clean_audit(session, ws)


def test_refunded_points_repay_a_debt_first(session: Session, ws: int) -> None:
    (c,) = customers(session, ws, 1)
    bought = order(session, ws, c, paid_fen=50_000, at=T0)
    service.earn_orders(session, ws, until=T0 + DAY)
    service.redeem(session, ws, RedeemCreate(customer_id=c, points=500, key="r"), at=T0 + DAY)
    bought.refunded_fen = 50_000
    service.reverse_order(session, ws, OrderReverseCreate(order_id=bought.id), at=T0 + 2 * DAY)
    assert service.balance(session, ws, c, at=T0 + 2 * DAY).points_owed == 500
    body = RedeemRefundCreate(redeem_key="r", points=500, key="rr")
    back = service.refund_redeem(session, ws, body, at=T0 + 3 * DAY)
    assert _lines(back) == {f"c{c}:points_debt": 500, "brand:points_redeemed": -500}
    shown = service.balance(session, ws, c, at=T0 + 3 * DAY)
    assert (shown.points, shown.points_owed) == (0, 0)
    clean_audit(session, ws)
