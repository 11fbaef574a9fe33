"""All queries of the contact policy: settings, per-customer lock rows, the contact ledger,
suppressions and what the policy must know of customers (stage, time zone, addresses)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import ColumnElement, delete, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from siyu.consent import repository as consent_repository
from siyu.db import bulk
from siyu.db.columns import Source, day_number, epoch_of, read_columns
from siyu.kit.clock import utcnow
from siyu.models import (
    CampaignMember,
    Contact,
    ContactState,
    ContactSuppression,
    ContactTouch,
    CustomerProfile,
    CustomerTag,
    EngageSetting,
    Identity,
    OutboxMessage,
    StaffAccount,
    StaffTask,
    Workspace,
)

IN_LIMIT = 1_000
"""Up to this many ids are looked up with IN; more with an id range filtered afterwards."""
LOCK_CHUNK = 5_000


def get_setting(session: Session, workspace_id: int, key: str) -> dict[str, Any] | None:
    """A workspace's engagement setting, or None when never set."""
    return session.scalar(
        select(EngageSetting.value).where(
            EngageSetting.workspace_id == workspace_id, EngageSetting.key == key
        )
    )


def put_setting(session: Session, workspace_id: int, key: str, value: dict[str, Any]) -> None:
    """Store a workspace's engagement setting."""
    row = session.get(EngageSetting, (workspace_id, key))
    if row is None:
        session.add(EngageSetting(workspace_id=workspace_id, key=key, value=value))
    else:
        row.value = value
        row.updated_at = utcnow()
    session.flush()


def _ids(column: Any, ids: NDArray[np.int64]) -> ColumnElement[bool]:
    """Filter on a set of ids: IN for few, the id range for many (caller filters the rest)."""
    if ids.size <= IN_LIMIT:
        return column.in_(ids.tolist())  # type: ignore[no-any-return]
    return column.between(int(ids.min()), int(ids.max()))  # type: ignore[no-any-return]


def _ws(column: Any, workspace_id: int) -> ColumnElement[bool]:
    # "+ 0": SQLite has no statistics and would otherwise pick an index led by workspace_id
    # and scan the whole workspace instead of the customer-id index.
    return (column + 0) == workspace_id  # type: ignore[no-any-return]


def lock_customers(session: Session, workspace_id: int, ids: NDArray[np.int64]) -> None:
    """Take the policy lock of each customer (ascending ids) for the rest of the transaction.

    PostgreSQL: the customers' contact_state rows FOR UPDATE, created first where missing.
    SQLite: the database's single write lock, taken by a write before anything is read.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            update(ContactState).where(text("0 = 1")).values(time_zone=None),
            execution_options={"synchronize_session": False},
        )
        _ensure_states_sqlite(session, workspace_id, ids)
        return
    for start in range(0, ids.size, LOCK_CHUNK):
        chunk = ids[start : start + LOCK_CHUNK].tolist()
        session.execute(
            text(
                "INSERT INTO contact_state (customer_id, workspace_id, updated_at) "
                "SELECT x, :ws, now() FROM unnest(:ids) AS x ORDER BY x ON CONFLICT DO NOTHING"
            ).bindparams(ws=workspace_id, ids=chunk),
        )
        session.execute(
            select(ContactState.customer_id)
            .where(ContactState.customer_id.in_(chunk))
            .order_by(ContactState.customer_id)
            .with_for_update()
        ).all()


def _ensure_states_sqlite(session: Session, workspace_id: int, ids: NDArray[np.int64]) -> None:
    now = utcnow()
    rows = [
        {"customer_id": c, "workspace_id": workspace_id, "updated_at": now} for c in ids.tolist()
    ]
    for start in range(0, len(rows), 10_000):
        session.execute(
            sqlite_insert(ContactState).on_conflict_do_nothing(), rows[start : start + 10_000]
        )


def customer_facts(source: Source, workspace_id: int, ids: NDArray[np.int64]) -> list[NDArray[Any]]:
    """(customer id, stage, time zone) of the given customers that have a profile."""
    query = (
        select(CustomerProfile.customer_id, CustomerProfile.stage, ContactState.time_zone)
        .outerjoin(ContactState, ContactState.customer_id == CustomerProfile.customer_id)
        .where(_ws(CustomerProfile.workspace_id, workspace_id))
        .where(_ids(CustomerProfile.customer_id, ids))
    )
    return read_columns(source, query, "iss")


def identity_kinds(
    source: Source, workspace_id: int, ids: NDArray[np.int64], kinds: Sequence[str]
) -> list[NDArray[Any]]:
    """(customer_id, kind) of the customers' identities of these kinds."""
    query = (
        select(Identity.customer_id, Identity.kind)
        .where(_ws(Identity.workspace_id, workspace_id), Identity.kind.in_(list(kinds)))
        .where(_ids(Identity.customer_id, ids))
    )
    return read_columns(source, query, "is")


