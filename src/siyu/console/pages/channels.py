"""The channels page: joiners, cost, CAC, buying, LTV/CAC, payback and deletions per channel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from siyu.console import charts
from siyu.console.pages.figures import Reader, figures_view, grain_of
from siyu.console.render import render
from siyu.web.deps import Db, Locale
from siyu.web.locale import translations

router = APIRouter()


@router.get("/channels", include_in_schema=False)
def channels_page(
    request: Request,
    db: Db,
    locale: Locale,
    principal: Reader,
    grain: Annotated[str | None, Query()] = None,
    job: Annotated[str | None, Query()] = None,
) -> Response:
    """Channel economics from the stored figures, with the red-envelope chart."""
    _ = translations(locale).gettext
    view = figures_view(request, db, principal, locale, grain_of(grain), job)
    table = view.table("channels")
    specs = {"effect": charts.channel_effect(table, _)} if table and table["rows"] else {}
    return render(
        request, "channels.html", principal, active="channels", view=view, table=table,
        charts=specs,
    )  # fmt: skip
