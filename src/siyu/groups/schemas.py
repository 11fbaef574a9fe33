"""Output shapes of customer groups and their activity figures."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class GroupRead(BaseModel):
    """A group's figures over the window before `as_of` and its health."""

    chat_ref: str = Field(description="WeCom chat_id (or the activity export's group id).")
    name: str
    owner: str = Field(description="The owner's staff code (WeCom userid).")
    members: int
    messages_per_day: float
    member_share: float = Field(description="Members' share of the messages.")
    owner_staff_share: float = Field(description="The owner's and staff's share.")
    active_member_ratio: float = Field(description="Members who speak on an average day.")
    joins: int
    leaves: int
    member_messages_change: float | None = Field(description="Against the window before.")
    status: str = Field(description="healthy, declining or dead.")
    reason: str = Field(description="silent, owner_only, members_fell or net_leaving.")


class GroupDay(BaseModel):
    """Messages of one China day."""

    day: date
    owner_messages: int
    staff_messages: int
    member_messages: int


class GroupList(BaseModel):
    """The groups' figures and the daily messages of the window."""

    as_of: date
    window_days: int
    groups: list[GroupRead]
    days: list[GroupDay]
