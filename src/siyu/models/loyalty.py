"""Loyalty: programme settings, tiers, earn and top-up rules, card plans, and the ledger.

The ledger is an append-only double-entry journal: `loyalty_posting` (one business event,
with its idempotency key) and `loyalty_entry` (its signed lines, integer fen or points).
`loyalty_account.balance` caches the sum of an account's entries for customer accounts;
brand accounts leave it NULL (their balance is the journal sum, computed when asked).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, BigId, CreatedMixin, IdMixin, UtcDateTime, WorkspaceMixin
from siyu.kit.clock import utcnow


class LoyaltyProgram(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A workspace's loyalty settings (one row per workspace)."""

    __tablename__ = "loyalty_program"
    __table_args__ = (UniqueConstraint("workspace_id"),)

    points_validity_days: Mapped[int | None] = mapped_column(Integer, default=365)
    bonus_order: Mapped[str] = mapped_column(String(12), default="bonus_first")
    tier_retain_days: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class LoyaltyTier(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A member tier: how it is entered and what it gives."""

    __tablename__ = "loyalty_tier"
    __table_args__ = (UniqueConstraint("workspace_id", "code"),)

    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    rank: Mapped[int] = mapped_column(Integer)
    window_days: Mapped[int] = mapped_column(Integer, default=365)
    min_spend_fen: Mapped[int | None] = mapped_column(BigInteger, default=None)
    min_points_earned: Mapped[int | None] = mapped_column(BigInteger, default=None)
    discount_bp: Mapped[int] = mapped_column(Integer, default=0)
    points_multiplier_pct: Mapped[int] = mapped_column(Integer, default=100)
    free_shipping: Mapped[bool] = mapped_column(Boolean, default=False)
    exclusive_service: Mapped[bool] = mapped_column(Boolean, default=False)


class LoyaltyEarnRule(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """Points for spending (per fen, optionally per product role) or for an action."""

    __tablename__ = "loyalty_earn_rule"
    __table_args__ = (UniqueConstraint("workspace_id", "code"),)

    code: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))
    action: Mapped[str | None] = mapped_column(String(32), default=None)
    product_role: Mapped[str | None] = mapped_column(String(16), default=None)
    points: Mapped[int] = mapped_column(Integer)
    per_fen: Mapped[int | None] = mapped_column(Integer, default=None)
    max_times: Mapped[int | None] = mapped_column(Integer, default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class LoyaltyTopupRule(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A top-up bonus: top up at least `min_topup_fen`, get `bonus_fen`."""

    __tablename__ = "loyalty_topup_rule"
    __table_args__ = (UniqueConstraint("workspace_id", "code"),)

    code: Mapped[str] = mapped_column(String(32))
    min_topup_fen: Mapped[int] = mapped_column(BigInteger)
    bonus_fen: Mapped[int] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class LoyaltyCardPlan(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A paid membership card for sale: price, term, the tier and benefits it gives."""

    __tablename__ = "loyalty_card_plan"
    __table_args__ = (UniqueConstraint("workspace_id", "code"),)

    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    price_fen: Mapped[int] = mapped_column(BigInteger)
    duration_days: Mapped[int] = mapped_column(Integer)
    tier_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("loyalty_tier.id", ondelete="SET NULL"), default=None
    )
    discount_bp: Mapped[int] = mapped_column(Integer, default=0)
    points_multiplier_pct: Mapped[int] = mapped_column(Integer, default=100)
    free_shipping: Mapped[bool] = mapped_column(Boolean, default=False)
    exclusive_service: Mapped[bool] = mapped_column(Boolean, default=False)
    refund_policy: Mapped[str] = mapped_column(String(12), default="pro_rata")
    cooling_off_days: Mapped[int] = mapped_column(Integer, default=7)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class LoyaltyCard(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """One paid term of a membership card held by a customer (a renewal is a new term)."""

    __tablename__ = "loyalty_card"
    __table_args__ = (
        Index("ix_loyalty_card_customer", "workspace_id", "customer_id"),
        Index("ix_loyalty_card_expires", "workspace_id", "status", "expires_at"),
    )

    # No cascade: a merge of customers moves cards first; a delete must not lose them.
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customer.id"))
    plan_id: Mapped[int] = mapped_column(BigId, ForeignKey("loyalty_card_plan.id"))
    status: Mapped[str] = mapped_column(String(12), default="active")
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    price_fen: Mapped[int] = mapped_column(BigInteger)
    purchase_posting_id: Mapped[int] = mapped_column(BigId, ForeignKey("loyalty_posting.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    refund_fen: Mapped[int] = mapped_column(BigInteger, default=0)


class LoyaltyMembership(WorkspaceMixin, Base):
    """A customer's current tier and why they hold it."""

    __tablename__ = "loyalty_membership"

    customer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True
    )
    tier_id: Mapped[int] = mapped_column(BigId, ForeignKey("loyalty_tier.id"))
    basis: Mapped[str] = mapped_column(String(12))
    since: Mapped[datetime] = mapped_column(UtcDateTime())
    retain_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    evaluated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class LoyaltyTierChange(IdMixin, WorkspaceMixin, Base):
    """Every change of a customer's tier, with its reason."""

    __tablename__ = "loyalty_tier_change"
    __table_args__ = (Index("ix_loyalty_tier_change_customer", "workspace_id", "customer_id"),)

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customer.id"))
    from_tier_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("loyalty_tier.id"))
    to_tier_id: Mapped[int] = mapped_column(BigId, ForeignKey("loyalty_tier.id"))
    reason: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(String(200), default="")
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class LoyaltyAccount(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A ledger account: a customer's holding (points, stored value) or a brand counter account."""

    __tablename__ = "loyalty_account"
    __table_args__ = (
        UniqueConstraint("workspace_id", "code"),
        Index("ix_loyalty_account_customer", "customer_id"),
        # A customer's holding never has the wrong sign: the last line of defence
        # under the row locks (points_debt is what the customer owes, so it is <= 0).
        CheckConstraint(
            "customer_id IS NULL OR balance IS NULL"
            " OR (kind = 'points_debt' AND balance <= 0)"
            " OR (kind <> 'points_debt' AND balance >= 0)",
            name="sign",
        ),
    )

    # No cascade: a merge of customers moves or closes accounts first.
    customer_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("customer.id"))
    kind: Mapped[str] = mapped_column(String(24))
    unit: Mapped[str] = mapped_column(String(8))
    code: Mapped[str] = mapped_column(String(64))
    balance: Mapped[int | None] = mapped_column(BigInteger, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)


