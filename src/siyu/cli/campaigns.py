"""`siyu campaign …` and `siyu holdout …`: campaigns with control groups, and their results."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import pydantic
import typer
import yaml
from rich.table import Table

from siyu.audit.rules import cli_actor
from siyu.cli.common import (
    console,
    handle_errors,
    progress_bar,
    settings,
    store,
    t,
    workspace_session,
)
from siyu.db.engine import unit_of_work
from siyu.engage.campaigns import service, tasks
from siyu.engage.campaigns.schemas import CampaignCreate, CampaignResults
from siyu.kit.clock import CHINA_TZ, utcnow
from siyu.kit.errors import ValidationError, invalid_fields
from siyu.kit.money import format_yuan
from siyu.workspaces import service as workspaces

app = typer.Typer(help="Campaigns to segments, with control groups.", no_args_is_help=True)
holdout_app = typer.Typer(help="The brand-wide holdout group.", no_args_is_help=True)


def _when(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("/", "-"))
    except ValueError:
        raise ValidationError("input.moment", text=text[:40]) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA_TZ)


@app.command("create")
@handle_errors
def create(
    code: str,
    segment: Annotated[str, typer.Option(help="Audience segment code.")] = "",
    channel: Annotated[str, typer.Option(help="wecom, sms, email, webhook or console.")] = "",
    fallback: Annotated[
        list[str] | None,
        typer.Option(help="Channel tried when the first cannot reach (repeatable)."),
    ] = None,
    channel_text: Annotated[
        list[str] | None, typer.Option(help="Text on one channel as CHANNEL=text (repeatable).")
    ] = None,
    send_at: Annotated[str, typer.Option(help="When (China time unless a zone is given).")] = "",
    text: Annotated[str, typer.Option(help="Message text of variant A ({variables}).")] = "",
    variant: Annotated[
        list[str] | None, typer.Option(help="Another variant as CODE=text (repeatable).")
    ] = None,
    subject: Annotated[str, typer.Option(help="E-mail subject / card title.")] = "",
    offer: Annotated[str, typer.Option(help="none, small, large or major.")] = "none",
    control: Annotated[float, typer.Option(help="Share held out as control.")] = 0.1,
    holdout: Annotated[bool, typer.Option(help="Honour the brand-wide holdout.")] = True,
    reschedule_days: Annotated[int, typer.Option(help="Days a capped message may move.")] = 0,
    attribution_days: Annotated[int, typer.Option(help="Days results count orders.")] = 14,
    file: Annotated[Path | None, typer.Option(help="The whole campaign as YAML/JSON.")] = None,
) -> None:
    """Create a draft campaign (checked: segment, variables, banned words)."""
    if file is not None:
        raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        raw.setdefault("code", code)
    else:
        extra = {"subject": subject} if subject else {}
        overrides = {name.strip(): {"text": body} for name, _, body in
                     (item.partition("=") for item in channel_text or [])}  # fmt: skip
        variants = [{"code": "A", "content": {"text": text, **extra}, "by_channel": overrides}]
        for item in variant or []:
            name, _, body = item.partition("=")
            variants.append({"code": name.strip(), "content": {"text": body, **extra},
                             "by_channel": overrides})  # fmt: skip
        raw = {"code": code, "segment": segment, "channel": channel, "send_at": _when(send_at),
               "fallback_channels": fallback or [],
               "offer": offer, "control_share": control, "use_holdout": holdout,
               "reschedule_days": reschedule_days, "attribution_days": attribution_days,
               "variants": variants}  # fmt: skip
    try:
        data = CampaignCreate.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise invalid_fields(exc) from None
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        created = service.create_campaign(session, workspace_id, data)
    console.print(f"[green]✓[/] {created.code} ({created.status})")


@app.command("list")
@handle_errors
def list_() -> None:
    """List campaigns."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        found = service.list_campaigns(session, workspace_id)
    table = Table(t("code", "代码"), t("channel", "渠道"), t("status", "状态"),
                  t("send at", "发送时间"), t("control", "对照组"), t("offer", "优惠"))  # fmt: skip
    for c in found:
        when = c.send_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
        table.add_row(c.code, c.channel, c.status, when, f"{c.control_share:.0%}", c.offer)
    console.print(table)


