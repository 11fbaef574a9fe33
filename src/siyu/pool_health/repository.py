"""Queries for pool health."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from siyu.models import Channel, ChannelCost, Contact, CustomerProfile, StaffAccount
from siyu.models.enums import Carrier, LeftReason


def movements(session: Session, workspace_id: int, since: datetime) -> list[Any]:
    """WeCom contacts that joined or left since a moment."""
    return list(
        session.execute(
            select(
                Contact.joined_at, Contact.left_at, Contact.channel_id, Contact.staff_account_id
            ).where(
                Contact.workspace_id == workspace_id,
                Contact.carrier == Carrier.WECOM.value,
                (Contact.joined_at >= since) | (Contact.left_at >= since),
            )
        )
    )


def joined_between(
    session: Session, workspace_id: int, start: datetime, end: datetime
) -> list[Any]:
    """WeCom contacts that joined in [start, end)."""
    return list(
        session.execute(
            select(
                Contact.joined_at, Contact.left_at, Contact.channel_id, Contact.staff_account_id
            ).where(
                Contact.workspace_id == workspace_id,
                Contact.carrier == Carrier.WECOM.value,
                Contact.joined_at >= start,
                Contact.joined_at < end,
            )
        )
    )


def deleted_by_customers(session: Session, workspace_id: int, since: datetime) -> list[Any]:
    """Contacts whose customer deleted the staff account since a moment, newest first."""
    return list(
        session.execute(
            select(
                Contact.customer_id,
                StaffAccount.code,
                Channel.code,
                Contact.joined_at,
                Contact.left_at,
                CustomerProfile.clv_fen,
                CustomerProfile.tier,
            )
            .outerjoin(StaffAccount, StaffAccount.id == Contact.staff_account_id)
            .outerjoin(Channel, Channel.id == Contact.channel_id)
            .outerjoin(CustomerProfile, CustomerProfile.customer_id == Contact.customer_id)
            .where(
                Contact.workspace_id == workspace_id,
                Contact.carrier == Carrier.WECOM.value,
                Contact.left_reason.in_(
                    (LeftReason.DELETED_BY_CUSTOMER.value, LeftReason.BLOCKED.value)
                ),
                Contact.left_at >= since,
            )
            .order_by(Contact.left_at.desc())
        )
    )


def quality_by_channel(session: Session, workspace_id: int) -> list[Any]:
    """Per channel, customers in the pool now with what their profiles say of them."""
    in_pool = (
        select(Contact.customer_id, func.min(Contact.channel_id).label("channel_id"))
        .where(
            Contact.workspace_id == workspace_id,
            Contact.left_at.is_(None),
            Contact.carrier == Carrier.WECOM.value,
        )
        .group_by(Contact.customer_id)
        .subquery()
    )
    p = CustomerProfile
    return list(
        session.execute(
            select(
                in_pool.c.channel_id,
                func.count(),
                func.sum(case((p.n_purchases > 0, 1), else_=0)),
                func.sum(case((p.n_purchases > 1, 1), else_=0)),
                func.avg(p.clv_fen),
                func.avg(p.p_alive),
                func.count(p.customer_id),
            )
            .select_from(in_pool)
            .outerjoin(p, p.customer_id == in_pool.c.customer_id)
            .group_by(in_pool.c.channel_id)
        )
    )


def channel_names(session: Session, workspace_id: int) -> dict[int, tuple[str, str]]:
    """Channel (code, name) by id."""
    rows = session.execute(
        select(Channel.id, Channel.code, Channel.name).where(Channel.workspace_id == workspace_id)
    )
    return {r[0]: (r[1], r[2]) for r in rows}


def staff_codes(session: Session, workspace_id: int) -> dict[int, str]:
    """Staff code by id."""
    rows = session.execute(
        select(StaffAccount.id, StaffAccount.code).where(StaffAccount.workspace_id == workspace_id)
    )
    return {r[0]: r[1] for r in rows}


def costs_by_channel(session: Session, workspace_id: int, start: Any, end: Any) -> dict[int, int]:
    """Spend per channel on days in [start, end)."""
    rows = session.execute(
        select(ChannelCost.channel_id, func.sum(ChannelCost.amount_fen))
        .where(
            ChannelCost.workspace_id == workspace_id,
            ChannelCost.day >= start,
            ChannelCost.day < end,
        )
        .group_by(ChannelCost.channel_id)
    )
    return {int(r[0]): int(r[1]) for r in rows}


def latest_movement(session: Session, workspace_id: int) -> datetime | None:
    """The latest WeCom join or leave."""
    joined = session.scalar(
        select(func.max(Contact.joined_at)).where(
            Contact.workspace_id == workspace_id, Contact.carrier == Carrier.WECOM.value
        )
    )
    left = session.scalar(
        select(func.max(Contact.left_at)).where(
            Contact.workspace_id == workspace_id, Contact.carrier == Carrier.WECOM.value
        )
    )
    found = [t for t in (joined, left) if t is not None]
    return max(found) if found else None
