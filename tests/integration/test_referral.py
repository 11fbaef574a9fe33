"""Referral campaigns on both databases: attribution, rewards, fraud holds, review, K-factor."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.channels import service as channels
from siyu.customers import repository as customers
from siyu.kit.crypto import PiiCipher
from siyu.kit.errors import ConflictError, NotFoundError, ValidationError
from siyu.models import Referral, ReferralReward
from siyu.referral import service as referral
from siyu.referral.schemas import CampaignCreate, CampaignRules, RewardRule
from tests.fixtures import pool

AT = datetime(2026, 3, 4, 2, tzinfo=UTC)
RULES = CampaignRules(
    rewards=[
        RewardRule(trigger="join", beneficiary="referrer", kind="points", amount=100),
        RewardRule(
            trigger="first_order",
            beneficiary="referrer",
            kind="stored_value",
            amount=1_000,
            min_order_fen=5_000,
        ),
        RewardRule(trigger="first_order", beneficiary="referee", kind="coupon", amount=500),
    ],
    max_referrals_per_day=5,
)


class Ledger:
    """A stand-in for the loyalty ledger, implementing the RewardSink protocol."""

    def __init__(self) -> None:
        self.entries: dict[str, dict[str, Any]] = {}

    def accepts(self, kind: str) -> bool:
        return True

    def grant(
        self,
        session: Session,
        *,
        workspace_id: int,
        customer_id: int,
        kind: str,
        amount: int,
        idempotency_key: str,
        memo: str,
    ) -> str:
        self.entries.setdefault(
            idempotency_key, {"customer": customer_id, "kind": kind, "amount": amount}
        )
        return f"ledger:{len(self.entries)}"


def _order(
    session: Session,
    ws: int,
    cipher: PiiCipher,
    shop_id: int,
    customer: int,
    at: datetime,
    fen: int,
    address: str,
    phone: str = "",
) -> None:
    row = pool.order(
        session,
        workspace_id=ws,
        shop_id=shop_id,
        number=f"N{customer}{at:%H%M%S}",
        customer_id=customer,
        ordered_at=at,
        paid_fen=fen,
    )
    row.receiver_enc = cipher.encrypt(json.dumps(["某某", phone, address], ensure_ascii=False))
    session.flush()


@pytest.fixture
def campaign(session: Session, workspace_id: int) -> str:
    referral.create_campaign(
        session,
        workspace_id,
        CampaignCreate(
            code="spring_share", name="春茶老带新", rules=RULES, ends_at=AT + timedelta(days=30)
        ),
    )
    return "spring_share"


def test_referrals_rewards_fraud_review_and_k_factor(
    session: Session, workspace_id: int, cipher: PiiCipher, campaign: str
) -> None:
    ws = workspace_id
    shop = pool.shop(session, workspace_id=ws)
    referrer, e1, e2, e3 = (pool.customer(session, workspace_id=ws) for _ in range(4))
    holders = [referrer] + [pool.customer(session, workspace_id=ws) for _ in range(9)]
    _order(
        session,
        ws,
        cipher,
        shop.id,
        referrer,
        AT - timedelta(days=60),
        20_000,
        "上海市 徐汇区 漕溪北路 88 号",
        "13911112222",
    )
    codes = referral.issue_codes(session, ws, campaign, holders)
    assert len(codes) == 10 and all(c.startswith("ref_") for c in codes.values())
    assert referral.issue_codes(session, ws, campaign, [referrer]) == {referrer: codes[referrer]}
    code = codes[referrer]
    staff = pool.staff(session, workspace_id=ws, code="wecom_a")
    channels.land_join(
        session, ws, customer_id=e3, staff=staff, state="", joined_at=AT - timedelta(days=90)
    )  # e3 was already in the pool

    clean = referral.record_join(session, ws, cipher, code=code, referee_id=e1, at=AT)
    same_address = referral.record_join(session, ws, cipher, code=code, referee_id=e2, at=AT)
    in_pool = referral.record_join(session, ws, cipher, code=code, referee_id=e3, at=AT)
    self_ref = referral.record_join(session, ws, cipher, code=code, referee_id=referrer, at=AT)
    assert referral.record_join(session, ws, cipher, code="ref_nope", referee_id=e1, at=AT) is None
    assert referral.record_join(session, ws, cipher, code=code, referee_id=e1, at=AT) is clean
    assert clean is not None and same_address is not None and in_pool and self_ref
    assert (clean.status, in_pool.fraud_reasons, self_ref.fraud_reasons) == (
        "joined",
        "already_in_pool",
        "self_referral",
    )

    _order(session, ws, cipher, shop.id, e1, AT + timedelta(days=2), 8_000, "北京市 朝阳区 1 号")
    _order(
        session, ws, cipher, shop.id, e2, AT + timedelta(days=3), 3_000, "上海市徐汇区漕溪北路88号"
    )  # the referrer's own address, written differently
    assert referral.attribute_first_orders(session, ws, cipher) == 2
    assert referral.attribute_first_orders(session, ws, cipher) == 0
    assert (clean.status, clean.first_order_fen) == ("converted", 8_000)
    assert same_address.status == "flagged"
    assert same_address.fraud_reasons == "same_address_as_referrer"

    rewards = session.scalars(select(ReferralReward).order_by(ReferralReward.id)).all()
    by_referral: dict[int, list[tuple[str, str, str]]] = {}
    for r in rewards:
        by_referral.setdefault(r.referral_id, []).append((r.trigger, r.kind, r.status))
    assert by_referral[clean.id] == [
        ("join", "points", "pending"),
        ("first_order", "stored_value", "pending"),
        ("first_order", "coupon", "pending"),
    ]
    # 30 yuan is below the referrer's 50-yuan minimum: only the referee's coupon, held
    assert by_referral[same_address.id] == [
        ("join", "points", "held"),
        ("first_order", "coupon", "held"),
    ]
    review = referral.review_list(session, ws)
    assert {r.referral_id for r in review} == {same_address.id, in_pool.id, self_ref.id}
    released = referral.decide(session, ws, review[0].id, approve=True, reviewer="lead")
    assert released.status == "pending" and released.decided_by == "lead"
    rejected = referral.decide(session, ws, review[1].id, approve=False, reviewer="lead")
    assert rejected.status == "rejected"
    with pytest.raises(ConflictError, match="only a held reward"):
        referral.decide(session, ws, review[1].id, approve=True, reviewer="lead")
    with pytest.raises(NotFoundError):
        referral.decide(session, ws, 999_999, approve=True, reviewer="lead")

    ledger = Ledger()
    granted = referral.grant_pending(session, ws, ledger)
    assert granted == 4 and len(ledger.entries) == 4
    assert referral.grant_pending(session, ws, ledger) == 0

    k = referral.campaign_k_factor(session, ws, campaign)
    assert (k.holders, k.referrers, k.joiners, k.converted, k.flagged) == (10, 1, 1, 1, 3)
    assert k.k_join == pytest.approx(0.1)
    forest = referral.campaign_tree(session, ws, campaign)
    assert [n.customer_id for n in forest] == [referrer]
    assert sorted(c.customer_id for c in forest[0].children) == [e1, e2, e3]


def test_an_ended_campaign_records_but_does_not_reward(
    session: Session, workspace_id: int, cipher: PiiCipher, campaign: str
) -> None:
    referrer, referee = (pool.customer(session, workspace_id=workspace_id) for _ in range(2))
    code = referral.issue_codes(session, workspace_id, campaign, [referrer])[referrer]
    late = referral.record_join(
        session, workspace_id, cipher, code=code, referee_id=referee, at=AT + timedelta(days=31)
    )
    assert late is not None and late.status == "expired"
    assert session.scalars(select(ReferralReward)).all() == []


def test_daily_limit_holds_reward_farming(
    session: Session, workspace_id: int, cipher: PiiCipher, campaign: str
) -> None:
    referrer = pool.customer(session, workspace_id=workspace_id)
    code = referral.issue_codes(session, workspace_id, campaign, [referrer])[referrer]
    made = [
        referral.record_join(
            session,
            workspace_id,
            cipher,
            code=code,
            at=AT,
            referee_id=pool.customer(session, workspace_id=workspace_id),
        )
        for _ in range(7)
    ]
    assert [r.status for r in made if r] == ["joined"] * 5 + ["flagged"] * 2
    assert made[-1] is not None and made[-1].fraud_reasons == "daily_limit"


def test_referrals_follow_a_customer_merge(
    session: Session, workspace_id: int, cipher: PiiCipher, campaign: str
) -> None:
    referrer, referee, twin = (pool.customer(session, workspace_id=workspace_id) for _ in range(3))
    code = referral.issue_codes(session, workspace_id, campaign, [referrer])[referrer]
    made = referral.record_join(session, workspace_id, cipher, code=code, referee_id=referee, at=AT)
    assert made is not None
    customers.reassign_customer(session, workspace_id, loser=referee, winner=twin)
    session.expire_all()
    moved = session.scalars(select(Referral)).one()
    assert moved.referee_customer_id == twin
    assert session.scalars(select(ReferralReward)).one().customer_id == referrer


def test_campaign_codes_are_not_channel_codes(session: Session, workspace_id: int) -> None:
    from siyu.channels.schemas import ChannelCodeCreate

    pool.staff(session, workspace_id=workspace_id, code="wecom_a")
    with pytest.raises(ValidationError, match="ref_"):
        channels.create_code(
            session,
            workspace_id,
            ChannelCodeCreate(code="ref_abc", name="x", channel="c", staff=["wecom_a"]),
        )
