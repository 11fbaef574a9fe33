"""Customer profiles published by the daily pipeline (one row per customer, replaced daily)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, BigId, UtcDateTime, WorkspaceMixin


class CustomerProfile(WorkspaceMixin, Base):
    """What siyu knows of a customer as of a day: tier, stage, RFM, value forecasts."""

    __tablename__ = "customer_profile"
    __table_args__ = (Index("ix_customer_profile_workspace_stage", "workspace_id", "stage"),)

    customer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True
    )
    as_of: Mapped[date] = mapped_column(Date)
    tier: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(16))
    cycle_days: Mapped[float | None] = mapped_column(Float)
    days_since_purchase: Mapped[float | None] = mapped_column(Float)
    rfm_r: Mapped[int] = mapped_column(SmallInteger)
    rfm_f: Mapped[int] = mapped_column(SmallInteger)
    rfm_m: Mapped[int] = mapped_column(SmallInteger)
    rfm_segment: Mapped[str] = mapped_column(String(24))
    n_purchases: Mapped[int] = mapped_column(Integer)
    net_paid_fen: Mapped[int] = mapped_column(BigInteger)
    p_alive: Mapped[float | None] = mapped_column(Float)
    expected_purchases_365d: Mapped[float | None] = mapped_column(Float)
    expected_spend_fen: Mapped[int | None] = mapped_column(BigInteger)
    clv_fen: Mapped[int | None] = mapped_column(BigInteger)
    next_purchase_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    in_pool: Mapped[bool] = mapped_column()
    entry_channel_id: Mapped[int | None] = mapped_column(BigId)
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime())
