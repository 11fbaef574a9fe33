"""Queries on consent records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from siyu.models import ConsentRecord


def latest_records(
    session: Session, workspace_id: int, *, purpose: str, customer_ids: Sequence[int] | None = None
) -> list[tuple[int, str, bool, datetime]]:
    """The latest record of each (customer, channel) for a purpose: (customer, channel,
    granted, recorded_at)."""
    ranked = select(
        ConsentRecord.customer_id,
        ConsentRecord.channel,
        ConsentRecord.granted,
        ConsentRecord.recorded_at,
        func.row_number()
        .over(
            partition_by=(ConsentRecord.customer_id, ConsentRecord.channel),
            order_by=(ConsentRecord.recorded_at.desc(), ConsentRecord.id.desc()),
        )
        .label("rank"),
    ).where(ConsentRecord.workspace_id == workspace_id, ConsentRecord.purpose == purpose)
    if customer_ids is not None:
        ranked = ranked.where(ConsentRecord.customer_id.in_(list(customer_ids)))
    sub = ranked.subquery()
    rows = session.execute(
        select(sub.c.customer_id, sub.c.channel, sub.c.granted, sub.c.recorded_at).where(
            sub.c.rank == 1
        )
    )
    return [(r[0], r[1], bool(r[2]), r[3]) for r in rows]


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
