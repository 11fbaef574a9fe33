"""API routes of the stored figures: status, every family's tables, exports, figures jobs."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from siyu.accounts.rules import Permission, Principal
from siyu.figures import repository, rules, service
from siyu.figures.schemas import (
    FiguresJobCreate,
    FiguresRead,
    FiguresStatusRead,
    GrainChoice,
    LadderJobCreate,
    LadderRead,
    StoredRead,
    TableRead,
)
from siyu.figures.tasks import KIND, LADDER_KIND, FiguresRequest, run_figures, run_ladder
from siyu.imports.endpoints import job_read, runner
from siyu.imports.schemas import JobRead
from siyu.kit.clock import Day
from siyu.kit.errors import NotFoundError
from siyu.web.deps import Db, Locale, require, store_of
from siyu.web.errors import NOT_FOUND_RESPONSE
from siyu.web.export import EXPORT_RESPONSES, ExportFormat, export_response, yuan
from siyu.web.jobs import Job

router = APIRouter(tags=["figures"])
Reader = Annotated[Principal, require(Permission.OVERVIEW_READ)]
Exporter = Annotated[Principal, require(Permission.EXPORT)]
FamilyName = Literal["operating", "repurchase", "cohorts", "ladder", "channels", "products"]
GrainQuery = Annotated[GrainChoice, Query(description="day, month or year.")]
DateQuery = Annotated[
    Day | None, Query(alias="date", description="A day of the period; default: the latest.")
]


def _slug(db: Db, principal: Principal) -> str:
    return service.workspace_slug(db, principal.workspace_id)


def tables_in(document: dict[str, Any], locale: str, keys: tuple[str, ...] | None = None) -> list[
    dict[str, Any]
]:  # fmt: skip
    """The stored tables in the caller's language (only ``keys`` when given)."""
    found: list[dict[str, Any]] = document["tables"]["en" if locale == "en" else "zh-CN"]
    return [t for t in found if keys is None or t["key"] in keys]


def running_job(request: Request, principal: Principal) -> Job | None:
    """A figures job of the workspace still queued or running."""
    for job in runner(request).list(principal.workspace_id):
        if job.kind.startswith(KIND) and job.status in ("queued", "running"):
            return job
    return None


@router.get("/figures", response_model=FiguresStatusRead)
def figures_status(request: Request, db: Db, principal: Reader) -> FiguresStatusRead:
    """Which figures are stored (latest per grain, every stored period) and a running job."""
    slug, home = _slug(db, principal), store_of(request).settings.home
    latest = [
        StoredRead(grain=g, day=d["day"], period=d["period"], computed_at=d["computed_at"])
        for g, d in service.stored(home, slug).items()
    ]
    periods = {g: repository.names(home, slug, g) for g in rules.GRAINS}
    job = running_job(request, principal)
    return FiguresStatusRead(latest=latest, periods=periods, running_job=job.id if job else None)


def _start(request: Request, principal: Principal, locale: str, kind: str, label: str,
           work: Any) -> JobRead:  # fmt: skip
    job = running_job(request, principal)
    if job is None:
        job = runner(request).submit(principal.workspace_id, kind, label, work)
    return job_read(job, locale)


@router.post("/figures/jobs", status_code=202, response_model=JobRead)
def start_figures(
    body: FiguresJobCreate, request: Request, locale: Locale, principal: Reader
) -> JobRead:
    """Compute and store the figures in the background (a job already running is returned)."""
    store = store_of(request)
    wanted = FiguresRequest(principal.workspace_id, body.grain, body.day)
    return _start(request, principal, locale, KIND, body.grain,
                  lambda progress: run_figures(store, wanted, progress))  # fmt: skip


@router.post("/figures/ladder-between/jobs", status_code=202, response_model=JobRead)
def start_ladder(
    body: LadderJobCreate, request: Request, locale: Locale, principal: Reader
) -> JobRead:
    """Compute the ladder migration between the ends of two China days, in the background."""
    service.check_ladder_dates(body.start, body.end)
    store, ws, start, end = store_of(request), principal.workspace_id, body.start, body.end
    label = f"{start.isoformat()} → {end.isoformat()}"
    return _start(request, principal, locale, LADDER_KIND, label,
                  lambda progress: run_ladder(store, ws, start, end, progress))  # fmt: skip


