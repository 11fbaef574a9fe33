"""`siyu referral …`: referral campaigns, codes, first orders, review of held rewards, K-factor."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml
from pydantic import ValidationError as PydanticError
from rich.table import Table
from rich.tree import Tree

from siyu.cli.channels import when
from siyu.cli.common import console, handle_errors, settings, store, t, workspace_session
from siyu.kit.errors import ValidationError, invalid_fields
from siyu.loyalty.rewards import sink_for as loyalty_sink
from siyu.referral import service as referral
from siyu.referral.rules import TreeNode
from siyu.referral.schemas import CampaignCreate, CampaignRules

app = typer.Typer(help="Referral (老带新 / 裂变) campaigns.", no_args_is_help=True)
campaign_app = typer.Typer(help="Referral campaigns.", no_args_is_help=True)
app.add_typer(campaign_app, name="campaign")


def _rules(path: Path) -> CampaignRules:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        reason = str(exc).splitlines()[0]
        raise ValidationError("input.file", file=path.name, reason=reason) from None
    try:
        return CampaignRules.model_validate(raw)
    except PydanticError as exc:
        raise invalid_fields(exc) from None


@campaign_app.command("create")
@handle_errors
def create(
    code: str,
    name: Annotated[str, typer.Option(help="Campaign name.")],
    rules: Annotated[Path, typer.Option(help="YAML/JSON: rewards and limits.")],
    starts: Annotated[str, typer.Option(help="Start (ISO; China time).")] = "",
    ends: Annotated[str, typer.Option(help="End (ISO; China time).")] = "",
) -> None:
    """Create a referral campaign from a rules file."""
    try:
        spec = CampaignCreate(
            code=code, name=name, rules=_rules(rules), starts_at=when(starts), ends_at=when(ends)
        )
    except PydanticError as exc:
        raise invalid_fields(exc) from None
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        referral.create_campaign(session, workspace_id, spec)
    console.print(f"[green]✓[/] {code}")


@campaign_app.command("list")
@handle_errors
def list_campaigns() -> None:
    """List campaigns with their K-factor."""
    table = Table(
        t("campaign", "活动"),
        t("name", "名称"),
        t("status", "状态"),
        t("code holders", "持码客户"),
        t("joiners", "带来新客"),
        t("first orders", "首单"),
        t("held", "待审"),
        "K",
        t("K (orders)", "K（首单）"),
    )
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        for c in referral.list_campaigns(session, workspace_id):
            k = referral.campaign_k_factor(session, workspace_id, c.code)
            table.add_row(
                c.code,
                c.name,
                c.status,
                f"{k.holders:,}",
                f"{k.joiners:,}",
                f"{k.converted:,}",
                f"{k.flagged:,}",
                f"{k.k_join:.3f}",
                f"{k.k_order:.3f}",
            )
    console.print(table)


@app.command("codes")
@handle_errors
def codes(
    campaign: str,
    customer: Annotated[list[int] | None, typer.Option(help="Customer id (repeatable).")] = None,
) -> None:
    """Give customers (default: everyone in the pool) a referral code in a campaign."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        if customer:
            issued = referral.issue_codes(session, workspace_id, campaign, customer)
            for customer_id, code in issued.items():
                console.print(f"{customer_id}: {code}")
        else:
            issued = referral.issue_codes_to_pool(session, workspace_id, campaign)
    console.print(t(f"{len(issued):,} customers hold a code", f"{len(issued):,} 位客户已有推荐码"))


@app.command("attribute")
@handle_errors
def attribute() -> None:
    """Find referred customers' first orders and earn (or hold) the order rewards."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        found = referral.attribute_first_orders(session, workspace_id, opened.cipher)
    console.print(t(f"{found:,} first orders attributed", f"已归因首单 {found:,} 笔"))


@app.command("report")
@handle_errors
def report(campaign: str) -> None:
    """A campaign's K-factor: referred customers per code holder, and the tree's depth."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        k = referral.campaign_k_factor(session, workspace_id, campaign)
    table = Table(t("figure", "指标"), t("value", "数值"), title=campaign)
    for label, value in (
        (t("code holders", "持码客户"), f"{k.holders:,}"),
        (t("customers who referred", "发起推荐的客户"), f"{k.referrers:,}"),
        (t("referred joiners", "带来的新客"), f"{k.joiners:,}"),
        (t("referred first orders", "新客首单"), f"{k.converted:,}"),
        (t("held as suspicious", "疑似作弊（已冻结）"), f"{k.flagged:,}"),
        (t("K-factor (joiners per holder)", "K 因子（每持码客户带来新客）"), f"{k.k_join:.3f}"),
        (t("K-factor (first orders)", "K 因子（首单）"), f"{k.k_order:.3f}"),
        (t("joiners per referrer", "每位推荐人带来新客"), f"{k.invites_per_referrer:.2f}"),
        (t("generations", "传播层级"), str(k.generations)),
    ):
        table.add_row(label, value)
    console.print(table)


@app.command("tree")
@handle_errors
def show_tree(campaign: str, roots: Annotated[int, typer.Option(min=1)] = 10) -> None:
    """Print the campaign's referral tree (the largest branches first)."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        forest = referral.campaign_tree(session, workspace_id, campaign)
    forest.sort(key=_size, reverse=True)
    top = Tree(f"{campaign}: {len(forest)} " + t("root referrers", "位源头推荐人"))
    for node in forest[:roots]:
        _add(top, node)
    console.print(top)


def _size(node: TreeNode) -> int:
    return 1 + sum(_size(c) for c in node.children)


def _add(parent: Tree, node: TreeNode) -> None:
    mark = " 🛒" if node.converted else ""
    mark += " ⚠" if node.flagged else ""
    branch = parent.add(f"{t('customer', '客户')} {node.customer_id}{mark}")
    for child in node.children:
        _add(branch, child)


@app.command("review")
@handle_errors
def review() -> None:
    """List rewards held by the fraud rules, with the reasons."""
    table = Table(
        "id",
        t("referral", "推荐"),
        t("customer", "客户"),
        t("for", "触发"),
        t("reward", "奖励"),
        t("reasons", "原因"),
    )
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        for r in referral.review_list(session, workspace_id):
            table.add_row(
                str(r.id),
                str(r.referral_id),
                str(r.customer_id),
                r.trigger,
                f"{r.kind} {r.amount}",
                r.hold_reason,
            )
    console.print(table)


@app.command("decide")
@handle_errors
def decide(
    reward: int,
    approve: Annotated[bool, typer.Option("--approve/--reject", help="Release or reject.")],
    reviewer: Annotated[str, typer.Option(help="Who decided.")] = "",
) -> None:
    """Release a held reward (it is then granted) or reject it."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        decided = referral.decide(
            session,
            workspace_id,
            reward,
            approve=approve,
            reviewer=reviewer or settings().workspace,
        )
    console.print(f"[green]✓[/] {reward}: {decided.status}")


@app.command("grant")
@handle_errors
def grant() -> None:
    """Grant pending points and stored-value rewards through the loyalty ledger."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        if loyalty_sink(session, workspace_id) is None:
            console.print(
                t(
                    "No loyalty programme yet: rewards stay pending and lose nothing; "
                    "they are granted once one is set up (siyu loyalty program apply).",
                    "尚未设置会员方案：奖励保持待发放状态，不会丢失；设置方案后统一发放"
                    "（siyu loyalty program apply）。",
                )
            )
            return
        granted = referral.grant_pending(session, workspace_id)
    console.print(t(f"{granted:,} rewards granted", f"已发放奖励 {granted:,} 笔"))
