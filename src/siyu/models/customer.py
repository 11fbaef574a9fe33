"""Customer, the identifiers that name them, and the record of every merge."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, BigId, CreatedMixin, IdMixin, UtcDateTime, WorkspaceMixin
from siyu.kit.clock import utcnow


class Customer(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """One person across platforms."""

    __tablename__ = "customer"
    __table_args__ = (Index("ix_customer_workspace_name", "workspace_id", "name_index"),)

    name_enc: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # Blind index of the normalised full name: the console finds a customer by exact name
    # without decrypting anyone (names never merge customers, so this is no identity).
    name_index: Mapped[str | None] = mapped_column(String(40), default=None)
    first_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)


class Identity(IdMixin, WorkspaceMixin, CreatedMixin, Base):
    """An identifier of a customer, encrypted, found by its blind index."""

    __tablename__ = "identity"
    __table_args__ = (
        # blind_index leads after workspace_id: look-ups are "which of these hashes exist".
        UniqueConstraint("workspace_id", "blind_index", "kind", "platform"),
        Index("ix_identity_customer", "customer_id"),
    )

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customer.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    platform: Mapped[str] = mapped_column(String(32), default="")
    blind_index: Mapped[str] = mapped_column(String(40))
    value_enc: Mapped[bytes] = mapped_column(LargeBinary)
    masked: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32), default="import")


class CustomerMerge(IdMixin, WorkspaceMixin, Base):
    """Why two customer records became one: the identifier they shared."""

    __tablename__ = "customer_merge"

    winner_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    loser_id: Mapped[int] = mapped_column(BigId)
    identity_kind: Mapped[str] = mapped_column(String(24))
    identity_platform: Mapped[str] = mapped_column(String(32), default="")
    identity_masked: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(200))
    merged_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
