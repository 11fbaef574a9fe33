"""Webhook rules: signatures, freshness, order events as drafts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siyu.models.enums import OrderStatus, Platform
from siyu.webhooks.rules import is_fresh, order_draft, sign, signature_matches, valid_delivery_id
from siyu.webhooks.schemas import OrderEvent, OrderLineEvent

SECRET = b"whsec_test"


@given(st.binary(max_size=200), st.text(min_size=8, max_size=20).filter(str.isascii))
def test_a_signature_matches_its_own_body_only(body: bytes, delivery: str) -> None:
    header = sign(SECRET, "1700000000", delivery, body)
    assert signature_matches(SECRET, "1700000000", delivery, body, header)
    assert not signature_matches(SECRET, "1700000001", delivery, body, header)
    assert not signature_matches(b"other", "1700000000", delivery, body, header)
    assert not signature_matches(SECRET, "1700000000", delivery, body + b" ", header)


def test_freshness_window() -> None:
    assert is_fresh("1000", 1300) and is_fresh("1300", 1000)
    assert not is_fresh("1000", 1301) and not is_fresh("soon", 1000)


def test_delivery_ids() -> None:
    assert valid_delivery_id("evt_0123456789")
    assert not valid_delivery_id("short") and not valid_delivery_id("has space inside")
    assert not valid_delivery_id("投递编号投递编号投递")


def _event(**changes: object) -> OrderEvent:
    base = {
        "shop": "tm", "platform": Platform.TMALL, "order_id": "T1", "status": OrderStatus.PAID,
        "ordered_at": datetime(2026, 1, 1, tzinfo=UTC), "buyer_id": "tb_buyer",
        "phone": "138 0013 8000", "shipping_fen": 800,
        "lines": [OrderLineEvent(sku="A", amount_fen=1000, quantity=2),
                  OrderLineEvent(name="赠品", amount_fen=0)],
    }  # fmt: skip
    return OrderEvent.model_validate(base | changes)


def test_an_event_becomes_a_draft_like_an_imported_order() -> None:
    draft = order_draft(_event())
    assert draft.goods_fen == 1000 and draft.paid_fen == 1800
    assert [k.kind for k in draft.identifiers] == ["platform_buyer", "phone"]
    assert draft.identifiers[0].platform == "taobao"  # Tmall buyers are Taobao members
    assert draft.identifiers[1].value == "13800138000"
    assert [line.line_key for line in draft.lines] == ["A#1", "赠品#2"]
    assert draft.lines[0].unit_price_fen == 500


def test_unusable_events_are_refused() -> None:
    with pytest.raises(ValueError, match="identifier"):
        order_draft(_event(buyer_id="", phone="138****8000"))
    with pytest.raises(ValueError, match="exceeds"):
        order_draft(_event(refunded_fen=1801))
