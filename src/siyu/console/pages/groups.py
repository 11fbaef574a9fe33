"""The groups page: each WeCom customer group's activity, the dead / declining flag with its
reason, and the messages per day of the window as a chart."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from siyu.accounts.rules import Permission, Principal
from siyu.console import charts
from siyu.console.render import render
from siyu.groups.endpoints import ChatRef, Status, group_list
from siyu.web.deps import Db, Locale, require_page
from siyu.web.locale import N_, translations

router = APIRouter()
STATUS_NAMES = {"healthy": N_("Healthy"), "declining": N_("Declining"), "dead": N_("Dead")}
REASONS = {
    "silent": N_("Nobody sent a message in the window."),
    "owner_only": N_("Acted by the owner alone: members send under a tenth of the messages "
                     "and fewer than 1 in 50 members speak on an average day."),
    "members_fell": N_("Members' messages per day fell by half or more against the 28 days "
                       "before."),
    "net_leaving": N_("More members left than joined, by a tenth of the group or more."),
}  # fmt: skip


@router.get("/groups", include_in_schema=False)
def groups_page(
    request: Request,
    db: Db,
    locale: Locale,
    principal: Annotated[Principal, require_page(Permission.ENGAGE_READ)],
    status: Status | None = None,
    group: ChatRef = None,
    as_of: Annotated[date | None, Query()] = None,
) -> Response:
    """Group health: activity figures per group, worst first, and a chart of the window."""
    _ = translations(locale).gettext
    found = group_list(db, principal.workspace_id, as_of, status, group or None)
    chosen = next((g for g in found.groups if g.chat_ref == group), None)
    query = "&".join(f"{k}={v}" for k, v in (("status", status), ("as_of", as_of)) if v)
    return render(
        request, "groups.html", principal, active="groups", found=found, status=status,
        chosen=chosen, statuses=STATUS_NAMES, reasons=REASONS, query=query,
        chart_spec=charts.group_messages(found.days, _),
    )  # fmt: skip
