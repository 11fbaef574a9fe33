"""All queries of segments: saved segments, tags, and the customer data rules read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from numpy.typing import NDArray
from sqlalchemy import ColumnElement, case, delete, func, select
from sqlalchemy.orm import Session

from siyu.consent import repository as consent_repository
from siyu.db import bulk
from siyu.db.columns import Source, epoch_of, read_columns
from siyu.models import Channel, Contact, Customer, CustomerProfile, CustomerTag, Segment
from siyu.models.contact_policy import ContactTouch

COUNTED = ("reserved", "sent")
"""Touch states that count as contact (cancelled ones do not)."""


def get_segment(session: Session, workspace_id: int, code: str) -> Segment | None:
    """The segment with this code, or None."""
    return session.scalar(
        select(Segment).where(Segment.workspace_id == workspace_id, Segment.code == code)
    )


def list_segments(session: Session, workspace_id: int) -> list[Segment]:
    """Every segment of the workspace by code."""
    return list(
        session.scalars(
            select(Segment).where(Segment.workspace_id == workspace_id).order_by(Segment.code)
        )
    )


def add_segment(session: Session, segment: Segment) -> Segment:
    """Store a new segment."""
    session.add(segment)
    session.flush()
    return segment


def delete_segment(session: Session, segment: Segment) -> None:
    """Remove a segment."""
    session.delete(segment)
    session.flush()


def channel_codes(source: Source, workspace_id: int) -> dict[int, str]:
    """Map channel ids to codes."""
    ids, codes = read_columns(
        source, select(Channel.id, Channel.code).where(Channel.workspace_id == workspace_id), "is"
    )
    return dict(zip(ids.tolist(), codes.tolist(), strict=True))


_KINDS = {"tier": "s", "stage": "s", "rfm_segment": "s", "in_pool": "b", "entry_channel_id": "n"}


def profile_columns(source: Source, workspace_id: int, names: Sequence[str]) -> list[NDArray[Any]]:
    """customer_id then the named profile columns (next_purchase_at as epoch seconds), every
    profiled customer of the workspace in id order."""
    wanted: list[Any] = [CustomerProfile.customer_id]
    for name in names:
        column = getattr(CustomerProfile, name)
        wanted.append(epoch_of(column) if name == "next_purchase_at" else column)
    query = (
        select(*wanted)
        .where(CustomerProfile.workspace_id == workspace_id)
        .order_by(CustomerProfile.customer_id)
    )
    return read_columns(source, query, "i" + "".join(_KINDS.get(n, "f") for n in names))


def tag_pairs(source: Source, workspace_id: int) -> list[NDArray[Any]]:
    """(customer_id, tag) columns of every tag."""
    query = select(CustomerTag.customer_id, CustomerTag.tag).where(
        CustomerTag.workspace_id == workspace_id
    )
    return read_columns(source, query, "is")


def active_carriers(source: Source, workspace_id: int) -> list[NDArray[Any]]:
    """(customer_id, carrier) columns of contacts not ended."""
    query = select(Contact.customer_id, Contact.carrier).where(
        Contact.workspace_id == workspace_id, Contact.left_at.is_(None)
    )
    return read_columns(source, query, "is")


def last_left(source: Source, workspace_id: int) -> list[NDArray[Any]]:
    """(customer_id, epoch of the latest left_at) of customers who ever left a carrier."""
    query = (
        select(Contact.customer_id, func.max(epoch_of(Contact.left_at)))
        .where(Contact.workspace_id == workspace_id, Contact.left_at.is_not(None))
        .group_by(Contact.customer_id)
    )
    return read_columns(source, query, "if")


def touch_history(source: Source, workspace_id: int, now: datetime) -> list[NDArray[Any]]:
    """(customer_id, touches in 7 days, in 30 days, promotions in 30 days, epoch of the last
    touch) over touches planned up to now."""
    t = ContactTouch
    at = epoch_of(t.planned_at)
    moment = now.timestamp()
    week, month = moment - 7 * 86_400.0, moment - 30 * 86_400.0
    query = (
        select(
            t.customer_id,
            _count_if(at >= week),
            _count_if(at >= month),
            _count_if((at >= month) & t.is_promotion),
            func.max(at),
        )
        .where(t.workspace_id == workspace_id, t.status.in_(COUNTED), at <= moment)
        .group_by(t.customer_id)
    )
    return read_columns(source, query, "iffff")


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def consent_records(source: Source, workspace_id: int) -> list[NDArray[Any]]:
    """Every marketing consent record as columns (customer, channel, granted, epoch, id)."""
    return consent_repository.records(source, workspace_id, purpose="marketing")


def add_tags(
    session: Session, workspace_id: int, pairs: Sequence[tuple[int, str]], source: str
) -> int:
    """Tag customers (pairs of customer id and tag) that do not carry the tag yet; return how
    many were added."""
    if not pairs:
        return 0
    customers = sorted({c for c, _ in pairs})
    existing: set[tuple[int, str]] = set()
    for start in range(0, len(customers), 500):
        rows = session.execute(
            select(CustomerTag.customer_id, CustomerTag.tag).where(
                CustomerTag.workspace_id == workspace_id,
                CustomerTag.customer_id.in_(customers[start : start + 500]),
            )
        )
        existing.update((r[0], r[1]) for r in rows)
    new = sorted(set(pairs) - existing)
    bulk.insert_columns(
        session, CustomerTag,
        {"customer_id": [c for c, _ in new], "tag": [t for _, t in new]},
        {"workspace_id": workspace_id, "source": source},
    )  # fmt: skip
    return len(new)


def remove_tags(session: Session, workspace_id: int, customer_ids: Sequence[int], tag: str) -> int:
    """Remove a tag from customers; return how many carried it."""
    removed = 0
    ids = sorted(set(customer_ids))
    for start in range(0, len(ids), 500):
        result = session.execute(
            delete(CustomerTag).where(
                CustomerTag.workspace_id == workspace_id,
                CustomerTag.tag == tag,
                CustomerTag.customer_id.in_(ids[start : start + 500]),
            )
        )
        removed += int(getattr(result, "rowcount", 0) or 0)
    return removed


def tag_counts(session: Session, workspace_id: int) -> list[tuple[str, int]]:
    """Every tag of the workspace with the number of customers carrying it, by tag."""
    rows = session.execute(
        select(CustomerTag.tag, func.count())
        .where(CustomerTag.workspace_id == workspace_id)
        .group_by(CustomerTag.tag)
        .order_by(CustomerTag.tag)
    )
    return [(r[0], int(r[1])) for r in rows]


def missing_customers(
    session: Session, workspace_id: int, customer_ids: Sequence[int]
) -> list[int]:
    """The ids that are not customers of this workspace."""
    ids = sorted(set(customer_ids))
    found: set[int] = set()
    for start in range(0, len(ids), 500):
        found.update(
            session.scalars(
                select(Customer.id).where(
                    Customer.workspace_id == workspace_id,
                    Customer.id.in_(ids[start : start + 500]),
                )
            )
        )
    return [i for i in ids if i not in found]
