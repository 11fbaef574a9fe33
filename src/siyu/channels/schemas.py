"""Input and output shapes of channel codes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from siyu.kit.money import MAX_FEN
from siyu.models.enums import ChannelKind


class ChannelCodeCreate(BaseModel):
    """A new channel code: the touchpoint, who answers it, and what happens on join."""

    code: str = Field(pattern=r"^[A-Za-z0-9_-]{1,30}$", description="Also the WeCom state.")
    name: str = Field(min_length=1, max_length=200)
    channel: str = Field(min_length=1, max_length=64, description="Channel code (created if new).")
    channel_kind: ChannelKind = ChannelKind.OTHER
    staff: list[str] = Field(min_length=1, description="Staff codes (WeCom userids), in order.")
    backup_staff: list[str] = Field(default_factory=list)
    routing: Literal["round_robin", "least_loaded"] = "round_robin"
    welcome_text: str = Field(default="", max_length=4000)
    tag_ids: list[str] = Field(default_factory=list, description="WeCom enterprise tag ids.")
    cost_per_join_fen: int = Field(default=0, ge=0, le=MAX_FEN)
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class ChannelCodeRead(BaseModel):
    """A channel code as listed."""

    code: str
    name: str
    channel: str
    channel_kind: str
    routing: str
    status: str
    staff: list[str]
    backup_staff: list[str]
    inactive_staff: list[str] = Field(default_factory=list)
    visits: int = Field(default=0, description="Landing-page visits (QR scans).")
    joins: int
    cost_per_join_fen: int
    starts_at: datetime | None = None
    ends_at: datetime | None
    landing_url: str
    wecom_connected: bool = Field(default=False, description="`siyu wecom sync` made its way.")


class ChannelCodeStatus(BaseModel):
    """Pause a code, take it live again, or archive it."""

    status: Literal["active", "paused", "archived"]
