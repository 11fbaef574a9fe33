"""Use cases of inbound webhooks: verify a signed delivery, store its order (never commits)."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siyu.accounts.rules import Permission, parse_scopes
from siyu.accounts.service import active_key_by_prefix, signing_secret
from siyu.kit.clock import utcnow
from siyu.kit.crypto import PiiCipher
from siyu.kit.errors import (
    AuthenticationError,
    ConflictError,
    PermissionDeniedError,
    ValidationError,
)
from siyu.models import ApiKey, WebhookDelivery
from siyu.orders.service import OrderWriter, ensure_shop
from siyu.webhooks import repository, rules
from siyu.webhooks.schemas import OrderEvent, WebhookAccepted

KEEP_DELIVERIES = timedelta(days=7)
PRUNE_EVERY = 1000
_deliveries = itertools.count()
REQUIRED = (rules.KEY_HEADER, rules.TIMESTAMP_HEADER, rules.DELIVERY_HEADER,
            rules.SIGNATURE_HEADER)  # fmt: skip


@dataclass(frozen=True, slots=True)
class SignedDelivery:
    """A delivery whose signature, freshness and key scope were checked."""

    key: ApiKey
    delivery_id: str


def verify(
    session: Session,
    cipher: PiiCipher,
    *,
    key_prefix: str | None,
    timestamp: str | None,
    delivery_id: str | None,
    signature: str | None,
    body: bytes,
) -> SignedDelivery:
    """Check a delivery's key, signature, scope and timestamp; raise 401 / 403 otherwise."""
    if not (key_prefix and timestamp and delivery_id and signature):
        raise AuthenticationError("webhook.unsigned", headers=", ".join(REQUIRED))
    key = active_key_by_prefix(session, key_prefix)
    secret = signing_secret(cipher, key) if key is not None else b""
    if key is None or not rules.signature_matches(secret, timestamp, delivery_id, body, signature):
        raise AuthenticationError("webhook.signature")
    if Permission.ORDERS_WRITE not in parse_scopes(key.scopes):
        raise PermissionDeniedError("auth.scope", permission=Permission.ORDERS_WRITE.value)
    if not rules.is_fresh(timestamp, time.time()):
        raise AuthenticationError("webhook.stale", seconds=rules.TOLERANCE_S)
    if not rules.valid_delivery_id(delivery_id):
        raise ValidationError(detail=f"{rules.DELIVERY_HEADER}: 8 to 64 printable characters")
    return SignedDelivery(key, delivery_id)


def receive_order(
    session: Session, cipher: PiiCipher, signed: SignedDelivery, event: OrderEvent
) -> WebhookAccepted:
    """Store an order event through the import pipeline (identity resolution included)."""
    key, workspace_id = signed.key, signed.key.workspace_id
    if repository.delivery_seen(session, key.id, signed.delivery_id):
        raise ConflictError("webhook.replayed", delivery=signed.delivery_id)
    try:
        draft = rules.order_draft(event)
    except ValueError as exc:
        raise ValidationError("webhook.order_invalid", reason=str(exc)) from None
    delivery = WebhookDelivery(
        workspace_id=workspace_id, api_key_id=key.id, delivery_id=signed.delivery_id,
        event=event.event, outcome="received",
    )  # fmt: skip
    try:
        repository.record_delivery(session, delivery)
    except IntegrityError:
        raise ConflictError("webhook.replayed", delivery=signed.delivery_id) from None
    shop = ensure_shop(session, workspace_id, code=event.shop, platform=event.platform)
    writer = OrderWriter(
        session, workspace_id, shop, cipher, batch_id=None, source=f"webhook {key.prefix}"
    )
    counts = writer.write([draft])
    outcome = "created" if counts.created else "updated" if counts.updated else "unchanged"
    order_id = writer.last_order_ids[event.order_id]
    delivery.outcome, delivery.order_id = outcome, order_id
    if next(_deliveries) % PRUNE_EVERY == 0:
        repository.prune_deliveries(session, utcnow() - KEEP_DELIVERIES)
    return WebhookAccepted(
        delivery=signed.delivery_id, order_id=order_id,
        customer_id=writer.last_customers[0], outcome=outcome,
    )  # fmt: skip
