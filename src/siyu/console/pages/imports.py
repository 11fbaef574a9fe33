"""The imports page: upload a file, watch its progress, see every reject."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from siyu.accounts.rules import Permission, Principal
from siyu.console.render import render
from siyu.imports.endpoints import batch_read, batch_rejects, job_read, reject_read, runner
from siyu.imports.endpoints import start_import as queue_import
from siyu.imports.schemas import ImportKind
from siyu.kit.errors import NotFoundError
from siyu.orders import repository as orders
from siyu.orders.presets import builtin_names
from siyu.web.deps import Db, Locale, RowId, require_page
from siyu.web.pagination import PageParams

router = APIRouter()
Reader = Annotated[Principal, require_page(Permission.IMPORTS_READ)]


def _page(
    request: Request, db: Db, principal: Principal, locale: str, page: int, error: str | None
) -> Response:
    paging = PageParams(page, 20)
    rows, total = orders.list_batches(
        db, principal.workspace_id, offset=paging.offset, limit=paging.per_page
    )
    jobs = [job_read(j, locale) for j in runner(request).list(principal.workspace_id)
            if j.kind.startswith("import:")][:10]  # fmt: skip
    return render(
        request, "imports.html", principal, active="imports", error=error,
        batches=paging.wrap([batch_read(b) for b in rows], total), jobs=jobs,
        kinds=list(ImportKind), presets=builtin_names(), status_code=422 if error else 200,
    )  # fmt: skip


@router.get("/imports", include_in_schema=False)
def imports_page(
    request: Request,
    db: Db,
    locale: Locale,
    principal: Reader,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    """Upload form, running jobs and the imported files."""
    return _page(request, db, principal, locale, page, None)


@router.post("/imports", include_in_schema=False)
async def upload(
    request: Request,
    locale: Locale,
    kind: Annotated[ImportKind, Form()],
    file: UploadFile,
    principal: Annotated[Principal, require_page(Permission.IMPORTS_WRITE)],
    preset: Annotated[str, Form()] = "",
    shop: Annotated[str, Form()] = "",
) -> Response:
    """Queue the import and show its progress."""
    job = await queue_import(request, principal, kind=kind, upload=file, preset=preset, shop=shop)
    return RedirectResponse(f"/imports/jobs/{job.id}", status_code=303)


@router.get("/imports/jobs/{job_id}", include_in_schema=False)
def job_page(job_id: str, request: Request, locale: Locale, principal: Reader) -> Response:
    """Progress of an import; when it is done, what it did and its rejects."""
    job = runner(request).get(principal.workspace_id, job_id)
    if job is None or not job.kind.startswith("import:"):
        raise NotFoundError("job.not_found", ident=job_id)
    return render(
        request, "import_job.html", principal, active="imports", job=job_read(job, locale)
    )


@router.get("/imports/{batch_id}", include_in_schema=False)
def batch_page(
    batch_id: RowId,
    request: Request,
    db: Db,
    locale: Locale,
    principal: Reader,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    """One imported file and every row it rejected."""
    batch = orders.get_batch(db, principal.workspace_id, batch_id)
    if batch is None:
        raise NotFoundError("batch.not_found", ident=batch_id)
    found = batch_rejects(db, principal.workspace_id, batch_id)
    paging = PageParams(page, 100)
    shown = found[paging.offset : paging.offset + paging.per_page]
    return render(
        request, "import_batch.html", principal, active="imports", batch=batch_read(batch),
        rejects=paging.wrap([reject_read(r, locale) for r in shown], len(found)),
    )  # fmt: skip
