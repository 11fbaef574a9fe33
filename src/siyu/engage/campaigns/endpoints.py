"""API routes of campaigns: create from a segment, plan, launch (a job with progress), pause,
resume, and results with the uplift over control and its interval."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from siyu.accounts.rules import Permission, Principal
from siyu.engage.campaigns import service, tasks
from siyu.engage.campaigns.schemas import (
    CampaignCreate,
    CampaignDetail,
    CampaignPlan,
    CampaignRead,
    CampaignResults,
    LaunchJob,
    LaunchReport,
    PauseReport,
)
from siyu.kit.clock import utcnow
from siyu.kit.errors import ConflictError, NotFoundError
from siyu.kit.i18n import translate
from siyu.segments.schemas import CODE_PATTERN
from siyu.web.deps import Db, Locale, require, store_of
from siyu.web.errors import CONFLICT_RESPONSE, NOT_FOUND_RESPONSE
from siyu.web.export import EXPORT_RESPONSES, ExportFormat, export_response, yuan
from siyu.web.jobs import Job, JobRunner, Progress
from siyu.web.pagination import Page, Paging

router = APIRouter(tags=["campaigns"])
Reader = Annotated[Principal, require(Permission.ENGAGE_READ)]
Writer = Annotated[Principal, require(Permission.ENGAGE_WRITE)]
Exporter = Annotated[Principal, require(Permission.ENGAGE_READ, Permission.EXPORT)]
Code = Annotated[str, Path(pattern=CODE_PATTERN)]
JOB_KIND = "campaign:launch"
LAUNCHABLE = ("draft", "launching")
LIST_HEADERS = ("code", "name", "status", "channel", "fallback_channels", "send_at", "offer",
                "control_share", "launched_at")  # fmt: skip
RESULT_HEADERS = ("arm", "customers", "eligible", "converted", "conversion", "revenue_yuan",
                  "revenue_per_customer_yuan", "prior_buyers", "repurchased")  # fmt: skip


def runner(request: Request) -> JobRunner:
    """The application's job runner."""
    jobs: JobRunner = request.app.state.jobs
    return jobs


def launch_job(job: Job, locale: str) -> LaunchJob:
    """A launch job as the API returns it (its error in the caller's language)."""
    error = None
    if job.error_key is not None:
        error = {"code": job.error_key,
                 "message": translate(job.error_key, locale, **job.error_params)}  # fmt: skip
    return LaunchJob(
        id=job.id, campaign=job.label, status=job.status, done=job.done, total=job.total,
        fraction=job.fraction, started_at=job.started_at, finished_at=job.finished_at,
        result=LaunchReport.model_validate(job.result) if job.result else None, error=error,
    )  # fmt: skip


@router.get("/campaigns", response_model=Page[CampaignRead])
def list_campaigns(db: Db, paging: Paging, principal: Reader) -> Page[CampaignRead]:
    """Campaigns, newest first."""
    found = service.list_campaigns(db, principal.workspace_id)
    return paging.wrap(found[paging.offset : paging.offset + paging.per_page], len(found))


@router.get("/campaigns/export", response_class=Response, responses=EXPORT_RESPONSES)
def export_campaigns(
    db: Db, principal: Exporter, format: ExportFormat = ExportFormat.CSV
) -> Response:
    """Every campaign as CSV or XLSX."""
    cells = ((c.code, c.name, c.status, c.channel, " ".join(c.fallback_channels), c.send_at,
              c.offer, c.control_share, c.launched_at)
             for c in service.list_campaigns(db, principal.workspace_id))  # fmt: skip
    return export_response("campaigns", LIST_HEADERS, cells, format)


@router.post(
    "/campaigns", response_model=CampaignDetail, status_code=201,
    responses={**NOT_FOUND_RESPONSE, **CONFLICT_RESPONSE},
)  # fmt: skip
def create_campaign(db: Db, data: CampaignCreate, principal: Writer) -> CampaignDetail:
    """Create a draft campaign to a segment: channel, variants, send time, control share."""
    service.create_campaign(db, principal.workspace_id, data)
    return service.detail(db, principal.workspace_id, data.code)


