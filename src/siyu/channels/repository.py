"""Queries on channel codes, their staff pools, shifts and joins."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from siyu.models import (
    Channel,
    ChannelCode,
    ChannelCodeStaff,
    ChannelCost,
    ChannelJoin,
    ChannelVisit,
    Contact,
    Order,
    Shop,
    StaffAccount,
    StaffShift,
)


def get_code(session: Session, workspace_id: int, code: str) -> ChannelCode | None:
    """Return the code named `code` in the workspace."""
    return session.scalars(
        select(ChannelCode).where(
            ChannelCode.workspace_id == workspace_id, ChannelCode.code == code
        )
    ).one_or_none()


def get_code_by_id(session: Session, workspace_id: int, code_id: int) -> ChannelCode | None:
    """Return a code by id."""
    return session.scalars(
        select(ChannelCode).where(
            ChannelCode.workspace_id == workspace_id, ChannelCode.id == code_id
        )
    ).one_or_none()


def list_codes(session: Session, workspace_id: int) -> list[tuple[ChannelCode, Channel]]:
    """Every code of the workspace with its channel, by code."""
    rows = session.execute(
        select(ChannelCode, Channel)
        .join(Channel, Channel.id == ChannelCode.channel_id)
        .where(ChannelCode.workspace_id == workspace_id)
        .order_by(ChannelCode.code)
    )
    return [(r[0], r[1]) for r in rows]


def add_code(session: Session, **values: Any) -> ChannelCode:
    """Insert a code."""
    code = ChannelCode(**values)
    session.add(code)
    session.flush()
    return code


def code_staff(session: Session, code_id: int) -> list[tuple[ChannelCodeStaff, StaffAccount]]:
    """A code's pool with the staff accounts, in rotation order."""
    rows = session.execute(
        select(ChannelCodeStaff, StaffAccount)
        .join(StaffAccount, StaffAccount.id == ChannelCodeStaff.staff_account_id)
        .where(ChannelCodeStaff.channel_code_id == code_id)
        .order_by(ChannelCodeStaff.backup, ChannelCodeStaff.position)
    )
    return [(r[0], r[1]) for r in rows]


def set_code_staff(session: Session, code_id: int, members: Sequence[tuple[int, bool]]) -> None:
    """Replace a code's pool with (staff id, backup) in order."""
    session.execute(delete(ChannelCodeStaff).where(ChannelCodeStaff.channel_code_id == code_id))
    for position, (staff_id, backup) in enumerate(members):
        session.add(
            ChannelCodeStaff(
                channel_code_id=code_id, staff_account_id=staff_id, backup=backup, position=position
            )
        )
    session.flush()


def staff_by_code(
    session: Session, workspace_id: int, codes: Sequence[str]
) -> dict[str, StaffAccount]:
    """Staff accounts by code (their WeCom userid)."""
    rows = session.scalars(
        select(StaffAccount).where(
            StaffAccount.workspace_id == workspace_id, StaffAccount.code.in_(list(codes))
        )
    )
    return {s.code: s for s in rows}


def get_staff(session: Session, workspace_id: int, staff_id: int) -> StaffAccount | None:
    """Return a staff account by id."""
    return session.scalars(
        select(StaffAccount).where(
            StaffAccount.workspace_id == workspace_id, StaffAccount.id == staff_id
        )
    ).one_or_none()


def shifts_of(session: Session, staff_ids: Sequence[int]) -> dict[int, list[StaffShift]]:
    """Shifts of these staff accounts."""
    found: dict[int, list[StaffShift]] = {}
    for shift in session.scalars(
        select(StaffShift).where(StaffShift.staff_account_id.in_(list(staff_ids)))
    ):
        found.setdefault(shift.staff_account_id, []).append(shift)
    return found


def replace_shifts(
    session: Session, workspace_id: int, staff_id: int, shifts: Sequence[tuple[int, int, int]]
) -> None:
    """Replace a staff account's shifts with (weekday, start minute, end minute)."""
    session.execute(delete(StaffShift).where(StaffShift.staff_account_id == staff_id))
    for weekday, start, end in shifts:
        session.add(
            StaffShift(
                workspace_id=workspace_id,
                staff_account_id=staff_id,
                weekday=weekday,
                start_minute=start,
                end_minute=end,
            )
        )
    session.flush()


def joins_since(session: Session, staff_ids: Sequence[int], since: datetime) -> dict[int, int]:
    """Joins per staff account since a moment (today's adds against the daily limit)."""
    rows = session.execute(
        select(ChannelJoin.staff_account_id, func.count())
        .where(ChannelJoin.staff_account_id.in_(list(staff_ids)), ChannelJoin.joined_at >= since)
        .group_by(ChannelJoin.staff_account_id)
    )
    return {int(r[0]): int(r[1]) for r in rows if r[0] is not None}


