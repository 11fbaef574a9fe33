"""The audit log page: search and filter, export, and verify the hash chain."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from siyu.accounts.rules import Permission, Principal
from siyu.audit import service
from siyu.audit.endpoints import Filter, entry_reads, scoped
from siyu.console.pages.customers import query_without_page
from siyu.console.render import render
from siyu.console.vocabulary import ACTION_NAMES
from siyu.kit.i18n import translate
from siyu.web.deps import Db, Locale, require_page
from siyu.web.pagination import PageParams

router = APIRouter()
Auditor = Annotated[Principal, require_page(Permission.AUDIT_READ)]
PER_PAGE = 50


@router.get("/audit", include_in_schema=False)
def audit_page(
    request: Request,
    db: Db,
    locale: Locale,
    found: Filter,
    principal: Auditor,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    """Who did what to which record, newest first; the last verification of the chain."""
    paging = PageParams(page, PER_PAGE)
    rows, total = service.search(
        db, scoped(principal, found), offset=paging.offset, limit=paging.per_page
    )
    last = service.last_verification(db, principal.workspace_id)
    checked_by = entry_reads(db, [last])[0] if last is not None else None
    outcome = _outcome(last.details, locale) if last is not None else None
    return render(
        request, "audit.html", principal, active="audit", found=found,
        page=paging.wrap(entry_reads(db, rows), total), actions=ACTION_NAMES,
        target=f"{found.target_type}:{found.target_id}".strip(":"), last=checked_by,
        outcome=outcome,
        query=query_without_page(request), filtered=request.url.query != "",
    )  # fmt: skip


def _outcome(details: dict[str, Any], locale: str) -> str:
    """A verify run's finding as a sentence in the reader's language."""
    if details.get("ok"):
        return translate("audit.ok", locale, checked=details.get("checked"),
                         last=details.get("last_id"))  # fmt: skip
    return translate(str(details.get("reason") or "audit.broken_hash"), locale,
                     id=details.get("broken_id"))  # fmt: skip


@router.post("/audit/verify", include_in_schema=False)
def verify_page(db: Db, principal: Auditor) -> Response:
    """Walk the whole chain now; the page shows the outcome."""
    service.verify_and_record(db, principal.actor, workspace_id=principal.workspace_id)
    return RedirectResponse("/audit#verification", status_code=303)
