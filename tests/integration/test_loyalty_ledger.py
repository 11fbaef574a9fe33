"""The loyalty ledger on SQLite and PostgreSQL: points, stored value, idempotency, bad input,
statements, audit and the append-only journal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from siyu.loyalty import service
from siyu.loyalty.schemas import (
    ActionEarnCreate,
    EarnCreate,
    OrderEarnCreate,
    OrderReverseCreate,
    RedeemCreate,
    SpendCreate,
    SpendRefundCreate,
    TopupCreate,
    TopupRefundCreate,
)
from siyu.models import LoyaltyAccount, LoyaltyEntry, LoyaltyPosting, Order
from tests.fixtures.loyalty import (
    T0,
    clean_audit,
    customers,
    digest,
    order,
    program_config,
    refused,
)

DAY = timedelta(days=1)


@pytest.fixture
def ws(session: Session, workspace_id: int) -> int:
    service.apply_program(session, workspace_id, program_config())
    return workspace_id


def _balance(
    session: Session, ws: int, customer: int, days: float = 0
) -> tuple[int, int, int, int]:
    b = service.balance(session, ws, customer, at=T0 + timedelta(days=days))
    return b.points, b.points_owed, b.principal_fen, b.bonus_fen


# --- points --------------------------------------------------------------------------------


def test_earn_redeem_expire_with_fifo_lots(session: Session, ws: int) -> None:
    (c,) = customers(session, ws, 1)
    service.earn(session, ws, EarnCreate(customer_id=c, points=100, key="a"), at=T0)
    service.earn(session, ws, EarnCreate(customer_id=c, points=50, key="b"), at=T0 + 10 * DAY)
    redeemed = service.redeem(
        session, ws, RedeemCreate(customer_id=c, points=120, key="r"), at=T0 + 20 * DAY
    )
    assert [(ln.account, ln.amount) for ln in redeemed.lines] == [
        (f"c{c}:points", -120), ("brand:points_redeemed", 120)
    ]  # fmt: skip
    # the first lot (100) went first; 30 of the second lot is left, expiring at T0 + 375 days
    assert _balance(session, ws, c, 374) == (30, 0, 0, 0)
    assert _balance(session, ws, c, 376) == (0, 0, 0, 0)  # shown net of what is due to expire
    assert service.expire_points(session, ws, at=T0 + 376 * DAY) == 30
    assert service.expire_points(session, ws, at=T0 + 377 * DAY) == 0
    clean_audit(session, ws)
    totals = service.audit(session, ws).totals
    assert totals["points_issued"] == -150 and totals["points_redeemed"] == 120
    assert totals["points_expired"] == 30 and totals["points"] == 0


def test_expired_points_cannot_be_spent(session: Session, ws: int) -> None:
    (c,) = customers(session, ws, 1)
    service.earn(session, ws, EarnCreate(customer_id=c, points=100, key="a"), at=T0)
    error = refused(
        session, ws,
        lambda: service.redeem(
            session, ws, RedeemCreate(customer_id=c, points=1, key="r"), at=T0 + 400 * DAY
        ),
        "loyalty.insufficient_points",
    )  # fmt: skip
    assert error.params == {"needed": 1, "available": 0}


def test_order_points_follow_roles_and_the_tier_multiplier(session: Session, ws: int) -> None:
    c, d = customers(session, ws, 2)
    brand = order(session, ws, c, paid_fen=10_900, shipping_fen=900, role="brand")
    trial = order(session, ws, c, paid_fen=990, role="trial", at=T0 + DAY)
    earned = service.earn_order(session, ws, OrderEarnCreate(order_id=brand.id), at=T0)
    assert earned.key == f"order:{brand.id}:earn" and earned.lines[-1].amount == 200  # 2/yuan
    nothing = service.earn_order(session, ws, OrderEarnCreate(order_id=trial.id), at=T0 + DAY)
    assert nothing.lines == []  # trial products earn nothing: recorded, no lines
    # gold (x1.5) by spend in the window: 300,000 fen
    order(session, ws, d, paid_fen=300_000, at=T0)
    service.evaluate_tiers(session, ws, at=T0 + DAY)
    big = order(session, ws, d, paid_fen=10_000, at=T0 + 2 * DAY)
    gold = service.earn_order(session, ws, OrderEarnCreate(order_id=big.id), at=T0 + 2 * DAY)
    assert gold.lines[-1].amount == 150
    clean_audit(session, ws)


def test_action_points_respect_the_rules_limit(session: Session, ws: int) -> None:
    (c,) = customers(session, ws, 1)
    service.earn_action(session, ws, ActionEarnCreate(customer_id=c, action="join_pool", key="j"))
    refused(
        session, ws,
        lambda: service.earn_action(
            session, ws, ActionEarnCreate(customer_id=c, action="join_pool", key="j2")
        ),
        "loyalty.action_limit",
    )  # fmt: skip
    refused(
        session, ws,
        lambda: service.earn_action(
            session, ws, ActionEarnCreate(customer_id=c, action="dance", key="j3")
        ),
        "loyalty.action_unknown",
    )  # fmt: skip
    for k in range(3):
        service.earn_action(
            session, ws, ActionEarnCreate(customer_id=c, action="review", key=f"v{k}")
        )
    assert _balance(session, ws, c)[0] == 160


def test_refund_after_the_points_were_spent_records_points_owed(session: Session, ws: int) -> None:
    """The documented rule: take back what the balance holds, the rest is owed and repaid
    from the next earnings; the spendable balance never goes negative."""
    (c,) = customers(session, ws, 1)
    placed = order(session, ws, c, paid_fen=20_000)
    service.earn_order(session, ws, OrderEarnCreate(order_id=placed.id), at=T0)  # 200 points
    service.earn(session, ws, EarnCreate(customer_id=c, points=30, key="bonus"), at=T0)
    service.redeem(session, ws, RedeemCreate(customer_id=c, points=180, key="r"), at=T0 + DAY)
    assert _balance(session, ws, c, 2) == (50, 0, 0, 0)
    # half refunded: 100 points go back; 50 are there, 50 are owed
    session.execute(update(Order).where(Order.id == placed.id).values(refunded_fen=10_000))
    half = service.reverse_order(
        session, ws, OrderReverseCreate(order_id=placed.id), at=T0 + 2 * DAY
    )
    assert half is not None and half.key == f"order:{placed.id}:reverse:10000"
    assert _balance(session, ws, c, 3) == (0, 50, 0, 0)
    again = service.reverse_order(
        session, ws, OrderReverseCreate(order_id=placed.id), at=T0 + 2 * DAY
    )
    assert again is not None and again.replayed
    # the rest refunded: 100 more owed
    session.execute(update(Order).where(Order.id == placed.id).values(refunded_fen=20_000))
    service.reverse_order(session, ws, OrderReverseCreate(order_id=placed.id), at=T0 + 3 * DAY)
    assert _balance(session, ws, c, 4) == (0, 150, 0, 0)
    # nothing more to take back
    assert (
        service.reverse_order(
            session, ws, OrderReverseCreate(order_id=placed.id, key="x"), at=T0 + 4 * DAY
        )
        is None
    )
    # the next earnings repay the debt first
    service.earn(session, ws, EarnCreate(customer_id=c, points=200, key="later"), at=T0 + 5 * DAY)
    assert _balance(session, ws, c, 6) == (50, 0, 0, 0)
    clean_audit(session, ws)


def test_reverse_needs_an_earned_order(session: Session, ws: int) -> None:
    (c,) = customers(session, ws, 1)
    placed = order(session, ws, c, paid_fen=20_000)
    refused(
        session, ws,
        lambda: service.reverse_order(session, ws, OrderReverseCreate(order_id=placed.id)),
        "loyalty.order_not_earned",
    )  # fmt: skip
    refused(
        session, ws,
        lambda: service.earn_order(session, ws, OrderEarnCreate(order_id=999_999)),
        "loyalty.order_unknown",
    )  # fmt: skip


def test_bulk_earning_matches_one_by_one_and_skips_what_was_credited(
    session: Session, ws: int
) -> None:
    c, d = customers(session, ws, 2)
    first = order(session, ws, c, paid_fen=10_000, role="brand", at=T0)
    order(session, ws, c, paid_fen=5_000, at=T0 + DAY)
    order(session, ws, d, paid_fen=7_000, at=T0 + DAY, status="closed")
    service.earn_order(session, ws, OrderEarnCreate(order_id=first.id), at=T0)
    run = service.earn_orders(session, ws, until=T0 + 2 * DAY)
    assert (run.orders, run.points, run.skipped) == (1, 50, 1)
    assert service.earn_orders(session, ws, until=T0 + 2 * DAY).orders == 0
    assert _balance(session, ws, c, 3)[0] == 250
    # a retry of the single path after the bulk one replays it
    again = service.earn_order(session, ws, OrderEarnCreate(order_id=first.id))
    assert again.replayed
    clean_audit(session, ws)


# --- stored value --------------------------------------------------------------------------


def test_topup_bonus_spend_bonus_first_and_refunds(session: Session, ws: int) -> None:
    (c,) = customers(session, ws, 1)
    service.topup(session, ws, TopupCreate(customer_id=c, amount_fen=50_000, key="t1"))
    assert _balance(session, ws, c)[2:] == (50_000, 5_000)
    spent = service.spend(session, ws, SpendCreate(customer_id=c, amount_fen=8_000, key="s1"))
    assert {ln.account: ln.amount for ln in spent.lines}[f"c{c}:sv_bonus"] == -5_000
    assert _balance(session, ws, c)[2:] == (47_000, 0)
    service.refund_spend(
        session, ws, SpendRefundCreate(spend_key="s1", amount_fen=4_000, key="sr1")
    )
    assert _balance(session, ws, c)[2:] == (50_000, 1_000)  # principal first
    refused(
        session, ws,
        lambda: service.refund_spend(
            session, ws, SpendRefundCreate(spend_key="s1", amount_fen=4_001, key="sr2")
        ),
        "loyalty.refund_too_large",
    )  # fmt: skip
    # refund the whole top-up: 4,000 of its bonus was spent, so the cash is 46,000
    refund = service.refund_topup(session, ws, TopupRefundCreate(topup_key="t1", key="tr1"))
    lines = {ln.account: ln.amount for ln in refund.lines}
    assert lines["brand:sv_funding"] == 46_000 and lines[f"c{c}:sv_principal"] == -50_000
    assert lines[f"c{c}:sv_bonus"] == -1_000 and lines["brand:sv_bonus_issued"] == 5_000
    assert _balance(session, ws, c)[2:] == (0, 0)
    refused(
        session, ws,
        lambda: service.refund_topup(session, ws, TopupRefundCreate(topup_key="t1", key="tr2")),
        "loyalty.refund_too_large",
    )  # fmt: skip
    clean_audit(session, ws)


def test_bonus_last_spends_principal_first(session: Session, workspace_id: int) -> None:
    service.apply_program(session, workspace_id, program_config(bonus_order="bonus_last"))
    (c,) = customers(session, workspace_id, 1)
    service.topup(session, workspace_id, TopupCreate(customer_id=c, amount_fen=100_000, key="t"))
    service.spend(session, workspace_id, SpendCreate(customer_id=c, amount_fen=100_500, key="s"))
    assert _balance(session, workspace_id, c)[2:] == (0, 14_500)


def test_spending_more_than_the_balance_is_refused(session: Session, ws: int) -> None:
    (c,) = customers(session, ws, 1)
    service.topup(session, ws, TopupCreate(customer_id=c, amount_fen=10_000, key="t"))
    error = refused(
        session, ws,
        lambda: service.spend(session, ws, SpendCreate(customer_id=c, amount_fen=10_001, key="s")),
        "loyalty.insufficient_balance",
    )  # fmt: skip
    assert error.status_code == 409


# --- idempotency and bad input -------------------------------------------------------------


def test_a_retried_request_posts_once(session: Session, ws: int) -> None:
    (c,) = customers(session, ws, 1)
    first = service.topup(session, ws, TopupCreate(customer_id=c, amount_fen=50_000, key="k"))
    before = digest(session, ws)
    again = service.topup(
        session, ws, TopupCreate(customer_id=c, amount_fen=50_000, key="k"), at=T0 + DAY
    )
    assert again.replayed and not first.replayed
    assert again.id == first.id and again.lines == first.lines
    assert digest(session, ws) == before


def test_a_key_reused_for_another_request_is_refused(session: Session, ws: int) -> None:
    c, d = customers(session, ws, 2)
    service.topup(session, ws, TopupCreate(customer_id=c, amount_fen=50_000, key="k"))
    for call in (
        lambda: service.topup(session, ws, TopupCreate(customer_id=c, amount_fen=50_001, key="k")),
        lambda: service.topup(session, ws, TopupCreate(customer_id=d, amount_fen=50_000, key="k")),
        lambda: service.spend(session, ws, SpendCreate(customer_id=c, amount_fen=50_000, key="k")),
    ):
        error = refused(session, ws, call, "loyalty.key_reused")
        assert "k" in error.message("en")


@pytest.mark.parametrize("amount", [0, -5, 1.5, "12", True, 10**13])
def test_bad_amounts_are_refused_and_change_nothing(
    session: Session, ws: int, amount: object
) -> None:
    (c,) = customers(session, ws, 1)
    service.topup(session, ws, TopupCreate(customer_id=c, amount_fen=10_000, key="t"))
    for call in (
        lambda: service.earn(
            session, ws, EarnCreate.model_construct(customer_id=c, points=amount, key="e", memo="")
        ),
        lambda: service.spend(
            session, ws,
            SpendCreate.model_construct(customer_id=c, amount_fen=amount, key="s", reference=""),
        ),
    ):  # fmt: skip
        error = refused(session, ws, call, _amount_key(amount))
        assert error.status_code == 422


def _amount_key(amount: object) -> str:
    if isinstance(amount, bool) or not isinstance(amount, int):
        return "loyalty.amount_whole"
    return "loyalty.amount_too_large" if amount > 0 else "loyalty.amount_positive"


def test_unknown_customers_change_nothing(session: Session, ws: int) -> None:
    for call in (
        lambda: service.earn(session, ws, EarnCreate(customer_id=987_654, points=5, key="e")),
        lambda: service.topup(session, ws, TopupCreate(customer_id=987_654, amount_fen=5, key="t")),
        lambda: service.balance(session, ws, 987_654),
    ):
        refused(session, ws, call, "loyalty.customer_unknown")


def test_customers_of_another_workspace_are_unknown(session: Session, ws: int) -> None:
    from siyu.models import Workspace

    other = Workspace(slug="other-brand", name="Other")
    session.add(other)
    session.flush()
    (theirs,) = customers(session, other.id, 1)
    refused(
        session, ws,
        lambda: service.earn(session, ws, EarnCreate(customer_id=theirs, points=5, key="e")),
        "loyalty.customer_unknown",
    )  # fmt: skip


def test_without_a_programme_nothing_posts(session: Session, workspace_id: int) -> None:
    (c,) = customers(session, workspace_id, 1)
    body = TopupCreate(customer_id=c, amount_fen=5, key="t")
    call = lambda: service.topup(session, workspace_id, body)  # noqa: E731
    refused(session, workspace_id, call, "loyalty.program_missing")


# --- statements, audit and the journal ----------------------------------------------------


def test_statement_has_opening_running_and_closing_balances(session: Session, ws: int) -> None:
    (c,) = customers(session, ws, 1)
    service.topup(session, ws, TopupCreate(customer_id=c, amount_fen=50_000, key="t"), at=T0)
    service.spend(session, ws, SpendCreate(customer_id=c, amount_fen=6_000, key="s"), at=T0 + DAY)
    service.earn(session, ws, EarnCreate(customer_id=c, points=9, key="e"), at=T0 + 2 * DAY)
    report = service.statement(session, ws, c, since=T0 + DAY, until=T0 + 3 * DAY)
    assert report.opening == {"sv_principal": 50_000, "sv_bonus": 5_000}
    assert [(ln.kind, ln.account, ln.amount, ln.balance) for ln in report.lines] == [
        ("spend", "sv_principal", -1_000, 49_000), ("spend", "sv_bonus", -5_000, 0),
        ("earn", "points", 9, 9),
    ]  # fmt: skip
    assert report.closing == {"sv_principal": 49_000, "sv_bonus": 0, "points": 9}


def test_audit_finds_a_tampered_balance_and_an_unbalanced_posting(
    session: Session, ws: int
) -> None:
    (c,) = customers(session, ws, 1)
    service.topup(session, ws, TopupCreate(customer_id=c, amount_fen=50_000, key="t"))
    clean_audit(session, ws)
    account = session.scalar(
        select(LoyaltyAccount).where(
            LoyaltyAccount.customer_id == c, LoyaltyAccount.kind == "sv_bonus"
        )
    )
    assert account is not None
    session.execute(
        update(LoyaltyAccount).where(LoyaltyAccount.id == account.id).values(balance=4_000)
    )
    posting = session.scalar(select(LoyaltyPosting).where(LoyaltyPosting.idempotency_key == "t"))
    assert posting is not None
    session.add(
        LoyaltyEntry(workspace_id=ws, posting_id=posting.id, account_id=account.id, amount=1)
    )
    session.flush()
    checks = {issue.check for issue in service.audit(session, ws).issues}
    assert {"balance", "double_entry", "units"} <= checks


def test_the_journal_refuses_updates_and_deletes(session: Session, ws: int) -> None:
    (c,) = customers(session, ws, 1)
    service.topup(session, ws, TopupCreate(customer_id=c, amount_fen=50_000, key="t"))
    for statement in (
        "UPDATE loyalty_entry SET amount = amount + 1",
        "DELETE FROM loyalty_entry",
        "UPDATE loyalty_posting SET memo = 'x'",
        "DELETE FROM loyalty_posting",
    ):
        with pytest.raises((DBAPIError, IntegrityError)) as caught, session.begin_nested():
            session.execute(text(statement))
        assert "append-only" in str(caught.value)


def test_the_database_refuses_a_negative_holding(session: Session, ws: int) -> None:
    (c,) = customers(session, ws, 1)
    service.topup(session, ws, TopupCreate(customer_id=c, amount_fen=50_000, key="t"))
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(
            update(LoyaltyAccount)
            .where(LoyaltyAccount.customer_id == c, LoyaltyAccount.kind == "sv_principal")
            .values(balance=-1)
        )


def test_refunds_imported_after_earning_are_taken_back_once(session: Session, ws: int) -> None:
    c, d = customers(session, ws, 2)
    kept = order(session, ws, c, paid_fen=10_000)
    refunded = order(session, ws, d, paid_fen=20_000)
    service.earn_orders(session, ws, until=T0 + DAY)
    assert service.reverse_refunded_orders(session, ws, at=T0 + DAY) == (0, 0)
    session.execute(update(Order).where(Order.id == refunded.id).values(refunded_fen=5_000))
    assert service.reverse_refunded_orders(session, ws, at=T0 + 2 * DAY) == (1, 50)
    assert service.reverse_refunded_orders(session, ws, at=T0 + 3 * DAY) == (0, 0)
    session.execute(update(Order).where(Order.id == refunded.id).values(refunded_fen=20_000))
    assert service.reverse_refunded_orders(session, ws, at=T0 + 4 * DAY) == (1, 150)
    assert _balance(session, ws, d, 5)[0] == 0 and _balance(session, ws, c, 5)[0] == 100
    assert kept.refunded_fen == 0
    clean_audit(session, ws)
