"""API routes of channel codes (live codes): list with joins and visits, create, pause,
QR downloads and the insert-card PDF of a batch of orders."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from siyu.accounts.rules import Permission, Principal
from siyu.channels import qr, service
from siyu.channels.cards import CardDesign, cards_pdf
from siyu.channels.schemas import ChannelCodeCreate, ChannelCodeRead, ChannelCodeStatus
from siyu.channels.service import CodeSummary
from siyu.kit.clock import CHINA_TZ, Day
from siyu.kit.errors import ValidationError
from siyu.web.deps import Db, require, store_of
from siyu.web.errors import CONFLICT_RESPONSE, NOT_FOUND_RESPONSE
from siyu.web.export import EXPORT_RESPONSES, ExportFormat, export_response, yuan
from siyu.web.pagination import Page, Paging

router = APIRouter(tags=["channel codes"])
Reader = Annotated[Principal, require(Permission.ENGAGE_READ)]
Writer = Annotated[Principal, require(Permission.ENGAGE_WRITE)]
Status = Literal["active", "paused", "archived"]
EXPORT_HEADERS = (
    "code", "name", "channel", "status", "routing", "staff", "backup_staff", "visits", "joins",
    "join_rate", "cost_per_join_yuan", "ends_at", "landing_url",
)  # fmt: skip
MAX_CARD_DAYS = 31
CARD_HEADLINE = "扫码添加专属顾问"  # as `siyu channel code cards`


def code_read(summary: CodeSummary, public_base_url: str) -> ChannelCodeRead:
    """A listed code as the API shows it."""
    code = summary.code
    return ChannelCodeRead(
        code=code.code, name=code.name, channel=summary.channel_code,
        channel_kind=summary.channel_kind, routing=code.routing, status=code.status,
        staff=summary.staff, backup_staff=summary.backup_staff,
        inactive_staff=summary.inactive_staff, visits=summary.visits, joins=summary.joins,
        cost_per_join_fen=code.cost_per_join_fen, starts_at=code.starts_at, ends_at=code.ends_at,
        landing_url=qr.landing_url(public_base_url, code.code),
        wecom_connected=bool(code.wecom_config_id),
    )  # fmt: skip


def list_reads(
    request: Request, db: Db, workspace_id: int, status: str | None
) -> list[ChannelCodeRead]:
    """Every code of the workspace (optionally of one status), newest first."""
    base = store_of(request).settings.public_base_url
    found = [code_read(s, base) for s in service.list_codes(db, workspace_id)]
    return [c for c in found if status is None or c.status == status]


@router.get("/channel-codes", response_model=Page[ChannelCodeRead])
def list_codes(
    request: Request, db: Db, paging: Paging, principal: Reader, status: Status | None = None
) -> Page[ChannelCodeRead]:
    """Channel codes with their staff pool, landing visits and joins."""
    found = list_reads(request, db, principal.workspace_id, status)
    return paging.wrap(found[paging.offset : paging.offset + paging.per_page], len(found))


@router.get("/channel-codes/export", response_class=Response, responses=EXPORT_RESPONSES)
def export_codes(
    request: Request,
    db: Db,
    principal: Annotated[Principal, require(Permission.EXPORT)],
    status: Status | None = None,
    format: ExportFormat = ExportFormat.CSV,
) -> Response:
    """The channel codes as CSV or XLSX."""
    rows = (
        (c.code, c.name, c.channel, c.status, c.routing, ",".join(c.staff),
         ",".join(c.backup_staff), c.visits, c.joins,
         round(c.joins / c.visits, 4) if c.visits else None, yuan(c.cost_per_join_fen),
         c.ends_at, c.landing_url)
        for c in list_reads(request, db, principal.workspace_id, status)
    )  # fmt: skip
    return export_response("channel-codes", EXPORT_HEADERS, rows, format)


def _read_one(request: Request, db: Db, workspace_id: int, code: str) -> ChannelCodeRead:
    service.require_code(db, workspace_id, code)
    return next(c for c in list_reads(request, db, workspace_id, None) if c.code == code)


@router.post(
    "/channel-codes", status_code=201, response_model=ChannelCodeRead,
    responses={**NOT_FOUND_RESPONSE, **CONFLICT_RESPONSE},
)  # fmt: skip
def create_code(
    request: Request, body: ChannelCodeCreate, db: Db, principal: Writer
) -> ChannelCodeRead:
    """Create a channel code; `siyu wecom sync` then makes its WeCom contact ways."""
    service.create_code(db, principal.workspace_id, body)
    return _read_one(request, db, principal.workspace_id, body.code)


@router.patch("/channel-codes/{code}", response_model=ChannelCodeRead)
def set_status(
    request: Request, code: str, body: ChannelCodeStatus, db: Db, principal: Writer
) -> ChannelCodeRead:
    """Pause a code, make it active again, or archive it."""
    service.set_status(db, principal.workspace_id, code, body.status)
    return _read_one(request, db, principal.workspace_id, code)


QR_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


@router.get(
    "/channel-codes/{code}/qr.{kind}",
    response_class=Response,
    responses={200: {"content": {t: {} for t in QR_TYPES.values()}}},
)
def code_qr(
    request: Request, code: str, kind: Literal["png", "svg"], db: Db, principal: Reader
) -> Response:
    """The code's QR (its landing URL) as PNG or SVG, for print."""
    found = service.require_code(db, principal.workspace_id, code)
    url = qr.landing_url(store_of(request).settings.public_base_url, found.code)
    data = qr.png(url) if kind == "png" else qr.svg(url)
    headers = {"Content-Disposition": f'attachment; filename="{found.code}.{kind}"'}
    return Response(data, media_type=QR_TYPES[kind], headers=headers)


@router.get(
    "/channel-codes/{code}/cards.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def code_cards(
    request: Request,
    code: str,
    db: Db,
    principal: Annotated[Principal, require(Permission.EXPORT)],
    since: Annotated[Day, Query(description="First order day (China time).")],
    until: Annotated[Day, Query(description="Last order day, included.")],
    shop: Annotated[str | None, Query(max_length=64)] = None,
    include_pool: bool = False,
    headline: Annotated[str, Query(max_length=40)] = CARD_HEADLINE,
) -> Response:
    """Insert cards (A6 PDF, one per paid or shipped order of the days) for a packing batch."""
    if until < since or (until - since).days >= MAX_CARD_DAYS:
        raise ValidationError("channels.card_window", days=MAX_CARD_DAYS)
    store = store_of(request)
    start = datetime.combine(since, datetime.min.time(), CHINA_TZ)
    end = datetime.combine(until + timedelta(days=1), datetime.min.time(), CHINA_TZ)
    found = service.require_code(db, principal.workspace_id, code)
    cards = service.order_cards(
        db, principal.workspace_id, store.cipher, code=code,
        public_base_url=store.settings.public_base_url, since=start, until=end, shop_code=shop,
        skip_pool=not include_pool,
    )  # fmt: skip
    if not cards:
        raise ValidationError("channels.no_cards")
    design = CardDesign(brand=found.name, headline=headline, body=found.welcome_text)
    data = cards_pdf(cards, design, font_path=store.settings.card_font)
    filename = f"{code}-cards-{since:%Y%m%d}-{until:%Y%m%d}.pdf"
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
