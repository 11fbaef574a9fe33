"""`siyu loyalty …`: the programme, points, stored value, paid cards, tiers, statements, audit.

Every command that posts needs `--key`, the idempotency key: running the same command
again with the same key posts nothing and says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.table import Table
from sqlalchemy.orm import Session

from siyu.audit import service as audit_log
from siyu.audit.rules import Action, Target, cli_actor
from siyu.cli.common import (
    console,
    err_console,
    handle_errors,
    operator_day,
    settings,
    store,
    t,
    workspace_session,
)
from siyu.kit.clock import CHINA_TZ
from siyu.kit.errors import SiyuError
from siyu.kit.i18n import translate
from siyu.kit.money import format_yuan
from siyu.loyalty import service
from siyu.loyalty.rules import Unit, parse_points, parse_yuan
from siyu.loyalty.schemas import (
    ActionEarnCreate,
    AuditRead,
    CardCancelCreate,
    CardPosted,
    CardPurchaseCreate,
    EarnCreate,
    OrderReverseCreate,
    PostingRead,
    ProgramConfig,
    RedeemCreate,
    SpendCreate,
    SpendRefundCreate,
    TopupCreate,
    TopupRefundCreate,
    build,
)

app = typer.Typer(
    help="Membership and loyalty: tiers, points, paid cards, stored value.", no_args_is_help=True
)
program_app = typer.Typer(help="The loyalty programme of this workspace.", no_args_is_help=True)
card_app = typer.Typer(help="Paid membership cards.", no_args_is_help=True)
tiers_app = typer.Typer(help="Member tiers.", no_args_is_help=True)
app.add_typer(program_app, name="program")
app.add_typer(card_app, name="card")
app.add_typer(tiers_app, name="tiers")

Key = Annotated[str, typer.Option("--key", help="Idempotency key: a retry with it posts once.")]
Customer = Annotated[int, typer.Argument(help="Customer id.")]


def _amount(unit: str, value: int) -> str:
    return format_yuan(value) if unit == Unit.FEN else f"{value:,}"


def _audited(
    session: Session, workspace_id: int, command: str, posting: PostingRead
) -> PostingRead:
    """Record a posting made by hand in the audit log (a replayed key changed nothing)."""
    if not posting.replayed:
        details = {"command": command, "customer": posting.customer_id, "kind": posting.kind}
        audit_log.record(session, cli_actor(), Action.LOYALTY_ADJUST,
                     Target("loyalty_posting", posting.id), details,
                     workspace_id=workspace_id)  # fmt: skip
    return posting


def _show_posting(posting: PostingRead) -> None:
    """Print a posting, or say that the key had been posted before."""
    if posting.replayed:
        message = translate(
            "loyalty.replayed", settings().locale, posting=posting.id, kind=posting.kind
        )
        console.print(f"[yellow]![/] {message}", highlight=False)
    table = Table(
        t("account", "账户"), t("amount", "金额"),
        title=f"#{posting.id} {posting.kind} · {posting.key} · {posting.posted_at:%Y-%m-%d %H:%M}",
    )  # fmt: skip
    for line in posting.lines:
        table.add_row(line.account, _amount(line.unit, line.amount))
    console.print(table)


def _show_card(posted: CardPosted) -> None:
    card = posted.card
    console.print(
        f"{t('card', '会员卡')} #{card.id} {card.plan_code} · {card.status} · "
        f"{card.starts_at:%Y-%m-%d} → {card.expires_at:%Y-%m-%d} · "
        f"{t('refund', '退款')} {format_yuan(card.refund_fen)}",
        highlight=False,
    )
    _show_posting(posted.posting)


# --- programme -----------------------------------------------------------------------------


@program_app.command("apply")
@handle_errors
def program_apply(file: Annotated[Path, typer.Argument(help="Programme YAML file.")]) -> None:
    """Create or update the programme (tiers, earn rules, top-up rules, card plans) from YAML."""
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SiyuError("loyalty.program_invalid", file=file.name, reason=str(exc)[:200]) from None
    if not isinstance(raw, dict):
        raise SiyuError("loyalty.program_invalid", file=file.name, reason="not a mapping")
    config = build(ProgramConfig, **raw)
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        counts = service.apply_program(session, workspace_id, config)
    console.print("[green]✓[/] " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@program_app.command("show")
@handle_errors
def program_show() -> None:
    """Print the programme: tiers and what they give."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        program = service.require_program(session, workspace_id)
        tiers = service.list_tiers(session, workspace_id)
    table = Table(
        t("rank", "等级"), t("code", "代码"), t("name", "名称"), t("window", "窗口（天）"),
        t("min spend", "最低消费"), t("min points", "最低积分"), t("discount", "折扣"),
        t("points ×", "积分倍数"), title=t("tiers", "会员等级"),
    )  # fmt: skip
    for tier in tiers:
        table.add_row(
            str(tier.rank), tier.code, tier.name, str(tier.window_days),
            format_yuan(tier.min_spend_fen) if tier.min_spend_fen is not None else "",
            f"{tier.min_points_earned:,}" if tier.min_points_earned is not None else "",
            f"{tier.discount_bp / 100:g}%", f"{tier.points_multiplier_pct / 100:g}",
        )  # fmt: skip
    console.print(table)
    console.print(
        f"{t('points valid (days)', '积分有效期（天）')}: {program.points_validity_days or '∞'} · "
        f"{t('stored value spends', '储值消费顺序')}: {program.bonus_order} · "
        f"{t('tier kept (days)', '等级保级（天）')}: {program.tier_retain_days}"
    )


