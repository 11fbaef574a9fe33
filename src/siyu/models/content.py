"""The content library (message templates with personas) and SOP plans that schedule it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, BigId, CreatedMixin, IdMixin, UtcDateTime, WorkspaceMixin
from siyu.kit.clock import utcnow


class ContentTemplate(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A message template: text, image, link or mini-program card, in a persona's voice."""

    __tablename__ = "content_template"
    __table_args__ = (UniqueConstraint("workspace_id", "code"),)

    code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    persona: Mapped[str] = mapped_column(String(16), default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    media: Mapped[dict[str, Any]] = mapped_column(JSON)
    is_promotion: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class SopPlan(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A schedule of content: days after a customer joins or orders, daily group posts, or
    Moments posts of staff accounts."""

    __tablename__ = "sop_plan"
    __table_args__ = (UniqueConstraint("workspace_id", "code"),)

    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    segment_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("segment.id", ondelete="SET NULL"), default=None
    )
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    targets: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
