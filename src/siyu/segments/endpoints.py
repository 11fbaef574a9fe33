"""API routes of segments and tags: save rules (text or tree), live counts, members, exports."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from siyu.accounts.rules import Permission, Principal
from siyu.customers import repository as customers
from siyu.customers.endpoints import EXPORT_HEADERS, export_cells, summary
from siyu.customers.schemas import CustomerSummary
from siyu.kit.clock import utcnow
from siyu.segments import service
from siyu.segments.schemas import (
    CODE_PATTERN,
    TAG_PATTERN,
    FieldRead,
    SegmentCount,
    SegmentCreate,
    SegmentRead,
    SegmentUpdate,
    TagChange,
    TagChanged,
    TagRead,
)
from siyu.web.deps import Db, Locale, require
from siyu.web.errors import CONFLICT_RESPONSE
from siyu.web.export import EXPORT_RESPONSES, ExportFormat, export_response
from siyu.web.pagination import Page, Paging

router = APIRouter(tags=["segments"])
Reader = Annotated[Principal, require(Permission.ENGAGE_READ)]
Writer = Annotated[Principal, require(Permission.ENGAGE_WRITE)]
Exporter = Annotated[Principal, require(Permission.ENGAGE_READ, Permission.EXPORT)]
Code = Annotated[str, Path(pattern=CODE_PATTERN)]
Tag = Annotated[str, Path(pattern=TAG_PATTERN)]
RULE_QUERY = Query(min_length=1, max_length=8000, description="Rule text, or a JSON tree.")
EXPORT_CHUNK = 1_000


@router.get("/segments", response_model=Page[SegmentRead])
def list_segments(
    db: Db,
    paging: Paging,
    principal: Reader,
    count: Annotated[bool, Query(description="Count every segment now.")] = False,
) -> Page[SegmentRead]:
    """Saved segments by code, with their last count (or a live one with ?count=true)."""
    found = service.list_segments(db, principal.workspace_id)
    shown = found[paging.offset : paging.offset + paging.per_page]
    if count:
        now = utcnow()
        for segment in shown:
            result = service.count_segment(db, principal.workspace_id, segment.code, now)
            segment.last_count, segment.counted_at = result.count, now
    return paging.wrap(shown, len(found))


@router.get("/segments/export", response_class=Response, responses=EXPORT_RESPONSES)
def export_segments(
    db: Db,
    principal: Exporter,
    format: ExportFormat = ExportFormat.CSV,
) -> Response:
    """Every saved segment with its rule and last count as CSV or XLSX."""
    found = service.list_segments(db, principal.workspace_id)
    cells = ((s.code, s.name, s.rule_text or "", s.last_count, s.counted_at) for s in found)
    return export_response("segments", ("code", "name", "rule", "last_count", "counted_at"),
                           cells, format)  # fmt: skip


@router.post("/segments", response_model=SegmentRead, status_code=201, responses=CONFLICT_RESPONSE)
def create_segment(db: Db, data: SegmentCreate, principal: Writer) -> SegmentRead:
    """Save a segment from the rule language or a JSON tree; a bad rule says where it fails."""
    service.create_segment(db, principal.workspace_id, data)
    return _counted(db, principal.workspace_id, data.code)


def _counted(db: Session, workspace_id: int, code: str) -> SegmentRead:
    service.count_segment(db, workspace_id, code, utcnow())
    return SegmentRead.model_validate(service.require_segment(db, workspace_id, code))


@router.get("/segments/fields", response_model=list[FieldRead])
def segment_fields(db: Db, locale: Locale, principal: Reader) -> list[FieldRead]:
    """Every field a rule can test: its operators, values and meaning in the caller's language."""
    return service.field_catalogue(db, principal.workspace_id, locale)


@router.get("/segments/preview", response_model=SegmentCount)
def preview(db: Db, principal: Reader, rule: Annotated[str, RULE_QUERY]) -> SegmentCount:
    """Count an unsaved rule now (the rule editor calls this as the user types)."""
    node = service.compile_rule(db, principal.workspace_id, rule)
    return service.count_rule(db, principal.workspace_id, node, utcnow())


