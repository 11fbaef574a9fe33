"""All queries on customers, identities and merges."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from siyu.db import bulk
from siyu.engage.policy.repository import move_engagement
from siyu.kit.clock import utcnow
from siyu.models import ConsentRecord, Contact, Customer, CustomerMerge, Identity, Order

LOOKUP_CHUNK = 500


def find_identities(
    session: Session, workspace_id: int, blind_indexes: Iterable[str]
) -> list[tuple[str, str, str, int]]:
    """Return (kind, platform, blind_index, customer_id) for the given blind indexes."""
    keys = list(blind_indexes)
    found: list[tuple[str, str, str, int]] = []
    for start in range(0, len(keys), LOOKUP_CHUNK):
        chunk = keys[start : start + LOOKUP_CHUNK]
        rows = session.execute(
            select(Identity.kind, Identity.platform, Identity.blind_index, Identity.customer_id)
            .where(Identity.workspace_id == workspace_id)
            .where(Identity.blind_index.in_(chunk))
        )
        found.extend((r[0], r[1], r[2], r[3]) for r in rows)
    return found


def create_customers(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert customers and return their ids in the order given."""
    return bulk.insert_returning_ids(session, Customer, rows)


def create_identities(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert identity rows."""
    bulk.insert_rows(session, Identity, rows)


def reassign_customer(session: Session, workspace_id: int, *, loser: int, winner: int) -> None:
    """Move everything that belongs to `loser` onto `winner`, then delete `loser`."""
    owner = session.scalar(select(Customer.workspace_id).where(Customer.id == loser))
    if owner != workspace_id:
        raise ValueError(f"customer {loser} is not in workspace {workspace_id}")
    for model in (Identity, Order, Contact, ConsentRecord):
        values: dict[str, object] = {"customer_id": winner}
        if model in (Order, Contact):
            values["updated_at"] = utcnow()  # the warehouse snapshot picks the move up
        # By customer id alone (its workspace was checked above): with a workspace_id term
        # SQLite's planner took the (workspace_id, ordered_at) index and scanned every order
        # of the brand for each merge, which made big imports quadratic.
        session.execute(update(model).where(model.customer_id == loser).values(values))
    move_engagement(session, workspace_id, loser=loser, winner=winner)
    loser_seen = session.scalar(select(Customer.first_seen_at).where(Customer.id == loser))
    if loser_seen is not None:
        session.execute(
            update(Customer)
            .where(Customer.id == winner)
            .where((Customer.first_seen_at.is_(None)) | (Customer.first_seen_at > loser_seen))
            .values(first_seen_at=loser_seen)
        )
    session.execute(
        update(CustomerMerge)
        .where(CustomerMerge.workspace_id == workspace_id, CustomerMerge.winner_id == loser)
        .values(winner_id=winner)
    )
    session.execute(delete(Customer).where(Customer.id == loser))


def record_merge(session: Session, row: dict[str, Any]) -> None:
    """Append a merge record."""
    session.execute(insert(CustomerMerge), [row])


def lower_first_seen(session: Session, updates: Sequence[tuple[int, datetime]]) -> None:
    """Move customers' first_seen_at earlier where a newer record shows an earlier time."""
    if not updates:
        return
    table = bulk.table_of(Customer)
    statement = (
        table.update()
        .where(table.c.id == bindparam("cid"))
        .where(table.c.first_seen_at.is_(None) | (table.c.first_seen_at > bindparam("seen")))
        .values(first_seen_at=bindparam("seen"))
    )
    session.connection().execute(statement, [{"cid": c, "seen": s} for c, s in updates])


def get_customer(session: Session, workspace_id: int, customer_id: int) -> Customer | None:
    """Return one customer of the workspace."""
    return session.scalar(
        select(Customer).where(Customer.workspace_id == workspace_id, Customer.id == customer_id)
    )


def list_identities(session: Session, workspace_id: int, customer_id: int) -> list[Identity]:
    """Return a customer's identities."""
    return list(
        session.scalars(
            select(Identity)
            .where(Identity.workspace_id == workspace_id, Identity.customer_id == customer_id)
            .order_by(Identity.id)
        )
    )


def list_merges(session: Session, workspace_id: int, customer_id: int) -> list[CustomerMerge]:
    """Return the merges that produced a customer."""
    return list(
        session.scalars(
            select(CustomerMerge)
            .where(
                CustomerMerge.workspace_id == workspace_id, CustomerMerge.winner_id == customer_id
            )
            .order_by(CustomerMerge.id)
        )
    )


def merge_map(session: Session, workspace_id: int) -> dict[int, int]:
    """Map every merged-away customer id to the customer it lives on in now."""
    rows = session.execute(
        select(CustomerMerge.loser_id, CustomerMerge.winner_id).where(
            CustomerMerge.workspace_id == workspace_id
        )
    )
    return {loser: winner for loser, winner in rows}
