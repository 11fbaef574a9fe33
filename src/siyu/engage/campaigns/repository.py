"""All queries of campaigns, their variants and members, and the orders results count."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from siyu.db import bulk
from siyu.db.columns import fetch_columns, ints
from siyu.models import Campaign, CampaignMember, CampaignVariant, Order, OutboxMessage, Segment

COUNTED_STATUSES = ("paid", "shipped", "completed")


def get_campaign(session: Session, workspace_id: int, code: str) -> Campaign | None:
    """The campaign with this code, or None."""
    return session.scalar(
        select(Campaign).where(Campaign.workspace_id == workspace_id, Campaign.code == code)
    )


def list_campaigns(session: Session, workspace_id: int) -> list[Campaign]:
    """Every campaign of the workspace, newest first."""
    return list(
        session.scalars(
            select(Campaign)
            .where(Campaign.workspace_id == workspace_id)
            .order_by(Campaign.id.desc())
        )
    )


def add_campaign(session: Session, campaign: Campaign, variants: Sequence[CampaignVariant]) -> None:
    """Store a campaign and its variants."""
    session.add(campaign)
    session.flush()
    for variant in variants:
        variant.campaign_id = campaign.id
        session.add(variant)
    session.flush()


def variants_of(session: Session, campaign_id: int) -> list[CampaignVariant]:
    """A campaign's variants in code order."""
    return list(
        session.scalars(
            select(CampaignVariant)
            .where(CampaignVariant.campaign_id == campaign_id)
            .order_by(CampaignVariant.code)
        )
    )


def set_status(session: Session, campaign_id: int, status: str, **values: Any) -> None:
    """Change a campaign's status (and other columns)."""
    session.execute(
        update(Campaign).where(Campaign.id == campaign_id).values(status=status, **values),
        execution_options={"synchronize_session": False},
    )


def member_ids(session: Session, campaign_id: int, low: int, high: int) -> NDArray[np.int64]:
    """Customers in [low, high] already members (a resumed launch skips them)."""
    (found,) = fetch_columns(
        session,
        select(CampaignMember.customer_id).where(
            CampaignMember.campaign_id == campaign_id,
            CampaignMember.customer_id.between(low, high),
        ),
    )
    return np.sort(ints(found))


def add_members(
    session: Session, columns: Mapping[str, Sequence[Any]], shared: Mapping[str, Any]
) -> None:
    """Insert campaign members."""
    bulk.insert_columns(session, CampaignMember, columns, shared)


def member_outcomes(
    session: Session, campaign_id: int, start: datetime, end: datetime
) -> list[Sequence[Any]]:
    """Per member: arm, variant, eligible, prior purchases, orders and net revenue (fen) in
    [start, end)."""
    m, o = CampaignMember, Order
    joined = (
        select(
            m.customer_id,
            m.arm,
            m.variant,
            m.eligible,
            m.prior_purchases,
            func.count(o.id),
            func.coalesce(func.sum(o.paid_fen - o.refunded_fen), 0),
        )
        .select_from(m)
        .outerjoin(
            o,
            (o.customer_id == m.customer_id)
            & (o.ordered_at >= start)
            & (o.ordered_at < end)
            & o.status.in_(COUNTED_STATUSES),
        )
        .where(m.campaign_id == campaign_id)
        .group_by(m.customer_id, m.arm, m.variant, m.eligible, m.prior_purchases)
    )
    return fetch_columns(session, joined)


def segment_rule(session: Session, segment_id: int | None) -> dict[str, Any] | None:
    """The current rule of a segment (None when it was deleted)."""
    if segment_id is None:
        return None
    return session.scalar(select(Segment.rule).where(Segment.id == segment_id))


def hold_messages(session: Session, campaign_id: int, *, held: bool) -> int:
    """Hold a campaign's messages not yet sent (pending → held), or release them (held →
    pending); return how many changed. The worker claims only pending messages."""
    before, after = ("pending", "held") if held else ("held", "pending")
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.source_kind == "campaign", OutboxMessage.source_id == campaign_id)
        .where(OutboxMessage.status == before)
        .values(status=after),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(result, "rowcount", 0) or 0)


def message_counts(session: Session, campaign_id: int) -> dict[str, int]:
    """A campaign's outbox messages by status (pending, held, sending, sent, failed …)."""
    rows = session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.source_kind == "campaign", OutboxMessage.source_id == campaign_id)
        .group_by(OutboxMessage.status)
    )
    return {r[0]: int(r[1]) for r in rows}


def segment_code(session: Session, segment_id: int | None) -> str | None:
    """The code of a segment (None when there is none, or it was deleted)."""
    if segment_id is None:
        return None
    return session.scalar(select(Segment.code).where(Segment.id == segment_id))
