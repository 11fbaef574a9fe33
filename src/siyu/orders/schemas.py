"""Orders as the API returns them (money in integer fen; receiver data never)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class OrderLineRead(BaseModel):
    """One product line."""

    sku: str | None
    product_name: str | None
    quantity: int
    unit_price_fen: int
    amount_fen: int


class OrderRead(BaseModel):
    """An order with its shop and lines."""

    id: int
    platform_order_id: str
    shop_code: str
    platform: str
    domain: str
    customer_id: int | None
    status: str
    ordered_at: datetime
    paid_at: datetime | None
    goods_fen: int
    shipping_fen: int
    discount_fen: int
    paid_fen: int
    refunded_fen: int
    province: str
    city: str
    lines: list[OrderLineRead]
