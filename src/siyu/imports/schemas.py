"""Imports and their jobs as the API returns them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from siyu.web.errors import ErrorBody


class ImportKind(StrEnum):
    """What a file holds."""

    ORDERS = "orders"
    PRODUCTS = "products"
    CONTACTS = "contacts"
    COSTS = "costs"


class RejectRead(BaseModel):
    """A rejected row: where, and why (in the caller's language)."""

    file: str
    line: int
    column: str
    reason: str


class ImportBatchRead(BaseModel):
    """One imported file and what happened."""

    id: int
    kind: str
    file_name: str
    preset: str
    started_at: datetime
    accepted: int
    rejected: int
    created: int
    updated: int
    unchanged: int


class ImportOutcome(BaseModel):
    """What a finished import did, with its first rejects."""

    batch_id: int | None
    kind: str
    file: str
    rows: int
    accepted: int
    rejected: int
    created: int
    updated: int
    unchanged: int
    rejects: list[RejectRead] = Field(description="The first rejects; the batch has them all.")


class JobRead(BaseModel):
    """A long job started from the console and how far it got."""

    id: str
    kind: str
    label: str
    status: str = Field(description="queued, running, done or failed.")
    stage: str
    done: int
    total: int | None
    fraction: float | None
    started_at: datetime
    finished_at: datetime | None
    result: ImportOutcome | None
    error: ErrorBody | None
