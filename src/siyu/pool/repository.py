"""Queries on staff accounts, channels, channel costs and contacts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from siyu.models import Channel, ChannelCost, Contact, StaffAccount


def staff_ids(session: Session, workspace_id: int) -> dict[str, int]:
    """Map staff codes to ids."""
    rows = session.execute(
        select(StaffAccount.code, StaffAccount.id).where(StaffAccount.workspace_id == workspace_id)
    )
    return {r[0]: r[1] for r in rows}


def create_staff(session: Session, workspace_id: int, code: str, **values: Any) -> int:
    """Add a staff account; return its id."""
    staff = StaffAccount(workspace_id=workspace_id, code=code, name=values.pop("name", code))
    for key, value in values.items():
        setattr(staff, key, value)
    session.add(staff)
    session.flush()
    return staff.id


def channel_ids(session: Session, workspace_id: int) -> dict[str, int]:
    """Map channel codes to ids."""
    rows = session.execute(
        select(Channel.code, Channel.id).where(Channel.workspace_id == workspace_id)
    )
    return {r[0]: r[1] for r in rows}


def create_channel(session: Session, workspace_id: int, *, code: str, name: str, kind: str) -> int:
    """Add a channel; return its id."""
    channel = Channel(workspace_id=workspace_id, code=code, name=name, kind=kind)
    session.add(channel)
    session.flush()
    return channel.id


def costs_by_key(
    session: Session, workspace_id: int, channel_ids_: Sequence[int]
) -> dict[tuple[int, date], tuple[int, int]]:
    """Map (channel id, day) to (cost id, amount) for the given channels."""
    rows = session.execute(
        select(ChannelCost.channel_id, ChannelCost.day, ChannelCost.id, ChannelCost.amount_fen)
        .where(ChannelCost.workspace_id == workspace_id)
        .where(ChannelCost.channel_id.in_(list(channel_ids_)))
    )
    return {(r[0], r[1]): (r[2], r[3]) for r in rows}


def insert_costs(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert channel cost rows."""
    if rows:
        session.execute(insert(ChannelCost), list(rows))


def update_cost_amounts(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Set amounts of existing cost rows (rows carry `cid` and `amount_fen`)."""
    if rows:
        session.connection().execute(
            update(ChannelCost)
            .where(ChannelCost.id == bindparam("cid"))
            .values(amount_fen=bindparam("amount_fen")),
            list(rows),
        )


def contacts_by_key(
    session: Session, workspace_id: int, customer_ids: Sequence[int]
) -> dict[tuple[int, str, str, datetime], Contact]:
    """Map (customer, carrier, carrier_ref, joined_at) to stored contacts of these customers."""
    found: dict[tuple[int, str, str, datetime], Contact] = {}
    ids = sorted(set(customer_ids))
    for start in range(0, len(ids), 500):
        for contact in session.scalars(
            select(Contact).where(
                Contact.workspace_id == workspace_id,
                Contact.customer_id.in_(ids[start : start + 500]),
            )
        ):
            key = (contact.customer_id, contact.carrier, contact.carrier_ref, contact.joined_at)
            found[key] = contact
    return found


def insert_contacts(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert contact rows."""
    if rows:
        session.execute(insert(Contact), list(rows))
