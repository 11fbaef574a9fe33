"""All queries of the outbox and its delivery log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, or_, select, text, update
from sqlalchemy.orm import Session

from siyu.db import bulk
from siyu.models import Customer, DeliveryAttempt, Identity, OutboxMessage, StaffAccount

IN_CHUNK = 1_000
DUE = ("pending", "sending")


@dataclass(frozen=True)
class Claimed:
    """A message this worker now holds the lease of."""

    id: int
    customer_id: int | None
    channel: str
    idempotency_key: str
    payload: dict[str, Any]
    target: str
    staff_account_id: int | None
    touch_id: int | None
    attempts: int
    source_kind: str
    source_id: int | None
    lost_by: str | None  # the worker whose lease ran out on it (it died), if any
    purpose: str = "marketing"  # the consent purpose re-checked before sending


def enqueue(
    session: Session, columns: Mapping[str, Sequence[Any]], shared: Mapping[str, Any]
) -> list[int]:
    """Insert outbox rows (column by column plus shared values); return their ids in order."""
    return bulk.insert_columns_returning_ids(session, OutboxMessage, columns, shared)


def claim(
    session: Session,
    workspace_id: int,
    channel: str,
    *,
    worker: str,
    now: datetime,
    lease: timedelta,
    limit: int,
) -> list[Claimed]:
    """Lease up to `limit` due messages of a channel to `worker` (oldest due first).

    Due: pending with its time come, or sending with a lease that ran out (its worker
    died). PostgreSQL skips rows another worker is claiming; on SQLite the write lock is
    taken first so the select and the update are one step.
    """
    m = OutboxMessage
    postgres = session.get_bind().dialect.name == "postgresql"
    if not postgres:
        session.execute(text("UPDATE outbox_message SET attempts = attempts WHERE 0 = 1"))
    due = (
        select(
            m.id,
            m.customer_id,
            m.idempotency_key,
            m.payload,
            m.target,
            m.staff_account_id,
            m.touch_id,
            m.attempts,
            m.source_kind,
            m.source_id,
            m.status,
            m.leased_by,
            m.purpose,
        )
        .where(m.workspace_id == workspace_id, m.channel == channel, m.status.in_(DUE))
        .where(m.next_attempt_at <= now, or_(m.lease_until.is_(None), m.lease_until < now))
        .order_by(m.next_attempt_at, m.id)
        .limit(limit)
    )
    if postgres:
        due = due.with_for_update(skip_locked=True)
    rows = session.execute(due).all()
    if not rows:
        return []
    ids = [r[0] for r in rows]
    session.execute(
        update(m)
        .where(m.id.in_(ids))
        .values(
            status="sending",
            lease_until=now + lease,
            leased_by=worker,
            attempts=m.attempts + 1,
            updated_at=now,
        ),
        execution_options={"synchronize_session": False},
    )
    return [
        Claimed(
            r[0],
            r[1],
            channel,
            r[2],
            r[3],
            r[4],
            r[5],
            r[6],
            r[7] + 1,
            r[8],
            r[9],
            r[11] if r[10] == "sending" else None,
            r[12],
        )
        for r in rows
    ]


def finish(session: Session, worker: str, results: Sequence[Mapping[str, Any]]) -> int:
    """Write each delivery's result on its message, if this worker still holds the lease;
    rows carry mid, status, next_attempt_at, sent_at, provider_ref, last_error. Returns how
    many were written."""
    if not results:
        return 0
    m = OutboxMessage
    statement = (
        update(m)
        .where(m.id == bindparam("mid"), m.leased_by == worker, m.status == "sending")
        .values(
            status=bindparam("new_status"),
            next_attempt_at=bindparam("next_at"),
            sent_at=bindparam("sent"),
            provider_ref=bindparam("ref"),
            last_error=bindparam("error"),
            lease_until=None,
            leased_by=None,
        )
    )
    params = [
        {"mid": r["id"], "new_status": r["status"], "next_at": r["next_attempt_at"],
         "sent": r["sent_at"], "ref": r["provider_ref"], "error": r["last_error"]}
        for r in results
    ]  # fmt: skip
    result = session.connection().execute(statement, params)
    return int(result.rowcount or 0)


def log_attempts(session: Session, rows: Sequence[Mapping[str, Any]], workspace_id: int) -> None:
    """Append delivery-log rows."""
    if rows:
        names = list(rows[0])
        columns = {name: [r[name] for r in rows] for name in names}
        bulk.insert_columns(session, DeliveryAttempt, columns, {"workspace_id": workspace_id})


def set_status(session: Session, ids: Sequence[int], status: str, error: str = "") -> None:
    """Set messages' status (suppressed or cancelled ones are never delivered)."""
    for start in range(0, len(ids), IN_CHUNK):
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(list(ids[start : start + IN_CHUNK])))
            .values(status=status, lease_until=None, leased_by=None, last_error=error),
            execution_options={"synchronize_session": False},
        )


