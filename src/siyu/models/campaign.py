"""Campaigns: an audience, content variants, a schedule, a randomised control group, and each
customer's assignment and decision (the basis of the measured results)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, BigId, CreatedMixin, IdMixin, UtcDateTime, WorkspaceMixin
from siyu.kit.clock import utcnow


class Campaign(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A message to a segment at a time, with a control group held out to measure it."""

    __tablename__ = "campaign"
    __table_args__ = (UniqueConstraint("workspace_id", "code"),)

    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    segment_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("segment.id", ondelete="SET NULL"), default=None
    )
    audience_rule: Mapped[dict[str, Any]] = mapped_column(JSON)
    channel: Mapped[str] = mapped_column(String(16))
    fallback_channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    send_at: Mapped[datetime] = mapped_column(UtcDateTime())
    offer: Mapped[str] = mapped_column(String(8), default="none")
    is_major: Mapped[bool] = mapped_column(default=False)
    expected_uplift: Mapped[float] = mapped_column(Float)
    control_share: Mapped[float] = mapped_column(Float, default=0.1)
    use_holdout: Mapped[bool] = mapped_column(default=True)
    reschedule_days: Mapped[int] = mapped_column(Integer, default=0)
    attribution_days: Mapped[int] = mapped_column(Integer, default=14)
    seed: Mapped[int] = mapped_column(BigInteger)
    launched_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class CampaignVariant(IdMixin, Base):
    """One version of the content (A/B); treatment customers are split by weight."""

    __tablename__ = "campaign_variant"
    __table_args__ = (UniqueConstraint("campaign_id", "code"),)

    campaign_id: Mapped[int] = mapped_column(BigId, ForeignKey("campaign.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(16))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    by_channel: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CampaignMember(Base):
    """A customer of the audience: arm, variant, what the policy decided, and the facts the
    results need from launch time."""

    __tablename__ = "campaign_member"
    __table_args__ = (Index("ix_campaign_member_customer", "customer_id"),)

    campaign_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True
    )
    arm: Mapped[str] = mapped_column(String(10))
    variant: Mapped[str] = mapped_column(String(16), default="")
    channel: Mapped[str] = mapped_column(String(16), default="")
    eligible: Mapped[bool] = mapped_column()
    reason: Mapped[str] = mapped_column(String(24), default="")
    message_id: Mapped[int | None] = mapped_column(BigId, default=None)
    send_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    value_fen: Mapped[float] = mapped_column(Float, default=0.0)
    prior_purchases: Mapped[int] = mapped_column(Integer, default=0)
