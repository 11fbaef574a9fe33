"""Stage playbooks, the first-purchases journey and daily staff tasks on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.db import bulk
from siyu.engage.playbooks import service as playbooks
from siyu.engage.playbooks.schemas import Playbooks
from siyu.engage.tasks import service as tasks
from siyu.engage.tasks.schemas import TaskDone
from siyu.kit.crypto import PiiCipher
from siyu.kit.errors import ValidationError
from siyu.models import ContactTouch, Order, OrderLine, OutboxMessage, Product, Shop
from tests.fixtures.engage import NOW, consent, contact, customers, identity, staff, touch


def _outbox(session: Session) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _order(session: Session, ws: int, customer: int, product: str, days_ago: int) -> None:
    shop = session.scalar(select(Shop).where(Shop.workspace_id == ws))
    if shop is None:
        shop = Shop(workspace_id=ws, code="s", name="s", platform="tmall", domain="public")
        session.add(shop)
        session.flush()
    item = session.scalar(select(Product).where(Product.workspace_id == ws, Product.sku == product))
    if item is None:
        item = Product(workspace_id=ws, sku=product, name=f"{product} 精华")
        session.add(item)
        session.flush()
    order = Order(workspace_id=ws, shop_id=shop.id, customer_id=customer, status="paid",
                  platform_order_id=f"{customer}-{product}-{days_ago}", fingerprint="f",
                  ordered_at=NOW - timedelta(days=days_ago), paid_fen=9900)  # fmt: skip
    session.add(order)
    session.flush()
    bulk.insert_rows(session, OrderLine, [{"workspace_id": ws, "order_id": order.id,
                                          "line_key": "1", "product_id": item.id,
                                          "quantity": 1, "unit_price_fen": 9900,
                                          "amount_fen": 9900}])  # fmt: skip


def test_stage_playbooks_follow_each_stage_rhythm(
    session: Session, workspace_id: int, cipher: PiiCipher
) -> None:
    ws = workspace_id
    anna = staff(session, ws, "anna")
    active, silent_due, silent_recent, dormant, churned = customers(session, ws, [
        {"stage": "active"}, {"stage": "silent"}, {"stage": "silent"}, {"stage": "dormant"},
        {"stage": "churned"},
    ])  # fmt: skip
    for c in (active, silent_due, silent_recent):
        contact(session, ws, c, staff_id=anna)
    for c in (dormant, churned):
        identity(session, ws, c, cipher, "phone", f"1390000000{c % 10}")
        consent(session, ws, c, "sms", True)
    touch(session, ws, silent_due, at=NOW - timedelta(days=20), channel="wecom")
    touch(session, ws, silent_recent, at=NOW - timedelta(days=3), channel="wecom")
    (outside,) = customers(session, ws, [{"stage": "silent"}])  # not in the pool: SMS instead
    identity(session, ws, outside, cipher, "phone", "13900000099")
    consent(session, ws, outside, "sms", True)
    reports = playbooks.run_playbooks(session, ws, NOW)
    assert {s: r.queued for s, r in reports.items()} == {"active": 1, "silent": 2, "dormant": 1}
    assert reports["silent"].held_back == {}
    assert "churned" not in reports  # major promotions only
    texts = {m.customer_id: m.payload["text"] for m in _outbox(session)}
    assert "满 99 减 10" in texts[silent_due] and "满 199 减 50" in texts[dormant]
    assert {m.channel for m in _outbox(session)} == {"wecom", "sms"}
    assert {m.customer_id: m.channel for m in _outbox(session)}[outside] == "sms"
    again = playbooks.run_playbooks(session, ws, NOW + timedelta(hours=1))
    assert sum(r.queued for r in again.values()) == 0  # contacted today: rhythm not due
    major = playbooks.run_playbooks(session, ws, NOW + timedelta(days=1), major_promotion=True)
    assert major["churned"].queued == 1


def test_edited_playbooks_are_checked_for_banned_words(session: Session, workspace_id: int) -> None:
    books = Playbooks()
    books.stages["active"].content = {"text": "全网最好的精华"}
    with pytest.raises(ValidationError):
        playbooks.set_playbooks(session, workspace_id, books)
    books.stages["active"].content = {"text": "新品体验"}
    books.stages["active"].every_days = 3
    playbooks.set_playbooks(session, workspace_id, books)
    assert playbooks.get_playbooks(session, workspace_id).stages["active"].every_days == 3


def test_journey_nudges_before_the_next_purchase_once(session: Session, workspace_id: int) -> None:
    ws = workspace_id
    anna = staff(session, ws, "anna")
    soon = {"cycle_days": 30.0, "days_since_purchase": 27.5}  # due by their cycle in 2.5 days
    due, fifth, later = customers(session, ws, [
        {"n_purchases": 1, **soon}, {"n_purchases": 5, **soon},
        {"n_purchases": 2, "cycle_days": 30.0, "days_since_purchase": 20.0},
    ])  # fmt: skip
    for c in (due, fifth, later):
        contact(session, ws, c, staff_id=anna)
    _order(session, ws, due, "SERUM", 30)
    report = playbooks.run_journey(session, ws, NOW)
    assert (report.candidates, report.queued) == (1, 1)
    (message,) = _outbox(session)
    assert message.customer_id == due and "SERUM 精华" in message.payload["text"]
    assert message.payload["products"][0]["sku"] == "SERUM"
    assert message.staff_account_id == anna
    assert playbooks.run_journey(session, ws, NOW + timedelta(hours=2)).queued == 0


def test_daily_tasks_ranked_capped_and_worked(
    session: Session, workspace_id: int, cipher: PiiCipher
) -> None:
    ws = workspace_id
    anna = staff(session, ws, "anna", capacity=2)
    bo = staff(session, ws, "bo", capacity=5)
    due = customers(session, ws, [
        {"stage": "active", "cycle_days": 30.0, "days_since_purchase": 29.0,
         "expected_spend_fen": v, "clv_fen": v}
        for v in (30_000, 10_000, 20_000)
    ])  # fmt: skip
    slipping, gone = customers(session, ws, [
        {"stage": "active", "days_since_purchase": 55.0, "cycle_days": 60.0, "clv_fen": 5_000},
        {"stage": "silent", "clv_fen": None},
    ])  # fmt: skip
    for c in due:
        contact(session, ws, c, staff_id=anna)
    contact(session, ws, slipping, staff_id=bo)
    contact(session, ws, gone, staff_id=bo, left_at=NOW - timedelta(days=2),
            left_reason="deleted_by_customer")  # fmt: skip
    identity(session, ws, gone, cipher, "phone", "13700000001")
    _order(session, ws, due[0], "CREAM", 20)
    report = tasks.generate(session, ws, NOW)
    assert report.created == 4 and report.held_back == {"staff_capacity": 1}
    assert report.by_staff == {"anna": 2, "bo": 2}
    listed = tasks.list_tasks(session, ws, report.day, staff_code="anna")
    assert [(t.customer_id, t.rank, t.reason) for t in listed] == [
        (due[0], 1, "due_repurchase"),
        (due[2], 2, "due_repurchase"),
    ]
    assert "CREAM 精华" in listed[0].script and listed[0].products[0]["sku"] == "CREAM"
    reasons = {t.customer_id: t.reason for t in tasks.list_tasks(session, ws, report.day)}
    assert reasons[slipping] == "slipping" and reasons[gone] == "deleted_us"
    assert tasks.generate(session, ws, NOW + timedelta(hours=1)).created == 0
    done = tasks.complete(session, ws, listed[0].id, TaskDone(outcome="purchased", note="买了两瓶"),
                          NOW)  # fmt: skip
    assert done.status == "done" and done.outcome == "purchased"
    with pytest.raises(ValidationError):
        tasks.skip(session, ws, listed[0].id, "late", NOW)
    skipped = tasks.skip(session, ws, listed[1].id, "customer travelling", NOW)
    assert skipped.status == "skipped"
    statuses = dict(session.execute(select(ContactTouch.customer_id, ContactTouch.status)).all())
    assert statuses[due[0]] == "sent" and statuses[due[2]] == "cancelled"
    first, second = tasks.list_tasks(session, ws, report.day, staff_code="bo")
    moved = tasks.reassign(session, ws, first.id, "anna")  # the skipped task left room
    assert (moved.staff_account_id, moved.rank) == (anna, 2)
    with pytest.raises(ValidationError) as full:
        tasks.reassign(session, ws, second.id, "anna")
    assert full.value.key == "task.staff_full"
    assert [t.customer_id for t in tasks.list_tasks(session, ws, report.day, staff_code="bo")] == [
        second.customer_id
    ]
    assert bo
