"""Referral (fission, 裂变): campaigns, codes per customer, referrals and their rewards."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, BigId, CreatedMixin, IdMixin, UtcDateTime, WorkspaceMixin


class ReferralCampaign(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A referral programme with its reward rules and limits (JSON, validated by schemas)."""

    __tablename__ = "referral_campaign"
    __table_args__ = (UniqueConstraint("workspace_id", "code"),)

    code: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    channel_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("channel.id", ondelete="SET NULL")
    )
    rules_json: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    status: Mapped[str] = mapped_column(String(12), default="active")


class ReferralCode(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A customer's code in a campaign; also the WeCom state of their invitations."""

    __tablename__ = "referral_code"
    __table_args__ = (
        UniqueConstraint("workspace_id", "code"),
        Index("ix_referral_code_customer", "campaign_id", "customer_id"),
    )

    campaign_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("referral_campaign.id", ondelete="CASCADE")
    )
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customer.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(30))
    # the WeCom contact way with this code as its state, made when first needed
    wecom_config_id: Mapped[str] = mapped_column(String(64), default="")
    wecom_qr_url: Mapped[str] = mapped_column(String(500), default="")


class Referral(IdMixin, WorkspaceMixin, Base):
    """A referred customer joining through a code, their first order, and fraud signals."""

    __tablename__ = "referral"
    __table_args__ = (
        Index("ix_referral_campaign_referrer", "campaign_id", "referrer_customer_id"),
        Index("ix_referral_referee", "referee_customer_id"),
    )

    campaign_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("referral_campaign.id", ondelete="CASCADE")
    )
    code_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("referral_code.id", ondelete="SET NULL")
    )
    referrer_customer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("customer.id", ondelete="CASCADE")
    )
    referee_customer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("customer.id", ondelete="CASCADE")
    )
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime())
    first_order_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("orders.id", ondelete="SET NULL")
    )
    first_order_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    first_order_fen: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # keyed hashes (never the values) of what the referee used: for the fraud rules
    device_index: Mapped[str] = mapped_column(String(40), default="")
    phone_index: Mapped[str] = mapped_column(String(40), default="")
    address_index: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(12), default="joined")
    fraud_reasons: Mapped[str] = mapped_column(String(200), default="")


class ReferralReward(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A reward owed for a referral: pending, held for review, granted or rejected."""

    __tablename__ = "referral_reward"
    __table_args__ = (
        UniqueConstraint("workspace_id", "idempotency_key"),
        Index("ix_referral_reward_status", "workspace_id", "status"),
    )

    referral_id: Mapped[int] = mapped_column(BigId, ForeignKey("referral.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customer.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(16))  # join | first_order
    beneficiary: Mapped[str] = mapped_column(String(12))  # referrer | referee
    kind: Mapped[str] = mapped_column(String(16))  # points | coupon | stored_value
    amount: Mapped[int] = mapped_column(BigInteger)  # points, or fen for coupon / stored value
    status: Mapped[str] = mapped_column(String(12), default="pending")
    hold_reason: Mapped[str] = mapped_column(String(200), default="")
    idempotency_key: Mapped[str] = mapped_column(String(80))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    decided_by: Mapped[str] = mapped_column(String(64), default="")
    ledger_ref: Mapped[str] = mapped_column(String(80), default="")
