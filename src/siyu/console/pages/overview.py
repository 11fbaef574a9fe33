"""The overview page: pool size next to quality, ladder funnel, stages, GMV, trends."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from siyu.accounts.rules import Permission, Principal
from siyu.console import charts
from siyu.console.render import render
from siyu.overview import service
from siyu.overview.repository import Grain
from siyu.web.deps import Db, Locale, require_page
from siyu.web.locale import translations

router = APIRouter()
GRAINS: tuple[Grain, ...] = ("day", "month", "year")


@router.get("/overview", include_in_schema=False)
def overview_page(
    request: Request,
    db: Db,
    locale: Locale,
    principal: Annotated[Principal, require_page(Permission.OVERVIEW_READ)],
) -> Response:
    """The brand at a glance."""
    _ = translations(locale).gettext
    figures = service.overview(db, principal.workspace_id, locale=locale)
    trends = {g: service.trend(db, principal.workspace_id, g) for g in GRAINS}
    chart_specs = {
        "ladder": charts.ladder_funnel(figures.ladder, _),
        "stages": charts.stages_bar(figures.stages, _),
        "pool": charts.pool_quality(
            figures.pool.repeat_share, figures.outside_pool.repeat_share, _
        ),
        "gmv": charts.gmv_split(figures.public.gmv_fen, figures.private.gmv_fen, _),
        **{f"trend-{g}": charts.trend(t.points, _) for g, t in trends.items()},
    }
    return render(
        request, "overview.html", principal, active="overview", figures=figures,
        charts=chart_specs, has_orders=any(p.orders for t in trends.values() for p in t.points),
    )  # fmt: skip
