"""Use cases of the audit log: record an entry, verify the chain, search (never commits).

Other domains call `record` inside their own transaction, as late in it as they can: the
append holds the chain head's lock until that transaction ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from siyu.audit import repository
from siyu.audit.repository import AuditFilter
from siyu.audit.rules import (
    Action,
    EntryData,
    StoredEntry,
    Target,
    Verdict,
    check_details,
    entry_hash,
    verify_chain,
)
from siyu.kit.clock import utcnow
from siyu.kit.errors import ValidationError
from siyu.models import AuditEntry


def record(
    session: Session,
    actor: str,
    action: Action,
    target: Target | None = None,
    details: Mapping[str, Any] | None = None,
    *,
    workspace_id: int | None = None,
    at: datetime | None = None,
) -> int:
    """Append one entry to the chain in the caller's transaction; return its id.

    Details must hold ids, codes, counts and masked values only: a value that looks like a
    phone number, e-mail address or ID-card number is refused (ValueError).
    """
    target = target or Target()
    clean = check_details(details or {})
    entry_id, prev = repository.advance_head(session)
    data = EntryData(
        id=entry_id, at=at or utcnow(),
        workspace_id=workspace_id, actor=actor[:80], action=Action(action).value,
        target_type=target.type[:40], target_id=target.ident[:80], details=clean,
    )  # fmt: skip
    repository.append(
        session,
        {
            "id": data.id, "at": data.at, "workspace_id": data.workspace_id, "actor": data.actor,
            "action": data.action, "target_type": data.target_type, "target_id": data.target_id,
            "details": clean, "prev_hash": prev, "hash": entry_hash(prev, data),
        },
    )  # fmt: skip
    return entry_id


def parse_action(text: str) -> str:
    """An action name from the closed list (empty: any); else a bilingual 422."""
    if text and text not in {a.value for a in Action}:
        known = ", ".join(a.value for a in Action)
        raise ValidationError("audit.bad_action", action=text[:40], known=known)
    return text


def _stored(row: Any) -> StoredEntry:
    data = EntryData(
        id=row[0], at=row[1], workspace_id=row[2], actor=row[3], action=row[4],
        target_type=row[5], target_id=row[6], details=row[7],
    )  # fmt: skip
    return StoredEntry(data, row[8], row[9])


def verify(session: Session) -> Verdict:
    """Walk the whole chain as committed; name the first entry that breaks it."""
    head_id, head_hash = repository.head(session)
    rows = repository.entries_upto(session, head_id)
    return verify_chain((_stored(r) for r in rows), head_id=head_id, head_hash=head_hash)


def verify_and_record(session: Session, actor: str, *, workspace_id: int | None = None) -> Verdict:
    """Verify the whole chain, then record that it was done and what it found."""
    verdict = verify(session)
    details = {"ok": verdict.ok, "checked": verdict.checked, "last_id": verdict.last_id,
               "broken_id": verdict.broken_id, "reason": verdict.reason}  # fmt: skip
    record(session, actor, Action.AUDIT_VERIFY, Target("audit"), details,
           workspace_id=workspace_id)  # fmt: skip
    return verdict


def search(
    session: Session, f: AuditFilter, *, offset: int = 0, limit: int | None = 50
) -> tuple[list[AuditEntry], int]:
    """Entries matching the filter, newest first, with the number that match."""
    return repository.search(session, f, offset=offset, limit=limit)


def last_verification(session: Session, workspace_id: int) -> AuditEntry | None:
    """The newest verify run recorded for this workspace."""
    rows, _ = repository.search(
        session, AuditFilter(workspace_id=workspace_id, action=Action.AUDIT_VERIFY.value), limit=1
    )
    return rows[0] if rows else None


def actor_names(session: Session, entries: list[AuditEntry]) -> dict[str, str]:
    """Readable names of the console users among the entries' actors."""
    ids = {int(e.actor[5:]) for e in entries if e.actor.startswith("user:")}
    return {f"user:{k}": v for k, v in repository.user_names(session, ids).items()}
