"""Use cases of inbound webhooks: verify a signed delivery, store its order (never commits)."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siyu.accounts.rules import Permission
from siyu.accounts.service import SigningKey, signing_key
from siyu.kit.clock import utcnow
from siyu.kit.crypto import PiiCipher
from siyu.kit.errors import (
    AuthenticationError,
    ConflictError,
    PermissionDeniedError,
    SiyuError,
    ValidationError,
)
from siyu.orders import repository as orders
from siyu.orders.rules import OrderDraft
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

    key: SigningKey
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
    key = signing_key(session, cipher, key_prefix)
    secret = key.secret if key is not None else b""
    if key is None or not rules.signature_matches(secret, timestamp, delivery_id, body, signature):
        raise AuthenticationError("webhook.signature")
    if Permission.ORDERS_WRITE not in key.scopes:
        raise PermissionDeniedError("auth.scope", permission=Permission.ORDERS_WRITE.value)
    if not rules.is_fresh(timestamp, time.time()):
        raise AuthenticationError("webhook.stale", seconds=rules.TOLERANCE_S)
    if not rules.valid_delivery_id(delivery_id):
        raise ValidationError("webhook.delivery_id", header=rules.DELIVERY_HEADER)
    return SignedDelivery(key, delivery_id)


@dataclass(frozen=True, slots=True)
class Pending:
    """A verified delivery and its order, waiting to be written."""

    signed: SignedDelivery
    event: OrderEvent
    draft: OrderDraft


def draft_of(event: OrderEvent) -> OrderDraft:
    """The order draft of an event, or a bilingual 422 when it cannot be used."""
    try:
        return rules.order_draft(event)
    except ValueError as exc:
        raise ValidationError("webhook.order_invalid", reason=str(exc)) from None


def receive_order(
    session: Session, cipher: PiiCipher, signed: SignedDelivery, event: OrderEvent
) -> WebhookAccepted:
    """Store one order event through the import pipeline (identity resolution included)."""
    found = receive_orders(session, cipher, [Pending(signed, event, draft_of(event))])[0]
    if isinstance(found, SiyuError):
        raise found
    return found


Outcome = WebhookAccepted | SiyuError


def receive_orders(session: Session, cipher: PiiCipher, batch: list[Pending]) -> list[Outcome]:
    """Store a batch of deliveries in the caller's transaction; a replay fails alone.

    The orders go through OrderWriter like an imported export: one identity resolution for
    the batch, bulk inserts, the fingerprint that makes a re-sent order `unchanged`.
    """
    outcomes: list[Outcome | None] = [None] * len(batch)
    seen = repository.deliveries_seen(
        session, [(p.signed.key.id, p.signed.delivery_id) for p in batch]
    )
    todo: list[int] = []
    for i, item in enumerate(batch):
        mark = (item.signed.key.id, item.signed.delivery_id)
        if mark in seen:
            outcomes[i] = ConflictError("webhook.replayed", delivery=item.signed.delivery_id)
        else:
            seen.add(mark)
            todo.append(i)
    while todo:  # the same order twice in a batch is written in two rounds
        this_round: list[int] = []
        later: list[int] = []
        orders_seen: set[tuple[int, str, str]] = set()
        for i in todo:
            event = batch[i].event
            order = (batch[i].signed.key.workspace_id, event.shop, event.order_id)
            (later if order in orders_seen else this_round).append(i)
            orders_seen.add(order)
        for i, accepted in _write_round(session, cipher, batch, this_round).items():
            outcomes[i] = accepted
        todo = later
    _maintain(session, batch)
    return [o for o in outcomes if o is not None]


def _write_round(
    session: Session, cipher: PiiCipher, batch: list[Pending], indexes: list[int]
) -> dict[int, WebhookAccepted]:
    groups: dict[tuple[int, str, str], list[int]] = {}
    for i in indexes:
        event = batch[i].event
        key = (batch[i].signed.key.workspace_id, event.shop, event.platform.value)
        groups.setdefault(key, []).append(i)
    accepted: dict[int, WebhookAccepted] = {}
    deliveries: list[dict[str, object]] = []
    for (workspace_id, shop_code, _), members in groups.items():
        shop = ensure_shop(session, workspace_id, code=shop_code,
                           platform=batch[members[0]].event.platform)  # fmt: skip
        drafts = [batch[i].draft for i in members]
        before = orders.existing_orders(
            session, workspace_id, shop.id, [d.order_id for d in drafts]
        )
        writer = OrderWriter(session, workspace_id, shop, cipher, batch_id=None,
                             source=f"webhook {batch[members[0]].signed.key.prefix}")  # fmt: skip
        writer.write(drafts)
        for i, draft, customer in zip(members, drafts, writer.last_customers, strict=True):
            old = before.get(draft.order_id)
            outcome = "created" if old is None else (
                "unchanged" if old[1] == draft.fingerprint() and old[2] == customer else "updated"
            )  # fmt: skip
            order_id = writer.last_order_ids[draft.order_id]
            signed = batch[i].signed
            accepted[i] = WebhookAccepted(delivery=signed.delivery_id, order_id=order_id,
                                          customer_id=customer, outcome=outcome)  # fmt: skip
            deliveries.append({
                "workspace_id": workspace_id, "api_key_id": signed.key.id,
                "delivery_id": signed.delivery_id, "event": batch[i].event.event,
                "outcome": outcome, "order_id": order_id, "received_at": utcnow(),
            })  # fmt: skip
    try:
        repository.record_deliveries(session, deliveries)
    except IntegrityError:  # a concurrent process took the same delivery id
        raise ConflictError("webhook.replayed", delivery="…") from None
    return accepted


def _maintain(session: Session, batch: list[Pending]) -> None:
    for key_id in {p.signed.key.id for p in batch if p.signed.key.stale_use}:
        repository.touch_key(session, key_id)
    if next(_deliveries) % PRUNE_EVERY == 0:
        repository.prune_deliveries(session, utcnow() - KEEP_DELIVERIES)
