"""Workspace: one brand served by a deployment; every record belongs to one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin, UtcDateTime
from siyu.kit.clock import utcnow


class Workspace(IdMixin, Base):
    """A brand (tenant)."""

    __tablename__ = "workspace"

    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
