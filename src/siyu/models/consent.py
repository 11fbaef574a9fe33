"""Consent and opt-out records: append-only, the latest per channel and purpose wins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, BigId, CreatedMixin, IdMixin, UtcDateTime, WorkspaceMixin


class ConsentRecord(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A grant or withdrawal of consent for one channel and purpose."""

    __tablename__ = "consent_record"
    __table_args__ = (Index("ix_consent_customer", "customer_id", "channel", "recorded_at"),)

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customer.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(24))
    purpose: Mapped[str] = mapped_column(String(24), default="marketing")
    granted: Mapped[bool] = mapped_column()
    source: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
