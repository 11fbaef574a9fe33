"""Orders, their lines and refunds; money in integer fen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, BigId, IdMixin, UtcDateTime, WorkspaceMixin
from siyu.kit.clock import utcnow


class Order(IdMixin, WorkspaceMixin, Base):
    """An order placed in a shop by a customer."""

    __tablename__ = "orders"  # ORDER is an SQL keyword
    __table_args__ = (
        UniqueConstraint("workspace_id", "shop_id", "platform_order_id"),
        Index("ix_order_customer_ordered", "customer_id", "ordered_at"),
        Index("ix_order_workspace_ordered", "workspace_id", "ordered_at"),
        Index("ix_order_workspace_updated", "workspace_id", "updated_at"),
    )

    shop_id: Mapped[int] = mapped_column(BigId, ForeignKey("shop.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("customer.id", ondelete="SET NULL")
    )
    platform_order_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24))
    raw_status: Mapped[str] = mapped_column(String(64), default="")
    ordered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    goods_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    shipping_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    discount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    receiver_enc: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    province: Mapped[str] = mapped_column(String(32), default="")
    city: Mapped[str] = mapped_column(String(64), default="")
    fingerprint: Mapped[str] = mapped_column(String(32))
    import_batch_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("import_batch.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class OrderLine(IdMixin, WorkspaceMixin, Base):
    """One product line of an order."""

    __tablename__ = "order_line"
    __table_args__ = (UniqueConstraint("order_id", "line_key"),)

    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="CASCADE"))
    line_key: Mapped[str] = mapped_column(String(96))
    product_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("product.id", ondelete="SET NULL"), index=True
    )
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger)


class Refund(IdMixin, WorkspaceMixin, Base):
    """Money returned on an order or one of its lines (partial or full)."""

    __tablename__ = "refund"
    __table_args__ = (UniqueConstraint("order_id", "refund_key"),)

    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="CASCADE"))
    order_line_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("order_line.id", ondelete="SET NULL")
    )
    refund_key: Mapped[str] = mapped_column(String(96))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    is_full: Mapped[bool] = mapped_column(default=False)
    refunded_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
