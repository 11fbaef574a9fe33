"""What the figures pages share: the stored figures of a grain, the recompute job with its
progress, and the console forms that start figures and ladder jobs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from siyu.accounts.rules import Permission, Principal
from siyu.figures import endpoints as api
from siyu.figures import repository, rules, service
from siyu.figures.schemas import FiguresJobCreate, LadderJobCreate
from siyu.imports.endpoints import job_read, runner
from siyu.imports.schemas import JobRead
from siyu.kit.errors import ValidationError
from siyu.web.deps import Db, Locale, require_page, store_of
from siyu.web.locale import N_, translations

router = APIRouter()
Reader = Annotated[Principal, require_page(Permission.OVERVIEW_READ)]
BACK: Final = {"overview": "/overview", "channels": "/channels", "cohorts": "/cohorts"}
STAGES: Final = {
    "queued": N_("Waiting to start"),
    "snapshot": N_("Refreshing the snapshot of the store"),
    "profiles": N_("Reading the published profiles"),
    "purchases": N_("Collecting purchases"),
    "operating": N_("Operating figures"),
    "pool": N_("Pool size and quality"),
    "repurchase": N_("Repurchase"),
    "cohorts": N_("Cohorts"),
    "ladder": N_("Ladder migration"),
    "channels": N_("Channel economics"),
    "products": N_("Product roles"),
    "done": N_("Done"),
}


@dataclass(frozen=True)
class FiguresView:
    """What a figures page shows: the stored document of its grain and a job under way."""

    grain: str
    document: dict[str, Any] | None
    job: JobRead | None
    locale: str
    stages: dict[str, str]

    @property
    def computed_at(self) -> datetime | None:
        """When the shown figures were computed."""
        return datetime.fromisoformat(self.document["computed_at"]) if self.document else None

    def table(self, key: str) -> dict[str, Any] | None:
        """A stored table in the page's language."""
        if self.document is None:
            return None
        found = api.tables_in(self.document, self.locale, (key,))
        return found[0] if found else None


def grain_of(value: str | None) -> str:
    """The grain a page shows (month unless day or year is asked for)."""
    return value if value in rules.GRAINS else "month"


def figures_view(
    request: Request, db: Db, principal: Principal, locale: str, grain: str, job_id: str | None
) -> FiguresView:
    """The stored figures of ``grain`` and the figures job to follow, if any."""
    home = store_of(request).settings.home
    slug = service.workspace_slug(db, principal.workspace_id)
    document = repository.load(home, slug, grain)
    job = runner(request).get(principal.workspace_id, job_id) if job_id else None
    job = job or api.running_job(request, principal)
    shown = job_read(job, locale) if job is not None else None
    _ = translations(locale).gettext
    return FiguresView(grain, document, shown, locale, {k: _(v) for k, v in STAGES.items()})


def _back(page: str, grain: str, job: JobRead) -> RedirectResponse:
    path = BACK.get(page, "/overview")
    return RedirectResponse(f"{path}?grain={grain_of(grain)}&job={job.id}", status_code=303)


@router.post("/figures/compute", include_in_schema=False)
def compute(
    request: Request,
    locale: Locale,
    principal: Reader,
    page: Annotated[str, Form()] = "overview",
    grain: Annotated[str, Form()] = "month",
) -> Response:
    """Start computing the figures of every grain and go back to the page with its progress."""
    job = api.start_figures(FiguresJobCreate(grain="all"), request, locale, principal)
    return _back(page, grain, job)


@router.post("/figures/ladder", include_in_schema=False)
def ladder(
    request: Request,
    locale: Locale,
    principal: Reader,
    start: Annotated[str, Form()] = "",
    end: Annotated[str, Form()] = "",
    grain: Annotated[str, Form()] = "month",
) -> Response:
    """Start the ladder migration between two chosen dates."""
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise ValidationError("report.bad_date", value=f"{start} / {end}") from None
    job = api.start_ladder(LadderJobCreate(start=first, end=last), request, locale, principal)
    return _back("cohorts", grain, job)
