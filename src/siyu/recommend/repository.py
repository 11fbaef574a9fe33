"""All queries on published recommendations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from siyu.db import bulk
from siyu.models import CustomerRecommendation, Product

IN_CHUNK = 1_000


def replace_recommendations(
    session: Session,
    workspace_id: int,
    columns: Mapping[str, Sequence[Any]],
    computed_at: datetime,
) -> None:
    """Delete the workspace's recommendations and insert the new ones (atomic with the caller)."""
    session.execute(
        delete(CustomerRecommendation).where(CustomerRecommendation.workspace_id == workspace_id)
    )
    shared = {"workspace_id": workspace_id, "computed_at": computed_at}
    bulk.insert_columns(session, CustomerRecommendation, columns, shared)


def product_ids(session: Session, workspace_id: int) -> NDArray[np.int64]:
    """Ids of the workspace's products, ascending."""
    ids = session.scalars(
        select(Product.id).where(Product.workspace_id == workspace_id).order_by(Product.id)
    ).all()
    return np.asarray(ids, dtype=np.int64)


@dataclass(frozen=True)
class RecommendedProduct:
    """A published recommendation with the product's catalogue fields."""

    rank: int
    product_id: int
    sku: str
    name: str
    role: str | None
    score: float
    reason: str
    computed_at: datetime


def list_for_customer(
    session: Session, workspace_id: int, customer_id: int, limit: int
) -> list[RecommendedProduct]:
    """A customer's published recommendations, best first."""
    r = CustomerRecommendation
    rows = session.execute(
        select(r.rank, r.product_id, Product.sku, Product.name, Product.role, r.score, r.reason,
               r.computed_at)
        .join(Product, Product.id == r.product_id)
        .where(r.workspace_id == workspace_id, r.customer_id == customer_id)
        .order_by(r.rank)
        .limit(limit)
    )  # fmt: skip
    return [RecommendedProduct(*row) for row in rows]


def top_for_customers(
    session: Session, workspace_id: int, customer_ids: Sequence[int], top: int
) -> dict[int, list[dict[str, Any]]]:
    """The published top products of each customer that has any, best first, as
    {product_id, sku, name, reason} (customers without recommendations are left out)."""
    r = CustomerRecommendation
    found: dict[int, list[dict[str, Any]]] = {}
    ids = sorted(set(customer_ids))
    for start in range(0, len(ids), IN_CHUNK):
        rows = session.execute(
            select(r.customer_id, r.product_id, Product.sku, Product.name, r.reason)
            .join(Product, Product.id == r.product_id)
            .where(r.workspace_id == workspace_id, r.rank <= top)
            .where(r.customer_id.in_(ids[start : start + IN_CHUNK]))
            .order_by(r.customer_id, r.rank)
        )
        for customer, product, sku, name, reason in rows:
            found.setdefault(customer, []).append(
                {"product_id": product, "sku": sku, "name": name, "reason": reason}
            )
    return found
