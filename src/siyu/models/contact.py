"""A customer's presence in a private carrier."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, BigId, CreatedMixin, IdMixin, UtcDateTime, WorkspaceMixin
from siyu.kit.clock import utcnow


class Contact(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A WeCom contact, group membership, official-account follow or mini-program membership."""

    __tablename__ = "contact"
    __table_args__ = (
        UniqueConstraint("workspace_id", "customer_id", "carrier", "carrier_ref", "joined_at"),
        Index("ix_contact_customer", "customer_id"),
        Index("ix_contact_workspace_updated", "workspace_id", "updated_at"),
    )

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customer.id", ondelete="CASCADE"))
    carrier: Mapped[str] = mapped_column(String(24))
    carrier_ref: Mapped[str] = mapped_column(String(128), default="")
    staff_account_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("staff_account.id", ondelete="SET NULL")
    )
    channel_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("channel.id", ondelete="SET NULL"), index=True
    )
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime())
    left_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    left_reason: Mapped[str | None] = mapped_column(String(24), default=None)
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime(), default=utcnow, onupdate=utcnow, server_default=func.current_timestamp()
    )
