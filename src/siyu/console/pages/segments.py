"""The segments page: saved segments with live counts, a rule editor that counts as you type,
and each segment's members."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from siyu.accounts.rules import Permission, Principal
from siyu.analytics import ladder, lifecycle
from siyu.console.render import render
from siyu.customers.endpoints import summary
from siyu.kit.clock import utcnow
from siyu.kit.errors import SiyuError
from siyu.overview.service import label_locale
from siyu.segments import service
from siyu.segments.endpoints import member_ids, member_rows
from siyu.segments.schemas import SegmentCount, SegmentCreate
from siyu.web.deps import Db, Locale, require_page
from siyu.web.locale import translations
from siyu.web.pagination import PageParams

router = APIRouter()
Reader = Annotated[Principal, require_page(Permission.ENGAGE_READ)]
PER_PAGE = 50
EXAMPLES = ("stage in [silent, dormant] and clv_fen >= 50000",
            "tier >= repeat and not tags has vip", "days_to_due between -3 and 3",
            "consent.sms = granted and touches_30d < 2")  # fmt: skip


def _page(
    request: Request,
    db: Session,
    principal: Principal,
    locale: str,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    workspace_id = principal.workspace_id
    now = utcnow()
    found = service.list_segments(db, workspace_id)
    counts: dict[str, SegmentCount] = {
        s.code: service.count_segment(db, workspace_id, s.code, now) for s in found
    }
    return render(
        request, "segments.html", principal, active="segments", segments=found, counts=counts,
        fields=service.field_catalogue(db, workspace_id, locale), examples=EXAMPLES,
        stages=_stage_names(locale), error=error, form=form or {},
        status_code=422 if error else 200,
    )  # fmt: skip


def _stage_names(locale: str) -> dict[str, str]:
    return dict(zip(lifecycle.STAGES, lifecycle.STAGE_LABELS[label_locale(locale)], strict=True))


@router.get("/segments", include_in_schema=False)
def segments_page(request: Request, db: Db, locale: Locale, principal: Reader) -> Response:
    """Saved segments with live counts, and the rule editor."""
    return _page(request, db, principal, locale)


@router.post("/segments", include_in_schema=False)
def create_segment(
    request: Request,
    db: Db,
    locale: Locale,
    principal: Annotated[Principal, require_page(Permission.ENGAGE_WRITE)],
    code: Annotated[str, Form(max_length=64)],
    rule: Annotated[str, Form(max_length=8000)],
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Save the segment; a bad rule or code comes back in the form with the reason."""
    form = {"code": code, "name": name, "rule": rule}
    try:
        data = SegmentCreate(code=code.strip(), name=name.strip(), rule=rule)
    except ValueError:
        return _page(request, db, principal, locale, form=form,
                     error=_invalid_code(locale))  # fmt: skip
    try:
        service.create_segment(db, principal.workspace_id, data)
    except SiyuError as exc:
        db.rollback()
        return _page(request, db, principal, locale, error=exc.message(locale), form=form)
    return RedirectResponse(f"/segments/{data.code}", status_code=303)


def _invalid_code(locale: str) -> str:
    return translations(locale).gettext(
        "A code is 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter "
        "or digit."
    )


@router.get("/segments/{code}", include_in_schema=False)
def segment_page(
    code: str,
    request: Request,
    db: Db,
    locale: Locale,
    principal: Reader,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    """One segment: its rule, its count by stage, and its members."""
    workspace_id = principal.workspace_id
    segment = service.require_segment(db, workspace_id, code)
    count = service.count_segment(db, workspace_id, code, utcnow())
    ids = member_ids(db, workspace_id, code)
    paging = PageParams(page, PER_PAGE)
    rows = member_rows(db, workspace_id, ids[paging.offset : paging.offset + paging.per_page])
    lang = label_locale(locale)
    return render(
        request, "segment.html", principal, active="segments", segment=segment, count=count,
        members=paging.wrap([summary(r) for r in rows], len(ids)), stages=_stage_names(locale),
        tiers=dict(zip(ladder.TIERS, ladder.TIER_LABELS[lang], strict=True)),
    )  # fmt: skip
