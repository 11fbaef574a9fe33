"""Pydantic schemas of segments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from siyu.kit.ids import RecordId

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"


class SegmentCreate(BaseModel):
    """A new segment: a rule as text (the rule language or JSON) or as a JSON tree."""

    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=500)
    rule: str | dict[str, Any]


class SegmentUpdate(BaseModel):
    """Changes to a segment (None leaves a field as it is)."""

    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=500)
    rule: str | dict[str, Any] | None = None


class SegmentRead(BaseModel):
    """A saved segment."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    description: str
    rule: dict[str, Any]
    rule_text: str
    last_count: int | None
    counted_at: datetime | None


class SegmentCount(BaseModel):
    """A live count: members, customers profiled, members by lifecycle stage, time taken."""

    count: int
    total: int
    by_stage: dict[str, int]
    seconds: float


TAG_PATTERN = r"^[^\s,\[\]()'\"]{1,64}$"


class FieldRead(BaseModel):
    """A field rules can test, with its operators and closed values."""

    name: str
    kind: str
    source: str
    label: str
    ops: list[str]
    values: list[str] | None


class TagRead(BaseModel):
    """A tag and how many customers carry it."""

    tag: str
    customers: int


class TagChange(BaseModel):
    """Customers to tag or untag."""

    customer_ids: list[RecordId] = Field(min_length=1, max_length=10_000)


class TagChanged(BaseModel):
    """What a tag change did."""

    tag: str
    changed: int
