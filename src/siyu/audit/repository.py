"""All queries on the audit log and its chain head."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, func, insert, select, update
from sqlalchemy.orm import Session

from siyu.models import AuditEntry, AuditHead, UserAccount

HEAD_ID = 1


def advance_head(session: Session) -> tuple[int, str]:
    """Take the next entry id and the last hash, holding the head's lock until commit.

    An UPDATE, not a read: on PostgreSQL it takes the row lock (a second writer waits and
    then sees the new head), on SQLite the database write lock, so the chain never forks.
    """
    row = session.execute(
        update(AuditHead)
        .where(AuditHead.id == HEAD_ID)
        .values(last_id=AuditHead.last_id + 1)
        .returning(AuditHead.last_id, AuditHead.last_hash)
    ).one()
    return int(row[0]), str(row[1])


def append(session: Session, values: dict[str, Any]) -> None:
    """Insert one entry and move the head's hash to it."""
    session.execute(insert(AuditEntry).values(**values))
    session.execute(
        update(AuditHead).where(AuditHead.id == HEAD_ID).values(last_hash=values["hash"])
    )


def head(session: Session) -> tuple[int, str]:
    """The head as committed: the last entry's id and hash."""
    row = session.execute(
        select(AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == HEAD_ID)
    ).one()
    return int(row[0]), str(row[1])


COLUMNS = (
    AuditEntry.id, AuditEntry.at, AuditEntry.workspace_id, AuditEntry.actor, AuditEntry.action,
    AuditEntry.target_type, AuditEntry.target_id, AuditEntry.details, AuditEntry.prev_hash,
    AuditEntry.hash,
)  # fmt: skip


def entries_upto(session: Session, last_id: int, *, chunk: int = 5_000) -> Iterator[Row[Any]]:
    """Every entry up to `last_id` as plain rows (COLUMNS), in id order, read in chunks."""
    after = 0
    while after < last_id:
        rows = session.execute(
            select(*COLUMNS)
            .where(AuditEntry.id > after, AuditEntry.id <= last_id)
            .order_by(AuditEntry.id)
            .limit(chunk)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1][0]


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What a search of the log asks for (every field optional)."""

    workspace_id: int | None = None
    actor: str = ""
    action: str = ""
    target_type: str = ""
    target_id: str = ""
    since: datetime | None = None
    until: datetime | None = None


def _filtered(stmt: Select[Any], f: AuditFilter) -> Select[Any]:
    if f.workspace_id is not None:
        stmt = stmt.where(AuditEntry.workspace_id == f.workspace_id)
    if f.actor:
        stmt = stmt.where(AuditEntry.actor == f.actor)
    if f.action:
        stmt = stmt.where(AuditEntry.action == f.action)
    if f.target_type:
        stmt = stmt.where(AuditEntry.target_type == f.target_type)
    if f.target_id:
        stmt = stmt.where(AuditEntry.target_id == f.target_id)
    if f.since is not None:
        stmt = stmt.where(AuditEntry.at >= f.since)
    if f.until is not None:
        stmt = stmt.where(AuditEntry.at < f.until)
    return stmt


def search(
    session: Session, f: AuditFilter, *, offset: int = 0, limit: int | None = 50
) -> tuple[list[AuditEntry], int]:
    """Entries matching the filter, newest first, and how many match."""
    total = session.scalar(_filtered(select(func.count()).select_from(AuditEntry), f)) or 0
    stmt = _filtered(select(AuditEntry), f).order_by(AuditEntry.id.desc()).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt)), total


def user_names(session: Session, ids: set[int]) -> dict[int, str]:
    """Log-in names of these users (to show actors by name)."""
    if not ids:
        return {}
    rows = session.execute(
        select(UserAccount.id, UserAccount.username).where(UserAccount.id.in_(ids))
    )
    return {r[0]: r[1] for r in rows}
