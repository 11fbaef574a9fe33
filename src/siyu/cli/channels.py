"""`siyu channel …`: channel codes (live codes), their QR codes and cards, staff routing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError as PydanticError
from rich.table import Table

from siyu.channels import service as channels
from siyu.channels.cards import CardDesign, cards_pdf
from siyu.channels.qr import landing_url, png, svg
from siyu.channels.schemas import ChannelCodeCreate
from siyu.cli.common import (
    console,
    handle_errors,
    settings,
    store,
    t,
    workspace_session,
    yuan,
)
from siyu.kit.clock import CHINA_TZ, utcnow
from siyu.kit.errors import ValidationError, invalid_fields
from siyu.kit.money import format_yuan
from siyu.models.enums import ChannelKind

app = typer.Typer(help="Channel codes (live codes), QR codes, insert cards.", no_args_is_help=True)
code_app = typer.Typer(help="Channel codes.", no_args_is_help=True)
staff_app = typer.Typer(help="Staff accounts behind the codes.", no_args_is_help=True)
app.add_typer(code_app, name="code")
app.add_typer(staff_app, name="staff")


def when(text: str) -> datetime | None:
    """Parse an ISO date or time; naive values are China time."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError("input.moment", text=text[:40]) from None
    return value if value.tzinfo else value.replace(tzinfo=CHINA_TZ)


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


@code_app.command("create")
@handle_errors
def create(
    code: Annotated[str, typer.Argument(help="Code (1-30 of A-Z a-z 0-9 _ -); the WeCom state.")],
    name: Annotated[str, typer.Option(help="What the touchpoint is.")],
    channel: Annotated[str, typer.Option(help="Channel code (created if new).")],
    staff: Annotated[str, typer.Option(help="Staff codes (WeCom userids), comma-separated.")],
    kind: Annotated[ChannelKind, typer.Option(help="Kind of touchpoint.")] = ChannelKind.OTHER,
    backup: Annotated[str, typer.Option(help="Backup staff codes.")] = "",
    routing: Annotated[str, typer.Option(help="round_robin or least_loaded.")] = "round_robin",
    welcome: Annotated[str, typer.Option(help="Welcome message sent on join.")] = "",
    tags: Annotated[str, typer.Option(help="WeCom enterprise tag ids applied on join.")] = "",
    cost: Annotated[str, typer.Option(help="Cost per joiner in yuan (e.g. a red envelope).")] = "0",
    starts: Annotated[str, typer.Option(help="Start (ISO; China time).")] = "",
    ends: Annotated[str, typer.Option(help="End (ISO; China time).")] = "",
) -> None:
    """Create a channel code routing joiners to a pool of staff accounts."""
    try:
        spec = ChannelCodeCreate(
            code=code,
            name=name,
            channel=channel,
            channel_kind=kind,
            staff=_split(staff),
            backup_staff=_split(backup),
            routing=routing,
            welcome_text=welcome,
            tag_ids=_split(tags),
            cost_per_join_fen=yuan(cost),
            starts_at=when(starts),
            ends_at=when(ends),
        )
    except PydanticError as exc:
        raise invalid_fields(exc) from None
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        created = channels.create_code(session, workspace_id, spec)
        url = landing_url(settings().public_base_url, created.code)
    console.print(f"[green]✓[/] {created.code} → {url}")


@code_app.command("list")
@handle_errors
def list_codes() -> None:
    """List channel codes with their staff, joins and state."""
    table = Table(
        t("code", "渠道码"),
        t("channel", "渠道"),
        t("kind", "类型"),
        t("routing", "分配"),
        t("staff (backup)", "员工（备用）"),
        t("joins", "加好友数"),
        t("cost/joiner", "单个成本"),
        t("status", "状态"),
        t("ends", "结束"),
    )
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        for s in channels.list_codes(session, workspace_id):
            staff = ", ".join(s.staff) + (
                f" ({', '.join(s.backup_staff)})" if s.backup_staff else ""
            )
            if s.inactive_staff:
                staff += " ⚠ " + t("out of service: ", "已停用：") + ", ".join(s.inactive_staff)
            ends = s.code.ends_at.astimezone(CHINA_TZ).date().isoformat() if s.code.ends_at else ""
            table.add_row(
                s.code.code,
                s.channel_code,
                s.channel_kind,
                s.code.routing,
                staff,
                f"{s.joins:,}",
                format_yuan(s.code.cost_per_join_fen),
                s.code.status,
                ends,
            )
    console.print(table)


