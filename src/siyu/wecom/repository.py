"""Queries on stored WeCom callbacks and the contacts WeCom calls go to."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.models import Contact, WeComCallback


def signature_seen(session: Session, workspace_id: int, msg_signature: str) -> bool:
    """True when a callback with this signature was already stored."""
    found = session.scalar(
        select(WeComCallback.id).where(
            WeComCallback.workspace_id == workspace_id, WeComCallback.msg_signature == msg_signature
        )
    )
    return found is not None


def event_seen(session: Session, workspace_id: int, event_keys: Sequence[str]) -> bool:
    """True when the same message was already stored (WeCom retrying a delivery); the keys
    are its keyed hash under each key of the ring."""
    found = session.scalar(
        select(WeComCallback.id).where(
            WeComCallback.workspace_id == workspace_id,
            WeComCallback.event_key.in_(list(event_keys)),
        )
    )
    return found is not None


def add_callback(session: Session, **values: Any) -> WeComCallback:
    """Insert a received callback."""
    row = WeComCallback(**values)
    session.add(row)
    session.flush()
    return row


def pending_callbacks(
    session: Session, workspace_id: int, *, limit: int, max_attempts: int
) -> list[int]:
    """Ids of callbacks still to process, oldest first."""
    return list(
        session.scalars(
            select(WeComCallback.id)
            .where(
                WeComCallback.workspace_id == workspace_id,
                WeComCallback.status == "pending",
                WeComCallback.attempts < max_attempts,
            )
            .order_by(WeComCallback.id)
            .limit(limit)
        )
    )


def lock_callback(session: Session, workspace_id: int, callback_id: int) -> WeComCallback | None:
    """Return a pending callback locked for processing (None when another worker took it)."""
    return session.scalars(
        select(WeComCallback)
        .where(
            WeComCallback.workspace_id == workspace_id,
            WeComCallback.id == callback_id,
            WeComCallback.status == "pending",
        )
        .with_for_update(skip_locked=True)
    ).one_or_none()


def get_callback(session: Session, workspace_id: int, callback_id: int) -> WeComCallback | None:
    """Return a callback by id."""
    row = session.get(WeComCallback, callback_id)
    return row if row is not None and row.workspace_id == workspace_id else None


def callback_counts(session: Session, workspace_id: int) -> dict[str, int]:
    """Callbacks per status."""
    rows = session.execute(
        select(WeComCallback.status, func.count())
        .where(WeComCallback.workspace_id == workspace_id)
        .group_by(WeComCallback.status)
    )
    return {str(r[0]): int(r[1]) for r in rows}


def customers_of_staff(session: Session, workspace_id: int, staff_id: int) -> list[int]:
    """The customers a staff account holds now (open contacts), in id order."""
    return list(
        session.scalars(
            select(Contact.customer_id)
            .where(
                Contact.workspace_id == workspace_id,
                Contact.staff_account_id == staff_id,
                Contact.left_at.is_(None),
            )
            .distinct()
            .order_by(Contact.customer_id)
        )
    )
