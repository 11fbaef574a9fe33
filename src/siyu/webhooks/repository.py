"""All queries on webhook deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from siyu.db import bulk
from siyu.kit.clock import utcnow
from siyu.models import ApiKey, WebhookDelivery


def deliveries_seen(session: Session, marks: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which of these (key id, delivery id) pairs were already received."""
    ids = sorted({d for _, d in marks})
    if not ids:
        return set()
    rows = session.execute(
        select(WebhookDelivery.api_key_id, WebhookDelivery.delivery_id).where(
            WebhookDelivery.delivery_id.in_(ids)
        )
    )
    wanted = set(marks)
    return {(r[0], r[1]) for r in rows} & wanted


def record_deliveries(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Store deliveries (their unique key refuses a concurrent replay)."""
    bulk.insert_rows(session, WebhookDelivery, rows)


def prune_deliveries(session: Session, before: datetime) -> None:
    """Forget deliveries received before a moment (far outside the freshness window)."""
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.received_at < before))


def touch_key(session: Session, key_id: int) -> None:
    """Record that a key was used now."""
    session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=utcnow()))
