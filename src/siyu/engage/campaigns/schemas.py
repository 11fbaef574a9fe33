"""Pydantic schemas of campaigns, their plans and their measured results."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from siyu.segments.schemas import CODE_PATTERN

CampaignChannel = Literal["wecom", "sms", "email", "webhook", "console"]
Offer = Literal["none", "small", "large", "major"]


class VariantSpec(BaseModel):
    """One version of the content: texts with {variables}, and its share of the treatment."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(default="A", pattern=r"^[A-Za-z0-9_-]{1,16}$")
    weight: float = Field(default=1.0, gt=0)
    content: dict[str, str]
    by_channel: dict[CampaignChannel, dict[str, str]] = Field(default_factory=dict)
    """Per-channel changes to the content (an SMS needs a shorter text than a WeCom card)."""

    def for_channel(self, channel: str) -> dict[str, str]:
        """The content as sent on a channel."""
        return {**self.content, **self.by_channel.get(channel, {})}  # type: ignore[call-overload]


class CampaignCreate(BaseModel):
    """A new campaign (a draft until launched)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(default="", max_length=200)
    segment: str
    channel: CampaignChannel
    fallback_channels: list[CampaignChannel] = Field(default_factory=list, max_length=4)
    """Tried in order for customers the channel cannot reach (no contact, no consent on it,
    its own cap reached)."""
    send_at: AwareDatetime
    offer: Offer = "none"
    major: bool = False
    expected_uplift: float | None = Field(default=None, ge=0, le=1)
    control_share: float = Field(default=0.1, ge=0, le=0.9)
    use_holdout: bool = True
    reschedule_days: int = Field(default=0, ge=0, le=14)
    attribution_days: int = Field(default=14, ge=1, le=180)
    variants: list[VariantSpec] = Field(min_length=1, max_length=8)
    seed: int | None = None

    @model_validator(mode="after")
    def _distinct_channels(self) -> CampaignCreate:
        chosen = [self.channel, *self.fallback_channels]
        if len(set(chosen)) != len(chosen):
            raise ValueError("the channel and the fallback channels must all differ")
        return self


class CampaignRead(BaseModel):
    """A campaign as stored."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    channel: str
    fallback_channels: list[str]
    status: str
    send_at: datetime
    offer: str
    is_major: bool
    expected_uplift: float
    control_share: float
    use_holdout: bool
    reschedule_days: int
    attribution_days: int
    launched_at: datetime | None


class CampaignPlan(BaseModel):
    """What launching now would do: arms, the policy's decisions and their expected value."""

    audience: int
    holdout: int
    control: int
    treatment: int
    admitted: int
    rescheduled: int
    control_eligible: int
    by_reason: dict[str, int]
    by_variant: dict[str, int]
    by_channel: dict[str, int]
    expected_value_fen: float
    seconds: float

    @property
    def decisions_per_second(self) -> float:
        """Customers decided per second of planning."""
        return self.audience / self.seconds if self.seconds > 0 else float("inf")


class LaunchReport(BaseModel):
    """What a launch wrote."""

    members: int
    queued: int
    suppressed: int
    control: int
    holdout: int
    resumed: int
    seconds: float


class ArmFigures(BaseModel):
    """One arm's raw figures over the attribution window."""

    customers: int
    eligible: int
    converted: int
    converted_eligible: int
    revenue_fen: int
    prior_buyers: int
    repurchased: int


class Comparison(BaseModel):
    """A difference against a baseline arm with its confidence interval."""

    label: str
    population: Literal["all", "eligible"]
    metric: Literal["conversion", "revenue_per_customer_fen", "repurchase"]
    treated: int
    baseline: int
    difference: float
    low: float
    high: float
    p_value: float
    incremental_total: float
    incremental_low: float
    incremental_high: float


class CampaignResults(BaseModel):
    """Results as increments over control, with confidence intervals."""

    code: str
    window_start: datetime
    window_end: datetime
    complete: bool
    confidence: float
    arms: dict[str, ArmFigures]
    comparisons: list[Comparison]


class CampaignDetail(CampaignRead):
    """A campaign with its segment, variants, and its messages by delivery status."""

    segment: str | None
    variants: list[VariantSpec]
    messages: dict[str, int]


class PauseReport(BaseModel):
    """What pausing or resuming did."""

    code: str
    status: str
    messages: int = Field(description="Messages held (pause) or released (resume).")


class LaunchJob(BaseModel):
    """A launch running in the background and how far it got."""

    id: str
    campaign: str
    status: str = Field(description="queued, running, done or failed.")
    done: int
    total: int | None
    fraction: float | None
    started_at: datetime
    finished_at: datetime | None
    result: LaunchReport | None
    error: dict[str, str] | None = Field(default=None, description="code and message")
