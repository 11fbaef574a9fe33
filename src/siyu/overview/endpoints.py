"""API routes of the figures: the overview and sales trends."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from siyu.accounts.rules import Permission, Principal
from siyu.overview import service
from siyu.overview.schemas import OverviewRead, TrendRead
from siyu.web.deps import Db, Locale, require
from siyu.web.export import EXPORT_RESPONSES, ExportFormat, export_response, yuan

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


@router.get("/overview/export", response_class=Response, responses=EXPORT_RESPONSES)
def export_overview(
    db: Db,
    locale: Locale,
    principal: Annotated[Principal, require(Permission.EXPORT)],
    format: ExportFormat = ExportFormat.CSV,
) -> Response:
    """Customers per ladder rung and lifecycle stage as CSV or XLSX."""
    figures = service.overview(db, principal.workspace_id, locale=locale)
    rows = [("ladder", r.key, r.label, r.customers) for r in figures.ladder]
    rows += [("stage", r.key, r.label, r.customers) for r in figures.stages]
    return export_response("overview", ("group", "key", "label", "customers"), rows, format)


@router.get("/overview/trend/export", response_class=Response, responses=EXPORT_RESPONSES)
def export_trend(
    db: Db,
    principal: Annotated[Principal, require(Permission.EXPORT)],
    grain: Literal["day", "month", "year"] = "month",
    format: ExportFormat = ExportFormat.CSV,
) -> Response:
    """Sales per period as CSV or XLSX (amounts in yuan)."""
    points = service.trend(db, principal.workspace_id, grain).points
    rows = ((p.period, yuan(p.public_fen), yuan(p.private_fen), p.orders, p.buyers) for p in points)
    headers = ("period", "public_yuan", "private_yuan", "orders", "buyers")
    return export_response(f"sales-{grain}", headers, rows, format)
