"""Channel codes ("live codes"): a tracked code per touchpoint routing joiners to staff."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, BigId, CreatedMixin, IdMixin, UtcDateTime, WorkspaceMixin


class ChannelCode(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A code for one touchpoint of a channel; `code` is also the WeCom contact way's state."""

    __tablename__ = "channel_code"
    __table_args__ = (UniqueConstraint("workspace_id", "code"),)

    channel_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("channel.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    routing: Mapped[str] = mapped_column(String(16), default="round_robin")
    welcome_text: Mapped[str] = mapped_column(Text, default="")
    tag_ids: Mapped[str] = mapped_column(String(500), default="")
    cost_per_join_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    starts_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    status: Mapped[str] = mapped_column(String(12), default="active")
    next_position: Mapped[int] = mapped_column(Integer, default=0)
    wecom_config_id: Mapped[str] = mapped_column(String(64), default="")
    wecom_qr_url: Mapped[str] = mapped_column(String(500), default="")
    wecom_users: Mapped[str] = mapped_column(String(1000), default="")


class ChannelCodeStaff(IdMixin, Base):
    """A staff account in a code's pool (primary or backup) and its place in the rotation."""

    __tablename__ = "channel_code_staff"
    __table_args__ = (UniqueConstraint("channel_code_id", "staff_account_id"),)

    channel_code_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("channel_code.id", ondelete="CASCADE")
    )
    staff_account_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("staff_account.id", ondelete="CASCADE"), index=True
    )
    backup: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # the staff member's own contact way with the code's state (where the landing page sends)
    wecom_config_id: Mapped[str] = mapped_column(String(64), default="")
    wecom_qr_url: Mapped[str] = mapped_column(String(500), default="")


class StaffShift(IdMixin, WorkspaceMixin, Base):
    """When a staff account works (China time); an account without shifts always works."""

    __tablename__ = "staff_shift"
    __table_args__ = (Index("ix_staff_shift_staff", "staff_account_id", "weekday"),)

    staff_account_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("staff_account.id", ondelete="CASCADE")
    )
    weekday: Mapped[int] = mapped_column(SmallInteger)  # 0 Monday … 6 Sunday
    start_minute: Mapped[int] = mapped_column(SmallInteger)
    end_minute: Mapped[int] = mapped_column(SmallInteger)


class ChannelJoin(IdMixin, WorkspaceMixin, Base):
    """A customer joining a staff account through WeCom, with its attribution and cost."""

    __tablename__ = "channel_join"
    __table_args__ = (
        Index("ix_channel_join_workspace_joined", "workspace_id", "joined_at"),
        Index("ix_channel_join_staff_joined", "staff_account_id", "joined_at"),
        Index("ix_channel_join_code", "channel_code_id", "joined_at"),
    )

    channel_code_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("channel_code.id", ondelete="SET NULL")
    )
    channel_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("channel.id", ondelete="SET NULL")
    )
    contact_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("contact.id", ondelete="SET NULL")
    )
    customer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    staff_account_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("staff_account.id", ondelete="SET NULL")
    )
    state: Mapped[str] = mapped_column(String(64), default="")
    outcome: Mapped[str] = mapped_column(String(24))
    cost_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ChannelVisit(IdMixin, WorkspaceMixin, Base):
    """A visit of a code's landing page: visits per code next to its joins (card attribution).

    `order_token` is the keyed hash an insert card's QR carries (`?o=`), never personal data.
    """

    __tablename__ = "channel_visit"
    __table_args__ = (Index("ix_channel_visit_code", "channel_code_id", "visited_at"),)

    channel_code_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("channel_code.id", ondelete="CASCADE")
    )
    staff_account_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("staff_account.id", ondelete="SET NULL")
    )
    order_token: Mapped[str] = mapped_column(String(16), default="")
    visited_at: Mapped[datetime] = mapped_column(UtcDateTime())
