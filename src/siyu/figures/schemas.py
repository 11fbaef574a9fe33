"""Stored figures as the API returns them: tables of cells, money in integer fen."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from siyu.kit.clock import Day

GrainChoice = Literal["day", "month", "year"]
CellValue = str | int | float | None


class ColumnRead(BaseModel):
    """A column of a figures table."""

    key: str
    label: str
    kind: str = Field(description="text, count, fen (integer fen), share, days, ratio, months.")


class TableRead(BaseModel):
    """One table of figures, in the caller's language."""

    key: str
    title: str
    note: str
    transposed: bool
    columns: list[ColumnRead]
    rows: list[list[CellValue]]


class FiguresRead(BaseModel):
    """A family of stored figures: when and for which period they were computed."""

    family: str
    grain: GrainChoice
    day: date
    period: str = Field(description="2026-10-30, 2026-10 or 2026 (China time).")
    window_first: date
    computed_at: datetime
    seconds: float = Field(description="How long computing every family took.")
    clv_as_of: date | None
    tables: list[TableRead]


class StoredRead(BaseModel):
    """One stored computation."""

    grain: GrainChoice
    day: date
    period: str
    computed_at: datetime


class FiguresStatusRead(BaseModel):
    """What is stored: the latest figures per grain, and every stored period."""

    latest: list[StoredRead]
    periods: dict[str, list[str]] = Field(description="Stored periods per grain, newest first.")
    running_job: str | None = Field(description="Id of a figures job still running, if any.")


class FiguresJobCreate(BaseModel):
    """Compute the figures of one grain, or of all three."""

    grain: Literal["all", "day", "month", "year"] = "all"
    day: Day | None = Field(None, alias="date", description="A day of the period; default: "
                             "the last day with data up to yesterday (China time).")  # fmt: skip


class LadderJobCreate(BaseModel):
    """Ladder migration between the ends of two China days."""

    start: Day
    end: Day


class LadderRead(BaseModel):
    """The last ladder migration computed between two chosen dates."""

    start: date
    end: date
    computed_at: datetime
    tables: list[TableRead]
