"""All queries of daily tasks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.customers import repository as customers
from siyu.db import bulk
from siyu.db.columns import Source, epoch_of, read_columns
from siyu.models import Contact, StaffAccount, StaffTask


def recent_deletions(source: Source, workspace_id: int, since: float) -> list[NDArray[Any]]:
    """(customer, staff account, left epoch) of WeCom contacts the customer deleted since."""
    query = select(Contact.customer_id, Contact.staff_account_id, epoch_of(Contact.left_at)).where(
        Contact.workspace_id == workspace_id,
        Contact.carrier == "wecom",
        Contact.left_reason.in_(("deleted_by_customer", "blocked")),
        Contact.staff_account_id.is_not(None),
        epoch_of(Contact.left_at) >= since,
    )
    return read_columns(source, query, "iif")


def customers_with_tasks(session: Session, workspace_id: int, day: date) -> set[int]:
    """Customers already on someone's list that day."""
    rows = session.execute(
        select(StaffTask.customer_id).where(
            StaffTask.workspace_id == workspace_id, StaffTask.day == day
        )
    )
    return {r[0] for r in rows}


def add_tasks(
    session: Session, columns: Mapping[str, Sequence[Any]], shared: Mapping[str, Any]
) -> None:
    """Insert tasks."""
    bulk.insert_columns(session, StaffTask, columns, shared)


def tasks_of(
    session: Session, workspace_id: int, day: date, staff_id: int | None = None
) -> list[StaffTask]:
    """A day's tasks (of one staff account), in list order."""
    query = select(StaffTask).where(StaffTask.workspace_id == workspace_id, StaffTask.day == day)
    if staff_id is not None:
        query = query.where(StaffTask.staff_account_id == staff_id)
    return list(session.scalars(query.order_by(StaffTask.staff_account_id, StaffTask.rank)))


def get_task(session: Session, workspace_id: int, task_id: int) -> StaffTask | None:
    """A task by id, in this workspace."""
    task = session.get(StaffTask, task_id)
    return task if task is not None and task.workspace_id == workspace_id else None


def staff_by_code(session: Session, workspace_id: int, code: str) -> StaffAccount | None:
    """A staff account by code."""
    return session.scalar(
        select(StaffAccount).where(
            StaffAccount.workspace_id == workspace_id, StaffAccount.code == code
        )
    )


def staff_codes(session: Session, workspace_id: int) -> dict[int, str]:
    """Map staff ids to codes."""
    rows = session.execute(
        select(StaffAccount.id, StaffAccount.code).where(StaffAccount.workspace_id == workspace_id)
    )
    return {r[0]: r[1] for r in rows}


def open_count(session: Session, staff_id: int, day: date) -> int:
    """Tasks on a staff member's list that day that are not skipped or moved away."""
    return int(
        session.scalar(
            select(func.count()).where(
                StaffTask.staff_account_id == staff_id,
                StaffTask.day == day,
                StaffTask.status.in_(("open", "done")),
            )
        )
        or 0
    )


def masked_customers(
    session: Session, workspace_id: int, customer_ids: Sequence[int]
) -> dict[int, str | None]:
    """Each customer's masked identity as lists show it (a phone first)."""
    found: dict[int, str | None] = {}
    ids = sorted(set(customer_ids))
    for start in range(0, len(ids), 1_000):
        chunk = ids[start : start + 1_000]
        rows, _ = customers.list_customers(session, workspace_id, ids=chunk, limit=len(chunk))
        found.update((r[0], r[2]) for r in rows)
    return found
