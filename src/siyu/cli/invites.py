"""`siyu invite …`: whom to bring into the pool first, and where to reach them."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from siyu.audit import service as audit
from siyu.audit.rules import Action, Target, cli_actor
from siyu.cli.common import (
    console,
    handle_errors,
    settings,
    store,
    t,
    workspace_session,
    yuan,
)
from siyu.invites.rules import DEFAULT_TOUCHPOINTS, STAGES, Touchpoint
from siyu.invites.service import invite_list, to_csv
from siyu.kit.clock import utcnow
from siyu.kit.errors import ValidationError
from siyu.kit.logs import log_to_file
from siyu.kit.money import format_yuan

app = typer.Typer(help="Invite priority lists.", no_args_is_help=True)
log = logging.getLogger("siyu.invites")

TOUCH_LABELS = {
    "package_card": ("package card", "包裹卡"),
    "sms": ("SMS", "短信"),
    "customer_service": ("CS chat", "客服邀请"),
}


def _touchpoints(card: str, sms: str, cs: str) -> dict[str, Touchpoint]:
    costs = {"package_card": card, "sms": sms, "customer_service": cs}
    return {
        name: Touchpoint(yuan(costs[name]), point.join_rate)
        for name, point in DEFAULT_TOUCHPOINTS.items()
    }


@app.command("list")
@handle_errors
def list_invites(
    budget: Annotated[str, typer.Option(help="Budget in yuan for this round of invites.")],
    stage: Annotated[
        str, typer.Option(help="Brand stage: new, growing or mature; default SIYU_BRAND_STAGE.")
    ] = "",
    limit: Annotated[int, typer.Option(min=1, help="At most this many invites.")] = 10_000,
    show: Annotated[int, typer.Option(min=0, help="Rows to print.")] = 20,
    csv: Annotated[Path | None, typer.Option(help="Write the list as CSV here.")] = None,
    with_contact: Annotated[
        bool,
        typer.Option(help="Put clear phones and buyer ids in the CSV (for the SMS/shop tool)."),
    ] = False,
    card_cost: Annotated[str, typer.Option(help="Cost of a package card, yuan.")] = "0.40",
    sms_cost: Annotated[str, typer.Option(help="Cost of an SMS, yuan.")] = "0.05",
    cs_cost: Annotated[str, typer.Option(help="Cost of a CS invite, yuan.")] = "0.50",
) -> None:
    """Rank buyers outside the pool by value and repurchase intent; say where, within budget."""
    config = settings()
    log_to_file(config.home)
    chosen = stage or config.brand_stage
    if chosen not in STAGES:
        raise ValidationError(
            "input.choice", option="--stage", value=chosen, choices=", ".join(STAGES)
        )
    points = _touchpoints(card_cost, sms_cost, cs_cost)
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        report = invite_list(
            session,
            workspace_id,
            stage=chosen,
            budget_fen=yuan(budget),
            now=utcnow(),
            touchpoints=points,
            limit=limit,
        )
        text = (
            to_csv(session, workspace_id, report, cipher=opened.cipher if with_contact else None)
            if csv
            else ""
        )
        if csv is not None:
            details = {"format": "csv", "rows": len(report.invites), "clear": with_contact}
            audit.record(session, cli_actor(), Action.EXPORT, Target("export", "invites"),
                         details, workspace_id=workspace_id)  # fmt: skip
    if csv is not None:
        csv.write_text(text, encoding="utf-8")
        if with_contact:
            log.info("invite list with clear contacts exported: %d rows", len(report.invites))
    table = Table(
        "#",
        t("customer", "客户"),
        t("tier", "阶梯"),
        t("stage", "阶段"),
        t("score", "得分"),
        "CLV",
        "P(alive)",
        t("where", "触达方式"),
        t("cost", "成本"),
        t("phone", "手机"),
        title=t("whom to invite first", "优先邀请名单"),
    )
    locale = 1 if config.locale == "zh-CN" else 0
    for i in report.invites[:show]:
        table.add_row(
            str(i.rank),
            str(i.customer_id),
            i.tier,
            i.stage,
            f"{i.score:.3f}",
            format_yuan(i.clv_fen) if i.clv_fen is not None else "–",
            f"{i.p_alive:.2f}" if i.p_alive is not None else "–",
            TOUCH_LABELS[i.touchpoint][locale],
            format_yuan(i.cost_fen),
            i.phone_masked,
        )
    console.print(table)
    console.print(
        t(
            f"{len(report.invites):,} of {report.candidates:,} buyers outside the pool; "
            f"{format_yuan(report.spent_fen)} of {format_yuan(report.budget_fen)}; "
            f"about {report.expected_joiners:,.0f} joiners expected; "
            f"{report.unreachable:,} high-ranked buyers have no way to reach them",
            f"池外购买客户 {report.candidates:,} 位，入选 {len(report.invites):,} 位；"
            f"花费 {format_yuan(report.spent_fen)} / 预算 {format_yuan(report.budget_fen)}；"
            f"预计加好友约 {report.expected_joiners:,.0f} 位；"
            f"{report.unreachable:,} 位无可用触达方式",
        )
    )
    if csv is not None:
        console.print(f"CSV → {csv}")
