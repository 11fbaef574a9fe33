"""Use cases of daily tasks (never commit): make each staff account's list for a day, and
record what was done with each task.

A list is the contact policy's answer to "which personal contacts, by whom, today": every
candidate goes through it on the "staff" channel, so caps, consent, opt-outs and each
account's daily capacity hold, and the most valuable customers take the places.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy.orm import Session

from siyu.engage.campaigns.rules import render
from siyu.engage.playbooks import service as playbooks
from siyu.engage.policy import repository as policy_repository
from siyu.engage.policy import service as policy
from siyu.engage.tasks import repository
from siyu.engage.tasks.rules import REASONS, best_reason, ranks_within, reason_masks
from siyu.engage.tasks.schemas import GenerateReport, TaskDone, TaskRead, TaskView
from siyu.kit.errors import NotFoundError, ValidationError
from siyu.models import StaffTask
from siyu.segments import service as segments
from siyu.segments.rules import parse_rule

FIELDS = ("stage", "tier", "p_alive", "expected_spend_fen", "net_paid_fen", "n_purchases",
          "days_since_purchase", "days_to_due", "cycle_days", "clv_fen",
          "days_since_touch")  # fmt: skip
WORK_HOUR = 10
SUGGESTED = 3
"""Products suggested on a task (the script names the first)."""


def local_day(now: datetime, zone: str) -> date:
    """The calendar day it is in the zone."""
    return now.astimezone(ZoneInfo(zone)).date()


def generate(
    session: Session, workspace_id: int, now: datetime, *, committed: bool = False
) -> GenerateReport:
    """Make today's lists: candidates by reason, scored by expected value, through the contact
    policy (caps, consent, capacity), ranked per staff account."""
    books = playbooks.get_playbooks(session, workspace_id)
    settings = books.tasks
    zone = policy.get_policy(session, workspace_id).default_time_zone
    day = local_day(now, zone)
    node = parse_rule({"field": "n_purchases", "op": ">=", "value": 0})
    data = segments.load(session, workspace_id, node, now, also=FIELDS, committed=committed)
    col = data.columns
    deleted = np.zeros(data.size, dtype=np.bool_)
    deleted_by = np.full(data.size, -1, dtype=np.int64)
    since = (now - timedelta(days=settings.deleted_within_days)).timestamp()
    who, staff, _left = repository.recent_deletions(session, workspace_id, since)
    at = segments.positions(data, who)
    deleted[at[at >= 0]] = True
    deleted_by[at[at >= 0]] = staff[at >= 0]
    masks = reason_masks(
        stage=col["stage"], days_to_due=col["days_to_due"],
        days_since_purchase=col["days_since_purchase"], cycle_days=col["cycle_days"],
        clv_fen=col["clv_fen"], days_since_touch=col["days_since_touch"], deleted_us=deleted,
        settings=settings,
    )  # fmt: skip
    order_value, fallback = playbooks.order_values(data, np.arange(data.size))
    alive = np.where(np.isnan(col["p_alive"]), 0.5, col["p_alive"])
    worth = alive * np.where(np.isnan(order_value), fallback, order_value)
    uplift = np.asarray([settings.uplift.get(r, 0.0) for r in REASONS])
    reason, value = best_reason(masks, worth, uplift)
    rows = np.flatnonzero(reason >= 0)
    taken = repository.customers_with_tasks(session, workspace_id, day)
    rows = rows[~np.isin(data.customer_ids[rows], list(taken))]
    owner = policy.owners(session, workspace_id, data.customer_ids[rows])
    # the owner of the WeCom contact makes the contact; one the customer deleted follows up
    usual = np.where(owner >= 0, owner, deleted_by[rows])
    person = np.where(reason[rows] == REASONS.index("deleted_us"), deleted_by[rows], usual)
    rows, person = rows[person >= 0], person[person >= 0]
    report = GenerateReport(day=day, candidates=int(rows.size), created=0, already=len(taken),
                            held_back={}, by_reason={}, by_staff={})  # fmt: skip
    if rows.size == 0:
        return report
    start = datetime.combine(day, time(WORK_HOUR), tzinfo=ZoneInfo(zone)).astimezone(UTC)
    reserved = policy.reserve(session, workspace_id, policy.ContactRequest(
        customer_ids=data.customer_ids[rows], channel="staff", value=value[rows],
        send_at=max(start, now).timestamp(), source_kind="task", staff_ids=person,
    ), now=now)  # fmt: skip
    for why, ok in zip(reserved.reasons, reserved.admitted.tolist(), strict=True):
        if not ok:
            report.held_back[why] = report.held_back.get(why, 0) + 1
    kept = np.flatnonzero(reserved.admitted)
    _write(session, workspace_id, day, data.customer_ids[rows[kept]], reason[rows[kept]],
           value[rows[kept]], person[kept], reserved.touch_ids[kept], settings.scripts)  # fmt: skip
    codes = repository.staff_codes(session, workspace_id)
    report.created = int(kept.size)
    report.by_reason = dict(Counter(REASONS[r] for r in reason[rows[kept]].tolist()))
    report.by_staff = dict(Counter(codes.get(s, str(s)) for s in person[kept].tolist()))
    return report


def _write(
    session: Session,
    workspace_id: int,
    day: date,
    customers: np.ndarray,
    reasons: np.ndarray,
    values: np.ndarray,
    staff: np.ndarray,
    touches: np.ndarray,
    scripts: dict[str, str],
) -> None:
    ids = customers.tolist()
    products = playbooks.suggest_products(session, workspace_id, ids, top=SUGGESTED)
    names = [REASONS[r] for r in reasons.tolist()]
    script = [
        render({"text": scripts.get(name, "")},
               {"product": products[c][0]["name"] if c in products else ""})["text"][:500]
        for c, name in zip(ids, names, strict=True)
    ]  # fmt: skip
    repository.add_tasks(session, {
        "customer_id": ids, "staff_account_id": staff.tolist(), "reason": names,
        "script": script, "products": [products.get(c, []) for c in ids],
        "expected_value_fen": values.tolist(), "rank": ranks_within(staff, values).tolist(),
        "touch_id": [t if t >= 0 else None for t in touches.tolist()],
    }, {"workspace_id": workspace_id, "day": day, "status": "open"})  # fmt: skip


def staff_id(session: Session, workspace_id: int, code: str) -> int:
    """A staff account's id by code, or NotFoundError."""
    staff = repository.staff_by_code(session, workspace_id, code)
    if staff is None:
        raise NotFoundError("task.staff_unknown", code=code)
    return staff.id