def cancel_for_touches(session: Session, touch_ids: Sequence[int]) -> int:
    """Cancel the pending messages of given up contacts; return how many."""
    cancelled = 0
    for start in range(0, len(touch_ids), IN_CHUNK):
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.touch_id.in_(list(touch_ids[start : start + IN_CHUNK])))
            .where(OutboxMessage.status == "pending")
            .values(status="cancelled"),
            execution_options={"synchronize_session": False},
        )
        cancelled += int(getattr(result, "rowcount", 0) or 0)
    return cancelled


def encrypted_addresses(
    session: Session, workspace_id: int, customer_ids: Sequence[int], kind: str
) -> dict[int, bytes]:
    """Each customer's newest encrypted identifier of one kind (phone, email,
    external_userid)."""
    found: dict[int, bytes] = {}
    ids = sorted(set(customer_ids))
    for start in range(0, len(ids), IN_CHUNK):
        rows = session.execute(
            select(Identity.customer_id, Identity.value_enc)
            .where(Identity.workspace_id == workspace_id, Identity.kind == kind)
            .where(Identity.customer_id.in_(ids[start : start + IN_CHUNK]))
            .order_by(Identity.id)
        )
        found.update((r[0], r[1]) for r in rows)
    return found


def encrypted_names(
    session: Session, workspace_id: int, customer_ids: Sequence[int]
) -> dict[int, bytes]:
    """Customers' encrypted names (those that have one)."""
    found: dict[int, bytes] = {}
    ids = sorted(set(customer_ids))
    for start in range(0, len(ids), IN_CHUNK):
        rows = session.execute(
            select(Customer.id, Customer.name_enc)
            .where(Customer.workspace_id == workspace_id, Customer.name_enc.is_not(None))
            .where(Customer.id.in_(ids[start : start + IN_CHUNK]))
        )
        found.update((r[0], r[1]) for r in rows if r[1] is not None)
    return found


def staff_codes(session: Session, staff_ids: Sequence[int]) -> dict[int, str]:
    """Map staff account ids to their codes (their WeCom user ids)."""
    if not staff_ids:
        return {}
    rows = session.execute(
        select(StaffAccount.id, StaffAccount.code).where(
            StaffAccount.id.in_(sorted(set(staff_ids)))
        )
    )
    return {r[0]: r[1] for r in rows}


def status_counts(session: Session, workspace_id: int) -> dict[tuple[str, str], int]:
    """Messages by (channel, status)."""
    rows = session.execute(
        select(OutboxMessage.channel, OutboxMessage.status, func.count())
        .where(OutboxMessage.workspace_id == workspace_id)
        .group_by(OutboxMessage.channel, OutboxMessage.status)
    )
    return {(r[0], r[1]): r[2] for r in rows}


def requeue_dead(session: Session, workspace_id: int, now: datetime, channel: str | None) -> int:
    """Give dead messages another round of attempts; return how many."""
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.workspace_id == workspace_id, OutboxMessage.status == "dead")
        .values(status="pending", attempts=0, next_attempt_at=now, last_error="")
    )
    if channel:
        statement = statement.where(OutboxMessage.channel == channel)
    result = session.execute(statement, execution_options={"synchronize_session": False})
    return int(getattr(result, "rowcount", 0) or 0)


def attempts_of(session: Session, message_id: int) -> list[DeliveryAttempt]:
    """A message's delivery log, oldest first."""
    return list(
        session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.message_id == message_id)
            .order_by(DeliveryAttempt.id)
        )
    )
