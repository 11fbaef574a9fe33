"""API routes of the figures: the overview and sales trends."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from siyu.accounts.rules import Permission, Principal
from siyu.reports import service
from siyu.reports.schemas import OverviewRead, TrendRead
from siyu.web.deps import Db, Locale, require

router = APIRouter(tags=["figures"])


@router.get("/overview", response_model=OverviewRead)
def get_overview(
    db: Db,
    principal: Annotated[Principal, require(Permission.OVERVIEW_READ)],
    locale: Locale,
    window_days: Annotated[int, Query(ge=1, le=3650, description="Sales window in days.")] = 365,
) -> OverviewRead:
    """Pool size and quality, ladder, stages, repurchase, CLV, GMV public vs private, AOV."""
    return service.overview(db, principal.workspace_id, locale=locale, window_days=window_days)


@router.get("/overview/trend", response_model=TrendRead)
def get_trend(
    db: Db,
    principal: Annotated[Principal, require(Permission.OVERVIEW_READ)],
    grain: Literal["day", "month", "year"] = "month",
) -> TrendRead:
    """Sales per day (last 90), month (last 24) or year (last 10), public and private."""
    return service.trend(db, principal.workspace_id, grain)
