"""Suggested products in tasks and campaign messages come from the published recommendations,
falling back to the customer's last purchase (a refill) when none are published."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.db import bulk
from siyu.engage.campaigns import service as campaigns
from siyu.engage.campaigns.schemas import CampaignCreate
from siyu.engage.playbooks import service as playbooks
from siyu.engage.tasks import service as tasks
from siyu.models import CampaignMember, CustomerRecommendation, OutboxMessage, Product
from siyu.segments import service as segments
from siyu.segments.schemas import SegmentCreate
from tests.fixtures.engage import NOW, contact, customers, staff
from tests.integration.test_playbooks_tasks import _order


def _product(session: Session, ws: int, sku: str) -> int:
    item = Product(workspace_id=ws, sku=sku, name=f"{sku} 推荐")
    session.add(item)
    session.flush()
    return item.id


def _publish(session: Session, ws: int, customer: int, product_ids: list[int]) -> None:
    bulk.insert_rows(session, CustomerRecommendation, [
        {"workspace_id": ws, "customer_id": customer, "rank": rank, "product_id": product,
         "score": 1.0 / rank, "reason": "co_purchase", "computed_at": NOW}
        for rank, product in enumerate(product_ids, start=1)
    ])  # fmt: skip


def test_published_recommendations_come_first_then_the_last_purchase(
    session: Session, workspace_id: int
) -> None:
    ws = workspace_id
    recommended, refill, stranger = customers(session, ws, [{}, {}, {}])
    _order(session, ws, recommended, "OLD", 30)
    _order(session, ws, refill, "CREAM", 20)
    toner, mask, serum, oil = (_product(session, ws, s) for s in ("TONER", "MASK", "SERUM", "OIL"))
    _publish(session, ws, recommended, [toner, mask, serum, oil])
    found = playbooks.suggest_products(session, ws, [recommended, refill, stranger], top=3)
    assert [p["sku"] for p in found[recommended]] == ["TONER", "MASK", "SERUM"]
    assert found[recommended][0]["reason"] == "co_purchase"
    assert [(p["sku"], p["reason"]) for p in found[refill]] == [("CREAM", "refill")]
    assert stranger not in found  # never bought, nothing published: no suggestion
    assert [p["sku"] for p in playbooks.suggest_products(session, ws, [recommended])[
        recommended]] == ["TONER"]  # fmt: skip


def test_tasks_suggest_the_published_products(session: Session, workspace_id: int) -> None:
    ws = workspace_id
    anna = staff(session, ws, "anna")
    due = customers(session, ws, [
        {"stage": "active", "days_since_purchase": 60.0, "cycle_days": 60.0, "p_alive": 0.9,
         "expected_spend_fen": 30_000, "clv_fen": 30_000},
        {"stage": "active", "days_since_purchase": 60.0, "cycle_days": 60.0, "p_alive": 0.9,
         "expected_spend_fen": 20_000, "clv_fen": 20_000},
    ])  # fmt: skip
    for c in due:
        contact(session, ws, c, staff_id=anna)
        _order(session, ws, c, "CREAM", 60)
    toner, mask = _product(session, ws, "TONER"), _product(session, ws, "MASK")
    _publish(session, ws, due[0], [toner, mask])
    report = tasks.generate(session, ws, NOW)
    listed = {t.customer_id: t for t in tasks.list_tasks(session, ws, report.day)}
    assert [p["sku"] for p in listed[due[0]].products] == ["TONER", "MASK"]
    assert "TONER 推荐" in listed[due[0]].script
    assert [p["sku"] for p in listed[due[1]].products] == ["CREAM"]  # nothing published: refill
    assert listed[due[1]].products[0]["reason"] == "refill"


def test_campaign_messages_name_the_published_product(session: Session, workspace_id: int) -> None:
    ws = workspace_id
    anna = staff(session, ws, "anna")
    people = customers(session, ws, [{"stage": "active"} for _ in range(3)])
    for c in people:
        contact(session, ws, c, staff_id=anna)
    _order(session, ws, people[1], "CREAM", 20)
    _publish(session, ws, people[0], [_product(session, ws, "TONER")])
    segments.create_segment(session, ws, SegmentCreate(code="all", rule="n_purchases >= 0"))
    campaigns.create_campaign(session, ws, CampaignCreate.model_validate({
        "code": "try", "segment": "all", "channel": "wecom", "send_at": NOW + timedelta(hours=1),
        "control_share": 0.0, "use_holdout": False,
        "variants": [{"code": "A", "content": {"text": "试试{product}"}}],
    }))  # fmt: skip
    campaign = campaigns.require_campaign(session, ws, "try")
    people_now = campaigns.audience(session, ws, campaign, NOW)
    campaigns.launch_chunk(session, ws, campaign, people_now, now=NOW)
    sent = {m.customer_id: m.payload for m in session.scalars(select(OutboxMessage))}
    assert sent[people[0]]["text"] == "试试TONER 推荐"
    assert sent[people[0]]["products"][0]["sku"] == "TONER"
    assert sent[people[1]]["text"] == "试试CREAM 精华"  # the refill
    assert sent[people[2]]["text"] == "试试" and "products" not in sent[people[2]]
    assert session.scalar(select(CampaignMember.customer_id).limit(1)) is not None
