"""Queries for invite lists: profiles of buyers outside the pool, phones, SMS opt-outs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from siyu.models import ConsentRecord, CustomerProfile, Identity
from siyu.models.enums import IdentityKind


def outside_buyers(session: Session, workspace_id: int) -> list[Any]:
    """Profile rows of buyers not in the pool, with whether a phone is known."""
    has_phone = (
        select(Identity.id)
        .where(
            Identity.customer_id == CustomerProfile.customer_id,
            Identity.kind == IdentityKind.PHONE.value,
        )
        .exists()
    )  # correlated: one look-up in ix_identity_customer per profile
    query = (
        select(
            CustomerProfile.customer_id,
            CustomerProfile.tier,
            CustomerProfile.stage,
            CustomerProfile.n_purchases,
            CustomerProfile.clv_fen,
            CustomerProfile.net_paid_fen,
            CustomerProfile.p_alive,
            CustomerProfile.expected_purchases_365d,
            CustomerProfile.days_since_purchase,
            CustomerProfile.next_purchase_at,
            has_phone.label("has_phone"),
        )
        .where(
            CustomerProfile.workspace_id == workspace_id,
            CustomerProfile.in_pool.is_(False),
            CustomerProfile.n_purchases > 0,
        )
        .order_by(CustomerProfile.customer_id)
    )
    return list(session.execute(query))


def sms_opt_outs(session: Session, workspace_id: int) -> set[int]:
    """Customers whose latest SMS marketing consent record is a withdrawal."""
    latest = (
        select(ConsentRecord.customer_id, func.max(ConsentRecord.recorded_at).label("at"))
        .where(
            ConsentRecord.workspace_id == workspace_id,
            ConsentRecord.channel == "sms",
            ConsentRecord.purpose == "marketing",
        )
        .group_by(ConsentRecord.customer_id)
        .subquery()
    )
    record = aliased(ConsentRecord)
    rows = session.scalars(
        select(record.customer_id)
        .join(
            latest,
            and_(latest.c.customer_id == record.customer_id, latest.c.at == record.recorded_at),
        )
        .where(
            record.workspace_id == workspace_id,
            record.channel == "sms",
            record.purpose == "marketing",
            record.granted.is_(False),
        )
    )
    return set(rows)


def phones_and_buyer_ids(
    session: Session, workspace_id: int, customer_ids: list[int]
) -> dict[int, list[tuple[str, str, bytes]]]:
    """Encrypted phones and platform buyer ids of these customers (for an explicit export)."""
    found: dict[int, list[tuple[str, str, bytes]]] = {}
    for start in range(0, len(customer_ids), 500):
        rows = session.execute(
            select(Identity.customer_id, Identity.kind, Identity.platform, Identity.value_enc)
            .where(
                Identity.workspace_id == workspace_id,
                Identity.customer_id.in_(customer_ids[start : start + 500]),
                Identity.kind.in_((IdentityKind.PHONE.value, IdentityKind.PLATFORM_BUYER.value)),
            )
            .order_by(Identity.id)
        )
        for customer_id, kind, platform, blob in rows:
            found.setdefault(customer_id, []).append((kind, platform, blob))
    return found


def masked_phones(session: Session, workspace_id: int, customer_ids: list[int]) -> dict[int, str]:
    """A masked phone per customer (for display)."""
    found: dict[int, str] = {}
    for start in range(0, len(customer_ids), 500):
        for customer_id, masked in session.execute(
            select(Identity.customer_id, Identity.masked)
            .where(
                Identity.workspace_id == workspace_id,
                Identity.customer_id.in_(customer_ids[start : start + 500]),
                Identity.kind == IdentityKind.PHONE.value,
            )
            .order_by(Identity.id)
        ):
            found.setdefault(customer_id, masked)
    return found
