"""Queries of playbooks and journeys: their settings and the products customers last bought."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.db.columns import epoch_of, read_columns
from siyu.models import Order, OrderLine, Product

IN_CHUNK = 1_000


def last_products(
    session: Session, workspace_id: int, customer_ids: Sequence[int]
) -> dict[int, dict[str, Any]]:
    """The product each customer bought most recently (id, sku, name)."""
    found: dict[int, tuple[float, dict[str, Any]]] = {}
    ids = sorted(set(customer_ids))
    for start in range(0, len(ids), IN_CHUNK):
        query = (
            select(
                Order.customer_id, epoch_of(Order.ordered_at), Product.id, Product.sku, Product.name
            )
            .join(OrderLine, OrderLine.order_id == Order.id)
            .join(Product, Product.id == OrderLine.product_id)
            .where(Order.workspace_id == workspace_id)
            .where(Order.customer_id.in_(ids[start : start + IN_CHUNK]))
            .where(Order.status.in_(("paid", "shipped", "completed")))
        )
        who, when, product, sku, name = read_columns(session, query, "ifiss")
        for c, t, p, k, n in zip(who.tolist(), when.tolist(), product.tolist(), sku.tolist(),
                                 name.tolist(), strict=True):  # fmt: skip
            if c not in found or t > found[c][0]:
                found[c] = (t, {"product_id": p, "sku": k, "name": n})
    return {c: v for c, (_, v) in found.items()}
