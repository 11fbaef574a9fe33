"""Campaigns on both databases: create, plan, launch in chunks (resumable), control groups and
the brand-wide holdout, and results as increments over control with intervals."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from siyu.db import bulk
from siyu.engage.campaigns import service, tasks
from siyu.engage.campaigns.schemas import CampaignCreate, VariantSpec
from siyu.kit.crypto import PiiCipher
from siyu.kit.errors import ValidationError
from siyu.models import (
    CampaignMember,
    ContactTouch,
    Order,
    OutboxMessage,
    Shop,
    Workspace,
)
from siyu.segments import service as segments
from siyu.segments.schemas import SegmentCreate
from tests.fixtures.engage import NOW, consent, customers, identity

pytestmark = pytest.mark.committed

SEND_AT = NOW + timedelta(days=1)


@dataclass
class Brand:
    sessions: sessionmaker[Session]
    workspace_id: int
    customers: list[int]


def _brand(session: Session, cipher: PiiCipher, n: int) -> Brand:
    workspace = Workspace(slug="camp", name="品牌")
    session.add(workspace)
    session.flush()
    ws = workspace.id
    stages = ["active", "silent", "dormant"]
    ids = customers(session, ws, [{"stage": stages[i % 3], "n_purchases": 1 + i % 4}
                                  for i in range(n)])  # fmt: skip
    for i, c in enumerate(ids):
        identity(session, ws, c, cipher, "phone", f"135{i:08d}")
        if i % 10:  # one in ten never opted in to SMS
            consent(session, ws, c, "sms", True)
    segments.create_segment(session, ws, SegmentCreate(code="buyers", rule="n_purchases >= 1"))
    session.commit()
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    return Brand(sessionmaker(bind=engine, expire_on_commit=False), ws, ids)


def _create(brand: Brand, **kw: object) -> None:
    data = {"code": "spring", "segment": "buyers", "channel": "sms", "send_at": SEND_AT,
            "control_share": 0.25, "offer": "small", "seed": 11,
            "variants": [VariantSpec(code="A", content={"text": "{tier}您好，春季新品上市"}),
                         VariantSpec(code="B", content={"text": "春季尝鲜，{offer}",
                                                        "offer": "满 199 减 20"})]}  # fmt: skip
    with brand.sessions.begin() as session:
        service.create_campaign(
            session, brand.workspace_id, CampaignCreate.model_validate(data | kw)
        )


def test_plan_launch_and_resume(committed_session: Session, cipher: PiiCipher) -> None:
    brand = _brand(committed_session, cipher, 300)
    with brand.sessions.begin() as session:
        service.set_holdout(session, brand.workspace_id, 0.1)
    _create(brand)
    with brand.sessions() as session:
        plan = service.plan(session, brand.workspace_id, "spring", NOW)
        fast = service.plan(session, brand.workspace_id, "spring", NOW, committed=True)
    assert fast.model_dump(exclude={"seconds"}) == plan.model_dump(exclude={"seconds"})
    assert plan.audience == 300 and plan.holdout + plan.control + plan.treatment == 300
    assert 10 <= plan.holdout <= 50 and 40 <= plan.control <= 110
    assert plan.by_reason.get("promotion_cap_month", 0) > 0  # active: no discounts
    assert plan.by_reason.get("no_consent", 0) > 0
    assert plan.admitted == sum(plan.by_variant.values()) > 0
    # a launch that stops after its first chunk, then resumes
    with brand.sessions.begin() as session:
        campaign = service.require_campaign(session, brand.workspace_id, "spring")
        people = service.audience(session, brand.workspace_id, campaign, NOW)
        campaign.status = "launching"
        first = service.launch_chunk(session, brand.workspace_id, campaign,
                                     people.take(slice(0, 100)), now=NOW)  # fmt: skip
    report = tasks.launch(brand.sessions, brand.workspace_id, "spring", now=NOW, chunk=64)
    assert report.resumed == first.members == 100
    assert first.members + report.members == 300
    assert first.queued + report.queued == plan.admitted
    with brand.sessions() as session:
        members = session.execute(
            select(CampaignMember.arm, func.count()).group_by(CampaignMember.arm)
        ).all()  # fmt: skip
        assert dict(members) == {"treatment": plan.treatment, "control": plan.control,
                                 "holdout": plan.holdout}  # fmt: skip
        messages = session.scalars(select(OutboxMessage)).all()
        assert len(messages) == plan.admitted
        assert {m.payload["variant"] for m in messages} == {"A", "B"}
        texts = {m.payload["text"] for m in messages}
        assert "春季尝鲜，满 199 减 20" in texts and any("客户您好" in t for t in texts)
        assert session.scalar(select(func.count()).select_from(ContactTouch)) == plan.admitted
        linked = session.scalar(select(func.count()).where(CampaignMember.message_id.is_not(None)))
        assert linked == plan.admitted
        assert service.require_campaign(session, brand.workspace_id, "spring").status == "launched"
    with pytest.raises(ValidationError) as again:
        tasks.launch(brand.sessions, brand.workspace_id, "spring", now=NOW)
    assert again.value.key == "campaign.not_draft"


def test_results_show_the_increment_over_control(
    committed_session: Session, cipher: PiiCipher
) -> None:
    brand = _brand(committed_session, cipher, 1200)
    _create(brand, control_share=0.5, offer="none",
            variants=[VariantSpec(content={"text": "新品到了"})])  # fmt: skip
    tasks.launch(brand.sessions, brand.workspace_id, "spring", now=NOW)
    rng = random.Random(3)
    with brand.sessions.begin() as session:
        shop = Shop(workspace_id=brand.workspace_id, code="tmall", name="t", platform="tmall",
                    domain="public")  # fmt: skip
        session.add(shop)
        session.flush()
        members = session.execute(select(CampaignMember.customer_id, CampaignMember.arm,
                                         CampaignMember.eligible)).all()  # fmt: skip
        rows = []
        for customer, arm, eligible in members:
            rate = 0.30 if arm == "treatment" and eligible else 0.10
            if rng.random() < rate:
                rows.append({
                    "workspace_id": brand.workspace_id, "shop_id": shop.id,
                    "customer_id": customer, "platform_order_id": f"o{customer}",
                    "status": "paid", "ordered_at": SEND_AT + timedelta(days=2),
                    "paid_fen": 20_000, "fingerprint": "x", "updated_at": NOW,
                })  # fmt: skip
        bulk.insert_rows(session, Order, rows)
    with brand.sessions() as session:
        result = service.results(
            session, brand.workspace_id, "spring", SEND_AT + timedelta(days=30)
        )
    assert result.complete and set(result.arms) == {"treatment", "control"}
    by = {(c.label, c.population, c.metric): c for c in result.comparisons}
    eligible = by[("treatment", "eligible", "conversion")]
    assert 0.12 < eligible.difference < 0.28 and eligible.low > 0.05 and eligible.p_value < 1e-6
    everyone = by[("treatment", "all", "conversion")]
    assert everyone.low < everyone.difference < eligible.difference  # diluted by suppressions
    revenue = by[("treatment", "eligible", "revenue_per_customer_fen")]
    assert revenue.low > 0 and revenue.incremental_total > 0
    assert ("treatment", "eligible", "repurchase") in by
    with brand.sessions() as session, pytest.raises(ValidationError):
        _create(brand, code="bad", variants=[VariantSpec(content={"text": "全网第一 {coupon}"})])


def test_fallback_channels_carry_their_own_content(
    committed_session: Session, cipher: PiiCipher
) -> None:
    session = committed_session
    brand = _brand(session, cipher, 40)
    from tests.fixtures.engage import contact, staff

    with brand.sessions.begin() as db:
        anna = staff(db, brand.workspace_id, "anna")
        for customer in brand.customers[:20]:
            contact(db, brand.workspace_id, customer, staff_id=anna)
    variant = VariantSpec(content={"text": "春季新品，点击查看卡片"},
                          by_channel={"sms": {"text": "【品牌】春季新品上市"}})  # fmt: skip
    _create(brand, channel="wecom", fallback_channels=["sms"], offer="none", control_share=0.0,
            variants=[variant])  # fmt: skip
    with brand.sessions() as db:
        plan = service.plan(db, brand.workspace_id, "spring", NOW, committed=True)
    assert plan.by_channel["wecom"] == 20 and plan.by_channel["sms"] == 18  # 2 never opted in
    assert plan.by_reason == {"no_consent": 2}
    tasks.launch(brand.sessions, brand.workspace_id, "spring", now=NOW)
    with brand.sessions() as db:
        texts = {m.channel: m.payload["text"] for m in db.scalars(select(OutboxMessage))}
        assert texts == {"wecom": "春季新品，点击查看卡片", "sms": "【品牌】春季新品上市"}
        used = dict(db.execute(select(CampaignMember.channel, func.count())
                               .where(CampaignMember.eligible.is_(True))
                               .group_by(CampaignMember.channel)).all())  # fmt: skip
        assert used == {"wecom": 20, "sms": 18}
    with pytest.raises(ValueError, match="differ"):
        CampaignCreate(code="x", segment="s", channel="sms", fallback_channels=["sms"],
                       send_at=SEND_AT, variants=[VariantSpec(content={"text": "t"})])  # fmt: skip
