"""Pydantic schemas of the content library and SOP plans."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from siyu.segments.schemas import CODE_PATTERN

Kind = Literal["text", "image", "link", "mini_program"]
Persona = Literal["", "founder", "image", "cs_ip"]
"""The voice a template speaks in: the founder's, the brand's image IP, or customer service."""
Trigger = Literal["joined", "ordered", "group_daily", "moments"]
PERSONAS: dict[str, tuple[str, str]] = {
    "founder": ("founder IP", "创始人 IP"),
    "image": ("brand image IP", "形象 IP"),
    "cs_ip": ("customer-service IP", "客服 IP"),
}
_NEEDS: dict[str, tuple[str, ...]] = {
    "text": (), "image": ("image_url",), "link": ("link_url",),
    "mini_program": ("appid", "page"),
}  # fmt: skip


class TemplateCreate(BaseModel):
    """A new message template."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE_PATTERN)
    kind: Kind = "text"
    persona: Persona = ""
    title: str = Field(default="", max_length=200)
    text: str = Field(default="", max_length=2000)
    media: dict[str, str] = Field(default_factory=dict)
    is_promotion: bool = False

    @model_validator(mode="after")
    def _complete(self) -> TemplateCreate:
        missing = [k for k in _NEEDS[self.kind] if not self.media.get(k)]
        if missing:
            raise ValueError(f"a {self.kind} template needs media {', '.join(missing)}")
        if self.kind == "text" and not self.text.strip():
            raise ValueError("a text template needs text")
        return self


class TemplateRead(BaseModel):
    """A stored template."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    kind: str
    persona: str
    title: str
    text: str
    media: dict[str, Any]
    is_promotion: bool


class SopStep(BaseModel):
    """One scheduled piece of content: `day` days after the trigger (customer plans), or on
    a weekday / a date / every day (group and Moments plans), at a local time."""

    model_config = ConfigDict(extra="forbid")

    template: str
    day: int | None = Field(default=None, ge=0, le=365)
    weekday: int | None = Field(default=None, ge=0, le=6)
    on: date | None = None
    hour: int = Field(default=10, ge=0, le=23)
    minute: int = Field(default=0, ge=0, le=59)


class SopPlanCreate(BaseModel):
    """A new SOP plan."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(default="", max_length=200)
    trigger: Trigger
    channel: Literal["wecom", "sms", "email", "webhook", "console"] = "wecom"
    segment: str | None = None
    steps: list[SopStep] = Field(min_length=1, max_length=60)
    targets: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> SopPlanCreate:
        personal = self.trigger in ("joined", "ordered")
        for step in self.steps:
            if personal and step.day is None:
                raise ValueError("steps of a joined/ordered plan need `day`")
            if not personal and step.day is not None:
                raise ValueError("steps of a group/Moments plan use `weekday` or `on`, not `day`")
        if self.trigger == "moments" and not self.targets:
            raise ValueError("a Moments plan needs staff account codes as targets")
        return self


class SopPlanRead(BaseModel):
    """A stored SOP plan."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    trigger: str
    channel: str
    steps: list[dict[str, Any]]
    targets: list[str]
    active: bool
    created_at: datetime
