"""All queries of the content library and SOP plans, and the facts SOPs are timed from."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.db.columns import read_columns
from siyu.models import Contact, ContentTemplate, Order, OutboxMessage, SopPlan, StaffAccount


def get_template(session: Session, workspace_id: int, code: str) -> ContentTemplate | None:
    """A template by code."""
    return session.scalar(
        select(ContentTemplate).where(
            ContentTemplate.workspace_id == workspace_id, ContentTemplate.code == code
        )
    )


def templates(session: Session, workspace_id: int, codes: Sequence[str] | None = None) -> list[
        ContentTemplate]:  # fmt: skip
    """Templates of the workspace (the given codes, or all) by code."""
    query = select(ContentTemplate).where(ContentTemplate.workspace_id == workspace_id)
    if codes is not None:
        query = query.where(ContentTemplate.code.in_(list(codes)))
    return list(session.scalars(query.order_by(ContentTemplate.code)))


def get_plan(session: Session, workspace_id: int, code: str) -> SopPlan | None:
    """An SOP plan by code."""
    return session.scalar(
        select(SopPlan).where(SopPlan.workspace_id == workspace_id, SopPlan.code == code)
    )


def plans(session: Session, workspace_id: int, *, active_only: bool = False) -> list[SopPlan]:
    """SOP plans by code."""
    query = select(SopPlan).where(SopPlan.workspace_id == workspace_id)
    if active_only:
        query = query.where(SopPlan.active.is_(True))
    return list(session.scalars(query.order_by(SopPlan.code)))


def joined_between(
    session: Session, workspace_id: int, start: datetime, end: datetime
) -> NDArray[Any]:
    """Customers with a contact (still there) that began in [start, end)."""
    query = (
        select(Contact.customer_id)
        .where(Contact.workspace_id == workspace_id, Contact.left_at.is_(None))
        .where(Contact.joined_at >= start, Contact.joined_at < end)
        .distinct()
    )
    return read_columns(session, query, "i")[0]


def ordered_between(
    session: Session, workspace_id: int, start: datetime, end: datetime
) -> NDArray[Any]:
    """Customers with a paid order placed in [start, end)."""
    query = (
        select(Order.customer_id)
        .where(Order.workspace_id == workspace_id, Order.customer_id.is_not(None))
        .where(Order.ordered_at >= start, Order.ordered_at < end)
        .where(Order.status.in_(("paid", "shipped", "completed")))
        .distinct()
    )
    return read_columns(session, query, "i")[0]


def group_refs(session: Session, workspace_id: int) -> list[str]:
    """Every customer group the pool knows (group contacts' carrier refs)."""
    rows = session.execute(
        select(Contact.carrier_ref)
        .where(Contact.workspace_id == workspace_id, Contact.carrier == "group")
        .where(Contact.carrier_ref != "")
        .distinct()
    )
    return sorted(r[0] for r in rows)


def staff_ids(session: Session, workspace_id: int, codes: Sequence[str]) -> dict[str, int]:
    """Map staff codes to ids."""
    rows = session.execute(
        select(StaffAccount.code, StaffAccount.id).where(
            StaffAccount.workspace_id == workspace_id, StaffAccount.code.in_(list(codes))
        )
    )
    return {r[0]: r[1] for r in rows}


def posts_between(
    session: Session, workspace_id: int, channel: str, start: datetime, end: datetime
) -> dict[str, int]:
    """Posts (not cancelled) per target on a channel due in [start, end)."""
    rows = session.execute(
        select(OutboxMessage.target, func.count())
        .where(OutboxMessage.workspace_id == workspace_id, OutboxMessage.channel == channel)
        .where(OutboxMessage.next_attempt_at >= start, OutboxMessage.next_attempt_at < end)
        .where(OutboxMessage.status.not_in(("cancelled", "suppressed")))
        .group_by(OutboxMessage.target)
    )
    return {r[0]: r[1] for r in rows}


def existing_keys(session: Session, workspace_id: int, keys: Sequence[str]) -> set[str]:
    """Which of these idempotency keys the outbox already holds."""
    found: set[str] = set()
    for start in range(0, len(keys), 1000):
        rows = session.execute(
            select(OutboxMessage.idempotency_key).where(
                OutboxMessage.workspace_id == workspace_id,
                OutboxMessage.idempotency_key.in_(list(keys[start : start + 1000])),
            )
        )
        found.update(r[0] for r in rows)
    return found
