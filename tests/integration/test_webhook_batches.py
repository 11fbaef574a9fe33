"""Webhook deliveries written as one batch: rounds for a repeated order, replays fail alone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from siyu.accounts import service as accounts
from siyu.kit.crypto import PiiCipher
from siyu.kit.errors import ConflictError
from siyu.webhooks.schemas import OrderEvent, WebhookAccepted
from siyu.webhooks.service import Pending, SignedDelivery, draft_of, receive_orders


def _event(order_id: str, **changes: Any) -> OrderEvent:
    base = {"shop": "mp", "platform": "mini_program", "order_id": order_id, "status": "paid",
            "ordered_at": datetime(2026, 1, 2, tzinfo=UTC), "phone": "13700000001",
            "lines": [{"sku": "S", "amount_fen": 500}]}  # fmt: skip
    return OrderEvent.model_validate(base | changes)


def test_a_batch_of_deliveries(session: Session, workspace_id: int, cipher: PiiCipher) -> None:
    made = accounts.create_api_key(session, workspace_id, cipher, name="k", scopes="orders:write")
    key = accounts.signing_key(session, cipher, made.row.prefix)
    assert key is not None

    def pending(delivery: str, event: OrderEvent) -> Pending:
        return Pending(SignedDelivery(key, delivery), event, draft_of(event))

    batch = [
        pending("delivery-a", _event("X1")),
        pending("delivery-b", _event("X1", status="shipped")),
        pending("delivery-a", _event("X9")),
        pending("delivery-d", _event("Y1", unionid="u-1")),
    ]
    outcomes = receive_orders(session, cipher, batch)
    first, second, replay, other = outcomes
    assert isinstance(first, WebhookAccepted) and first.outcome == "created"
    assert isinstance(second, WebhookAccepted) and second.outcome == "updated"
    assert second.order_id == first.order_id
    assert isinstance(replay, ConflictError)
    assert isinstance(other, WebhookAccepted) and other.customer_id == first.customer_id
    again = receive_orders(session, cipher, [pending("delivery-e", _event("Y1", unionid="u-1"))])
    assert isinstance(again[0], WebhookAccepted) and again[0].outcome == "unchanged"
    late = receive_orders(session, cipher, [pending("delivery-b", _event("Z1"))])
    assert isinstance(late[0], ConflictError)
