"""Queries on referral campaigns, codes, referrals and rewards."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from siyu.models import (
    Contact,
    Identity,
    Order,
    Referral,
    ReferralCampaign,
    ReferralCode,
    ReferralReward,
    StaffAccount,
)
from siyu.models.enums import Carrier, IdentityKind

PURCHASE_STATUSES = ("paid", "shipped", "completed")


def get_campaign(session: Session, workspace_id: int, code: str) -> ReferralCampaign | None:
    """The campaign with this code."""
    return session.scalars(
        select(ReferralCampaign).where(
            ReferralCampaign.workspace_id == workspace_id, ReferralCampaign.code == code
        )
    ).one_or_none()


def get_campaign_by_id(session: Session, campaign_id: int) -> ReferralCampaign | None:
    """A campaign by id."""
    return session.get(ReferralCampaign, campaign_id)


def list_campaigns(session: Session, workspace_id: int) -> list[ReferralCampaign]:
    """Campaigns of the workspace, newest first."""
    return list(
        session.scalars(
            select(ReferralCampaign)
            .where(ReferralCampaign.workspace_id == workspace_id)
            .order_by(ReferralCampaign.id.desc())
        )
    )


def add(session: Session, row: Any) -> Any:
    """Insert a row and return it with its id."""
    session.add(row)
    session.flush()
    return row


def add_all(session: Session, rows: Sequence[Any]) -> None:
    """Insert rows in one flush."""
    session.add_all(rows)
    session.flush()


def get_code(session: Session, workspace_id: int, code: str) -> ReferralCode | None:
    """A referral code."""
    return session.scalars(
        select(ReferralCode).where(
            ReferralCode.workspace_id == workspace_id, ReferralCode.code == code
        )
    ).one_or_none()


def codes_of(session: Session, campaign_id: int, customer_ids: Sequence[int]) -> dict[int, str]:
    """Existing codes of these customers in a campaign."""
    found: dict[int, str] = {}
    for start in range(0, len(customer_ids), 500):
        for customer_id, code in session.execute(
            select(ReferralCode.customer_id, ReferralCode.code).where(
                ReferralCode.campaign_id == campaign_id,
                ReferralCode.customer_id.in_(list(customer_ids[start : start + 500])),
            )
        ):
            found.setdefault(customer_id, code)
    return found


def holders(session: Session, campaign_id: int) -> int:
    """Customers holding a code in the campaign."""
    return int(
        session.scalar(
            select(func.count(func.distinct(ReferralCode.customer_id))).where(
                ReferralCode.campaign_id == campaign_id
            )
        )
        or 0
    )


def in_pool_customers(session: Session, workspace_id: int) -> list[int]:
    """Customers with an open contact in any carrier."""
    return list(
        session.scalars(
            select(Contact.customer_id)
            .where(Contact.workspace_id == workspace_id, Contact.left_at.is_(None))
            .distinct()
            .order_by(Contact.customer_id)
        )
    )


def referral_of(session: Session, campaign_id: int, referee_id: int) -> Referral | None:
    """The referee's referral in a campaign (the first one)."""
    return session.scalars(
        select(Referral)
        .where(Referral.campaign_id == campaign_id, Referral.referee_customer_id == referee_id)
        .order_by(Referral.id)
        .limit(1)
    ).one_or_none()


def referrals(
    session: Session, campaign_id: int, *, referrer_id: int | None = None
) -> list[Referral]:
    """Referrals of a campaign (of one referrer)."""
    query = select(Referral).where(Referral.campaign_id == campaign_id)
    if referrer_id is not None:
        query = query.where(Referral.referrer_customer_id == referrer_id)
    return list(session.scalars(query.order_by(Referral.id)))


def sharing_signals(
    session: Session,
    campaign_id: int,
    *,
    phone: str,
    address: str,
    device: str,
    excluding_referrer: int,
) -> list[Referral]:
    """Other referrers' referrals in the campaign that share a phone, address or device."""
    pairs = (
        (Referral.phone_index, phone),
        (Referral.address_index, address),
        (Referral.device_index, device),
    )
    terms = [column == value for column, value in pairs if value]
    if not terms:
        return []
    return list(
        session.scalars(
            select(Referral).where(
                Referral.campaign_id == campaign_id,
                or_(*terms),
                Referral.referrer_customer_id != excluding_referrer,
            )
        )
    )


def referrals_since(session: Session, campaign_id: int, referrer_id: int, since: datetime) -> int:
    """Referrals a referrer brought since a moment."""
    return int(
        session.scalar(
            select(func.count()).where(
                Referral.campaign_id == campaign_id,
                Referral.referrer_customer_id == referrer_id,
                Referral.joined_at >= since,
            )
        )
        or 0
    )


