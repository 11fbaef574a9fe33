"""The cohorts page: retention and revenue heat maps, ladder migration between two dates,
the repurchase funnel with the time between purchases, and product roles."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from siyu.console import charts
from siyu.console.pages.figures import Reader, figures_view, grain_of
from siyu.console.render import render
from siyu.figures import endpoints as api
from siyu.figures import rules, service
from siyu.web.deps import Db, Locale, store_of
from siyu.web.locale import translations

router = APIRouter()
HEATMAPS = rules.FAMILY_TABLES["cohorts"]


@router.get("/cohorts", include_in_schema=False)
def cohorts_page(
    request: Request,
    db: Db,
    locale: Locale,
    principal: Reader,
    grain: Annotated[str | None, Query()] = None,
    job: Annotated[str | None, Query()] = None,
) -> Response:
    """Cohorts, ladder migration, repurchase funnel and product roles from the stored figures."""
    _ = translations(locale).gettext
    view = figures_view(request, db, principal, locale, grain_of(grain), job)
    specs: dict[str, Any] = {}
    for key in HEATMAPS:
        table = view.table(key)
        if table and table["rows"]:
            specs[key] = charts.cohort_heatmap(table, _)
    funnel = view.table("funnel")
    if funnel and funnel["rows"]:
        specs["funnel"] = charts.purchase_funnel(funnel, _)
    chosen = service.chosen_ladder(
        store_of(request).settings.home, service.workspace_slug(db, principal.workspace_id)
    )
    ladder = api.tables_in(chosen, locale) if chosen else None
    return render(
        request, "cohorts.html", principal, active="cohorts", view=view, charts=specs,
        heatmaps=HEATMAPS, chosen=chosen, chosen_tables=ladder,
    )  # fmt: skip
