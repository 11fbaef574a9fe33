"""Customers as the API returns them: masked identities only, money in integer fen."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from siyu.kit.ids import MAX_ROW_ID


class CustomerSummary(BaseModel):
    """One row of the customer list."""

    id: int
    display: str | None = Field(description="A masked identity (a phone first).")
    first_seen_at: datetime | None
    tier: str | None
    stage: str | None
    n_purchases: int | None
    net_paid_fen: int | None
    clv_fen: int | None
    p_alive: float | None
    next_purchase_at: datetime | None
    in_pool: bool | None


class IdentityRead(BaseModel):
    """An identifier of the customer, masked."""

    id: int
    kind: str
    platform: str
    masked: str
    source: str


class ProfileRead(BaseModel):
    """What the daily pipeline published about the customer."""

    as_of: date
    tier: str
    tier_label: str
    stage: str
    stage_label: str
    stage_reason: str
    cycle_days: float | None
    days_since_purchase: float | None
    rfm_r: int
    rfm_f: int
    rfm_m: int
    rfm_segment: str
    n_purchases: int
    net_paid_fen: int
    p_alive: float | None
    expected_purchases_365d: float | None
    expected_spend_fen: int | None
    clv_fen: int | None
    next_purchase_at: datetime | None
    in_pool: bool
    entry_channel: str | None


class ContactRead(BaseModel):
    """The customer in one private carrier."""

    carrier: str
    carrier_ref: str
    staff_code: str | None
    staff_name: str | None
    channel_code: str | None
    channel_name: str | None
    joined_at: datetime
    left_at: datetime | None
    left_reason: str | None


class ConsentRead(BaseModel):
    """A grant or withdrawal of consent."""

    channel: str
    purpose: str
    granted: bool
    source: str
    recorded_at: datetime


class CustomerPortrait(BaseModel):
    """Everything siyu knows of one customer, personal data masked."""

    id: int
    name_masked: str | None
    address_masked: str | None = Field(description="The latest order's delivery address, masked.")
    first_seen_at: datetime | None
    identities: list[IdentityRead]
    merges: list[str] = Field(description="Why records were merged into this customer.")
    profile: ProfileRead | None
    contacts: list[ContactRead]
    consents: list[ConsentRead]
    current_consent: dict[str, bool] = Field(
        description="Latest marketing consent per channel (True: granted)."
    )


RevealField = Literal["name", "address", "identity"]


class RevealRequest(BaseModel):
    """One personal value to show in clear (needs `pii:reveal`; every reveal is audited)."""

    field: RevealField
    identity_id: int | None = Field(
        default=None, ge=1, le=MAX_ROW_ID, description="With field=identity."
    )


class RevealRead(BaseModel):
    """The value in clear; not cached (Cache-Control: no-store)."""

    field: RevealField
    identity_id: int | None = None
    value: str