# --- reading -------------------------------------------------------------------------------


@app.command("balance")
@handle_errors
def balance(customer: Customer) -> None:
    """A customer's points, stored value, tier, cards and benefits."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        found = service.balance(session, workspace_id, customer)
        history = service.tier_history(session, workspace_id, customer)
    table = Table(
        t("what", "项目"), t("value", "数值"), title=f"{t('customer', '客户')} #{customer}"
    )
    for label, value in (
        (t("points", "积分"), f"{found.points:,}"),
        (t("expiring in 30 days", "30 天内过期"), f"{found.points_expiring:,}"),
        (t("points owed", "欠积分"), f"{found.points_owed:,}"),
        (t("stored value (principal)", "储值本金"), format_yuan(found.principal_fen)),
        (t("stored value (bonus)", "储值赠送金"), format_yuan(found.bonus_fen)),
        (t("tier", "会员等级"), found.tier or ""),
        (t("discount", "折扣"), f"{found.benefits.discount_bp / 100:g}%"),
        (t("points multiplier", "积分倍数"), f"{found.benefits.points_multiplier_pct / 100:g}"),
        (t("free shipping", "包邮"), "✓" if found.benefits.free_shipping else ""),
        (t("exclusive service", "专属服务"), "✓" if found.benefits.exclusive_service else ""),
    ):
        table.add_row(label, value)
    for card in found.cards:
        table.add_row(
            f"{t('card', '会员卡')} #{card.id}",
            f"{card.plan_code} {card.starts_at:%Y-%m-%d} → {card.expires_at:%Y-%m-%d}",
        )
    for change in history:
        table.add_row(
            f"{change.changed_at:%Y-%m-%d}",
            f"{change.from_tier or '-'} → {change.to_tier} ({change.reason})",
        )
    console.print(table)


@app.command("statement")
@handle_errors
def statement(
    customer: Customer,
    since: Annotated[str, typer.Option(help="First day, YYYY-MM-DD (China time).")] = "",
    until: Annotated[str, typer.Option(help="Last day, YYYY-MM-DD (China time).")] = "",
) -> None:
    """Every movement of a customer's points and stored value, with running balances."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        found = service.statement(
            session,
            workspace_id,
            customer,
            since=operator_day(since),
            until=operator_day(until, end=True),
        )
    units = {"points": "points", "points_debt": "points"}
    table = Table(
        t("time", "时间"), t("posting", "记账"), t("kind", "类型"), t("account", "账户"),
        t("amount", "金额"), t("balance", "余额"), t("reference", "关联"),
        title=f"{t('statement', '对账单')} #{customer}",
    )  # fmt: skip
    for account, value in found.opening.items():
        unit = units.get(account, "fen")
        table.add_row("", "", t("opening", "期初"), account, "", _amount(unit, value), "")
    for line in found.lines:
        unit = units.get(line.account, "fen")
        table.add_row(
            f"{line.posted_at.astimezone(CHINA_TZ):%Y-%m-%d %H:%M}", str(line.posting_id),
            line.kind, line.account, _amount(unit, line.amount), _amount(unit, line.balance),
            line.reference,
        )  # fmt: skip
    console.print(table)