def open_contacts(session: Session, workspace_id: int, staff_ids: Sequence[int]) -> dict[int, int]:
    """Contacts each staff account holds now."""
    rows = session.execute(
        select(Contact.staff_account_id, func.count())
        .where(
            Contact.workspace_id == workspace_id,
            Contact.staff_account_id.in_(list(staff_ids)),
            Contact.left_at.is_(None),
        )
        .group_by(Contact.staff_account_id)
    )
    return {int(r[0]): int(r[1]) for r in rows if r[0] is not None}


def open_contact(
    session: Session, workspace_id: int, *, customer_id: int, carrier: str, carrier_ref: str
) -> Contact | None:
    """The customer's current contact in a carrier (the latest one not left)."""
    return session.scalars(
        select(Contact)
        .where(
            Contact.workspace_id == workspace_id,
            Contact.customer_id == customer_id,
            Contact.carrier == carrier,
            Contact.carrier_ref == carrier_ref,
            Contact.left_at.is_(None),
        )
        .order_by(Contact.joined_at.desc())
        .limit(1)
    ).one_or_none()


def add_contact(session: Session, **values: Any) -> Contact:
    """Insert a contact."""
    contact = Contact(**values)
    session.add(contact)
    session.flush()
    return contact


def add_join(session: Session, **values: Any) -> ChannelJoin:
    """Insert a join."""
    join = ChannelJoin(**values)
    session.add(join)
    session.flush()
    return join


def book_cost(session: Session, workspace_id: int, channel_id: int, day: date, fen: int) -> None:
    """Add `fen` to a channel's spend on `day` (creating the day's row)."""
    row = session.scalars(
        select(ChannelCost)
        .where(ChannelCost.channel_id == channel_id, ChannelCost.day == day)
        .with_for_update()
    ).one_or_none()
    if row is None:
        session.add(
            ChannelCost(workspace_id=workspace_id, channel_id=channel_id, day=day, amount_fen=fen)
        )
    else:
        row.amount_fen += fen
    session.flush()


def joins_per_code(session: Session, workspace_id: int) -> dict[int, int]:
    """Joins through each code."""
    rows = session.execute(
        select(ChannelJoin.channel_code_id, func.count())
        .where(ChannelJoin.workspace_id == workspace_id, ChannelJoin.channel_code_id.is_not(None))
        .group_by(ChannelJoin.channel_code_id)
    )
    return {int(r[0]): int(r[1]) for r in rows if r[0] is not None}


def orders_for_cards(
    session: Session,
    workspace_id: int,
    *,
    since: datetime,
    until: datetime,
    shop_code: str | None,
    skip_pool: bool,
    limit: int,
) -> list[tuple[str, int | None]]:
    """(Order number, customer) of paid or shipped orders placed in a window, oldest first."""
    query = (
        select(Order.platform_order_id, Order.customer_id)
        .where(
            Order.workspace_id == workspace_id,
            Order.ordered_at >= since,
            Order.ordered_at < until,
            Order.status.in_(("paid", "shipped")),
        )
        .order_by(Order.ordered_at, Order.id)
        .limit(limit)
    )
    if shop_code:
        query = query.join(Shop, Shop.id == Order.shop_id).where(Shop.code == shop_code)
    if skip_pool:
        in_pool = select(Contact.customer_id).where(
            Contact.workspace_id == workspace_id, Contact.left_at.is_(None)
        )
        query = query.where(Order.customer_id.not_in(in_pool))
    return [(str(r[0]), r[1]) for r in session.execute(query)]


def set_member_way(session: Session, member_id: int, *, config_id: str, qr_url: str) -> None:
    """Remember a staff member's own contact way for a code."""
    member = session.get(ChannelCodeStaff, member_id)
    if member is not None:
        member.wecom_config_id, member.wecom_qr_url = config_id, qr_url


def delete_member(session: Session, member_id: int) -> None:
    """Remove one staff account from a code's pool."""
    session.execute(delete(ChannelCodeStaff).where(ChannelCodeStaff.id == member_id))
    session.flush()


def add_visit(session: Session, **values: Any) -> None:
    """Record a visit of a code's landing page."""
    session.add(ChannelVisit(**values))
    session.flush()


def visits_per_code(session: Session, workspace_id: int) -> dict[int, int]:
    """Landing-page visits of each code."""
    rows = session.execute(
        select(ChannelVisit.channel_code_id, func.count())
        .where(ChannelVisit.workspace_id == workspace_id)
        .group_by(ChannelVisit.channel_code_id)
    )
    return {int(r[0]): int(r[1]) for r in rows}
