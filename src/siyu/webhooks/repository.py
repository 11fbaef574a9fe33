"""All queries on webhook deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from siyu.models import WebhookDelivery


def delivery_seen(session: Session, api_key_id: int, delivery_id: str) -> bool:
    """Whether this key already delivered this id."""
    found = session.scalar(
        select(WebhookDelivery.id).where(
            WebhookDelivery.api_key_id == api_key_id, WebhookDelivery.delivery_id == delivery_id
        )
    )
    return found is not None


def record_delivery(session: Session, row: WebhookDelivery) -> None:
    """Store a delivery (its unique key refuses a concurrent replay)."""
    session.add(row)
    session.flush()


def prune_deliveries(session: Session, before: datetime) -> None:
    """Forget deliveries received before a moment (far outside the freshness window)."""
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.received_at < before))
