"""API routes of today's tasks: each staff member's list with reasons and suggested products;
done, skip, reassign. Customer-service users see and work their own staff account's tasks
only (another's read as not found)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from siyu.accounts.rules import Permission, Principal
from siyu.engage.tasks import service
from siyu.engage.tasks.schemas import TaskDone, TaskReassign, TaskSkip, TaskView
from siyu.kit.clock import Day, utcnow
from siyu.kit.errors import NotFoundError
from siyu.web.deps import Db, RowId, require
from siyu.web.export import EXPORT_RESPONSES, ExportFormat, export_response, yuan
from siyu.web.pagination import Page, Paging

router = APIRouter(tags=["tasks"])
Worker = Annotated[Principal, require(Permission.TASKS_READ)]
Status = Literal["open", "done", "skipped"]
EXPORT_HEADERS = ("id", "day", "staff", "rank", "customer_id", "customer", "reason",
                  "expected_value_yuan", "products", "script", "status", "outcome", "note",
                  "skip_reason", "done_at")  # fmt: skip
NO_STAFF = -1
"""A customer-service user not linked to a staff account has no tasks."""


def own_staff(principal: Principal) -> int | None:
    """The staff account whose tasks this caller may see (None: any)."""
    if not principal.own_customers_only:
        return None
    return principal.staff_account_id if principal.staff_account_id is not None else NO_STAFF


def visible_tasks(
    db: Session,
    principal: Principal,
    *,
    day: date | None,
    staff: str | None,
    status: str | None,
) -> list[TaskView]:
    """The day's tasks this caller may see (staff: their own; others: any or one account)."""
    workspace_id = principal.workspace_id
    chosen = own_staff(principal)
    if chosen is None and staff:
        chosen = service.staff_id(db, workspace_id, staff)
    when = day or service.today(db, workspace_id, utcnow())
    return service.task_views(db, workspace_id, when, staff=chosen, status=status)


def check_task(db: Session, principal: Principal, task_id: int) -> None:
    """Staff may change only their own tasks (another's reads as not found)."""
    owner = service.task_owner(db, principal.workspace_id, task_id)
    mine = own_staff(principal)
    if mine is not None and owner != mine:
        raise NotFoundError("task.not_found", ident=task_id)


DayQuery = Annotated[Day | None, Query(description="The list's day; default today.")]
StaffQuery = Annotated[str | None, Query(max_length=64, description="A staff account's code.")]


@router.get("/tasks", response_model=Page[TaskView])
def list_tasks(
    db: Db,
    paging: Paging,
    principal: Worker,
    day: DayQuery = None,
    staff: StaffQuery = None,
    status: Status | None = None,
) -> Page[TaskView]:
    """Today's tasks in list order: whom to contact, why, with which products and script."""
    found = visible_tasks(db, principal, day=day, staff=staff, status=status)
    return paging.wrap(found[paging.offset : paging.offset + paging.per_page], len(found))


@router.get("/tasks/export", response_class=Response, responses=EXPORT_RESPONSES)
def export_tasks(
    db: Db,
    principal: Annotated[Principal, require(Permission.TASKS_READ, Permission.EXPORT)],
    day: DayQuery = None,
    staff: StaffQuery = None,
    status: Status | None = None,
    format: ExportFormat = ExportFormat.CSV,
) -> Response:
    """The same tasks as CSV or XLSX."""
    found = visible_tasks(db, principal, day=day, staff=staff, status=status)
    cells = (
        (t.id, t.day, t.staff, t.rank, t.customer_id, t.customer, t.reason,
         yuan(round(t.expected_value_fen)), ", ".join(str(p.get("name", "")) for p in t.products),
         t.script, t.status, t.outcome, t.note, t.skip_reason, t.done_at)
        for t in found
    )  # fmt: skip
    return export_response("tasks", EXPORT_HEADERS, cells, format)


@router.post("/tasks/{task_id}/done", response_model=TaskView)
def task_done(task_id: RowId, db: Db, data: TaskDone, principal: Worker) -> TaskView:
    """Mark a task done with what came of the contact."""
    check_task(db, principal, task_id)
    service.complete(db, principal.workspace_id, task_id, data, utcnow())
    return service.task_view(db, principal.workspace_id, task_id)


@router.post("/tasks/{task_id}/skip", response_model=TaskView)
def task_skip(task_id: RowId, db: Db, data: TaskSkip, principal: Worker) -> TaskView:
    """Skip a task, saying why; its contact slot is given back."""
    check_task(db, principal, task_id)
    service.skip(db, principal.workspace_id, task_id, data.reason, utcnow())
    return service.task_view(db, principal.workspace_id, task_id)


@router.post("/tasks/{task_id}/reassign", response_model=TaskView)
def task_reassign(task_id: RowId, db: Db, data: TaskReassign, principal: Worker) -> TaskView:
    """Move a task to another staff account with room on that day's list."""
    check_task(db, principal, task_id)
    service.reassign(db, principal.workspace_id, task_id, data.to)
    return service.task_view(db, principal.workspace_id, task_id)
