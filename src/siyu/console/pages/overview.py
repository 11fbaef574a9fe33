"""The overview page: pool size next to quality, ladder funnel, stages, GMV, trends."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from siyu.accounts.rules import Permission, Principal
from siyu.console import charts
from siyu.console.pages.figures import figures_view
from siyu.console.render import render
from siyu.figures import endpoints as figures_api
from siyu.figures import service as figures
from siyu.overview import service
from siyu.overview.repository import Grain
from siyu.web.deps import Db, Locale, require_page, store_of
from siyu.web.locale import translations

router = APIRouter()
GRAINS: tuple[Grain, ...] = ("day", "month", "year")


@router.get("/overview", include_in_schema=False)
def overview_page(
    request: Request,
    db: Db,
    locale: Locale,
    principal: Annotated[Principal, require_page(Permission.OVERVIEW_READ)],
    job: Annotated[str | None, Query()] = None,
) -> Response:
    """The brand at a glance; operating trends and pool quality from the stored figures."""
    _ = translations(locale).gettext
    figures_read = service.overview(db, principal.workspace_id, locale=locale)
    trends = {g: service.trend(db, principal.workspace_id, g) for g in GRAINS}
    chart_specs = {
        "ladder": charts.ladder_funnel(figures_read.ladder, _),
        "stages": charts.stages_bar(figures_read.stages, _),
        "pool": charts.pool_quality(
            figures_read.pool.repeat_share, figures_read.outside_pool.repeat_share, _
        ),
        "gmv": charts.gmv_split(figures_read.public.gmv_fen, figures_read.private.gmv_fen, _),
        **{f"trend-{g}": charts.trend(t.points, _) for g, t in trends.items()},
    }
    stored = figures.stored(
        store_of(request).settings.home, figures.workspace_slug(db, principal.workspace_id)
    )
    operating = {}
    for grain, document in stored.items():
        table = figures_api.tables_in(document, locale, ("trend",))[0]
        chart_specs[f"operating-{grain}"] = charts.operating_lines(table, _)
        operating[grain] = document
    view = figures_view(request, db, principal, locale, "month", job)
    quality = next((d for d in (stored.get(g) for g in ("month", "day", "year")) if d), None)
    pool = figures_api.tables_in(quality, locale, ("pool",))[0] if quality else None
    return render(
        request, "overview.html", principal, active="overview", figures=figures_read,
        charts=chart_specs, has_orders=any(p.orders for t in trends.values() for p in t.points),
        operating=operating, view=view, pool_quality=pool, quality_doc=quality,
    )  # fmt: skip
