"""The live-codes page: channel codes with their staff pool, landing visits and joins; QR
downloads and insert-card PDFs; creating and pausing codes for roles that may write."""

from __future__ import annotations

from datetime import timedelta
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
from siyu.kit.clock import CHINA_TZ, Day, utcnow
from siyu.kit.errors import SiyuError, ValidationError, invalid_fields
from siyu.kit.money import typed_yuan
from siyu.web.deps import Db, Locale, require_page
from siyu.web.locale import N_

router = APIRouter()
STATUS_NAMES = {"active": N_("Active"), "paused": N_("Paused"), "archived": N_("Archived")}
Writer = Annotated[Principal, require_page(Permission.ENGAGE_WRITE)]


def _page(
    request: Request,
    db: Db,
    principal: Principal,
    status: str | None = None,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    today = utcnow().astimezone(CHINA_TZ).date()
    return render(
        request, "codes.html", principal, active="codes", status=status, statuses=STATUS_NAMES,
        codes=list_reads(request, db, principal.workspace_id, status),
        since=today - timedelta(days=1), until=today, max_days=MAX_CARD_DAYS,
        query=f"status={status}" if status else "", error=error, form=form or {},
        status_code=422 if error else 200,
    )  # fmt: skip


@router.get("/codes", include_in_schema=False)
def codes_page(
    request: Request,
    db: Db,
    principal: Annotated[Principal, require_page(Permission.ENGAGE_READ)],
    status: Status | None = None,
) -> Response:
    """Channel codes: pool, visits, joins, QR downloads, cards, create and pause."""
    return _page(request, db, principal, status)


def _fen(text: str) -> int:
    fen = typed_yuan(text.strip() or "0")
    if fen is None:
        raise ValidationError("channels.bad_cost")
    return fen


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.replace("，", ",").split(",") if n.strip()]


@router.post("/codes", include_in_schema=False)
def create_code(
    request: Request,
    db: Db,
    locale: Locale,
    principal: Writer,
    code: Annotated[str, Form()],
    name: Annotated[str, Form()],
    channel: Annotated[str, Form()],
    staff: Annotated[str, Form()],
    backup_staff: Annotated[str, Form()] = "",
    welcome_text: Annotated[str, Form()] = "",
    cost_yuan: Annotated[str, Form()] = "0",
) -> Response:
    """Create a channel code; bad input comes back in the form with the reason, nothing made."""
    form = {
        "code": code, "name": name, "channel": channel, "staff": staff,
        "backup_staff": backup_staff, "welcome_text": welcome_text, "cost_yuan": cost_yuan,
    }  # fmt: skip
    try:
        service.create_code(db, principal.workspace_id, _spec(form))
    except SiyuError as exc:
        db.rollback()
        return _page(request, db, principal, error=exc.message(locale), form=form)
    return RedirectResponse(f"/codes?created={code.strip()}", status_code=303)


def _spec(form: dict[str, str]) -> ChannelCodeCreate:
    try:
        return ChannelCodeCreate(
            code=form["code"].strip(), name=form["name"].strip(), channel=form["channel"].strip(),
            staff=_names(form["staff"]), backup_staff=_names(form["backup_staff"]),
            welcome_text=form["welcome_text"].strip(), cost_per_join_fen=_fen(form["cost_yuan"]),
        )  # fmt: skip
    except PydanticError as exc:
        raise invalid_fields(exc) from None


@router.post("/codes/{code}/status", include_in_schema=False)
def set_status(db: Db, principal: Writer, code: str, status: Annotated[Status, Form()]) -> Response:
    """Pause a code, take it live again, or archive it."""
    service.set_status(db, principal.workspace_id, code, status)
    return RedirectResponse("/codes", status_code=303)


@router.get("/codes/cards", include_in_schema=False)
def cards(
    principal: Annotated[Principal, require_page(Permission.EXPORT)],
    code: Annotated[str, Query(pattern=r"^[A-Za-z0-9_-]{1,30}$")],
    since: Day,
    until: Day,
) -> Response:
    """The card form's target: on to the PDF download of the API."""
    query = urlencode({"since": since.isoformat(), "until": until.isoformat()})
    return RedirectResponse(f"/api/v1/channel-codes/{code}/cards.pdf?{query}", status_code=303)
