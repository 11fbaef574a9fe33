"""Inbound webhooks: the order event a shop sends, and what siyu answers."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from siyu.kit.money import MAX_FEN
from siyu.models.enums import OrderStatus, Platform


class OrderLineEvent(BaseModel):
    """One product line of the order (amounts in integer fen)."""

    line_id: str = Field(
        default="", max_length=96, description="Stable line id, if the shop has one."
    )
    sku: str = Field(default="", max_length=128)
    name: str = Field(default="", max_length=300)
    quantity: int = Field(default=1, ge=1, le=MAX_FEN)
    unit_price_fen: int | None = Field(default=None, ge=0, le=MAX_FEN)
    amount_fen: int = Field(
        ge=0, le=MAX_FEN, description="What the buyer paid for the line, after discounts."
    )
    refund_fen: int = Field(default=0, ge=0, le=MAX_FEN)


class OrderEvent(BaseModel):
    """The whole current state of one order: every event carries all of it (idempotent)."""

    event: Literal[
        "order.created", "order.paid", "order.shipped", "order.completed", "order.closed",
        "order.refunded", "order.updated",
    ] = "order.updated"  # fmt: skip
    shop: str = Field(min_length=1, max_length=64, description="Shop code in siyu.")
    platform: Platform
    order_id: str = Field(min_length=1, max_length=64, description="The platform's order id.")
    status: OrderStatus
    raw_status: str = Field(default="", max_length=64)
    ordered_at: AwareDatetime
    paid_at: AwareDatetime | None = None
    completed_at: AwareDatetime | None = None
    refunded_at: AwareDatetime | None = None
    currency: str = Field(default="CNY", min_length=3, max_length=3)
    buyer_id: str = Field(default="", max_length=128, description="The platform's buyer id.")
    phone: str = Field(default="", max_length=32)
    email: str = Field(default="", max_length=254)
    unionid: str = Field(default="", max_length=128)
    receiver_name: str = Field(default="", max_length=100)
    address: str = Field(default="", max_length=500)
    province: str = Field(default="", max_length=32)
    city: str = Field(default="", max_length=64)
    shipping_fen: int = Field(default=0, ge=0, le=MAX_FEN)
    discount_fen: int = Field(default=0, ge=0, le=MAX_FEN)
    paid_fen: int | None = Field(
        default=None,
        ge=0,
        le=MAX_FEN,
        description="Paid for the order; default: lines plus shipping.",
    )
    refunded_fen: int = Field(
        default=0, ge=0, le=MAX_FEN, description="Refunded on the whole order."
    )
    lines: list[OrderLineEvent] = Field(min_length=1, max_length=500)


class WebhookAccepted(BaseModel):
    """What happened to a delivered order event."""

    delivery: str
    order_id: int = Field(description="siyu's id of the order.")
    customer_id: int | None
    outcome: Literal["created", "updated", "unchanged"]
