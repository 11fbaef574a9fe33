"""Shop: a sales point on a platform, public or private domain."""

from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, CreatedMixin, IdMixin, WorkspaceMixin


class Shop(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A sales point: a marketplace store, a mini program, a WeCom sales desk, a store."""

    __tablename__ = "shop"
    __table_args__ = (UniqueConstraint("workspace_id", "code"),)

    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    platform: Mapped[str] = mapped_column(String(32))
    domain: Mapped[str] = mapped_column(String(16))
