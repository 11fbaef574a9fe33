"""What reports read from the system of record: names of channels and products, and the
predicted CLV of every customer from the last published profiles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.models import Channel, CustomerProfile, Product


@dataclass(frozen=True, slots=True)
class Named:
    """A channel's or product's code and name (and a channel's kind, a product's role)."""

    code: str
    name: str
    kind: str


def channel_names(session: Session, workspace_id: int) -> dict[int, Named]:
    """Code, name and kind of every channel, by id."""
    rows = session.execute(
        select(Channel.id, Channel.code, Channel.name, Channel.kind).where(
            Channel.workspace_id == workspace_id
        )
    )
    return {r[0]: Named(r[1], r[2], r[3]) for r in rows}


def product_names(session: Session, workspace_id: int) -> dict[int, Named]:
    """SKU, name and role of every product, by id."""
    rows = session.execute(
        select(Product.id, Product.sku, Product.name, Product.role).where(
            Product.workspace_id == workspace_id
        )
    )
    return {r[0]: Named(r[1], r[2], r[3] or "") for r in rows}


def published_clv(session: Session, workspace_id: int) -> tuple[pa.Table, date | None]:
    """Each profiled customer's predicted 12-month CLV (fen, NULL when not valued) and the
    date the profiles are as of (None before the first `siyu run`)."""
    as_of = session.scalar(
        select(func.max(CustomerProfile.as_of)).where(CustomerProfile.workspace_id == workspace_id)
    )
    rows = session.execute(
        select(CustomerProfile.customer_id, CustomerProfile.clv_fen).where(
            CustomerProfile.workspace_id == workspace_id
        )
    ).all()
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    clv = pa.array([r[1] for r in rows], pa.int64())
    return pa.table({"customer_id": pa.array(ids), "clv_fen": clv}), as_of
