"""API routes of the audit log: search, export, verify (admins; never an API key)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from siyu.accounts.rules import Permission, Principal
from siyu.audit import service
from siyu.audit.repository import AuditFilter
from siyu.audit.rules import Verdict, parse_target
from siyu.audit.schemas import AuditEntryRead, VerifyRead
from siyu.audit.service import parse_action
from siyu.kit.clock import CHINA_TZ
from siyu.kit.errors import ValidationError
from siyu.kit.i18n import translate
from siyu.models import AuditEntry
from siyu.web.deps import Db, Locale, require
from siyu.web.export import EXPORT_RESPONSES, ExportFormat, export_response
from siyu.web.pagination import Page, Paging

router = APIRouter(tags=["audit"])
Auditor = Annotated[Principal, require(Permission.AUDIT_READ)]
EXPORT_HEADERS = ("id", "at", "actor", "actor_name", "action", "target_type", "target_id",
                  "details", "hash")  # fmt: skip


def _day(text: str, *, end: bool = False) -> datetime | None:
    if not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError("input.date", text=text[:20]) from None
    return datetime.combine(day + timedelta(days=1) if end else day, time.min, CHINA_TZ)


async def audit_filter(
    actor: Annotated[str, Query(max_length=80, description="user:ID, api_key:ID, cli:NAME…")] = "",
    action: Annotated[str, Query(max_length=40, description="One action of the closed list.")] = "",
    target: Annotated[str, Query(max_length=120, description="TYPE or TYPE:ID.")] = "",
    since: Annotated[str, Query(max_length=10, description="First day, YYYY-MM-DD.")] = "",
    until: Annotated[str, Query(max_length=10, description="Last day, YYYY-MM-DD.")] = "",
) -> AuditFilter:
    """Read the search parameters (empty: no filter; the workspace is the caller's)."""
    parsed = parse_target(target)
    if parsed is None:
        raise ValidationError("audit.bad_target", text=target[:40])
    return AuditFilter(
        actor=actor.strip(), action=parse_action(action.strip()), target_type=parsed[0],
        target_id=parsed[1], since=_day(since), until=_day(until, end=True),
    )  # fmt: skip


Filter = Annotated[AuditFilter, Depends(audit_filter)]


def entry_reads(db: Session, rows: list[AuditEntry]) -> list[AuditEntryRead]:
    """Entries with the log-in names of their console users."""
    names = service.actor_names(db, rows)
    return [
        AuditEntryRead(
            id=e.id,
            at=e.at,
            actor=e.actor,
            actor_name=names.get(e.actor),
            action=e.action,
            target_type=e.target_type,
            target_id=e.target_id,
            details=e.details,
            hash=e.hash,
        )
        for e in rows
    ]


def scoped(principal: Principal, found: AuditFilter) -> AuditFilter:
    """The filter limited to the caller's workspace."""
    return replace(found, workspace_id=principal.workspace_id)


@router.get("/audit", response_model=Page[AuditEntryRead])
def list_entries(db: Db, paging: Paging, found: Filter, principal: Auditor) -> Page[AuditEntryRead]:
    """The workspace's audit log, newest first, filtered by actor, action, target and days."""
    rows, total = service.search(
        db, scoped(principal, found), offset=paging.offset, limit=paging.per_page
    )
    return paging.wrap(entry_reads(db, rows), total)


@router.get("/audit/export", response_class=Response, responses=EXPORT_RESPONSES)
def export_entries(
    db: Db,
    found: Filter,
    principal: Auditor,
    _exporter: Annotated[Principal, require(Permission.EXPORT)],
    format: ExportFormat = ExportFormat.CSV,
) -> Response:
    """Every matching entry as CSV or XLSX."""
    rows, _ = service.search(db, scoped(principal, found), limit=None)
    cells = (
        (e.id, e.at, e.actor, e.actor_name, e.action, e.target_type, e.target_id,
         ", ".join(f"{k}={v}" for k, v in sorted(e.details.items())), e.hash)
        for e in entry_reads(db, rows)
    )  # fmt: skip
    return export_response("audit", EXPORT_HEADERS, cells, format)


def verify_read(verdict: Verdict, locale: str) -> VerifyRead:
    """A verdict with its message in the caller's language."""
    message = (
        translate("audit.ok", locale, checked=verdict.checked, last=verdict.last_id)
        if verdict.ok
        else translate(verdict.reason, locale, id=verdict.broken_id)
    )
    return VerifyRead(ok=verdict.ok, checked=verdict.checked, last_id=verdict.last_id,
                      broken_id=verdict.broken_id, message=message)  # fmt: skip


@router.post("/audit/verify", response_model=VerifyRead)
def verify(db: Db, locale: Locale, principal: Auditor) -> VerifyRead:
    """Walk the whole hash chain; the first entry changed, removed or moved is named."""
    verdict = service.verify_and_record(db, principal.actor, workspace_id=principal.workspace_id)
    return verify_read(verdict, locale)
