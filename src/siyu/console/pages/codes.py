"""The live-codes page: channel codes with their staff pool, landing visits and joins; QR
downloads and insert-card PDFs; creating and pausing codes for roles that may write."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError as PydanticError

from siyu.accounts.rules import Permission, Principal
from siyu.channels import service
from siyu.channels.endpoints import MAX_CARD_DAYS, Status, list_reads
from siyu.channels.schemas import ChannelCodeCreate
from siyu.console.render import render
from siyu.kit.clock import CHINA_TZ, utcnow
from siyu.kit.errors import ValidationError
from siyu.web.deps import Db, require_page
from siyu.web.locale import N_

router = APIRouter()
STATUS_NAMES = {"active": N_("Active"), "paused": N_("Paused"), "archived": N_("Archived")}
Writer = Annotated[Principal, require_page(Permission.ENGAGE_WRITE)]


@router.get("/codes", include_in_schema=False)
def codes_page(
    request: Request,
    db: Db,
    principal: Annotated[Principal, require_page(Permission.ENGAGE_READ)],
    status: Status | None = None,
) -> Response:
    """Channel codes: pool, visits, joins, QR downloads, cards, create and pause."""
    today = utcnow().astimezone(CHINA_TZ).date()
    return render(
        request, "codes.html", principal, active="codes", status=status, statuses=STATUS_NAMES,
        codes=list_reads(request, db, principal.workspace_id, status),
        since=today - timedelta(days=1), until=today, max_days=MAX_CARD_DAYS,
        query=f"status={status}" if status else "",
    )  # fmt: skip


def _fen(text: str) -> int:
    try:
        value = Decimal(text.strip() or "0")
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0:
        raise ValidationError("channels.bad_cost")
    return int((value * 100).to_integral_value())


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.replace("，", ",").split(",") if n.strip()]


@router.post("/codes", include_in_schema=False)
def create_code(
    db: Db,
    principal: Writer,
    code: Annotated[str, Form()],
    name: Annotated[str, Form()],
    channel: Annotated[str, Form()],
    staff: Annotated[str, Form()],
    backup_staff: Annotated[str, Form()] = "",
    welcome_text: Annotated[str, Form()] = "",
    cost_yuan: Annotated[str, Form()] = "0",
) -> Response:
    """Create a channel code from the form (bad input: a clear error, nothing created)."""
    try:
        spec = ChannelCodeCreate(
            code=code.strip(), name=name.strip(), channel=channel.strip(), staff=_names(staff),
            backup_staff=_names(backup_staff), welcome_text=welcome_text.strip(),
            cost_per_join_fen=_fen(cost_yuan),
        )  # fmt: skip
    except PydanticError as exc:
        fields = ", ".join(str(e["loc"][0]) for e in exc.errors() if e.get("loc"))
        raise ValidationError(detail=fields) from None
    service.create_code(db, principal.workspace_id, spec)
    return RedirectResponse(f"/codes?created={spec.code}", status_code=303)


@router.post("/codes/{code}/status", include_in_schema=False)
def set_status(db: Db, principal: Writer, code: str, status: Annotated[Status, Form()]) -> Response:
    """Pause a code, take it live again, or archive it."""
    service.set_status(db, principal.workspace_id, code, status)
    return RedirectResponse("/codes", status_code=303)


@router.get("/codes/cards", include_in_schema=False)
def cards(
    principal: Annotated[Principal, require_page(Permission.EXPORT)],
    code: Annotated[str, Query(pattern=r"^[A-Za-z0-9_-]{1,30}$")],
    since: date,
    until: date,
) -> Response:
    """The card form's target: on to the PDF download of the API."""
    query = urlencode({"since": since.isoformat(), "until": until.isoformat()})
    return RedirectResponse(f"/api/v1/channel-codes/{code}/cards.pdf?{query}", status_code=303)
