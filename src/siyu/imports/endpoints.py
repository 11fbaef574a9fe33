"""API routes of imports: upload a file (a job with progress), batches, rejects, jobs."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from siyu.accounts.rules import Permission, Principal
from siyu.imports.readers import UnsafeFileError, check_file
from siyu.imports.rejects import Reject, read_rejects, reason_in
from siyu.imports.schemas import ImportBatchRead, ImportKind, ImportOutcome, JobRead, RejectRead
from siyu.imports.tasks import ImportRequest, run_import, safe_file_name
from siyu.kit.errors import NotFoundError, ValidationError
from siyu.kit.i18n import translate
from siyu.models import ImportBatch
from siyu.orders import repository as orders
from siyu.orders.presets import builtin_names
from siyu.web.deps import Db, Locale, RowId, require, store_of
from siyu.web.errors import ErrorBody
from siyu.web.export import EXPORT_RESPONSES, ExportFormat, export_response
from siyu.web.jobs import Job, JobRunner
from siyu.web.pagination import Page, Paging

router = APIRouter(tags=["imports"])


def runner(request: Request) -> JobRunner:
    """The application's job runner."""
    jobs: JobRunner = request.app.state.jobs
    return jobs


def _check_preset(kind: ImportKind, preset: str) -> str:
    preset = preset.strip()
    # Only built-in presets from the web: a path would let a user read files on the server.
    if kind is ImportKind.ORDERS and preset and preset not in builtin_names():
        raise ValidationError("import.preset_web", name=preset, known=", ".join(builtin_names()))
    return preset if kind is ImportKind.ORDERS else ""


async def start_import(
    request: Request,
    principal: Principal,
    *,
    kind: ImportKind,
    upload: UploadFile,
    preset: str = "",
    shop: str = "",
) -> Job:
    """Save an uploaded file and queue its import; return the job."""
    preset = _check_preset(kind, preset)
    store = store_of(request)
    limit = store.settings.upload_max_mb
    if upload.size is not None and upload.size > limit * 2**20:
        raise ValidationError("upload.too_large", megabytes=limit)
    folder = store.settings.home / "uploads" / uuid.uuid4().hex
    path = folder / safe_file_name(upload.filename or "upload.csv")
    await run_in_threadpool(_save, upload, path)
    try:
        await run_in_threadpool(check_file, path)
    except UnsafeFileError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise ValidationError(exc.key, **exc.params) from None
    job_request = ImportRequest(principal.workspace_id, kind, path, preset, shop.strip()[:64])
    return runner(request).submit(
        principal.workspace_id, f"import:{kind.value}", path.name,
        lambda progress: run_import(store, job_request, progress),
    )  # fmt: skip