@app.command("audit")
@handle_errors
def audit() -> None:
    """Prove the ledger: balances equal their lines, postings balance, no wrong signs."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        report = service.audit(session, workspace_id)
        details = {"ok": report.ok, "issues": len(report.issues), "postings": report.postings}
        audit_log.record(session, cli_actor(), Action.LOYALTY_AUDIT, Target("loyalty"), details,
                     workspace_id=workspace_id)  # fmt: skip
    _print_audit(report)
    if not report.ok:
        raise typer.Exit(code=1)


def _print_audit(report: AuditRead) -> None:
    locale = settings().locale
    totals = Table(t("account kind", "账户类型"), t("total", "合计"), title=t("totals", "合计"))
    for kind, total in sorted(report.totals.items()):
        totals.add_row(kind, _amount("points" if "points" in kind else "fen", total))
    console.print(totals)
    if report.ok:
        message = translate(
            "loyalty.audit_ok", locale, accounts=report.accounts, postings=report.postings,
            entries=report.entries,
        )  # fmt: skip
        console.print(f"[green]✓[/] {message}", highlight=False)
        return
    issues = Table(t("check", "检查"), t("subject", "对象"), t("detail", "详情"))
    for issue in report.issues[:50]:
        issues.add_row(issue.check, issue.subject, issue.detail)
    console.print(issues)
    failed = translate("loyalty.audit_failed", locale, count=len(report.issues))
    err_console.print(f"[bold red]✗[/] {failed}", highlight=False)


# --- points --------------------------------------------------------------------------------


@app.command("earn")
@handle_errors
def earn(
    customer: Customer,
    points: Annotated[str, typer.Argument(help="Whole points.")],
    key: Key,
    memo: Annotated[str, typer.Option(help="Why (no personal data).")] = "",
) -> None:
    """Grant points by hand (goodwill, a correction)."""
    body = build(EarnCreate, customer_id=customer, points=parse_points(points), key=key, memo=memo)
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        posting = service.earn(session, workspace_id, body)
        _audited(session, workspace_id, "earn", posting)
    _show_posting(posting)


@app.command("earn-action")
@handle_errors
def earn_action(
    customer: Customer,
    action: Annotated[str, typer.Argument(help="join_pool, review, referral, …")],
    key: Key,
) -> None:
    """Points for an action the programme rewards."""
    body = build(ActionEarnCreate, customer_id=customer, action=action, key=key)
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        _show_posting(
            _audited(
                session,
                workspace_id,
                "earn-action",
                service.earn_action(session, workspace_id, body),
            )
        )


@app.command("earn-orders")
@handle_errors
def earn_orders(
    since: Annotated[str, typer.Option(help="Only orders paid from this day, YYYY-MM-DD.")] = "",
) -> None:
    """Credit points for paid orders not yet credited and take back points of new refunds.

    Safe to run after every import: each order earns once and each refund is taken back once.
    """
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        run = service.earn_orders(session, workspace_id, since=operator_day(since))
        reversed_orders, reversed_points = service.reverse_refunded_orders(session, workspace_id)
    console.print(
        f"[green]✓[/] {run.orders:,} {t('orders credited', '个订单已积分')}, "
        f"{run.points:,} {t('points', '积分')}; "
        f"{run.skipped:,} {t('already credited', '个已积分')}; "
        f"{reversed_orders:,} {t('refunded orders took back', '个退款订单扣回')} "
        f"{reversed_points:,} {t('points', '积分')}"
    )


@app.command("redeem")
@handle_errors
def redeem(
    customer: Customer,
    points: Annotated[str, typer.Argument(help="Whole points.")],
    key: Key,
    reference: Annotated[str, typer.Option(help="What they were spent on.")] = "",
) -> None:
    """Spend points (soonest-expiring first)."""
    body = build(
        RedeemCreate, customer_id=customer, points=parse_points(points), key=key,
        reference=reference,
    )  # fmt: skip
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        posting = service.redeem(session, workspace_id, body)
        _audited(session, workspace_id, "redeem", posting)
    _show_posting(posting)


@app.command("reverse")
@handle_errors
def reverse(
    order: Annotated[int, typer.Argument(help="Order id.")],
    key: Annotated[str, typer.Option(help="Idempotency key; default: the order's refunds.")] = "",
) -> None:
    """Take back the points of an order's refunds (what was spent becomes points owed)."""
    body = build(OrderReverseCreate, order_id=order, key=key or None)
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        posting = service.reverse_order(session, workspace_id, body)
        if posting is not None:
            _audited(session, workspace_id, "reverse", posting)
    if posting is None:
        console.print(translate("loyalty.nothing_to_reverse", settings().locale, ident=order))
        return
    _show_posting(posting)