@app.command("plan")
@handle_errors
def plan(code: str) -> None:
    """What launching now would do: arms, the policy's decisions, expected value."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        result = service.plan(session, workspace_id, code, utcnow(), committed=True)
    table = Table(t("", ""), t("customers", "客户数"), title=code)
    rows = [
        (t("audience", "目标人群"), result.audience),
        (t("brand holdout", "全局保留组"), result.holdout),
        (t("control", "对照组"), result.control),
        (t("treatment", "实验组"), result.treatment),
        (t("to be sent", "将发送"), result.admitted),
        (t("of which moved to a later day", "其中改期"), result.rescheduled),
        (t("control that would be sent", "对照组中可发送"), result.control_eligible),
    ]
    for label, n in rows:
        table.add_row(label, f"{n:,}")
    for variant, n in result.by_variant.items():
        table.add_row(t(f"variant {variant}", f"版本 {variant}"), f"{n:,}")
    for channel, n in result.by_channel.items():
        table.add_row(t(f"on {channel}", f"经 {channel}"), f"{n:,}")
    for reason, n in result.by_reason.items():
        table.add_row(t(f"held back: {reason}", f"拦截：{reason}"), f"{n:,}")
    console.print(table)
    console.print(t(
        f"expected incremental value {format_yuan(int(result.expected_value_fen))}; "
        f"{result.decisions_per_second:,.0f} decisions/s",
        f"预计增量价值 {format_yuan(int(result.expected_value_fen))}；"
        f"每秒决策 {result.decisions_per_second:,.0f} 个",
    ))  # fmt: skip


@app.command("launch")
@handle_errors
def launch(code: str) -> None:
    """Launch a draft campaign: reserve contacts, queue messages, record control members."""
    with store() as opened:
        with unit_of_work(opened.sessions) as session:
            workspace_id = workspaces.require(session, settings().workspace).id
        with progress_bar() as bar:
            task = bar.add_task(code, total=None)
            report = tasks.launch(
                opened.sessions, workspace_id, code, now=utcnow(),
                progress=lambda done, total: bar.update(task, completed=done, total=total),
                actor=cli_actor(),
            )  # fmt: skip
    table = Table(t("", ""), t("customers", "客户数"), title=code)
    for label, n in (
        (t("members", "成员"), report.members),
        (t("messages queued", "已排队消息"), report.queued),
        (t("held back by the policy", "被策略拦截"), report.suppressed),
        (t("control", "对照组"), report.control),
        (t("brand holdout", "全局保留组"), report.holdout),
        (t("already launched before", "此前已发布"), report.resumed),
    ):
        table.add_row(label, f"{n:,}")
    console.print(table)
    console.print(t(f"{report.seconds:.1f} s; `siyu worker` delivers the messages",
                    f"用时 {report.seconds:.1f} 秒；由 `siyu worker` 投递消息"))  # fmt: skip


def _figure(metric: str, value: float) -> str:
    if metric == "revenue_per_customer_fen":
        return format_yuan(round(value))
    return f"{value * 100:+.2f} pp"


def _print_results(result: CampaignResults) -> None:
    arms = Table(t("arm", "组"), t("customers", "客户数"), t("eligible", "可触达"),
                 t("converted", "转化"), t("revenue", "收入"), t("prior buyers", "老客"),
                 t("repurchased", "复购"), title=result.code)  # fmt: skip
    for name, a in result.arms.items():
        counts = (a.customers, a.eligible, a.converted)
        arms.add_row(name, *(f"{n:,}" for n in counts), format_yuan(a.revenue_fen),
                     f"{a.prior_buyers:,}", f"{a.repurchased:,}")  # fmt: skip
    console.print(arms)
    level = f"{result.confidence:.0%}"
    table = Table(t("compared", "比较"), t("who", "人群"), t("metric", "指标"), t("n", "样本"),
                  t("increment", "增量"), t(f"{level} interval", f"{level} 置信区间"), "p",
                  t("total increment", "总增量"))  # fmt: skip
    for c in result.comparisons:
        total = (format_yuan(round(c.incremental_total)) if c.metric.startswith("revenue")
                 else f"{c.incremental_total:+,.1f}")  # fmt: skip
        table.add_row(c.label, c.population, c.metric, f"{c.treated:,}/{c.baseline:,}",
                      _figure(c.metric, c.difference),
                      f"[{_figure(c.metric, c.low)}, {_figure(c.metric, c.high)}]",
                      f"{c.p_value:.3g}", total)  # fmt: skip
    console.print(table)
    window = f"{result.window_start:%Y-%m-%d} → {result.window_end:%Y-%m-%d}"
    if not result.complete:
        window += t(" (window still open)", "（窗口未结束）")
    console.print(window)


@app.command("results")
@handle_errors
def results(
    code: str, confidence: Annotated[float, typer.Option(min=0.5, max=0.999)] = 0.95
) -> None:
    """Increments over control (conversion, revenue, repurchase) with confidence intervals."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        result = service.results(session, workspace_id, code, utcnow(), confidence=confidence)
    _print_results(result)


@holdout_app.command("set")
@handle_errors
def holdout_set(share: Annotated[float, typer.Argument(min=0.0, max=0.5)]) -> None:
    """Hold this share of customers out of every campaign (the same customers each time)."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        setting = service.set_holdout(session, workspace_id, share)
    console.print(f"[green]✓[/] {setting.share:.1%}")


@holdout_app.command("show")
@handle_errors
def holdout_show() -> None:
    """The brand-wide holdout share."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        setting = service.get_holdout(session, workspace_id)
    console.print(f"{setting.share:.1%}")
