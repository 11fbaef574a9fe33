"""Pure rules of inbound webhooks: signatures, freshness, and order events as order drafts."""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

from siyu.customers.rules import identifier
from siyu.models.enums import IdentityKind
from siyu.orders.rules import BUYER_NAMESPACE, LineDraft, OrderDraft
from siyu.webhooks.schemas import OrderEvent, OrderLineEvent

KEY_HEADER: Final = "X-Siyu-Key"
TIMESTAMP_HEADER: Final = "X-Siyu-Timestamp"
DELIVERY_HEADER: Final = "X-Siyu-Delivery"
SIGNATURE_HEADER: Final = "X-Siyu-Signature"
TOLERANCE_S: Final = 300
"""A delivery more than five minutes from now is refused; nonces are kept far longer."""
SCHEME: Final = "v1"


def signed_payload(timestamp: str, delivery: str, body: bytes) -> bytes:
    """What is signed: timestamp, delivery id and the raw body, joined by dots."""
    return f"{timestamp}.{delivery}.".encode() + body


def sign(secret: bytes, timestamp: str, delivery: str, body: bytes) -> str:
    """The signature header value: v1=<hex HMAC-SHA256>."""
    digest = hmac.new(secret, signed_payload(timestamp, delivery, body), hashlib.sha256)
    return f"{SCHEME}={digest.hexdigest()}"


def signature_matches(
    secret: bytes, timestamp: str, delivery: str, body: bytes, header: str
) -> bool:
    """Whether any v1 signature in the header (comma-separated) matches, in constant time."""
    expected = sign(secret, timestamp, delivery, body)
    found = False
    for part in header.split(","):
        found |= hmac.compare_digest(part.strip().encode(), expected.encode())
    return found


def is_fresh(timestamp: str, now: float, tolerance: int = TOLERANCE_S) -> bool:
    """Whether a Unix-seconds timestamp lies within `tolerance` seconds of now."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    return abs(now - sent) <= tolerance


def valid_delivery_id(delivery: str) -> bool:
    """A delivery id: 8 to 64 printable ASCII characters without spaces."""
    return (
        8 <= len(delivery) <= 64
        and delivery.isascii()
        and delivery.isprintable()
        and (" " not in delivery)
    )


def order_draft(event: OrderEvent) -> OrderDraft:
    """Turn an order event into the draft the order writer stores; ValueError when unusable."""
    namespace = BUYER_NAMESPACE.get(event.platform, event.platform.value)
    found = (
        identifier(IdentityKind.PLATFORM_BUYER, event.buyer_id, platform=namespace),
        identifier(IdentityKind.PHONE, event.phone),
        identifier(IdentityKind.EMAIL, event.email),
        identifier(IdentityKind.UNIONID, event.unionid),
    )
    keys = tuple(k for k in found if k is not None)
    if not keys:
        raise ValueError("no usable customer identifier (buyer_id, phone, email or unionid)")
    lines = [_line(i, line) for i, line in enumerate(event.lines, start=1)]
    goods = sum(line.amount_fen or 0 for line in lines)
    paid = event.paid_fen if event.paid_fen is not None else goods + event.shipping_fen
    refunded = max(event.refunded_fen, sum(line.refund_fen for line in lines))
    if refunded > paid:
        raise ValueError(f"refund {refunded} fen exceeds the paid amount {paid} fen")
    return OrderDraft(
        order_id=event.order_id, first_line=0, ordered_at=event.ordered_at, status=event.status,
        raw_status=event.raw_status or event.status.value, paid_at=event.paid_at,
        completed_at=event.completed_at, refunded_at=event.refunded_at, identifiers=keys,
        receiver_name=event.receiver_name, receiver_phone=event.phone, address=event.address,
        province=event.province, city=event.city, currency=event.currency.upper(),
        shipping_fen=event.shipping_fen, discount_fen=event.discount_fen, lines=lines,
        goods_fen=goods, paid_fen=paid, refunded_fen=refunded,
    )  # fmt: skip


def _line(position: int, line: OrderLineEvent) -> LineDraft:
    key = line.line_id or f"{line.sku or line.name or 'item'}#{position}"
    unit = (
        line.unit_price_fen if line.unit_price_fen is not None else line.amount_fen // line.quantity
    )
    return LineDraft(
        line_key=key[:96], sku=line.sku, product_name=line.name, quantity=line.quantity,
        unit_price_fen=unit, amount_fen=line.amount_fen, refund_fen=line.refund_fen,
        refund_full=line.refund_fen >= line.amount_fen > 0,
    )  # fmt: skip
