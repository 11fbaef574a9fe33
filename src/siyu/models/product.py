"""Product with its role in the brand's layout."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, CreatedMixin, IdMixin, UtcDateTime, WorkspaceMixin
from siyu.kit.clock import utcnow


class Product(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A product (SKU); role is empty until the catalogue import assigns one."""

    __tablename__ = "product"
    __table_args__ = (UniqueConstraint("workspace_id", "sku"),)

    sku: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(300))
    role: Mapped[str | None] = mapped_column(String(16), default=None)
    price_fen: Mapped[int | None] = mapped_column(BigInteger, default=None)
    unit_cost_fen: Mapped[int | None] = mapped_column(BigInteger, default=None)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
