"""Playbooks per lifecycle stage and the first-purchases journey, as editable configuration.

The defaults follow the source articles (and ``analytics.lifecycle.stage_treatments``):
active customers get value content every week and no discounts; silent ones a contact every
two weeks with a small offer; dormant ones a monthly win-back with a bigger offer; churned
ones only major promotions (a playbook run for them happens only when a major promotion is
declared). The journey nudges buyers through their first five purchases a few days before
their next purchase is due by their own purchase cycle (``cycle_days`` −
``days_since_purchase``; the CLV model's "next purchase" is a memoryless median wait that
moves ahead every day, so it cannot time a nudge), with a suggested product.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from siyu.engage.campaigns.schemas import CampaignChannel, Offer


def _sms() -> list[CampaignChannel]:
    return ["sms"]


class StagePlaybook(BaseModel):
    """What siyu does for customers in one stage."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    channel: CampaignChannel = "wecom"
    fallback_channels: list[CampaignChannel] = Field(default_factory=list)
    """Tried in order for customers the channel cannot reach (e.g. SMS for those not in the
    pool)."""
    every_days: int = Field(default=14, ge=1, le=365)
    """Contact rhythm: a customer gets the playbook's message when not contacted this long."""
    offer: Offer = "none"
    major_promotions_only: bool = False
    send_hour: int = Field(default=10, ge=0, le=23)
    content: dict[str, str]
    expected_uplift: float | None = Field(default=None, ge=0, le=1)


class Journey(BaseModel):
    """The first-purchases journey: a nudge timed from the next purchase by the own cycle."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    channel: CampaignChannel = "wecom"
    fallback_channels: list[CampaignChannel] = Field(default_factory=_sms)
    max_purchases: int = Field(default=4, ge=1, le=10)
    """Buyers with 1 to this many purchases are nudged (so through their fifth purchase)."""
    lead_days: int = Field(default=3, ge=0, le=30)
    """The nudge goes this many days before the next purchase is due."""
    send_hour: int = Field(default=10, ge=0, le=23)
    offer: Offer = "none"
    content: dict[str, str] = Field(
        default_factory=lambda: {
            "text": "{name}您好～{product}差不多该补货啦，需要的话回复我帮您留一份。"
        }
    )
    expected_uplift: float = Field(default=0.03, ge=0, le=1)


TaskReason = Literal["due_repurchase", "slipping", "deleted_us", "high_value_unserved"]


def _default_scripts() -> dict[str, str]:
    return {
        "due_repurchase": "{name}您好～您常用的{product}差不多该用完了，需要我帮您留一份吗？",
        "slipping": "{name}您好，最近{product}用得怎么样？有任何问题都可以随时问我～",
        "deleted_us": "（短信或电话回访）您好，之前在企业微信为您服务的顾问联系您，"
        "想了解一下哪里没做好，欢迎随时回来。",
        "high_value_unserved": "{name}您好，感谢您一直以来的支持，为您准备了一份会员专属礼遇～",
    }


class TaskSettings(BaseModel):
    """How the daily task lists are made."""

    model_config = ConfigDict(extra="forbid")

    due_window_days: float = Field(default=3.0, ge=0, le=30)
    """A customer is due when their own cycle ends within this many days (either side)."""
    slipping_from: float = Field(default=0.8, gt=0, le=1)
    """Active customers past this share of their own cycle are slipping towards silent."""
    deleted_within_days: int = Field(default=7, ge=1, le=90)
    high_value_quantile: float = Field(default=0.9, ge=0, lt=1)
    unserved_days: int = Field(default=30, ge=1, le=365)
    uplift: dict[str, float] = Field(default_factory=lambda: {
        "due_repurchase": 0.08, "slipping": 0.05, "deleted_us": 0.03,
        "high_value_unserved": 0.04,
    })  # fmt: skip
    scripts: dict[str, str] = Field(default_factory=_default_scripts)


Stage = Literal["active", "silent", "dormant", "churned"]


def _default_stages() -> dict[Stage, StagePlaybook]:
    return {
        "active": StagePlaybook(
            every_days=7, offer="none",
            content={"text": "{name}您好～本周的护理小知识送给您，有问题随时问我。"},
        ),
        "silent": StagePlaybook(
            every_days=14, offer="small", fallback_channels=["sms"],
            content={"text": "{name}好久不见～给您准备了一张小额优惠券，{offer}。"},
        ),
        "dormant": StagePlaybook(
            every_days=30, offer="large", channel="sms",
            content={"text": "【{brand}】老朋友回归礼：{offer}，期待再见到您。"},
        ),
        "churned": StagePlaybook(
            every_days=90, offer="major", major_promotions_only=True, channel="sms",
            content={"text": "【{brand}】年度大促开启：{offer}。"},
        ),
    }  # fmt: skip


class Playbooks(BaseModel):
    """Every stage's playbook, the journey and the task settings of a workspace."""

    model_config = ConfigDict(extra="forbid")

    stages: dict[Stage, StagePlaybook] = Field(default_factory=_default_stages)
    journey: Journey = Field(default_factory=Journey)
    tasks: TaskSettings = Field(default_factory=TaskSettings)
    offers: dict[str, str] = Field(default_factory=lambda: {
        "small": "满 99 减 10", "large": "满 199 减 50", "major": "全场 7 折",
    })  # fmt: skip
