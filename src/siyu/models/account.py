"""Console and API access: user accounts, their sessions, API keys and webhook deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, BigId, CreatedMixin, IdMixin, UtcDateTime, WorkspaceMixin
from siyu.kit.clock import utcnow


class UserAccount(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A person who logs in to the console: one role in one workspace."""

    __tablename__ = "user_account"
    # Login names are unique across the deployment: the login form asks for no workspace.
    __table_args__ = (UniqueConstraint("username"),)

    username: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(24))
    staff_account_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("staff_account.id", ondelete="SET NULL"), default=None
    )
    locale: Mapped[str | None] = mapped_column(String(8), default=None)
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    # Consecutive failed log-ins; at the limit the account is locked until `locked_until`.
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)


class WebSession(Base):
    """A logged-in browser: the cookie holds a random token, the table only its hash."""

    __tablename__ = "web_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ApiKey(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """A key for an integration: scopes, a hash of the key and an encrypted signing secret."""

    __tablename__ = "api_key"
    __table_args__ = (UniqueConstraint("prefix"),)

    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(24))
    key_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(400))
    signing_secret_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_by_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)


class WebhookDelivery(IdMixin, WorkspaceMixin, Base):
    """One signed delivery received; its id is the nonce that refuses a replay."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("api_key_id", "delivery_id"),
        Index("ix_webhook_delivery_received", "received_at"),
    )

    api_key_id: Mapped[int] = mapped_column(BigId, ForeignKey("api_key.id", ondelete="CASCADE"))
    delivery_id: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))
    order_id: Mapped[int | None] = mapped_column(BigId, default=None)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
