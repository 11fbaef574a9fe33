"""Queries on products (bulk lookups live with the order writer in orders.repository)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.models import Product


def list_products(session: Session, workspace_id: int) -> list[Product]:
    """Return the workspace's products by SKU."""
    return list(
        session.scalars(
            select(Product).where(Product.workspace_id == workspace_id).order_by(Product.sku)
        )
    )