def rewarded_referrals(
    session: Session, campaign_id: int, referrer_id: int, *, excluding: int
) -> int:
    """Other referrals of a referrer that earned the referrer a reward not rejected."""
    return int(
        session.scalar(
            select(func.count(func.distinct(ReferralReward.referral_id)))
            .join(Referral, Referral.id == ReferralReward.referral_id)
            .where(
                Referral.campaign_id == campaign_id,
                Referral.referrer_customer_id == referrer_id,
                ReferralReward.beneficiary == "referrer",
                ReferralReward.status != "rejected",
            )
        )
        or 0
    )


def awaiting_first_order(session: Session, workspace_id: int) -> list[Referral]:
    """Referrals whose referee has not been seen ordering yet."""
    return list(
        session.scalars(
            select(Referral)
            .where(
                Referral.workspace_id == workspace_id,
                Referral.first_order_id.is_(None),
                Referral.status != "expired",
            )
            .order_by(Referral.id)
        )
    )


def first_order_after(session: Session, customer_id: int, since: datetime) -> Order | None:
    """The customer's first paid order placed at or after a moment."""
    return session.scalars(
        select(Order)
        .where(
            Order.customer_id == customer_id,
            Order.ordered_at >= since,
            Order.status.in_(PURCHASE_STATUSES),
            Order.paid_fen > 0,
        )
        .order_by(Order.ordered_at, Order.id)
        .limit(1)
    ).one_or_none()


def receivers_of(session: Session, customer_id: int, limit: int = 20) -> list[bytes]:
    """Encrypted receivers of a customer's latest orders."""
    return [
        b
        for b in session.scalars(
            select(Order.receiver_enc)
            .where(Order.customer_id == customer_id, Order.receiver_enc.is_not(None))
            .order_by(Order.ordered_at.desc())
            .limit(limit)
        )
        if b is not None
    ]


def phone_indexes(session: Session, customer_id: int) -> set[str]:
    """Blind indexes of a customer's phones."""
    return set(
        session.scalars(
            select(Identity.blind_index).where(
                Identity.customer_id == customer_id, Identity.kind == IdentityKind.PHONE.value
            )
        )
    )


def contacts_before(session: Session, workspace_id: int, customer_id: int, at: datetime) -> int:
    """WeCom contacts of a customer that started before a moment."""
    return int(
        session.scalar(
            select(func.count()).where(
                Contact.workspace_id == workspace_id,
                Contact.customer_id == customer_id,
                Contact.joined_at < at,
                Contact.carrier == Carrier.WECOM.value,
            )
        )
        or 0
    )


def rewards_of(session: Session, referral_id: int) -> list[ReferralReward]:
    """Rewards of a referral."""
    return list(
        session.scalars(
            select(ReferralReward)
            .where(ReferralReward.referral_id == referral_id)
            .order_by(ReferralReward.id)
        )
    )


def reward_exists(session: Session, workspace_id: int, key: str) -> bool:
    """True when a reward with this idempotency key exists."""
    return (
        session.scalar(
            select(ReferralReward.id).where(
                ReferralReward.workspace_id == workspace_id, ReferralReward.idempotency_key == key
            )
        )
        is not None
    )


def rewards_with_status(session: Session, workspace_id: int, status: str) -> list[ReferralReward]:
    """Rewards in a status, oldest first."""
    return list(
        session.scalars(
            select(ReferralReward)
            .where(ReferralReward.workspace_id == workspace_id, ReferralReward.status == status)
            .order_by(ReferralReward.id)
        )
    )


def get_reward(session: Session, workspace_id: int, reward_id: int) -> ReferralReward | None:
    """A reward by id."""
    row = session.get(ReferralReward, reward_id)
    return row if row is not None and row.workspace_id == workspace_id else None


def referrer_staff(session: Session, workspace_id: int, customer_id: int) -> int | None:
    """The staff account holding the customer's latest open WeCom contact."""
    return session.scalar(
        select(Contact.staff_account_id)
        .where(
            Contact.workspace_id == workspace_id,
            Contact.customer_id == customer_id,
            Contact.carrier == Carrier.WECOM.value,
            Contact.left_at.is_(None),
            Contact.staff_account_id.is_not(None),
        )
        .order_by(Contact.joined_at.desc())
        .limit(1)
    )


def least_loaded_staff(session: Session, workspace_id: int) -> int | None:
    """The active WeCom staff account with the fewest open contacts."""
    load = (
        select(Contact.staff_account_id, func.count().label("n"))
        .where(Contact.workspace_id == workspace_id, Contact.left_at.is_(None))
        .group_by(Contact.staff_account_id)
        .subquery()
    )
    return session.scalar(
        select(StaffAccount.id)
        .outerjoin(load, load.c.staff_account_id == StaffAccount.id)
        .where(
            StaffAccount.workspace_id == workspace_id,
            StaffAccount.active.is_(True),
            StaffAccount.kind == "wecom",
        )
        .order_by(func.coalesce(load.c.n, 0), StaffAccount.id)
        .limit(1)
    )
