"""Referral rewards paid through the loyalty ledger, end to end (both backends)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.channels import service as channels
from siyu.kit.crypto import PiiCipher
from siyu.loyalty import service as loyalty
from siyu.loyalty.rewards import LedgerRewardSink
from siyu.models import LoyaltyPosting, ReferralReward
from siyu.referral import service as referral
from siyu.referral.schemas import CampaignCreate, CampaignRules, RewardRule
from tests.fixtures import pool
from tests.fixtures.loyalty import clean_audit, program_config

AT = datetime(2026, 3, 4, 2, tzinfo=UTC)
RULES = CampaignRules(
    rewards=[
        RewardRule(trigger="join", beneficiary="referee", kind="stored_value", amount=1_000),
        RewardRule(trigger="first_order", beneficiary="referrer", kind="points", amount=300),
        RewardRule(trigger="first_order", beneficiary="referee", kind="coupon", amount=500),
    ]
)


def _campaign(session: Session, ws: int) -> str:
    spec = CampaignCreate(code="share", name="老带新", rules=RULES, ends_at=AT + timedelta(days=30))
    referral.create_campaign(session, ws, spec)
    return "share"


def _order(session: Session, ws: int, shop_id: int, customer: int, at: datetime) -> None:
    pool.order(session, workspace_id=ws, shop_id=shop_id, number=f"R{customer}",
               customer_id=customer, ordered_at=at, paid_fen=9_900)  # fmt: skip


def test_a_referred_first_order_pays_points_once_and_a_held_reward_waits(
    session: Session, workspace_id: int, cipher: PiiCipher
) -> None:
    ws = workspace_id
    loyalty.apply_program(session, ws, program_config())
    campaign = _campaign(session, ws)
    shop = pool.shop(session, workspace_id=ws)
    referrer, fresh, known = (pool.customer(session, workspace_id=ws) for _ in range(3))
    code = referral.issue_codes(session, ws, campaign, [referrer])[referrer]
    staff = pool.staff(session, workspace_id=ws, code="wecom_a")
    channels.land_join(
        session, ws, customer_id=known, staff=staff, state="", joined_at=AT - timedelta(days=90)
    )  # fmt: skip  (already in the pool)
    clean = referral.record_join(session, ws, cipher, code=code, referee_id=fresh, at=AT)
    flagged = referral.record_join(session, ws, cipher, code=code, referee_id=known, at=AT)
    assert clean is not None and flagged is not None and flagged.status == "flagged"
    _order(session, ws, shop.id, fresh, AT + timedelta(days=1))
    _order(session, ws, shop.id, known, AT + timedelta(days=1))
    assert referral.attribute_first_orders(session, ws, cipher) == 2

    assert referral.grant_pending(session, ws) == 2  # the clean referral's points and gift
    assert referral.grant_pending(session, ws) == 0
    assert loyalty.balance(session, ws, referrer).points == 300
    assert loyalty.balance(session, ws, fresh).bonus_fen == 1_000
    statuses = {(r.referral_id, r.kind): r.status for r in session.scalars(select(ReferralReward))}
    assert statuses[(clean.id, "coupon")] == "pending"  # not the ledger's: left for coupons
    assert statuses[(flagged.id, "points")] == "held"
    paid = session.scalar(select(ReferralReward).where(
        ReferralReward.referral_id == clean.id, ReferralReward.kind == "points"))  # fmt: skip
    assert paid is not None and paid.ledger_ref.startswith("loyalty:")
    again = LedgerRewardSink().grant(
        session, workspace_id=ws, customer_id=referrer, kind="points", amount=300,
        idempotency_key=paid.idempotency_key, memo="retry",
    )  # fmt: skip
    assert again == paid.ledger_ref  # the same posting: paid exactly once
    keys = session.scalars(select(LoyaltyPosting.idempotency_key).where(
        LoyaltyPosting.workspace_id == ws, LoyaltyPosting.reference == "referral"))  # fmt: skip
    assert sorted(keys) == sorted({r.idempotency_key for r in session.scalars(
        select(ReferralReward).where(ReferralReward.status == "granted"))})  # fmt: skip

    held = next(r for r in referral.review_list(session, ws) if r.kind == "points")
    assert loyalty.balance(session, ws, referrer).points == 300  # nothing until approved
    referral.decide(session, ws, held.id, approve=True, reviewer="lead")
    assert referral.grant_pending(session, ws) == 1
    assert loyalty.balance(session, ws, referrer).points == 600
    clean_audit(session, ws)


def test_without_a_programme_rewards_stay_pending(
    session: Session, workspace_id: int, cipher: PiiCipher
) -> None:
    campaign = _campaign(session, workspace_id)
    referrer, referee = (pool.customer(session, workspace_id=workspace_id) for _ in range(2))
    code = referral.issue_codes(session, workspace_id, campaign, [referrer])[referrer]
    referral.record_join(session, workspace_id, cipher, code=code, referee_id=referee, at=AT)
    assert referral.grant_pending(session, workspace_id) == 0
    rewards = session.scalars(select(ReferralReward)).all()
    assert [r.status for r in rewards] == ["pending"]
