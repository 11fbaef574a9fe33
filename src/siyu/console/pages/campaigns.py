"""The campaigns page: campaigns to segments with a control group; plan, launch with progress,
pause, and results per arm with the uplift over control and its interval."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

import pydantic
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from siyu.accounts.rules import Permission, Principal
from siyu.console import charts
from siyu.console.render import render
from siyu.engage.campaigns import service
from siyu.engage.campaigns.endpoints import (
    LAUNCHABLE,
    active_launch,
    launch_job,
    runner,
    start_launch,
)
from siyu.engage.campaigns.rules import OFFERS
from siyu.engage.campaigns.schemas import CampaignCreate, CampaignResults
from siyu.engage.content import service as content
from siyu.kit.clock import CHINA_TZ, utcnow
from siyu.kit.errors import SiyuError
from siyu.segments import service as segments
from siyu.web.deps import Db, Locale, require_page
from siyu.web.locale import translations

router = APIRouter()
Reader = Annotated[Principal, require_page(Permission.ENGAGE_READ)]
Writer = Annotated[Principal, require_page(Permission.ENGAGE_WRITE)]
CHANNELS = ("wecom", "sms", "email", "webhook", "console")


def _page(
    request: Request,
    db: Session,
    principal: Principal,
    *,
    error: str | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    found = service.list_campaigns(db, principal.workspace_id)
    codes = [s.code for s in segments.list_segments(db, principal.workspace_id)]
    templates = content.list_templates(db, principal.workspace_id)
    tomorrow = (utcnow().astimezone(CHINA_TZ) + timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0)  # fmt: skip
    defaults = {"segment": request.query_params.get("segment", ""), "channel": "wecom",
                "send_at": tomorrow.strftime("%Y-%m-%dT%H:%M"), "control": "10",
                "offer": "none"}  # fmt: skip
    return render(
        request, "campaigns.html", principal, active="campaigns", campaigns=found,
        segment_codes=codes, templates=templates, channels=CHANNELS, offers=OFFERS, error=error,
        form=defaults | (form or {}), status_code=422 if error else 200,
    )  # fmt: skip


@router.get("/campaigns", include_in_schema=False)
def campaigns_page(request: Request, db: Db, principal: Reader) -> Response:
    """Campaigns and the form to create one from a segment."""
    return _page(request, db, principal)


@router.post("/campaigns", include_in_schema=False)
def create_campaign(
    request: Request,
    db: Db,
    locale: Locale,
    principal: Writer,
    code: Annotated[str, Form(max_length=64)],
    segment: Annotated[str, Form(max_length=64)],
    channel: Annotated[str, Form(max_length=16)],
    send_at: Annotated[str, Form(max_length=32)],
    text: Annotated[str, Form(max_length=2000)] = "",
    template: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    control: Annotated[float, Form(ge=0, le=90)] = 10,
    offer: Annotated[str, Form(max_length=8)] = "none",
) -> Response:
    """Create a draft campaign; a problem comes back in the form, in the user's language."""
    form = {"code": code, "name": name, "segment": segment, "channel": channel, "offer": offer,
            "send_at": send_at, "text": text, "control": f"{control:g}",
            "template": template}  # fmt: skip
    try:
        texts = content.template_texts(db, principal.workspace_id, template) if template else {}
    except SiyuError as exc:
        return _page(request, db, principal, error=exc.message(locale), form=form)
    texts |= {"text": text} if text.strip() or not texts else {}  # the message overrides
    try:
        moment = datetime.fromisoformat(send_at).replace(tzinfo=CHINA_TZ)
        data = CampaignCreate.model_validate({
            "code": code.strip(), "name": name.strip(), "segment": segment, "channel": channel,
            "send_at": moment, "control_share": control / 100, "offer": offer,
            "variants": [{"code": "A", "content": texts}],
        })  # fmt: skip
    except (ValueError, pydantic.ValidationError) as exc:
        return _page(request, db, principal, error=_invalid(locale, exc), form=form)
    try:
        service.create_campaign(db, principal.workspace_id, data)
    except SiyuError as exc:
        db.rollback()
        return _page(request, db, principal, error=exc.message(locale), form=form)
    return RedirectResponse(f"/campaigns/{data.code}", status_code=303)


def _invalid(locale: str, exc: Exception) -> str:
    fields = ""
    if isinstance(exc, pydantic.ValidationError):
        fields = ", ".join(str(e["loc"][0]) for e in exc.errors() if e["loc"])
    message = translations(locale).gettext("Check these fields: %(fields)s.")
    return message % {"fields": fields or "send_at"}


def _results(db: Session, workspace_id: int, code: str, locale: str) -> dict[str, Any] | None:
    campaign = service.require_campaign(db, workspace_id, code)
    if campaign.launched_at is None:
        return None
    found: CampaignResults = service.results(db, workspace_id, code, utcnow())
    _ = translations(locale).gettext
    arms = [(_(name), f.customers, f.revenue_fen) for name, f in found.arms.items()]
    conversion = [c for c in found.comparisons if c.metric == "conversion"]
    rows = [(f"{_(c.label)} · {_(c.population)}", c.difference, c.low, c.high) for c in conversion]
    specs = {"revenue": charts.revenue_by_arm(arms, _)}
    if rows:
        specs["uplift"] = charts.uplift(rows, _)
    return {"results": found, "charts": specs}


@router.get("/campaigns/{code}", include_in_schema=False)
def campaign_page(
    code: str,
    request: Request,
    db: Db,
    locale: Locale,
    principal: Reader,
    job: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """One campaign: its plan while a draft, its launch's progress, then its results."""
    workspace_id = principal.workspace_id
    detail = service.detail(db, workspace_id, code)
    running = runner(request).get(workspace_id, job) if job else None
    running = running or active_launch(request, workspace_id, code)
    # a draft, or a launch interrupted by a restart, can be planned and launched (resumed)
    ready = detail.status in LAUNCHABLE and (running is None or running.status == "failed")
    plan = service.plan(db, workspace_id, code, utcnow()) if ready else None
    return render(
        request, "campaign.html", principal, active="campaigns", c=detail, plan=plan,
        job=launch_job(running, locale) if running is not None else None,
        **(_results(db, workspace_id, code, locale) or {}),
    )  # fmt: skip


@router.post("/campaigns/{code}/launch", include_in_schema=False)
def launch(code: str, request: Request, db: Db, principal: Writer) -> Response:
    """Start the launch and show its progress."""
    campaign = service.require_campaign(db, principal.workspace_id, code)
    job = start_launch(request, principal, code, campaign.status)
    return RedirectResponse(f"/campaigns/{code}?job={job.id}", status_code=303)


@router.post("/campaigns/{code}/pause", include_in_schema=False)
def pause(code: str, db: Db, principal: Writer) -> Response:
    """Hold the messages not yet sent."""
    service.pause(db, principal.workspace_id, code)
    return RedirectResponse(f"/campaigns/{code}", status_code=303)


@router.post("/campaigns/{code}/resume", include_in_schema=False)
def resume(code: str, db: Db, principal: Writer) -> Response:
    """Release the held messages."""
    service.resume(db, principal.workspace_id, code)
    return RedirectResponse(f"/campaigns/{code}", status_code=303)
