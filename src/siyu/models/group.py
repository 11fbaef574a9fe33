"""Customer group chats (社群), their members and daily activity."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, BigId, CreatedMixin, IdMixin, UtcDateTime, WorkspaceMixin


class GroupChat(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A customer group chat owned by a staff account."""

    __tablename__ = "group_chat"
    __table_args__ = (UniqueConstraint("workspace_id", "chat_ref"),)

    chat_ref: Mapped[str] = mapped_column(String(64))  # WeCom chat_id (or the export's group id)
    name: Mapped[str] = mapped_column(String(200), default="")
    owner_staff_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("staff_account.id", ondelete="SET NULL")
    )
    channel_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("channel.id", ondelete="SET NULL")
    )
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    dismissed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)


class GroupMember(IdMixin, WorkspaceMixin, Base):
    """A person in a group for a while: a customer or a staff account."""

    __tablename__ = "group_member"
    __table_args__ = (
        Index("ix_group_member_group", "group_chat_id", "left_at"),
        Index("ix_group_member_index", "group_chat_id", "member_index"),
    )

    group_chat_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("group_chat.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(12))  # customer | staff
    customer_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    staff_account_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("staff_account.id", ondelete="SET NULL")
    )
    member_index: Mapped[str] = mapped_column(String(40))  # keyed hash of the WeCom id
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime())
    left_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    join_scene: Mapped[int] = mapped_column(SmallInteger, default=0)


class GroupActivity(IdMixin, WorkspaceMixin, Base):
    """Messages in a group on one day, by who sent them."""

    __tablename__ = "group_activity"
    __table_args__ = (UniqueConstraint("group_chat_id", "day"),)

    group_chat_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("group_chat.id", ondelete="CASCADE")
    )
    day: Mapped[date] = mapped_column(Date)
    owner_messages: Mapped[int] = mapped_column(Integer, default=0)
    staff_messages: Mapped[int] = mapped_column(Integer, default=0)
    member_messages: Mapped[int] = mapped_column(Integer, default=0)
    active_members: Mapped[int] = mapped_column(Integer, default=0)
