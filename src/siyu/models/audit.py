"""The audit log: an append-only, hash-chained record of who did what to which record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, BigId, UtcDateTime


class AuditEntry(Base):
    """One audited action; `hash` chains it to the entry before (one chain for the deployment).

    No foreign keys: an entry outlives the user, key or workspace it names, and a cascade
    would be a delete, which the database refuses on this table.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_workspace_at", "workspace_id", "at"),
        Index("ix_audit_entry_actor", "actor"),
        Index("ix_audit_entry_target", "target_type", "target_id"),
    )

    # Given by the chain head (1, 2, 3 …), not by a sequence: a gap is itself a sign.
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    workspace_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(40), default="")
    target_id: Mapped[str] = mapped_column(String(80), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's head: one row, updated by every append, so appends queue behind its lock.

    It also anchors the tail: deleting the newest entries leaves the head pointing past them.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(BigId, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
