"""The transactional outbox and its delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, BigId, CreatedMixin, IdMixin, UtcDateTime, WorkspaceMixin
from siyu.kit.clock import utcnow


class OutboxMessage(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A message decided and waiting for (or past) delivery; written in the deciding
    transaction, delivered by the worker at least once under its idempotency key."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        UniqueConstraint("workspace_id", "idempotency_key"),
        Index("ix_outbox_message_due", "workspace_id", "channel", "status", "next_attempt_at"),
        Index("ix_outbox_message_touch", "touch_id"),
        Index("ix_outbox_message_customer", "customer_id"),
        Index("ix_outbox_message_source", "workspace_id", "source_kind", "source_id"),
    )

    channel: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("customer.id", ondelete="SET NULL"), default=None
    )
    target: Mapped[str] = mapped_column(String(128), default="")
    staff_account_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("staff_account.id", ondelete="SET NULL"), default=None
    )
    touch_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("contact_touch.id", ondelete="SET NULL"), default=None
    )
    idempotency_key: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_kind: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[int | None] = mapped_column(BigId, default=None)
    # the consent purpose the worker re-checks before sending (ConsentPurpose)
    purpose: Mapped[str] = mapped_column(
        String(16), default="marketing", server_default="marketing"
    )
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    leased_by: Mapped[str | None] = mapped_column(String(64), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    provider_ref: Mapped[str] = mapped_column(String(128), default="")
    last_error: Mapped[str] = mapped_column(String(500), default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class DeliveryAttempt(IdMixin, WorkspaceMixin, Base):
    """One try to deliver an outbox message: when, by whom, how long, and what came back."""

    __tablename__ = "delivery_attempt"
    __table_args__ = (Index("ix_delivery_attempt_message", "message_id"),)

    message_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("outbox_message.id", ondelete="CASCADE")
    )
    attempt: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str] = mapped_column(String(12))
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    detail: Mapped[str] = mapped_column(String(500), default="")