def _save(upload: UploadFile, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    upload.file.seek(0)
    with path.open("wb") as out:
        shutil.copyfileobj(upload.file, out, length=1 << 20)


def reject_read(reject: Reject | dict[str, object], locale: str) -> RejectRead:
    """A reject in the caller's language."""
    if isinstance(reject, dict):
        reject = Reject(str(reject["file"]), int(str(reject["line"])), str(reject["column"]),
                        str(reject["reason"]))  # fmt: skip
    return RejectRead(
        file=reject.file, line=reject.line, column=reject.column,
        reason=reason_in(reject.reason, locale),
    )  # fmt: skip


def job_read(job: Job, locale: str) -> JobRead:
    """A job as the API returns it, messages in the caller's language."""
    result = None
    if job.result and job.kind.startswith("import"):
        rejects = [reject_read(r, locale) for r in job.result.get("rejects", [])]
        result = ImportOutcome(**{**job.result, "rejects": rejects})
    error = None
    if job.error_key is not None:
        message = translate(job.error_key, locale, **job.error_params)
        error = ErrorBody(code=job.error_key, message=message)
    return JobRead(
        id=job.id, kind=job.kind, label=job.label, status=job.status, stage=job.stage,
        done=job.done, total=job.total, fraction=job.fraction, started_at=job.started_at,
        finished_at=job.finished_at, result=result, error=error,
    )  # fmt: skip


@router.post("/imports", status_code=202, response_model=JobRead)
async def upload_import(
    request: Request,
    locale: Locale,
    kind: Annotated[ImportKind, Form(description="orders, products, contacts or costs.")],
    file: UploadFile,
    principal: Annotated[Principal, require(Permission.IMPORTS_WRITE)],
    preset: Annotated[
        str,
        Form(
            description="Order preset; empty: detect.",
            json_schema_extra={"enum": ["", *builtin_names()]},  # the document says which
        ),
    ] = "",
    shop: Annotated[str, Form(description="Shop code; empty: the preset's platform.")] = "",
) -> JobRead:
    """Upload a CSV or XLSX file; it is imported in the background (poll the job)."""
    job = await start_import(request, principal, kind=kind, upload=file, preset=preset, shop=shop)
    return job_read(job, locale)


@router.get("/jobs/{job_id}", response_model=JobRead)
def get_job(
    job_id: str,
    request: Request,
    locale: Locale,
    principal: Annotated[Principal, require(Permission.IMPORTS_READ)],
) -> JobRead:
    """How far a job got, and its outcome when done."""
    job = runner(request).get(principal.workspace_id, job_id)
    if job is None or job.kind.startswith("campaign:"):  # launches are read at their own route
        raise NotFoundError("job.not_found", ident=job_id)
    return job_read(job, locale)


def batch_read(batch: ImportBatch) -> ImportBatchRead:
    """An import batch as the API returns it."""
    return ImportBatchRead.model_validate(batch, from_attributes=True)


@router.get("/imports", response_model=Page[ImportBatchRead])
def list_imports(
    db: Db, paging: Paging, principal: Annotated[Principal, require(Permission.IMPORTS_READ)]
) -> Page[ImportBatchRead]:
    """Imported files, newest first."""
    rows, total = orders.list_batches(
        db, principal.workspace_id, offset=paging.offset, limit=paging.per_page
    )
    return paging.wrap([batch_read(b) for b in rows], total)


BATCH_HEADERS = ("id", "kind", "file", "preset", "started_at", "accepted", "rejected",
                 "created", "updated", "unchanged")  # fmt: skip


@router.get("/imports/export", response_class=Response, responses=EXPORT_RESPONSES)
def export_imports(
    db: Db,
    principal: Annotated[Principal, require(Permission.EXPORT)],
    format: ExportFormat = ExportFormat.CSV,
) -> Response:
    """Every import batch as CSV or XLSX."""
    rows, _ = orders.list_batches(db, principal.workspace_id, limit=None)
    cells = (
        (b.id, b.kind, b.file_name, b.preset, b.started_at, b.accepted, b.rejected, b.created,
         b.updated, b.unchanged)
        for b in rows
    )  # fmt: skip
    return export_response("imports", BATCH_HEADERS, cells, format)


def batch_rejects(db: Db, workspace_id: int, batch_id: int) -> list[Reject]:
    """All rejects of a batch, read from its rejects file."""
    batch = orders.get_batch(db, workspace_id, batch_id)
    if batch is None:
        raise NotFoundError("batch.not_found", ident=batch_id)
    return read_rejects(Path(batch.rejects_path)) if batch.rejects_path else []


@router.get("/imports/{batch_id}/rejects", response_model=Page[RejectRead])
def list_rejects(
    batch_id: RowId,
    db: Db,
    paging: Paging,
    locale: Locale,
    principal: Annotated[Principal, require(Permission.IMPORTS_READ)],
) -> Page[RejectRead]:
    """The rejected rows of an import: file, line, column and reason."""
    found = batch_rejects(db, principal.workspace_id, batch_id)
    shown = found[paging.offset : paging.offset + paging.per_page]
    return paging.wrap([reject_read(r, locale) for r in shown], len(found))


@router.get(
    "/imports/{batch_id}/rejects/export", response_class=Response, responses=EXPORT_RESPONSES
)
def export_rejects(
    batch_id: RowId,
    db: Db,
    locale: Locale,
    principal: Annotated[Principal, require(Permission.EXPORT)],
    format: ExportFormat = ExportFormat.CSV,
) -> Response:
    """The rejected rows of an import as CSV or XLSX."""
    found = batch_rejects(db, principal.workspace_id, batch_id)
    cells = ((r.file, r.line, r.column, reason_in(r.reason, locale)) for r in found)
    return export_response(
        f"rejects-{batch_id}", ("file", "line", "column", "reason"), cells, format
    )
