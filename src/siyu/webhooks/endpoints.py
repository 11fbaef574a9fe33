"""API routes of inbound webhooks: order events from shops, signed with a key's secret."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from siyu.accounts.service import signing_cache
from siyu.web.deps import store_of
from siyu.web.errors import CONFLICT_RESPONSE
from siyu.webhooks import rules, service
from siyu.webhooks.schemas import OrderEvent, WebhookAccepted
from siyu.webhooks.tasks import OrderBatcher

router = APIRouter(tags=["webhooks"])


async def raw_body(request: Request) -> bytes:
    """The body exactly as sent (the signature covers these bytes)."""
    return await request.body()


async def signed_delivery(
    request: Request,
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
    """Verify the delivery before its body is even parsed.

    A recently used key is cached, so the check needs no thread hop; otherwise the key is read
    in a session of its own, closed before the write is awaited: a request's session would
    hold a pooled connection while it waits for the writer, which needs one too (under a
    burst of deliveries with the key not yet cached, the pool ran dry and every writer waited).
    """
    store = store_of(request)

    def check() -> service.SignedDelivery:
        with store.sessions() as session:
            return service.verify(
                session, store.cipher, key_prefix=key, timestamp=timestamp,
                delivery_id=delivery, signature=signature, body=body,
            )  # fmt: skip

    if key is not None and signing_cache.get(key) is not None:
        return check()
    return await run_in_threadpool(check)


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
