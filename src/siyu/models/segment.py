"""Saved segments (rule trees over customer fields) and customer tags."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, BigId, CreatedMixin, IdMixin, UtcDateTime, WorkspaceMixin
from siyu.kit.clock import utcnow


class Segment(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A named rule over profile fields, tags, consent and contact history."""

    __tablename__ = "segment"
    __table_args__ = (UniqueConstraint("workspace_id", "code"),)

    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(500), default="")
    rule: Mapped[dict[str, Any]] = mapped_column(JSON)
    rule_text: Mapped[str] = mapped_column(Text, default="")
    last_count: Mapped[int | None] = mapped_column(Integer, default=None)
    counted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class CustomerTag(WorkspaceMixin, Base):
    """A free-text tag on a customer (set by staff, imports or rules)."""

    __tablename__ = "customer_tag"
    __table_args__ = (Index("ix_customer_tag_workspace_tag", "workspace_id", "tag"),)

    customer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(32), default="manual")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