def _chosen_ladder(request: Request, db: Db, principal: Principal) -> dict[str, Any]:
    found = service.chosen_ladder(store_of(request).settings.home, _slug(db, principal))
    if found is None:
        raise NotFoundError("figures.ladder_not_computed")
    return found


@router.get("/figures/ladder-between", response_model=LadderRead, responses=NOT_FOUND_RESPONSE)
def get_chosen_ladder(request: Request, db: Db, locale: Locale, principal: Reader) -> LadderRead:
    """The last ladder migration computed between two chosen dates."""
    found = _chosen_ladder(request, db, principal)
    return LadderRead(
        start=found["start"], end=found["end"], computed_at=found["computed_at"],
        tables=[TableRead(**t) for t in tables_in(found, locale)],
    )  # fmt: skip


def _export(table: dict[str, Any], name: str, fmt: ExportFormat) -> Response:
    kinds = [c["kind"] for c in table["columns"]]
    headers = [c["label"] + (" (¥)" if c["kind"] == "fen" else "") for c in table["columns"]]

    def cell(value: Any, kind: str) -> Decimal | str | int | float | None:
        return yuan(value) if kind == "fen" and isinstance(value, int) else value

    rows = ([cell(v, k) for v, k in zip(row, kinds, strict=True)] for row in table["rows"])
    return export_response(name, headers, rows, fmt)


def _table(found: dict[str, Any], locale: str, key: str) -> dict[str, Any]:
    match = tables_in(found, locale, (key,))
    if not match:
        raise NotFoundError("figures.table_not_found", ident=key)
    return match[0]


@router.get("/figures/ladder-between/{table}/export", response_class=Response,
            responses=EXPORT_RESPONSES)  # fmt: skip
def export_chosen_ladder(
    table: Literal["ladder", "ladder_moves"],
    request: Request,
    db: Db,
    locale: Locale,
    principal: Exporter,
    format: ExportFormat = ExportFormat.CSV,
) -> Response:
    """A table of the chosen ladder migration as CSV or XLSX (amounts in yuan)."""
    found = _chosen_ladder(request, db, principal)
    return _export(_table(found, locale, table), f"{table}-{found['start']}-{found['end']}", format)


@router.get("/figures/tables/{table}/export", response_class=Response, responses=EXPORT_RESPONSES)
def export_table(
    table: str,
    request: Request,
    db: Db,
    locale: Locale,
    principal: Exporter,
    grain: GrainQuery = "month",
    day: DateQuery = None,
    format: ExportFormat = ExportFormat.CSV,
) -> Response:
    """One stored table (any family) as CSV or XLSX, amounts in yuan."""
    if rules.family_of(table) is None:
        raise NotFoundError("figures.table_not_found", ident=table)
    found = service.latest(store_of(request).settings.home, _slug(db, principal), grain, day)
    return _export(_table(found, locale, table), f"{table}-{found['period']}", format)


@router.get("/figures/{family}", response_model=FiguresRead)
def get_family(
    family: FamilyName,
    request: Request,
    db: Db,
    locale: Locale,
    principal: Reader,
    grain: GrainQuery = "month",
    day: DateQuery = None,
) -> FiguresRead:
    """A family of stored figures: its tables, the period and when they were computed."""
    found = service.latest(store_of(request).settings.home, _slug(db, principal), grain, day)
    tables = tables_in(found, locale, rules.FAMILY_TABLES[family])
    return FiguresRead(
        family=family, grain=grain, day=found["day"], period=found["period"],
        window_first=found["window_first"], computed_at=found["computed_at"],
        seconds=found["seconds"], clv_as_of=found["clv_as_of"],
        tables=[TableRead(**t) for t in tables],
    )  # fmt: skip