def list_tasks(
    session: Session, workspace_id: int, day: date, *, staff_code: str | None = None
) -> list[TaskRead]:
    """A day's tasks, of one staff account or all, in list order."""
    chosen = staff_id(session, workspace_id, staff_code) if staff_code else None
    return [TaskRead.model_validate(t) for t in repository.tasks_of(session, workspace_id, day,
                                                                     chosen)]  # fmt: skip


def _open_task(session: Session, workspace_id: int, task_id: int) -> StaffTask:
    task = repository.get_task(session, workspace_id, task_id)
    if task is None:
        raise NotFoundError("task.not_found", ident=task_id)
    if task.status != "open":
        raise ValidationError("task.not_open", ident=task_id, status=task.status)
    return task


def complete(
    session: Session, workspace_id: int, task_id: int, done: TaskDone, now: datetime
) -> TaskRead:
    """Mark a task done with its outcome; the contact counts as made."""
    task = _open_task(session, workspace_id, task_id)
    task.status, task.outcome, task.note, task.done_at = "done", done.outcome, done.note, now
    if task.touch_id is not None:
        policy_repository.mark_touches(session, [task.touch_id], "sent")
    session.flush()
    return TaskRead.model_validate(task)


def skip(session: Session, workspace_id: int, task_id: int, reason: str, now: datetime) -> TaskRead:
    """Skip a task, saying why; its contact slot is given back."""
    if not reason.strip():
        raise ValidationError("task.skip_reason")
    task = _open_task(session, workspace_id, task_id)
    task.status, task.skip_reason, task.done_at = "skipped", reason.strip()[:200], now
    if task.touch_id is not None:
        policy_repository.mark_touches(session, [task.touch_id], "cancelled")
    session.flush()
    return TaskRead.model_validate(task)


def reassign(session: Session, workspace_id: int, task_id: int, to_code: str) -> TaskRead:
    """Move a task to another staff account that still has room on that day's list."""
    task = _open_task(session, workspace_id, task_id)
    target = repository.staff_by_code(session, workspace_id, to_code)
    if target is None:
        raise NotFoundError("task.staff_unknown", code=to_code)
    if target.id == task.staff_account_id:
        return TaskRead.model_validate(task)
    load = repository.open_count(session, target.id, task.day)
    if load >= target.daily_capacity:
        raise ValidationError("task.staff_full", code=to_code, capacity=target.daily_capacity)
    task.reassigned_from, task.staff_account_id, task.rank = (
        task.staff_account_id,
        target.id,
        load + 1,
    )
    if task.touch_id is not None:
        policy_repository.move_touch(session, task.touch_id, target.id)
    session.flush()
    return TaskRead.model_validate(task)


def today(session: Session, workspace_id: int, now: datetime) -> date:
    """Today in the workspace's time zone (the day task lists are made for)."""
    return local_day(now, policy.get_policy(session, workspace_id).default_time_zone)


def task_views(
    session: Session,
    workspace_id: int,
    day: date,
    *,
    staff: int | None = None,
    status: str | None = None,
) -> list[TaskView]:
    """A day's tasks (of one staff account; of one status) with staff codes and masked
    customers, in list order."""
    found = [t for t in repository.tasks_of(session, workspace_id, day, staff)
             if status is None or t.status == status]  # fmt: skip
    codes = repository.staff_codes(session, workspace_id)
    shown = repository.masked_customers(session, workspace_id, [t.customer_id for t in found])
    return [
        TaskView.model_validate(
            TaskRead.model_validate(t).model_dump()
            | {"staff": codes.get(t.staff_account_id, ""), "customer": shown.get(t.customer_id)}
        )
        for t in found
    ]


def task_owner(session: Session, workspace_id: int, task_id: int) -> int:
    """The staff account a task is on, or NotFoundError."""
    task = repository.get_task(session, workspace_id, task_id)
    if task is None:
        raise NotFoundError("task.not_found", ident=task_id)
    return task.staff_account_id


def task_view(session: Session, workspace_id: int, task_id: int) -> TaskView:
    """One task as lists show it."""
    task = repository.get_task(session, workspace_id, task_id)
    if task is None:
        raise NotFoundError("task.not_found", ident=task_id)
    found = task_views(session, workspace_id, task.day, staff=task.staff_account_id)
    return next(t for t in found if t.id == task_id)
