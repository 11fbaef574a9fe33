"""The contact ledger the policy counts against, each customer's lock row, suppressions and
the workspace's engagement settings (contact policy, holdout, banned words)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, BigId, CreatedMixin, IdMixin, UtcDateTime, WorkspaceMixin
from siyu.kit.clock import utcnow


class ContactTouch(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """One planned or made contact with a customer; caps count these (cancelled ones excepted)."""

    __tablename__ = "contact_touch"
    __table_args__ = (
        Index("ix_contact_touch_customer_day", "customer_id", "local_day"),
        Index("ix_contact_touch_source", "workspace_id", "source_kind", "source_id"),
    )

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customer.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    is_promotion: Mapped[bool] = mapped_column(default=False)
    local_day: Mapped[date] = mapped_column(Date)
    planned_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(12), default="reserved")
    value_fen: Mapped[float] = mapped_column(Float, default=0.0)
    source_kind: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[int | None] = mapped_column(BigId, default=None)
    staff_account_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("staff_account.id", ondelete="SET NULL"), default=None
    )


class ContactState(WorkspaceMixin, Base):
    """Per-customer row the policy locks before it counts and reserves; holds the time zone."""

    __tablename__ = "contact_state"

    customer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True
    )
    time_zone: Mapped[str | None] = mapped_column(String(64), default=None)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class ContactSuppression(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A message the policy held back, why, and when it was moved to (if it was)."""

    __tablename__ = "contact_suppression"
    __table_args__ = (
        Index("ix_contact_suppression_customer", "customer_id"),
        Index("ix_contact_suppression_source", "workspace_id", "source_kind", "source_id"),
    )

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customer.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    source_kind: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[int | None] = mapped_column(BigId, default=None)
    reason: Mapped[str] = mapped_column(String(24))
    planned_at: Mapped[datetime] = mapped_column(UtcDateTime())
    rescheduled_to: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)


class EngageSetting(Base):
    """A workspace's engagement setting by key (contact policy, holdout, banned words), JSON."""

    __tablename__ = "engage_setting"

    workspace_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(48), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