def active_wecom_contacts(
    source: Source, workspace_id: int, ids: NDArray[np.int64]
) -> list[NDArray[Any]]:
    """(customer_id, staff_account_id, joined epoch) of WeCom contacts not ended."""
    query = (
        select(Contact.customer_id, Contact.staff_account_id, epoch_of(Contact.joined_at))
        .where(_ws(Contact.workspace_id, workspace_id), Contact.carrier == "wecom")
        .where(Contact.left_at.is_(None), Contact.staff_account_id.is_not(None))
        .where(_ids(Contact.customer_id, ids))
    )
    return read_columns(source, query, "iif")


def consent_records(
    source: Source, workspace_id: int, ids: NDArray[np.int64], *, purpose: str = "marketing"
) -> list[NDArray[Any]]:
    """Consent records of a purpose (customer, channel, granted, epoch, id) of these
    customers (of their id range when they are many: the caller keeps its own)."""
    if ids.size <= IN_LIMIT:
        return consent_repository.records(
            source, workspace_id, purpose=purpose, customer_ids=ids.tolist()
        )
    return consent_repository.records(
        source, workspace_id, purpose=purpose, id_range=(int(ids.min()), int(ids.max()))
    )


def touches(
    source: Source, workspace_id: int, ids: NDArray[np.int64], first_day: int, last_day: int
) -> list[NDArray[Any]]:
    """Counted touches of these customers on local day numbers in [first_day, last_day]:
    id, customer, channel, promotion, local day number, planned epoch, value, source kind,
    source id (-1 none), staff (-1 none), status."""
    t = ContactTouch
    query = (
        select(
            t.id,
            t.customer_id,
            t.channel,
            t.is_promotion,
            day_number(t.local_day),
            epoch_of(t.planned_at),
            t.value_fen,
            t.source_kind,
            t.source_id,
            t.staff_account_id,
            t.status,
        )
        .where(_ws(t.workspace_id, workspace_id), t.status.in_(("reserved", "sent")))
        .where(_ids(t.customer_id, ids), day_number(t.local_day).between(first_day, last_day))
    )
    return read_columns(source, query, "iisbiffsnns")


def staff_touches(
    source: Source, workspace_id: int, first_day: int, last_day: int
) -> list[NDArray[Any]]:
    """(staff id, local day number) of every counted touch a staff account makes in the
    days."""
    t = ContactTouch
    query = (
        select(t.staff_account_id, day_number(t.local_day))
        .where(t.workspace_id == workspace_id, t.status.in_(("reserved", "sent")))
        .where(t.staff_account_id.is_not(None))
        .where(day_number(t.local_day).between(first_day, last_day))
    )
    return read_columns(source, query, "ii")


def lock_staff(session: Session, staff_ids: Sequence[int]) -> None:
    """Lock staff accounts (ascending ids) whose capacity this transaction fills (PostgreSQL;
    SQLite's write lock already serialises)."""
    if staff_ids and session.get_bind().dialect.name != "sqlite":
        session.execute(
            select(StaffAccount.id)
            .where(StaffAccount.id.in_(sorted(set(staff_ids))))
            .order_by(StaffAccount.id)
            .with_for_update()
        ).all()


def staff_capacities(source: Source, workspace_id: int) -> dict[int, int]:
    """Daily capacity of each active staff account."""
    query = select(StaffAccount.id, StaffAccount.daily_capacity).where(
        StaffAccount.workspace_id == workspace_id, StaffAccount.active.is_(True)
    )
    ids, capacity = read_columns(source, query, "ii")
    return dict(zip(ids.tolist(), capacity.tolist(), strict=True))


def insert_touches(
    session: Session, columns: Mapping[str, Sequence[Any]], shared: Mapping[str, Any]
) -> list[int]:
    """Insert touches; return their ids in order."""
    return bulk.insert_columns_returning_ids(session, ContactTouch, columns, shared)


def cancel_touches(session: Session, touch_ids: Sequence[int]) -> None:
    """Mark touches cancelled (they stop counting)."""
    for start in range(0, len(touch_ids), IN_LIMIT):
        session.execute(
            update(ContactTouch)
            .where(ContactTouch.id.in_(list(touch_ids[start : start + IN_LIMIT])))
            .values(status="cancelled")
        )