class LoyaltyPosting(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """One business event in the journal, posted once per idempotency key."""

    __tablename__ = "loyalty_posting"
    __table_args__ = (
        UniqueConstraint("workspace_id", "idempotency_key"),
        Index("ix_loyalty_posting_reference", "workspace_id", "reference", "customer_id"),
        Index("ix_loyalty_posting_kind_posted", "workspace_id", "kind", "posted_at"),
        Index("ix_loyalty_posting_ref_posting", "ref_posting_id"),
    )

    idempotency_key: Mapped[str] = mapped_column(String(128))
    fingerprint: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(24))
    customer_id: Mapped[int | None] = mapped_column(BigId, default=None)
    reference: Mapped[str] = mapped_column(String(96), default="")
    ref_posting_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("loyalty_posting.id"), default=None
    )
    basis_fen: Mapped[int | None] = mapped_column(BigInteger, default=None)
    memo: Mapped[str] = mapped_column(String(200), default="")
    posted_at: Mapped[datetime] = mapped_column(UtcDateTime())


class LoyaltyEntry(IdMixin, WorkspaceMixin, Base):
    """One signed line of a posting on one account (fen or points, by the account's unit)."""

    __tablename__ = "loyalty_entry"
    __table_args__ = (
        Index("ix_loyalty_entry_account", "account_id", "posting_id"),
        Index("ix_loyalty_entry_posting", "posting_id"),
        CheckConstraint("amount <> 0", name="nonzero"),
    )

    posting_id: Mapped[int] = mapped_column(BigId, ForeignKey("loyalty_posting.id"))
    account_id: Mapped[int] = mapped_column(BigId, ForeignKey("loyalty_account.id"))
    amount: Mapped[int] = mapped_column(BigInteger)


class LoyaltyPointsLot(IdMixin, WorkspaceMixin, Base):
    """Points earned together, spent first-in first-out and expiring together."""

    __tablename__ = "loyalty_points_lot"
    __table_args__ = (
        Index("ix_loyalty_points_lot_account", "account_id", "expires_at"),
        Index("ix_loyalty_points_lot_expires", "workspace_id", "expires_at"),
        Index("ix_loyalty_points_lot_posting", "posting_id"),
        CheckConstraint("remaining >= 0 AND remaining <= amount", name="remaining"),
    )

    account_id: Mapped[int] = mapped_column(BigId, ForeignKey("loyalty_account.id"))
    posting_id: Mapped[int] = mapped_column(BigId, ForeignKey("loyalty_posting.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    remaining: Mapped[int] = mapped_column(BigInteger)
    earned_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