@router.get("/segments/{code}", response_model=SegmentRead)
def get_segment(code: Code, db: Db, principal: Reader) -> SegmentRead:
    """One saved segment with its rule as a tree and as text."""
    return SegmentRead.model_validate(service.require_segment(db, principal.workspace_id, code))


@router.patch("/segments/{code}", response_model=SegmentRead)
def update_segment(code: Code, db: Db, data: SegmentUpdate, principal: Writer) -> SegmentRead:
    """Change a segment's name, description or rule (a new rule is checked, then counted)."""
    service.update_segment(db, principal.workspace_id, code, data)
    return _counted(db, principal.workspace_id, code)


@router.get("/segments/{code}/count", response_model=SegmentCount)
def count_segment(code: Code, db: Db, principal: Reader) -> SegmentCount:
    """Count a saved segment now, by lifecycle stage (the count is remembered)."""
    return service.count_segment(db, principal.workspace_id, code, utcnow())


def member_ids(db: Session, workspace_id: int, code: str) -> list[int]:
    """Ids of the segment's members now, ascending."""
    rule = service.segment_rule(db, workspace_id, code)
    ids: list[int] = service.members(db, workspace_id, rule, utcnow()).tolist()
    return ids


def member_rows(db: Session, workspace_id: int, ids: Sequence[int]) -> list[Any]:
    """Customer list rows of these ids, in their order."""
    rows, _ = customers.list_customers(db, workspace_id, ids=ids, limit=max(1, len(ids)))
    by_id = {r[0]: r for r in rows}
    return [by_id[i] for i in ids if i in by_id]


@router.get("/segments/{code}/members", response_model=Page[CustomerSummary])
def segment_members(code: Code, db: Db, paging: Paging, principal: Reader) -> Page[CustomerSummary]:
    """The customers a segment selects now, by id, with their profile figures."""
    ids = member_ids(db, principal.workspace_id, code)
    shown = ids[paging.offset : paging.offset + paging.per_page]
    return paging.wrap([summary(r) for r in member_rows(db, principal.workspace_id, shown)],
                       len(ids))  # fmt: skip


@router.get("/segments/{code}/members/export", response_class=Response,
            responses=EXPORT_RESPONSES)  # fmt: skip
def export_members(
    code: Code,
    db: Db,
    principal: Exporter,
    format: ExportFormat = ExportFormat.CSV,
) -> Response:
    """Every member of a segment as CSV or XLSX (identities masked)."""
    service.require_segment(db, principal.workspace_id, code)
    ids = member_ids(db, principal.workspace_id, code)

    def rows() -> Iterator[Any]:
        for start in range(0, len(ids), EXPORT_CHUNK):
            yield from member_rows(db, principal.workspace_id, ids[start : start + EXPORT_CHUNK])

    rows_now = list(rows())  # read before the session closes; a streamed CSV outlives it
    return export_response(f"segment-{code}", EXPORT_HEADERS, export_cells(rows_now), format)


@router.get("/tags", response_model=list[TagRead])
def list_tags(db: Db, principal: Reader) -> list[TagRead]:
    """Every tag and how many customers carry it."""
    return service.list_tags(db, principal.workspace_id)


@router.post("/tags/{tag}/add", response_model=TagChanged)
def add_tag(tag: Tag, db: Db, data: TagChange, principal: Writer) -> TagChanged:
    """Tag customers (an unknown customer id changes nothing and is a 404)."""
    return service.change_tag(db, principal.workspace_id, tag, data.customer_ids, add=True)


@router.post("/tags/{tag}/remove", response_model=TagChanged)
def remove_tag(tag: Tag, db: Db, data: TagChange, principal: Writer) -> TagChanged:
    """Remove a tag from customers."""
    return service.change_tag(db, principal.workspace_id, tag, data.customer_ids, add=False)
