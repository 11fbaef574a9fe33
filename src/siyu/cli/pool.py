"""`siyu pool …`: pool health: joins and leaves, who deleted a staff account, quality."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from siyu.cli.common import console, handle_errors, store, t, workspace_session
from siyu.kit.clock import CHINA_TZ, utcnow
from siyu.kit.errors import ValidationError
from siyu.kit.money import format_yuan
from siyu.pool_health.service import (
    default_now,
    deleted_staff_alerts,
    movements_by_day,
    quality,
)

app = typer.Typer(help="Private-pool health.", no_args_is_help=True)


@app.command("moves")
@handle_errors
def moves(
    days: Annotated[int, typer.Option(min=1, max=366)] = 14,
    by: Annotated[str, typer.Option(help="channel or staff.")] = "channel",
) -> None:
    """Joins and leaves per day per channel (or staff account)."""
    if by not in ("channel", "staff"):
        raise ValidationError("input.choice", option="--by", value=by, choices="channel, staff")
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        now = default_now(session, workspace_id, utcnow())
        rows = movements_by_day(session, workspace_id, now=now, days=days, by=by)
    table = Table(
        t("day", "日期"),
        t(by, "渠道" if by == "channel" else "员工"),
        t("joins", "新增"),
        t("leaves", "流失"),
        t("net", "净增"),
    )
    for r in rows:
        table.add_row(
            r.day.isoformat(), r.key, str(r.joins), str(r.leaves), f"{r.joins - r.leaves:+d}"
        )
    console.print(table)


@app.command("alerts")
@handle_errors
def alerts(days: Annotated[int, typer.Option(min=1, max=366)] = 7) -> None:
    """Customers who deleted or blocked a staff account lately, most valuable first."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        since = default_now(session, workspace_id, utcnow()) - timedelta(days=days)
        found = deleted_staff_alerts(session, workspace_id, since=since)
    table = Table(
        t("customer", "客户"),
        t("staff", "员工"),
        t("channel", "渠道"),
        t("left at", "删除时间"),
        t("days in pool", "在池天数"),
        "CLV",
        t("tier", "阶梯"),
        title=t("customers who deleted a staff account", "删除员工的客户"),
    )
    for a in found:
        table.add_row(
            str(a.customer_id),
            a.staff,
            a.channel,
            a.left_at.astimezone(CHINA_TZ).strftime("%m-%d %H:%M"),
            f"{a.days_in_pool:.1f}",
            format_yuan(a.clv_fen) if a.clv_fen is not None else "–",
            a.tier,
        )
    console.print(table)


@app.command("quality")
@handle_errors
def show_quality() -> None:
    """Pool size next to pool quality, per channel (a big pool of non-buyers is fake)."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        rows = quality(session, workspace_id, now=default_now(session, workspace_id, utcnow()))
    table = Table(
        t("channel", "渠道"),
        t("in pool", "在池人数"),
        t("buyers", "购买过"),
        t("repeat", "复购"),
        t("mean CLV", "平均 CLV"),
        "P(alive)",
        t("kept 30 d", "30 天留存"),
        t("cost 90 d", "近 90 天花费"),
        t("cost per kept joiner", "每留存客户成本"),
    )
    for q in rows:
        table.add_row(
            f"{q.channel} {q.name}".strip(),
            f"{q.in_pool:,}",
            f"{q.buyers_share:.0%}",
            f"{q.repeat_share:.0%}",
            format_yuan(round(q.mean_clv_fen)) if q.mean_clv_fen is not None else "–",
            f"{q.mean_p_alive:.2f}" if q.mean_p_alive is not None else "–",
            f"{q.retention_30d:.0%}" if q.retention_30d is not None else "–",
            format_yuan(q.cost_fen_90d),
            format_yuan(round(q.cost_per_retained_fen)) if q.cost_per_retained_fen else "–",
        )
    console.print(table)
