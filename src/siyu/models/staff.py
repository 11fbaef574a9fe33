"""Staff accounts: WeCom accounts and customer-service seats."""

from __future__ import annotations

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, CreatedMixin, IdMixin, WorkspaceMixin


class StaffAccount(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A WeCom account or CS seat that owns contacts and has a daily capacity."""

    __tablename__ = "staff_account"
    __table_args__ = (UniqueConstraint("workspace_id", "code"),)

    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="wecom")
    daily_capacity: Mapped[int] = mapped_column(Integer, default=200)
    active: Mapped[bool] = mapped_column(default=True)