@app.command("expire")
@handle_errors
def expire() -> None:
    """Expire points and card terms whose time has come (run daily)."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        points = service.expire_points(session, workspace_id)
        cards = service.expire_cards(session, workspace_id)
    console.print(
        f"[green]✓[/] {points:,} {t('points expired', '积分已过期')}; "
        f"{cards:,} {t('card holders re-evaluated', '位持卡客户已重新评级')}"
    )


# --- stored value --------------------------------------------------------------------------


@app.command("top-up")
@handle_errors
def top_up(
    customer: Customer, amount: Annotated[str, typer.Argument(help="Yuan, e.g. 500.")], key: Key
) -> None:
    """Add money to a customer's stored value (the top-up bonus rules apply)."""
    body = build(TopupCreate, customer_id=customer, amount_fen=parse_yuan(amount), key=key)
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        posting = service.topup(session, workspace_id, body)
        _audited(session, workspace_id, "top-up", posting)
    _show_posting(posting)


@app.command("spend")
@handle_errors
def spend(
    customer: Customer,
    amount: Annotated[str, typer.Argument(help="Yuan, e.g. 12.30.")],
    key: Key,
    reference: Annotated[str, typer.Option(help="What it paid for (an order number).")] = "",
) -> None:
    """Pay with stored value."""
    body = build(
        SpendCreate, customer_id=customer, amount_fen=parse_yuan(amount), key=key,
        reference=reference,
    )  # fmt: skip
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        posting = service.spend(session, workspace_id, body)
        _audited(session, workspace_id, "spend", posting)
    _show_posting(posting)


@app.command("refund-spend")
@handle_errors
def refund_spend(
    spend_key: Annotated[str, typer.Argument(help="The key the spend was posted with.")],
    amount: Annotated[str, typer.Argument(help="Yuan to give back.")],
    key: Key,
) -> None:
    """Give back (part of) a stored-value spend."""
    body = build(SpendRefundCreate, spend_key=spend_key, amount_fen=parse_yuan(amount), key=key)
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        _show_posting(
            _audited(
                session,
                workspace_id,
                "refund-spend",
                service.refund_spend(session, workspace_id, body),
            )
        )


@app.command("refund-top-up")
@handle_errors
def refund_top_up(
    topup_key: Annotated[str, typer.Argument(help="The key the top-up was posted with.")],
    key: Key,
    amount: Annotated[str, typer.Option(help="Yuan; default: all that is left of it.")] = "",
) -> None:
    """Refund (part of) a top-up; its bonus is taken back in proportion."""
    fen = parse_yuan(amount) if amount else None
    body = build(TopupRefundCreate, topup_key=topup_key, amount_fen=fen, key=key)
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        _show_posting(
            _audited(
                session,
                workspace_id,
                "refund-top-up",
                service.refund_topup(session, workspace_id, body),
            )
        )


# --- cards and tiers -----------------------------------------------------------------------


@card_app.command("buy")
@handle_errors
def card_buy(
    customer: Customer, plan: Annotated[str, typer.Argument(help="Card plan code.")], key: Key
) -> None:
    """Buy or renew a paid membership card (a renewal starts when the live term ends)."""
    body = build(CardPurchaseCreate, customer_id=customer, plan_code=plan, key=key)
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        posted = service.buy_card(session, workspace_id, body)
        _audited(session, workspace_id, "card-buy", posted.posting)
    _show_card(posted)


@card_app.command("cancel")
@handle_errors
def card_cancel(card: Annotated[int, typer.Argument(help="Card id.")], key: Key) -> None:
    """Cancel a card term and refund by its plan's rule."""
    body = build(CardCancelCreate, card_id=card, key=key)
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        posted = service.cancel_card(session, workspace_id, body)
        _audited(session, workspace_id, "card-cancel", posted.posting)
    _show_card(posted)


@tiers_app.command("evaluate")
@handle_errors
def tiers_evaluate() -> None:
    """Re-evaluate every customer's tier (run daily) and record each change with its reason."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        result = service.evaluate_tiers(session, workspace_id)
    table = Table(t("tier", "等级"), t("customers", "客户数"), title=t("tiers", "会员等级"))
    for code, count in sorted(result.by_tier.items()):
        table.add_row(code, f"{count:,}")
    console.print(table)
    console.print(
        f"{t('upgraded', '升级')} {result.upgraded:,} · {t('downgraded', '降级')} "
        f"{result.downgraded:,} · {t('kept by retention', '保级')} {result.retained:,}"
    )
