"""API routes of inbound webhooks: order events from shops, signed with a key's secret."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request

from siyu.web.deps import Db, store_of
from siyu.web.errors import CONFLICT_RESPONSE
from siyu.webhooks import rules, service
from siyu.webhooks.schemas import OrderEvent, WebhookAccepted
from siyu.webhooks.tasks import OrderBatcher

router = APIRouter(tags=["webhooks"])


async def raw_body(request: Request) -> bytes:
    """The body exactly as sent (the signature covers these bytes)."""
    return await request.body()


def signed_delivery(
    request: Request,
    db: Db,
    body: Annotated[bytes, Depends(raw_body)],
    key: Annotated[
        str | None, Header(alias=rules.KEY_HEADER, description="Public prefix of the API key.")
    ] = None,
    timestamp: Annotated[
        str | None, Header(alias=rules.TIMESTAMP_HEADER, description="Unix seconds when sent.")
    ] = None,
    delivery: Annotated[
        str | None,
        Header(alias=rules.DELIVERY_HEADER, description="Unique id of this delivery (nonce)."),
    ] = None,
    signature: Annotated[
        str | None,
        Header(
            alias=rules.SIGNATURE_HEADER,
            description="v1=hex HMAC-SHA256 of '<timestamp>.<delivery>.<body>'.",
        ),
    ] = None,
) -> service.SignedDelivery:
    """Verify the delivery before its body is even parsed."""
    return service.verify(
        db, store_of(request).cipher, key_prefix=key, timestamp=timestamp,
        delivery_id=delivery, signature=signature, body=body,
    )  # fmt: skip


def batcher(request: Request) -> OrderBatcher:
    """The application's webhook writer (started with the first delivery)."""
    state = request.app.state
    with state.batcher_lock:
        if state.batcher is None:
            state.batcher = OrderBatcher(store_of(request))
        found: OrderBatcher = state.batcher
    return found


@router.post("/webhooks/orders", response_model=WebhookAccepted, responses=CONFLICT_RESPONSE)
async def order_event(
    request: Request,
    signed: Annotated[service.SignedDelivery, Depends(signed_delivery)],
    event: OrderEvent,
) -> WebhookAccepted:
    """Receive an order event (created, paid, shipped, refunded …) from a shop integration.

    The order is written with the deliveries that arrive with it, in one transaction (see
    webhooks/tasks.py); the answer comes when it is committed.
    """
    pending = service.Pending(signed, event, service.draft_of(event))
    return await asyncio.wrap_future(batcher(request).submit(pending))