def mark_touches(session: Session, touch_ids: Sequence[int], status: str) -> None:
    """Set the status of touches (sent once delivered, cancelled when never delivered)."""
    for start in range(0, len(touch_ids), IN_LIMIT):
        session.execute(
            update(ContactTouch)
            .where(ContactTouch.id.in_(list(touch_ids[start : start + IN_LIMIT])))
            .values(status=status)
        )


def insert_suppressions(
    session: Session, columns: Mapping[str, Sequence[Any]], shared: Mapping[str, Any]
) -> None:
    """Record suppressed or moved messages."""
    bulk.insert_columns(session, ContactSuppression, columns, shared)


def suppressions_of(
    session: Session, workspace_id: int, customer_id: int
) -> list[ContactSuppression]:
    """A customer's suppression records, newest first."""
    return list(
        session.scalars(
            select(ContactSuppression)
            .where(
                ContactSuppression.workspace_id == workspace_id,
                ContactSuppression.customer_id == customer_id,
            )
            .order_by(ContactSuppression.id.desc())
        )
    )


def reserved_touches(
    session: Session, workspace_id: int, customer_id: int, channels: Sequence[str], after: datetime
) -> list[ContactTouch]:
    """A customer's reserved touches on these channels planned after a time."""
    return list(
        session.scalars(
            select(ContactTouch).where(
                ContactTouch.workspace_id == workspace_id,
                ContactTouch.customer_id == customer_id,
                ContactTouch.status == "reserved",
                ContactTouch.channel.in_(list(channels)),
                ContactTouch.planned_at > after,
            )
        )
    )


def touched_by(
    session: Session,
    workspace_id: int,
    source_kind: str,
    source_id: int,
    customer_ids: NDArray[np.int64],
) -> NDArray[np.int64]:
    """Which of these customers already have a counted contact from this source."""
    found: list[int] = []
    ids = customer_ids.tolist()
    for start in range(0, len(ids), IN_LIMIT):
        rows = session.execute(
            select(ContactTouch.customer_id).where(
                ContactTouch.workspace_id == workspace_id,
                ContactTouch.source_kind == source_kind,
                ContactTouch.source_id == source_id,
                ContactTouch.status.in_(("reserved", "sent")),
                ContactTouch.customer_id.in_(ids[start : start + IN_LIMIT]),
            )
        )
        found.extend(r[0] for r in rows)
    return np.asarray(sorted(set(found)), dtype=np.int64)


def workspace_name(session: Session, workspace_id: int) -> str:
    """The brand's display name."""
    return session.scalar(select(Workspace.name).where(Workspace.id == workspace_id)) or ""


def move_touch(session: Session, touch_id: int, staff_id: int) -> None:
    """Give a planned contact to another staff account."""
    session.execute(
        update(ContactTouch).where(ContactTouch.id == touch_id).values(staff_account_id=staff_id),
        execution_options={"synchronize_session": False},
    )


def move_engagement(session: Session, workspace_id: int, *, loser: int, winner: int) -> None:
    """Move a merged-away customer's engagement records onto the customer they merged into:
    contacts and suppressions (so caps keep counting them), messages, tags, tasks, campaign
    memberships and the time zone. Where the winner already has the same record (a tag, a
    task that day, a membership) the loser's copy is dropped."""
    for model in (ContactTouch, ContactSuppression, OutboxMessage):
        session.execute(
            update(model).where(model.customer_id == loser).values(customer_id=winner),
            execution_options={"synchronize_session": False},
        )
    _move_unique(session, CustomerTag, CustomerTag.tag, loser, winner)
    _move_unique(session, CampaignMember, CampaignMember.campaign_id, loser, winner)
    _move_unique(session, StaffTask, StaffTask.day, loser, winner, workspace_id)
    _move_unique(session, ContactState, ContactState.workspace_id, loser, winner)


def _move_unique(
    session: Session,
    model: Any,
    key: Any,
    loser: int,
    winner: int,
    workspace_id: int | None = None,
) -> None:
    """Give the loser's rows to the winner unless the winner has one with the same key."""
    scope = [model.workspace_id == workspace_id] if workspace_id is not None else []
    taken = select(key).where(model.customer_id == winner, *scope).scalar_subquery()
    session.execute(
        delete(model).where(model.customer_id == loser, key.in_(taken), *scope),
        execution_options={"synchronize_session": False},
    )
    session.execute(
        update(model).where(model.customer_id == loser, *scope).values(customer_id=winner),
        execution_options={"synchronize_session": False},
    )


def set_time_zone(session: Session, customer_id: int, zone: str) -> None:
    """Store a customer's time zone (their contact_state row exists: it was just locked)."""
    session.execute(
        update(ContactState).where(ContactState.customer_id == customer_id).values(time_zone=zone),
        execution_options={"synchronize_session": False},
    )
