"""Queries on group chats, members and activity."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.models import GroupActivity, GroupChat, GroupMember, StaffAccount


def get_group(session: Session, workspace_id: int, chat_ref: str) -> GroupChat | None:
    """The group with this WeCom chat id."""
    return session.scalars(
        select(GroupChat).where(
            GroupChat.workspace_id == workspace_id, GroupChat.chat_ref == chat_ref
        )
    ).one_or_none()


def add_group(session: Session, **values: Any) -> GroupChat:
    """Insert a group."""
    group = GroupChat(**values)
    session.add(group)
    session.flush()
    return group


def groups_by_ref(session: Session, workspace_id: int) -> dict[str, GroupChat]:
    """Every group of the workspace by chat id."""
    rows = session.scalars(select(GroupChat).where(GroupChat.workspace_id == workspace_id))
    return {g.chat_ref: g for g in rows}


def open_members(session: Session, group_id: int) -> list[GroupMember]:
    """Members still in a group."""
    return list(
        session.scalars(
            select(GroupMember).where(
                GroupMember.group_chat_id == group_id, GroupMember.left_at.is_(None)
            )
        )
    )


def add_member(session: Session, **values: Any) -> GroupMember:
    """Insert a member."""
    member = GroupMember(**values)
    session.add(member)
    session.flush()
    return member


def list_groups(session: Session, workspace_id: int) -> list[tuple[GroupChat, str]]:
    """Groups with their owner's staff code, by name."""
    rows = session.execute(
        select(GroupChat, StaffAccount.code)
        .outerjoin(StaffAccount, StaffAccount.id == GroupChat.owner_staff_id)
        .where(GroupChat.workspace_id == workspace_id)
        .order_by(GroupChat.name, GroupChat.id)
    )
    return [(r[0], r[1] or "") for r in rows]


def activity_sums(
    session: Session, workspace_id: int, start: date, end: date
) -> dict[int, tuple[int, int, int, int]]:
    """(owner, staff, member messages, active member-days) per group for days in [start, end)."""
    rows = session.execute(
        select(
            GroupActivity.group_chat_id,
            func.sum(GroupActivity.owner_messages),
            func.sum(GroupActivity.staff_messages),
            func.sum(GroupActivity.member_messages),
            func.sum(GroupActivity.active_members),
        )
        .where(
            GroupActivity.workspace_id == workspace_id,
            GroupActivity.day >= start,
            GroupActivity.day < end,
        )
        .group_by(GroupActivity.group_chat_id)
    )
    return {int(r[0]): (int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows}


def member_counts(session: Session, workspace_id: int, at: datetime) -> dict[int, int]:
    """Customers in each group at a moment."""
    rows = session.execute(
        select(GroupMember.group_chat_id, func.count())
        .where(
            GroupMember.workspace_id == workspace_id,
            GroupMember.kind == "customer",
            GroupMember.joined_at <= at,
            (GroupMember.left_at.is_(None)) | (GroupMember.left_at > at),
        )
        .group_by(GroupMember.group_chat_id)
    )
    return {int(r[0]): int(r[1]) for r in rows}


def joins_and_leaves(
    session: Session, workspace_id: int, start: datetime, end: datetime
) -> dict[int, tuple[int, int]]:
    """(customers who joined, who left) per group within [start, end)."""
    joined = session.execute(
        select(GroupMember.group_chat_id, func.count())
        .where(
            GroupMember.workspace_id == workspace_id,
            GroupMember.kind == "customer",
            GroupMember.joined_at >= start,
            GroupMember.joined_at < end,
        )
        .group_by(GroupMember.group_chat_id)
    )
    left = session.execute(
        select(GroupMember.group_chat_id, func.count())
        .where(
            GroupMember.workspace_id == workspace_id,
            GroupMember.kind == "customer",
            GroupMember.left_at >= start,
            GroupMember.left_at < end,
        )
        .group_by(GroupMember.group_chat_id)
    )
    found: dict[int, tuple[int, int]] = {}
    for group_id, count in joined:
        found[int(group_id)] = (int(count), 0)
    for group_id, count in left:
        found[int(group_id)] = (found.get(int(group_id), (0, 0))[0], int(count))
    return found


def activity_rows(
    session: Session, group_ids: Sequence[int], days: Sequence[date]
) -> dict[tuple[int, date], GroupActivity]:
    """Stored activity rows of these groups and days."""
    if not group_ids or not days:
        return {}
    rows = session.scalars(
        select(GroupActivity).where(
            GroupActivity.group_chat_id.in_(list(group_ids)), GroupActivity.day.in_(list(days))
        )
    )
    return {(r.group_chat_id, r.day): r for r in rows}


def add_activity(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert activity rows."""
    for row in rows:
        session.add(GroupActivity(**row))
    session.flush()


def latest_activity_day(session: Session, workspace_id: int) -> date | None:
    """The last day with imported activity."""
    return session.scalar(
        select(func.max(GroupActivity.day)).where(GroupActivity.workspace_id == workspace_id)
    )


def daily_activity(
    session: Session, workspace_id: int, start: date, end: date, group_id: int | None = None
) -> list[tuple[date, int, int, int]]:
    """(Day, owner, staff, member messages) per day of [start, end), of one group or all."""
    a = GroupActivity
    query = (
        select(a.day, func.sum(a.owner_messages), func.sum(a.staff_messages),
               func.sum(a.member_messages))
        .where(a.workspace_id == workspace_id, a.day >= start, a.day < end)
        .group_by(a.day)
        .order_by(a.day)
    )  # fmt: skip
    if group_id is not None:
        query = query.where(a.group_chat_id == group_id)
    return [(r[0], int(r[1] or 0), int(r[2] or 0), int(r[3] or 0)) for r in session.execute(query)]
