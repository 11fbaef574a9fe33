"""WeCom callbacks as received (persisted before processing); the calls they lead to go
through the general outbox (`outbox_message`, channel `wecom`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin, UtcDateTime, WorkspaceMixin
from siyu.kit.clock import utcnow


class WeComCallback(IdMixin, WorkspaceMixin, Base):
    """One verified callback, stored (encrypted) before anything is done with it."""

    __tablename__ = "wecom_callback"
    __table_args__ = (
        # a signature seen twice is a replay; a message seen twice is WeCom retrying
        UniqueConstraint("workspace_id", "msg_signature"),
        UniqueConstraint("workspace_id", "event_key"),
        Index("ix_wecom_callback_status", "workspace_id", "status", "id"),
    )

    msg_signature: Mapped[str] = mapped_column(String(40))
    event_key: Mapped[str] = mapped_column(String(40))
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    event: Mapped[str] = mapped_column(String(48), default="")
    change_type: Mapped[str] = mapped_column(String(48), default="")
    payload_enc: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str] = mapped_column(String(300), default="")
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
