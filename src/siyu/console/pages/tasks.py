"""Today's tasks: the staff member's list with reasons, suggested products and a script;
mark each done or skipped. Customer-service users see their own staff account's list only."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from siyu.accounts.rules import Permission, Principal
from siyu.console.render import render
from siyu.engage.tasks import repository, service
from siyu.engage.tasks.endpoints import check_task, own_staff, visible_tasks
from siyu.engage.tasks.schemas import Outcome, TaskDone
from siyu.kit.clock import utcnow
from siyu.web.deps import Db, RowId, require_page

router = APIRouter()
Worker = Annotated[Principal, require_page(Permission.TASKS_READ)]
OUTCOMES = ("purchased", "replied", "no_reply", "declined", "wrong_contact", "other")


@router.get("/tasks", include_in_schema=False)
def tasks_page(
    request: Request,
    db: Db,
    principal: Worker,
    staff: Annotated[str | None, Query(max_length=64)] = None,
    day: Annotated[date | None, Query()] = None,
) -> Response:
    """The day's list: whom to contact, why, with which products."""
    found = visible_tasks(db, principal, day=day, staff=staff or None, status=None)
    chosen = day or service.today(db, principal.workspace_id, utcnow())
    codes = [] if own_staff(principal) is not None else sorted(
        repository.staff_codes(db, principal.workspace_id).values())  # fmt: skip
    query = "&".join(f"{k}={v}" for k, v in (("staff", staff), ("day", day)) if v)
    return render(
        request, "tasks.html", principal, active="tasks", tasks=found, day=chosen,
        staff_codes=codes, staff=staff or "", outcomes=OUTCOMES, query=query,
        open_count=sum(t.status == "open" for t in found),
    )  # fmt: skip


def _back(request: Request) -> RedirectResponse:
    query = request.url.query
    return RedirectResponse("/tasks" + (f"?{query}" if query else ""), status_code=303)


@router.post("/tasks/{task_id}/done", include_in_schema=False)
def task_done(
    task_id: RowId,
    request: Request,
    db: Db,
    principal: Worker,
    outcome: Annotated[Outcome, Form()],
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Mark the task done with what came of it."""
    check_task(db, principal, task_id)
    service.complete(db, principal.workspace_id, task_id, TaskDone(outcome=outcome, note=note),
                     utcnow())  # fmt: skip
    return _back(request)


@router.post("/tasks/{task_id}/skip", include_in_schema=False)
def task_skip(
    task_id: RowId,
    request: Request,
    db: Db,
    principal: Worker,
    reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Skip the task, saying why."""
    check_task(db, principal, task_id)
    service.skip(db, principal.workspace_id, task_id, reason, utcnow())
    return _back(request)
