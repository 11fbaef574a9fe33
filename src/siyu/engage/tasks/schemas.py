"""Pydantic schemas of daily tasks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Outcome = Literal["replied", "purchased", "no_reply", "declined", "wrong_contact", "other"]


class TaskRead(BaseModel):
    """A task on a list."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    staff_account_id: int
    customer_id: int
    day: date
    reason: str
    script: str
    products: list[dict[str, Any]]
    expected_value_fen: float
    rank: int
    status: str
    skip_reason: str
    outcome: str
    note: str
    done_at: datetime | None


class TaskDone(BaseModel):
    """What came of a contact."""

    outcome: Outcome
    note: str = Field(default="", max_length=500)


class GenerateReport(BaseModel):
    """What a day's generation did."""

    day: date
    candidates: int
    created: int
    already: int
    held_back: dict[str, int]
    by_reason: dict[str, int]
    by_staff: dict[str, int]


class TaskView(TaskRead):
    """A task as a staff member's list shows it: who works it and whom it is about (masked)."""

    staff: str
    customer: str | None = Field(description="A masked identity of the customer.")


class TaskSkip(BaseModel):
    """Why a task is skipped."""

    reason: str = Field(min_length=1, max_length=200)


class TaskReassign(BaseModel):
    """The staff account a task moves to."""

    to: str = Field(min_length=1, max_length=64)
