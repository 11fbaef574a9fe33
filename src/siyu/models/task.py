"""Daily tasks for staff accounts: whom to contact today, why, with what, and what came of it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, BigId, CreatedMixin, IdMixin, UtcDateTime, WorkspaceMixin
from siyu.kit.clock import utcnow


class StaffTask(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """One customer on one staff account's list for one day."""

    __tablename__ = "staff_task"
    __table_args__ = (
        UniqueConstraint("workspace_id", "customer_id", "day"),
        Index("ix_staff_task_staff_day", "staff_account_id", "day"),
    )

    staff_account_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("staff_account.id", ondelete="CASCADE")
    )
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customer.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(24))
    script: Mapped[str] = mapped_column(String(500))
    products: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    expected_value_fen: Mapped[float] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="open")
    skip_reason: Mapped[str] = mapped_column(String(200), default="")
    outcome: Mapped[str] = mapped_column(String(16), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    touch_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("contact_touch.id", ondelete="SET NULL"), default=None
    )
    reassigned_from: Mapped[int | None] = mapped_column(BigId, default=None)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
