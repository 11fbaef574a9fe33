"""API routes of customer groups: activity figures and the dead / declining flags."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from siyu.accounts.rules import Permission, Principal
from siyu.groups import service
from siyu.groups.rules import DEFAULT_RULES
from siyu.groups.schemas import GroupDay, GroupList, GroupRead
from siyu.groups.service import GroupHealth
from siyu.kit.clock import CHINA_TZ, Day, utcnow
from siyu.web.deps import Db, require
from siyu.web.errors import NOT_FOUND_RESPONSE
from siyu.web.export import EXPORT_RESPONSES, ExportFormat, export_response

router = APIRouter(tags=["groups"])
Reader = Annotated[Principal, require(Permission.ENGAGE_READ)]
Status = Literal["healthy", "declining", "dead"]
AsOf = Annotated[Day | None, Query(description="Window end (exclusive); default: after the "
                                    "latest imported activity.")]  # fmt: skip
ChatRef = Annotated[str | None, Query(max_length=64, description="Daily messages of one group.")]
EXPORT_HEADERS = (
    "chat_ref", "name", "owner", "members", "messages_per_day", "member_share",
    "owner_staff_share", "active_member_ratio", "joins", "leaves", "member_messages_change",
    "status", "reason",
)  # fmt: skip


def _read(h: GroupHealth) -> GroupRead:
    f = h.figures
    change = f.member_messages_change
    return GroupRead(
        chat_ref=h.group.chat_ref, name=h.group.name, owner=h.owner, members=h.members,
        messages_per_day=round(f.messages_per_day, 2), member_share=round(f.member_share, 4),
        owner_staff_share=round(f.owner_staff_share, 4),
        active_member_ratio=round(f.active_member_ratio, 4), joins=f.joins, leaves=f.leaves,
        member_messages_change=None if change is None else round(change, 4), status=f.status,
        reason=f.reason,
    )  # fmt: skip


def group_list(
    db: Db, workspace_id: int, as_of: date | None, status: str | None, chat_ref: str | None = None
) -> GroupList:
    """The groups' figures (worst first) and the daily messages of the window."""
    today = utcnow().astimezone(CHINA_TZ).date()
    day = as_of or service.default_as_of(db, workspace_id, today)
    rank = {"dead": 0, "declining": 1, "healthy": 2}
    health = sorted(
        service.group_health(db, workspace_id, as_of=day),
        key=lambda h: (rank[h.figures.status], -h.members),
    )
    groups = [_read(h) for h in health if status is None or h.figures.status == status]
    days = [
        GroupDay(day=d, owner_messages=o, staff_messages=s, member_messages=m)
        for d, o, s, m in service.daily_messages(db, workspace_id, as_of=day, chat_ref=chat_ref)
    ]
    return GroupList(as_of=day, window_days=DEFAULT_RULES.window_days, groups=groups, days=days)


@router.get("/groups", response_model=GroupList, responses=NOT_FOUND_RESPONSE)
def list_groups(
    db: Db,
    principal: Reader,
    as_of: AsOf = None,
    status: Status | None = None,
    chat_ref: ChatRef = None,
) -> GroupList:
    """Each live group's activity over the 28 days before `as_of`, worst first."""
    return group_list(db, principal.workspace_id, as_of, status, chat_ref)


@router.get("/groups/export", response_class=Response, responses=EXPORT_RESPONSES)
def export_groups(
    db: Db,
    principal: Annotated[Principal, require(Permission.EXPORT)],
    as_of: AsOf = None,
    status: Status | None = None,
    format: ExportFormat = ExportFormat.CSV,
) -> Response:
    """The groups' figures as CSV or XLSX."""
    found = group_list(db, principal.workspace_id, as_of, status)
    rows = (tuple(g.model_dump().values()) for g in found.groups)
    return export_response(f"groups-{found.as_of:%Y%m%d}", EXPORT_HEADERS, rows, format)