@router.get("/campaigns/launches/{job_id}", response_model=LaunchJob)
def get_launch(job_id: str, request: Request, locale: Locale, principal: Reader) -> LaunchJob:
    """How far a launch got, and what it wrote when done."""
    job = runner(request).get(principal.workspace_id, job_id)
    if job is None or job.kind != JOB_KIND:
        raise NotFoundError("job.not_found", ident=job_id)
    return launch_job(job, locale)


@router.get("/campaigns/{code}", response_model=CampaignDetail)
def get_campaign(code: Code, db: Db, principal: Reader) -> CampaignDetail:
    """One campaign with its segment, variants and messages by delivery status."""
    return service.detail(db, principal.workspace_id, code)


@router.get("/campaigns/{code}/plan", response_model=CampaignPlan)
def plan_campaign(code: Code, db: Db, principal: Reader) -> CampaignPlan:
    """What launching now would do: arms, the contact policy's decisions, expected value."""
    return service.plan(db, principal.workspace_id, code, utcnow())


def active_launch(request: Request, workspace_id: int, code: str) -> Job | None:
    """This process's launch of the campaign that is queued or running, if any."""
    return next((j for j in runner(request).list(workspace_id) if j.kind == JOB_KIND
                 and j.label == code and j.status in ("queued", "running")), None)  # fmt: skip


def start_launch(request: Request, principal: Principal, code: str, status: str) -> Job:
    """Queue the launch of a draft (or interrupted) campaign; return its job (the one already
    under way, when there is one)."""
    if status not in LAUNCHABLE:
        raise ConflictError("campaign.not_draft", code=code, status=status)
    running = active_launch(request, principal.workspace_id, code)
    if running is not None:
        return running
    store = store_of(request)
    workspace_id = principal.workspace_id

    def work(progress: Progress) -> dict[str, Any]:
        report = tasks.launch(
            store.sessions, workspace_id, code, now=utcnow(),
            progress=lambda done, total: progress("launch", done, total), committed=False,
        )  # fmt: skip
        return report.model_dump()

    return runner(request).submit(workspace_id, JOB_KIND, code, work)


@router.post("/campaigns/{code}/launch", response_model=LaunchJob, status_code=202,
             responses=CONFLICT_RESPONSE)  # fmt: skip
def launch_campaign(
    code: Code, request: Request, db: Db, locale: Locale, principal: Writer
) -> LaunchJob:
    """Launch in the background: reserve contacts, queue messages, record every member
    (poll /campaigns/launches/{job_id})."""
    campaign = service.require_campaign(db, principal.workspace_id, code)
    return launch_job(start_launch(request, principal, code, campaign.status), locale)


@router.post("/campaigns/{code}/pause", response_model=PauseReport, responses=CONFLICT_RESPONSE)
def pause_campaign(code: Code, db: Db, principal: Writer) -> PauseReport:
    """Hold the campaign's messages not yet sent."""
    return service.pause(db, principal.workspace_id, code)


@router.post("/campaigns/{code}/resume", response_model=PauseReport, responses=CONFLICT_RESPONSE)
def resume_campaign(code: Code, db: Db, principal: Writer) -> PauseReport:
    """Release a paused campaign's held messages to the worker."""
    return service.resume(db, principal.workspace_id, code)


@router.get("/campaigns/{code}/results", response_model=CampaignResults)
def campaign_results(code: Code, db: Db, principal: Reader) -> CampaignResults:
    """Sent, converted and revenue per arm; uplift over control with its confidence interval."""
    return service.results(db, principal.workspace_id, code, utcnow())


@router.get("/campaigns/{code}/results/export", response_class=Response,
            responses=EXPORT_RESPONSES)  # fmt: skip
def export_results(
    code: Code, db: Db, principal: Exporter, format: ExportFormat = ExportFormat.CSV
) -> Response:
    """The figures of each arm as CSV or XLSX (amounts in yuan)."""
    found = service.results(db, principal.workspace_id, code, utcnow())
    cells = (
        (arm, f.customers, f.eligible, f.converted,
         round(f.converted / f.customers, 6) if f.customers else None, yuan(f.revenue_fen),
         yuan(round(f.revenue_fen / f.customers)) if f.customers else None, f.prior_buyers,
         f.repurchased)
        for arm, f in found.arms.items()
    )  # fmt: skip
    return export_response(f"campaign-{code}-results", RESULT_HEADERS, cells, format)
