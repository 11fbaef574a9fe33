"""Diversion channels (touchpoints) and their daily spend."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, BigId, CreatedMixin, IdMixin, WorkspaceMixin


class Channel(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A touchpoint that brings customers into the private pool."""

    __tablename__ = "channel"
    __table_args__ = (UniqueConstraint("workspace_id", "code"),)

    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(24))


class ChannelCost(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """Spend on a channel on one day (for CAC)."""

    __tablename__ = "channel_cost"
    __table_args__ = (UniqueConstraint("channel_id", "day"),)

    channel_id: Mapped[int] = mapped_column(BigId, ForeignKey("channel.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
