"""Queries on consent records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from numpy.typing import NDArray
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from siyu.db.columns import Source, epoch_of, read_columns
from siyu.models import ConsentRecord


def records(
    source: Source,
    workspace_id: int,
    *,
    purpose: str,
    customer_ids: Sequence[int] | None = None,
    id_range: tuple[int, int] | None = None,
) -> list[NDArray[Any]]:
    """Every consent record of a purpose as columns (customer, channel, granted, epoch,
    id): of all customers, of the given ones (up to a few thousand), or of a customer id
    range."""
    c = ConsentRecord
    query = select(c.customer_id, c.channel, c.granted, epoch_of(c.recorded_at), c.id).where(
        c.workspace_id == workspace_id, c.purpose == purpose
    )
    if customer_ids is not None:
        query = query.where(ConsentRecord.customer_id.in_(list(customer_ids)))
    if id_range is not None:
        query = query.where(ConsentRecord.customer_id.between(*id_range))
    return read_columns(source, query, "isbfi")


def add_record(
    session: Session,
    workspace_id: int,
    *,
    customer_id: int,
    channel: str,
    granted: bool,
    purpose: str,
    source: str,
    recorded_at: datetime,
) -> None:
    """Append one consent record."""
    session.execute(
        insert(ConsentRecord).values(
            workspace_id=workspace_id, customer_id=customer_id, channel=channel,
            granted=granted, purpose=purpose, source=source, recorded_at=recorded_at,
        )
    )  # fmt: skip
