"""Next-best products published per customer (replaced whole by each `siyu recommend`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, BigId, UtcDateTime, WorkspaceMixin


class CustomerRecommendation(WorkspaceMixin, Base):
    """One recommended product of a customer, at a rank (1 = best), with why it is there."""

    __tablename__ = "customer_recommendation"
    __table_args__ = (
        Index("ix_customer_recommendation_workspace_product", "workspace_id", "product_id"),
    )

    customer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True
    )
    rank: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("product.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(16))  # co_purchase|implicit|trial_to_main|popular
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime())
