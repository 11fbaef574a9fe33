"""The contact policy as configuration: caps by stage and channel, quiet hours, consent rules.

Defaults follow the source articles: active customers get value content and no discounts,
silent ones a rhythm with small offers, dormant ones few contacts with a bigger win-back
offer, churned ones rare contact and major promotions only. WeCom's own limits on batch
messages (a customer receives at most one company batch message a day, and about four a
month) are the WeCom channel's default caps. Every number is editable per workspace.
"""

from __future__ import annotations

from datetime import time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator, model_validator

CHANNELS = ("wecom", "sms", "email", "webhook", "console", "staff")
"""Ways a message reaches a customer; "staff" is a person-to-person contact by a staff account
(a 1-to-1 chat or call from the daily task list)."""
STAGES = ("none", "active", "silent", "dormant", "churned")
MAX_CAP = 10_000
"""No cap or rate above this is meaningful: a larger number is a typing mistake."""

Window = Literal["day", "week", "month"]
LocalTime = Annotated[
    time,
    WithJsonSchema({"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$",
                    "description": "A wall-clock time in the customer's zone, HH:MM[:SS]."}),
]  # fmt: skip
"""JSON Schema's `time` format wants an offset; quiet hours are local, so they carry none."""


class Caps(BaseModel):
    """At most this many contacts per local calendar day, ISO week and month (None: no cap)."""

    model_config = ConfigDict(extra="forbid")

    day: int | None = Field(default=None, ge=0, le=MAX_CAP)
    week: int | None = Field(default=None, ge=0, le=MAX_CAP)
    month: int | None = Field(default=None, ge=0, le=MAX_CAP)


class StagePolicy(BaseModel):
    """Extra caps for customers in one lifecycle stage (the lower of these and the overall
    caps applies)."""

    model_config = ConfigDict(extra="forbid")

    overall: Caps = Field(default_factory=Caps)
    promotion: Caps = Field(default_factory=Caps)
    major_promotions_only: bool = False


class ChannelPolicy(BaseModel):
    """Caps of one channel, the consent it needs and what one message costs."""

    model_config = ConfigDict(extra="forbid")

    caps: Caps = Field(default_factory=Caps)
    consent_channel: str | None = None
    require_opt_in: bool = False
    cost_fen: float = Field(default=0.0, ge=0)


class QuietHours(BaseModel):
    """No message is delivered between start and end in the customer's own time zone."""

    model_config = ConfigDict(extra="forbid")

    start: LocalTime = time(21, 0)
    end: LocalTime = time(9, 0)


def _default_stages() -> dict[str, StagePolicy]:
    return {
        "none": StagePolicy(overall=Caps(week=2, month=4), promotion=Caps(month=2)),
        "active": StagePolicy(overall=Caps(week=2, month=8), promotion=Caps(month=0)),
        "silent": StagePolicy(overall=Caps(week=1, month=4), promotion=Caps(month=2)),
        "dormant": StagePolicy(overall=Caps(month=2), promotion=Caps(month=1)),
        "churned": StagePolicy(
            overall=Caps(month=1), promotion=Caps(month=1), major_promotions_only=True
        ),
    }


def _default_channels() -> dict[str, ChannelPolicy]:
    return {
        "wecom": ChannelPolicy(caps=Caps(day=1, month=4), consent_channel="wecom"),
        "sms": ChannelPolicy(
            caps=Caps(day=1, week=2, month=4),
            consent_channel="sms",
            require_opt_in=True,
            cost_fen=5.0,
        ),
        "email": ChannelPolicy(
            caps=Caps(day=1, week=3), consent_channel="email", require_opt_in=True, cost_fen=0.1
        ),
        "webhook": ChannelPolicy(caps=Caps(day=1), consent_channel="app_push"),
        "console": ChannelPolicy(),
        "staff": ChannelPolicy(caps=Caps(day=1, week=2), consent_channel="wecom"),
    }


class ContactPolicy(BaseModel):
    """Every rule a message must pass before it is scheduled, in one place."""

    model_config = ConfigDict(extra="forbid")

    overall: Caps = Field(default_factory=lambda: Caps(day=1, week=3, month=8))
    promotion: Caps = Field(default_factory=lambda: Caps(day=1, week=2, month=4))
    stages: dict[str, StagePolicy] = Field(default_factory=_default_stages)
    channels: dict[str, ChannelPolicy] = Field(default_factory=_default_channels)
    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    default_time_zone: str = "Asia/Shanghai"
    bump_lead_minutes: int = Field(default=10, ge=0, le=24 * 60)
    """A reserved contact due sooner than this is never given up to a higher-valued one."""
    group_posts_per_day: int = Field(default=1, ge=0, le=MAX_CAP)
    """Posts a customer group receives a day (WeCom lets a group receive about one a day)."""
    moments_per_day: int = Field(default=1, ge=0, le=MAX_CAP)
    """Moments posts a staff account publishes a day (customers see their feed)."""

    @field_validator("default_time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _known_names(self) -> ContactPolicy:
        unknown = [s for s in self.stages if s not in STAGES]
        unknown += [c for c in self.channels if c not in CHANNELS]
        if unknown:
            raise ValueError(f"unknown stage or channel: {', '.join(unknown)}")
        return self