@code_app.command("status")
@handle_errors
def set_status(
    code: str, status: Annotated[str, typer.Argument(help="active, paused or archived.")]
) -> None:
    """Pause, resume (active) or archive a code; joins through it still land, flagged."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        channels.set_status(session, workspace_id, code, status)
    console.print(f"[green]✓[/] {code}: {status}")


@code_app.command("remove-staff")
@handle_errors
def remove_staff(code: str, staff: str) -> None:
    """Take a staff account out of a code mid-campaign (run `siyu wecom sync` afterwards)."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        channels.remove_staff(session, workspace_id, code, staff)
    console.print(f"[green]✓[/] {code}: −{staff}")


@code_app.command("route")
@handle_errors
def route(code: str) -> None:
    """Show who the next visitor of the code's landing page goes to (advances the rotation)."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        target = channels.resolve_landing(session, workspace_id, code, utcnow())
    note = t(" (backup)", "（备用）") if target.backup else ""
    note += t(" (everyone busy: overflow)", "（均已满额：溢出分配）") if target.overflow else ""
    console.print(f"{code} → {target.staff_code}{note}")


@code_app.command("qr")
@handle_errors
def qr(
    code: str,
    out: Annotated[Path, typer.Option(help="File to write (.png or .svg).")],
) -> None:
    """Write the QR code of a channel code (its landing URL) as PNG or SVG."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        channels.require_code(session, workspace_id, code)
    url = landing_url(settings().public_base_url, code)
    suffix = out.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise ValidationError("input.image_suffix")
    out.write_bytes(png(url) if suffix == ".png" else svg(url))
    console.print(f"[green]✓[/] {out} ← {url}")


@code_app.command("cards")
@handle_errors
def cards(
    code: str,
    out: Annotated[Path, typer.Option(help="PDF to write.")],
    since: Annotated[str, typer.Option(help="First order day (China date).")] = "",
    until: Annotated[str, typer.Option(help="Last order day (China date), inclusive.")] = "",
    shop: Annotated[str, typer.Option(help="Only orders of this shop code.")] = "",
    include_pool: Annotated[bool, typer.Option(help="Also customers already in the pool.")] = False,
    headline: Annotated[str, typer.Option(help="Card headline.")] = "扫码添加专属顾问",
    body: Annotated[str, typer.Option(help="Card text (the offer).")] = "",
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 5000,
) -> None:
    """Write print-ready insert cards (A6, 3 mm bleed) for a batch of paid/shipped orders."""
    today = utcnow().astimezone(CHINA_TZ).date()
    first = date.fromisoformat(since) if since else today - timedelta(days=1)
    last = date.fromisoformat(until) if until else today
    start = datetime.combine(first, datetime.min.time(), CHINA_TZ)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), CHINA_TZ)
    config = settings()
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        found = channels.require_code(session, workspace_id, code)
        batch = channels.order_cards(
            session,
            workspace_id,
            opened.cipher,
            code=code,
            public_base_url=config.public_base_url,
            since=start,
            until=end,
            shop_code=shop or None,
            skip_pool=not include_pool,
            limit=limit,
        )
        design = CardDesign(
            brand=config.workspace if not found.name else found.name,
            headline=headline,
            body=body or found.welcome_text,
        )
    if not batch:
        console.print(t("No orders in that window.", "该时间段内没有订单。"))
        return
    out.write_bytes(cards_pdf(batch, design, font_path=config.card_font))
    console.print(f"[green]✓[/] {out}: {len(batch):,} " + t("cards", "张卡片"))


@staff_app.command("add")
@handle_errors
def staff_add(
    staff: Annotated[str, typer.Argument(help="Staff code: the member's WeCom userid.")],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    limit: Annotated[int, typer.Option(min=0, help="Daily add limit.")] = 200,
) -> None:
    """Add a staff account (a WeCom member who takes joiners)."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        channels.add_staff(session, workspace_id, staff, name=name or staff, daily_limit=limit)
    console.print(f"[green]✓[/] {staff}")


@staff_app.command("shifts")
@handle_errors
def shifts(
    staff: str,
    hours: Annotated[
        str, typer.Argument(help='e.g. "1-5 09:00-18:00; 6 10:00-16:00"; "" = always.')
    ],
) -> None:
    """Set when a staff account takes joiners (China time)."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        channels.set_shifts(session, workspace_id, staff, hours)
    console.print(f"[green]✓[/] {staff}: {hours or t('always', '全天')}")


@staff_app.command("set")
@handle_errors
def staff_set(
    staff: str,
    limit: Annotated[int | None, typer.Option(help="Daily add limit.")] = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="In or out of service.")
    ] = None,
) -> None:
    """Set a staff account's daily add limit, or take it out of service (or back)."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        found = channels.set_staff_service(
            session, workspace_id, staff, active=active, daily_limit=limit
        )
        console.print(
            f"[green]✓[/] {found.code}: limit {found.daily_capacity}, "
            f"{'active' if found.active else 'inactive'}"
        )
