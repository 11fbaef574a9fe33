"""Accounts as the API returns them: users, API keys (secrets shown once, at creation)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from siyu.accounts.rules import Role


class MeRead(BaseModel):
    """Who is calling, and what they may do."""

    workspace_id: int
    username: str
    role: str | None = Field(description="Console role; None for an API key.")
    permissions: list[str]
    locale: str
    csrf_token: str | None = Field(
        default=None, description="Send as X-CSRF-Token on writes made with the session cookie."
    )


class UserRead(BaseModel):
    """A console user."""

    id: int
    username: str
    display_name: str
    role: str
    staff_account: str | None
    locale: str | None
    active: bool
    last_login_at: datetime | None
    created_at: datetime


class UserCreate(BaseModel):
    """A new console user."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)
    role: Role
    display_name: str = Field(default="", max_length=200)
    staff_account: str = Field(default="", max_length=64, description="Staff account code.")


class UserUpdate(BaseModel):
    """Changes to a console user (absent fields stay)."""

    role: Role | None = None
    active: bool | None = None
    password: str | None = Field(default=None, min_length=1, max_length=200)
    staff_account: str | None = Field(default=None, max_length=64)


class ApiKeyRead(BaseModel):
    """An API key without its secrets."""

    id: int
    name: str
    prefix: str = Field(description="Public part: the X-Siyu-Key header of signed webhooks.")
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreate(BaseModel):
    """A new API key."""

    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(min_length=1)


class ApiKeyCreated(ApiKeyRead):
    """A key just created: `key` and `signing_secret` are shown this once only."""

    key: str
    signing_secret: str
