"""The audit log as the API returns it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class AuditEntryRead(BaseModel):
    """One entry of the log."""

    id: int
    at: datetime
    actor: str = Field(description="user:ID, api_key:ID, cli:NAME, system or anonymous.")
    actor_name: str | None = Field(description="The console user's log-in name, if any.")
    action: str
    target_type: str
    target_id: str
    details: dict[str, Any]
    hash: str


class VerifyRead(BaseModel):
    """The outcome of walking the whole hash chain."""

    ok: bool
    checked: int
    last_id: int
    broken_id: int | None
    message: str
