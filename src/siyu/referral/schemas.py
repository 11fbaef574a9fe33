"""Referral campaigns: reward rules and limits (validated; stored as JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from siyu.kit.money import MAX_FEN


class RewardRule(BaseModel):
    """Who gets what, and when: on the referee joining or on their first order."""

    trigger: Literal["join", "first_order"]
    beneficiary: Literal["referrer", "referee"]
    kind: Literal["points", "coupon", "stored_value"]
    amount: int = Field(
        gt=0, le=MAX_FEN, description="Points, or fen for a coupon or stored value."
    )
    min_order_fen: int = Field(
        default=0, ge=0, le=MAX_FEN, description="First orders below this earn none."
    )


class CampaignRules(BaseModel):
    """A campaign's rewards and the limits beyond which rewards are held for review."""

    rewards: list[RewardRule] = Field(min_length=1)
    max_referrals_per_day: int = Field(default=10, ge=1, le=10_000, description="Per referrer.")
    max_rewarded_referrals: int = Field(default=50, ge=1, le=10_000, description="Per referrer.")
    max_same_address: int = Field(
        default=2, ge=1, le=10_000, description="Referees of one referrer shipping to one address."
    )


class CampaignCreate(BaseModel):
    """A new referral campaign."""

    code: str = Field(pattern=r"^[A-Za-z0-9_-]{1,30}$")
    name: str = Field(min_length=1, max_length=200)
    rules: CampaignRules
    channel: str = Field(default="referral", max_length=64)
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class CampaignFigures(BaseModel):
    """A campaign with its viral figures (K = referred customers per code holder)."""

    code: str
    name: str
    status: str
    starts_at: datetime | None
    ends_at: datetime | None
    holders: int = Field(description="Customers holding a code.")
    referrers: int = Field(description="Holders who referred anyone.")
    joiners: int = Field(description="Referred joiners (held ones excluded).")
    converted: int = Field(description="Referred joiners who placed a first order.")
    flagged: int = Field(description="Referrals held by the fraud rules.")
    generations: int = Field(description="Depth of the referral tree.")
    k_join: float
    k_order: float
    invites_per_referrer: float


class RewardRead(BaseModel):
    """A reward, as the review list shows it (no personal data: customer ids only)."""

    id: int
    referral_id: int
    customer_id: int
    trigger: str
    beneficiary: str
    kind: str
    amount: int = Field(description="Points, or fen for a coupon or stored value.")
    status: str
    hold_reason: str
    decided_at: datetime | None
    decided_by: str


class RewardDecision(BaseModel):
    """Approve (release) or reject a held reward."""

    approve: bool
