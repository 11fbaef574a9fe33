"""Loyalty use cases: programme, points, stored value, paid cards, tiers, statements, audit.

Each function takes a session and never commits; the caller (CLI command, API request,
job) commits. Every function that posts takes an idempotency key (see ledger.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from siyu.kit.clock import utcnow
from siyu.kit.errors import NotFoundError, SiyuError, ValidationError
from siyu.loyalty import ledger, repository
from siyu.loyalty.ledger import Books, BulkPosting, Plan, Request
from siyu.loyalty.rules import (
    BRAND_KINDS,
    KINDS,
    AccountKind,
    Benefits,
    BonusOrder,
    CardStatus,
    Held,
    Line,
    LotView,
    LoyaltyConflictError,
    PostingKind,
    SpendRule,
    Standing,
    TierRule,
    TopupRule,
    account_code,
    apply_multiplier,
    base_tier,
    card_refund,
    card_term,
    clawback,
    consume_fifo,
    decide_tier,
    due_lots,
    expiry_of,
    kept_points,
    qualify,
    redeem_refund_left,
    require_amount,
    require_key,
    spend_points,
    split_earn,
    split_spend,
    split_spend_refund,
    topup_bonus,
    topup_refund,
)
from siyu.loyalty.schemas import (
    ActionEarnCreate,
    AuditIssue,
    AuditRead,
    BalanceRead,
    BenefitsRead,
    CardCancelCreate,
    CardPlanConfig,
    CardPosted,
    CardPurchaseCreate,
    CardRead,
    EarnCreate,
    EarnRuleConfig,
    ExpiryRead,
    GiftCreate,
    MemberRead,
    OrderEarnCreate,
    OrderReverseCreate,
    PostingRead,
    ProgramConfig,
    ProgramFigures,
    ProgramRead,
    RedeemCreate,
    RedeemRefundCreate,
    SpendCreate,
    SpendRefundCreate,
    StatementLine,
    StatementRead,
    TierChangeRead,
    TierCount,
    TierEvaluationRead,
    TierRead,
    TopupCreate,
    TopupRefundCreate,
    TopupRuleConfig,
)
from siyu.models import (
    LoyaltyCard,
    LoyaltyCardPlan,
    LoyaltyEarnRule,
    LoyaltyMembership,
    LoyaltyProgram,
    LoyaltyTier,
    LoyaltyTopupRule,
)

K = AccountKind
POINTS_KINDS = (K.POINTS, K.POINTS_DEBT, K.POINTS_ISSUED, K.POINTS_REDEEMED, K.POINTS_EXPIRED)
SV_KINDS = (
    K.SV_PRINCIPAL, K.SV_BONUS, K.SV_FUNDING, K.SV_BONUS_ISSUED, K.SV_PRINCIPAL_SPENT,
    K.SV_BONUS_SPENT,
)  # fmt: skip
CARD_KINDS = (K.CARD_PAYMENTS, K.CARD_REVENUE)
EARNING_STATUSES = ("paid", "shipped", "completed")
EXPIRING_SOON = timedelta(days=30)


def _at(at: datetime | None) -> datetime:
    if at is None:
        return utcnow()
    if at.tzinfo is None:
        raise ValidationError("input.zone_required")
    return at


# --- programme -----------------------------------------------------------------------------


def require_program(session: Session, workspace_id: int) -> Any:
    """The workspace's programme settings (points_validity_days, bonus_order,
    tier_retain_days), or a bilingual error saying how to set one up."""
    program = repository.program_settings(session, workspace_id)
    if program is None:
        raise SiyuError("loyalty.program_missing")
    return program


def apply_program(session: Session, workspace_id: int, config: ProgramConfig) -> dict[str, int]:
    """Create or update the programme from a config (rows matched by code); return counts.

    Rules and plans missing from the config are deactivated; tiers are kept (members
    may hold them) and must keep distinct ranks.
    """
    program = repository.get_program(session, workspace_id)
    if program is None:
        program = LoyaltyProgram(workspace_id=workspace_id)
        session.add(program)
    program.points_validity_days = config.points_validity_days
    program.bonus_order = config.bonus_order
    program.tier_retain_days = config.tier_retain_days
    tiers = _upsert(session, LoyaltyTier, workspace_id, [t.model_dump() for t in config.tiers])
    if len({t.rank for t in tiers.values()}) != len(tiers):
        raise ValidationError("loyalty.tier_rank_shared")
    _upsert(session, LoyaltyEarnRule, workspace_id, [r.model_dump() for r in config.earn_rules])
    _upsert(session, LoyaltyTopupRule, workspace_id, [r.model_dump() for r in config.topup_rules])
    plans = []
    for plan in config.card_plans:
        values = plan.model_dump(exclude={"tier"})
        values["tier_id"] = tiers[plan.tier].id if plan.tier else None
        plans.append(values)
    _upsert(session, LoyaltyCardPlan, workspace_id, plans)
    ledger.ensure_accounts(session, workspace_id, [], BRAND_KINDS)
    session.flush()
    return {
        "tiers": len(config.tiers),
        "earn_rules": len(config.earn_rules),
        "topup_rules": len(config.topup_rules),
        "card_plans": len(config.card_plans),
    }


def list_tiers(session: Session, workspace_id: int) -> list[LoyaltyTier]:
    """The programme's tiers, lowest rank first."""
    return repository.list_tiers(session, workspace_id)


def _tier_read(tier: LoyaltyTier) -> TierRead:
    return TierRead.model_validate(tier)


def read_program(session: Session, workspace_id: int) -> ProgramRead:
    """The programme as applied: settings, tiers, active earn and top-up rules, plans on sale."""
    program = require_program(session, workspace_id)
    tiers = repository.list_tiers(session, workspace_id)
    codes = {t.id: t.code for t in tiers}
    earn = [*repository.earn_rules(session, workspace_id, "spend")]
    earn += repository.earn_rules(session, workspace_id, "action")
    plans = [
        p for p in repository.by_code(session, LoyaltyCardPlan, workspace_id).values() if p.active
    ]
    return ProgramRead(
        points_validity_days=program.points_validity_days, bonus_order=program.bonus_order,
        tier_retain_days=program.tier_retain_days, tiers=[_tier_read(t) for t in tiers],
        earn_rules=[
            EarnRuleConfig(
                code=r.code, kind=r.kind, points=r.points, per_fen=r.per_fen,
                product_role=r.product_role, action=r.action, max_times=r.max_times,
            )
            for r in earn
        ],
        topup_rules=[
            TopupRuleConfig(code=r.code, min_topup_fen=r.min_topup_fen, bonus_fen=r.bonus_fen)
            for r in repository.topup_rules(session, workspace_id)
        ],
        card_plans=[
            CardPlanConfig(
                code=p.code, name=p.name, price_fen=p.price_fen, duration_days=p.duration_days,
                tier=codes.get(p.tier_id) if p.tier_id else None, discount_bp=p.discount_bp,
                points_multiplier_pct=p.points_multiplier_pct, free_shipping=p.free_shipping,
                exclusive_service=p.exclusive_service, refund_policy=p.refund_policy,
                cooling_off_days=p.cooling_off_days,
            )
            for p in sorted(plans, key=lambda p: p.price_fen)
        ],
    )  # fmt: skip


def figures(
    session: Session, workspace_id: int, *, point_value_fen: int, at: datetime | None = None
) -> ProgramFigures:
    """The programme at a glance: members per tier, points outstanding and their liability,
    stored value outstanding, cards in force and ending within 30 days.

    The liability values the points outstanding at `point_value_fen` each, less the share
    that history says will never be redeemed (breakage: expired / (redeemed + expired)).
    """
    at = _at(at)
    require_program(session, workspace_id)
    held = repository.holdings_totals(session, workspace_id)
    brand = repository.brand_totals(session, workspace_id)
    tiers = repository.list_tiers(session, workspace_id)
    counts = repository.tier_counts(session, workspace_id)
    members = repository.loyalty_members(session, workspace_id)
    if tiers:  # customers without a tier row hold the base tier
        counts[tiers[0].id] = counts.get(tiers[0].id, 0) + members - sum(counts.values())
    redeemed = brand.get(K.POINTS_REDEEMED, 0)
    expired = brand.get(K.POINTS_EXPIRED, 0)
    breakage = expired / (redeemed + expired) if redeemed + expired else None
    outstanding = held.get(K.POINTS, (0, 0))[0]
    in_force, ending = repository.card_counts(session, workspace_id, at, at + EXPIRING_SOON)
    return ProgramFigures(
        at=at, members=members,
        tiers=[
            TierCount(code=t.code, name=t.name, rank=t.rank, customers=max(0, counts.get(t.id, 0)))
            for t in tiers
        ],
        points_outstanding=outstanding, points_owed=-held.get(K.POINTS_DEBT, (0, 0))[0],
        points_issued=-brand.get(K.POINTS_ISSUED, 0), points_redeemed=redeemed,
        points_expired=expired, breakage=breakage, point_value_fen=point_value_fen,
        points_liability_fen=round(outstanding * point_value_fen * (1 - (breakage or 0))),
        principal_fen=held.get(K.SV_PRINCIPAL, (0, 0))[0],
        bonus_fen=held.get(K.SV_BONUS, (0, 0))[0],
        stored_value_holders=max(
            held.get(K.SV_PRINCIPAL, (0, 0))[1], held.get(K.SV_BONUS, (0, 0))[1]
        ),
        cards_in_force=in_force, cards_expiring=ending,
    )  # fmt: skip


def cards_of(session: Session, workspace_id: int, customer_id: int) -> list[CardRead]:
    """Every card term of a customer, newest first (active, queued, cancelled, expired)."""
    return [
        _card_read(card, code)
        for card, code in repository.customer_cards(session, workspace_id, customer_id)
    ]


def _upsert(
    session: Session, model: Any, workspace_id: int, rows: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    existing = repository.by_code(session, model, workspace_id)
    given = {row["code"] for row in rows}
    for code, row in existing.items():
        if code not in given and hasattr(row, "active"):
            row.active = False
    for values in rows:
        row = existing.get(values["code"])
        if row is None:
            row = model(workspace_id=workspace_id, **values)
            session.add(row)
            existing[values["code"]] = row
        else:
            for name, value in values.items():
                setattr(row, name, value)
    session.flush()
    return existing


# --- points --------------------------------------------------------------------------------


def _points_books(session: Session, workspace_id: int, customer_id: int) -> Books:
    return ledger.open_books(session, workspace_id, customer_id, POINTS_KINDS)


def _earn_plan(books: Books, points: int, at: datetime, validity_days: int | None) -> Plan:
    """Lines of an earning: a debt from an earlier refund is repaid first."""
    repay, credit = split_earn(points, -books.balances[K.POINTS_DEBT])
    lines = [Line(K.POINTS_ISSUED, -points), Line(K.POINTS_DEBT, repay), Line(K.POINTS, credit)]
    return Plan(lines, new_lot=(credit, expiry_of(at, validity_days)))


def earn(
    session: Session, workspace_id: int, body: EarnCreate, *, at: datetime | None = None
) -> PostingRead:
    """Grant points by hand (a goodwill gesture, a correction)."""
    points = require_amount(body.points, "points")
    request = Request(
        PostingKind.EARN, body.key, body.customer_id, {"points": points, "memo": body.memo},
        _at(at), reference="manual", memo=body.memo,
    )  # fmt: skip
    if (done := ledger.replay(session, workspace_id, request)) is not None:
        return done
    program = require_program(session, workspace_id)
    books = _points_books(session, workspace_id, body.customer_id)
    plan = _earn_plan(books, points, request.at, program.points_validity_days)
    return ledger.write(session, books, request, plan)


def earn_action(
    session: Session, workspace_id: int, body: ActionEarnCreate, *, at: datetime | None = None
) -> PostingRead:
    """Points for an action the programme rewards, up to the rule's limit per customer."""
    reference = f"action:{body.action}"
    request = Request(
        PostingKind.EARN, body.key, body.customer_id, {"action": body.action}, _at(at),
        reference=reference,
    )  # fmt: skip
    if (done := ledger.replay(session, workspace_id, request)) is not None:
        return done
    program = require_program(session, workspace_id)
    rule = next(
        (
            r
            for r in repository.earn_rules(session, workspace_id, "action")
            if r.action == body.action
        ),
        None,
    )
    if rule is None:
        raise NotFoundError("loyalty.action_unknown", action=body.action)
    books = _points_books(session, workspace_id, body.customer_id)
    if rule.max_times is not None:
        done_times = repository.count_postings(
            session, workspace_id, customer_id=body.customer_id, kind="earn", reference=reference
        )
        if done_times >= rule.max_times:
            raise LoyaltyConflictError(
                "loyalty.action_limit", action=body.action, times=rule.max_times
            )
    plan = _earn_plan(books, rule.points, request.at, program.points_validity_days)
    return ledger.write(session, books, request, plan)


def _spend_rules(session: Session, workspace_id: int) -> list[SpendRule]:
    return [
        SpendRule(r.points, r.per_fen or 1, r.product_role)
        for r in repository.earn_rules(session, workspace_id, "spend")
    ]


def _order_basis(paid_fen: int, shipping_fen: int, refunded_fen: int) -> int:
    """What an order paid for goods, net of refunds (shipping earns nothing)."""
    return max(0, paid_fen - shipping_fen - refunded_fen)


def earn_order(
    session: Session, workspace_id: int, body: OrderEarnCreate, *, at: datetime | None = None
) -> PostingRead:
    """Points for a paid order, by the spend rules and the buyer's multiplier (tier, card)."""
    order = repository.get_order(session, workspace_id, body.order_id)
    if order is None:
        raise NotFoundError("loyalty.order_unknown", ident=body.order_id)
    if order.customer_id is None or order.status not in EARNING_STATUSES:
        raise LoyaltyConflictError("loyalty.order_not_earning", ident=body.order_id)
    request = Request(
        PostingKind.EARN, body.key or f"order:{order.id}:earn", order.customer_id,
        {"order_id": order.id}, _at(at), reference=f"order:{order.id}",
        basis_fen=_order_basis(order.paid_fen, order.shipping_fen, order.refunded_fen),
    )  # fmt: skip
    if (done := ledger.replay(session, workspace_id, request)) is not None:
        return done
    program = require_program(session, workspace_id)
    lines = repository.order_lines_with_roles(session, [order.id]).get(order.id, [])
    multiplier = benefits(session, workspace_id, order.customer_id, at=request.at)
    points = apply_multiplier(
        spend_points(lines, request.basis_fen or 0, _spend_rules(session, workspace_id)),
        multiplier.points_multiplier_pct,
    )
    books = _points_books(session, workspace_id, order.customer_id)
    plan = _earn_plan(books, points, request.at, program.points_validity_days)
    return ledger.write(session, books, request, plan)


def redeem(
    session: Session, workspace_id: int, body: RedeemCreate, *, at: datetime | None = None
) -> PostingRead:
    """Spend points, soonest-expiring lots first; points past their expiry cannot be spent."""
    points = require_amount(body.points, "points")
    request = Request(
        PostingKind.REDEEM, body.key, body.customer_id,
        {"points": points, "reference": body.reference}, _at(at), reference=body.reference,
    )  # fmt: skip
    if (done := ledger.replay(session, workspace_id, request)) is not None:
        return done
    books = _points_books(session, workspace_id, body.customer_id)
    lots = _sweep(session, books, request.at)
    taken = consume_fifo(lots, points)
    lines = [Line(K.POINTS, -points), Line(K.POINTS_REDEEMED, points)]
    return ledger.write(session, books, request, Plan(lines, taken=taken))


def _sweep(session: Session, books: Books, at: datetime) -> list[LotView]:
    """Expire the locked account's lots whose time has come; return the lots still live."""
    lots = repository.live_lots(session, books.ids[K.POINTS])
    due = due_lots(lots, at)
    if not due:
        return lots
    total = sum(lot.remaining for lot in due)
    request = Request(
        PostingKind.EXPIRE, f"expire:{books.ids[K.POINTS]}:{at.isoformat()}", books.customer_id,
        {"lots": sorted(lot.id for lot in due)}, at,
    )  # fmt: skip
    lines = [Line(K.POINTS, -total), Line(K.POINTS_EXPIRED, total)]
    taken = [(lot.id, lot.remaining) for lot in due]
    ledger.write(session, books, request, Plan(lines, taken=taken))
    gone = {lot.id for lot in due}
    return [lot for lot in lots if lot.id not in gone]


def refund_redeem(
    session: Session, workspace_id: int, body: RedeemRefundCreate, *, at: datetime | None = None
) -> PostingRead:
    """Give back (part of) a redemption's points, never more than it took.

    The points return as a new lot that expires when points earned at the moment of the
    redemption would (so a refund never lengthens validity much, and points refunded after
    that moment expire at the next sweep); a debt from an earlier refund is repaid first.
    """
    points = require_amount(body.points, "points")
    original = _original(session, workspace_id, body.redeem_key, PostingKind.REDEEM)
    customer = repository.current_customer(session, workspace_id, original.customer_id)
    request = Request(
        PostingKind.REDEEM_REFUND, body.key, customer, {"redeem": original.id, "points": points},
        _at(at), ref_posting_id=original.id, reference=original.reference,
    )  # fmt: skip
    if (done := ledger.replay(session, workspace_id, request)) is not None:
        return done
    program = require_program(session, workspace_id)
    books = _points_books(session, workspace_id, customer)
    redeemed = repository.kind_totals_of(session, original.id).get(K.POINTS_REDEEMED, 0)
    before = repository.kind_totals_referring(session, original.id, PostingKind.REDEEM_REFUND)
    redeem_refund_left(points, redeemed, -before.get(K.POINTS_REDEEMED, 0))
    repay, credit = split_earn(points, -books.balances[K.POINTS_DEBT])
    lines = [Line(K.POINTS_REDEEMED, -points), Line(K.POINTS_DEBT, repay), Line(K.POINTS, credit)]
    expiry = expiry_of(original.posted_at, program.points_validity_days)
    return ledger.write(session, books, request, Plan(lines, new_lot=(credit, expiry)))


def reverse_order(
    session: Session, workspace_id: int, body: OrderReverseCreate, *, at: datetime | None = None
) -> PostingRead | None:
    """Take back the points of an order's refunds (None when there is nothing to take back).

    The order keeps points in proportion to what is still paid. Points to take back come
    from the order's own lot first, then the soonest-expiring lots; whatever the balance
    cannot cover (already redeemed or expired) becomes points owed, repaid from the next
    earnings. The spendable balance never goes negative.
    """
    order = repository.get_order(session, workspace_id, body.order_id)
    if order is None:
        raise NotFoundError("loyalty.order_unknown", ident=body.order_id)
    earned = repository.find_earning(session, workspace_id, f"order:{order.id}")
    if earned is None or order.customer_id is None:
        raise NotFoundError("loyalty.order_not_earned", ident=body.order_id)
    request = Request(
        PostingKind.REVERSE, body.key or f"order:{order.id}:reverse:{order.refunded_fen}",
        order.customer_id, {"order_id": order.id, "refunded_fen": order.refunded_fen}, _at(at),
        reference=f"order:{order.id}", ref_posting_id=earned.id,
    )  # fmt: skip
    if (done := ledger.replay(session, workspace_id, request)) is not None:
        return done
    books = _points_books(session, workspace_id, order.customer_id)
    issued = -repository.kind_totals_of(session, earned.id).get(K.POINTS_ISSUED, 0)
    now_basis = _order_basis(order.paid_fen, order.shipping_fen, order.refunded_fen)
    target = issued - kept_points(issued, earned.basis_fen or 0, now_basis)
    done_before = repository.kind_totals_referring(session, earned.id, PostingKind.REVERSE)
    amount = target - done_before.get(K.POINTS_ISSUED, 0)
    if amount <= 0:
        return None
    claw = clawback(_sweep(session, books, request.at), amount, earned.id)
    from_balance = sum(take for _, take in claw.taken)
    lines = [
        Line(K.POINTS_ISSUED, amount), Line(K.POINTS, -from_balance),
        Line(K.POINTS_DEBT, -claw.debt),
    ]  # fmt: skip
    return ledger.write(session, books, request, Plan(lines, taken=claw.taken))


def reverse_refunded_orders(
    session: Session, workspace_id: int, *, at: datetime | None = None
) -> tuple[int, int]:
    """Take back the points of every order refunded since it earned; return (orders, points).

    Safe to run after every import: an order's refund state is its key, so a refund is taken
    back once.
    """
    orders = points = 0
    for order_id in repository.refunded_since_earning(session, workspace_id):
        posting = reverse_order(session, workspace_id, OrderReverseCreate(order_id=order_id), at=at)
        if posting is not None and not posting.replayed:
            orders += 1
            points += sum(ln.amount for ln in posting.lines if ln.account == "brand:points_issued")
    return orders, points


def expire_points(session: Session, workspace_id: int, *, at: datetime | None = None) -> int:
    """Expire every lot whose time has come, one posting per account; return points expired."""
    at = _at(at)
    accounts = sorted(repository.accounts_with_due_lots(session, workspace_id, at))
    if not accounts:
        return 0
    repository.lock_accounts(session, accounts)
    expired_id = ledger.ensure_accounts(session, workspace_id, [], [K.POINTS_EXPIRED])[
        (None, K.POINTS_EXPIRED.value)
    ]
    owners = repository.owners(session, accounts)
    due = repository.due_lots_by_account(session, accounts, at)
    postings = []
    for account in accounts:
        lots = due.get(account, [])
        total = sum(lot.remaining for lot in lots)
        if not total:
            continue
        request = Request(
            PostingKind.EXPIRE, f"expire:{account}:{at.isoformat()}", owners.get(account),
            {"lots": sorted(lot.id for lot in lots)}, at,
        )  # fmt: skip
        postings.append(
            BulkPosting(
                request,
                [(account, -total), (expired_id, total)],
                {account: -total},
                taken=[(lot.id, lot.remaining) for lot in lots],
            )
        )
    posted = repository.existing_keys(session, workspace_id, [p.request.key for p in postings])
    new = [p for p in postings if p.request.key not in posted]
    ledger.write_many(session, workspace_id, new)
    return sum(-p.lines[0][1] for p in new)


def expire_run(
    session: Session, workspace_id: int, key: str, *, at: datetime | None = None
) -> ExpiryRead:
    """Expire due points and card terms once per key (the API's expiry request).

    The run is recorded as a posting without lines under the key, its counts in the memo,
    so a retried request returns the first run's counts and changes nothing.
    """
    request = Request(PostingKind.EXPIRE, key, None, {"run": "expire"}, _at(at), reference="run")
    if (done := ledger.replay(session, workspace_id, request)) is not None:
        memo = repository.posting_by_id(session, done.id).memo
        counts = dict(part.split("=") for part in memo.split())
        return ExpiryRead(
            posting_id=done.id, points=int(counts["points"]), cards=int(counts["cards"]),
            replayed=True,
        )  # fmt: skip
    require_program(session, workspace_id)
    points = expire_points(session, workspace_id, at=request.at)
    cards = expire_cards(session, workspace_id, at=request.at)
    request = replace(request, memo=f"points={points} cards={cards}")
    posting = ledger.write(session, Books(workspace_id, None, {}, {}), request, Plan([]))
    return ExpiryRead(posting_id=posting.id, points=points, cards=cards, replayed=posting.replayed)


@dataclass
class EarnRun:
    """What a bulk earning run posted."""

    orders: int = 0
    points: int = 0
    skipped: int = 0


def earn_orders(
    session: Session,
    workspace_id: int,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> EarnRun:
    """Points for every paid order in [since, until] not yet credited (for imports and the demo).

    Same postings as `earn_order` one by one (same keys and content), written in bulk. The
    multiplier is each buyer's as of `until`.
    """
    until = _at(until)
    program = require_program(session, workspace_id)
    orders = repository.earnable_orders(session, workspace_id, since=since, until=until)
    run = EarnRun()
    if not orders:
        return run
    customers = sorted({o[1] for o in orders})
    ids = ledger.ensure_accounts(session, workspace_id, customers, (K.POINTS, K.POINTS_ISSUED))
    points_ids = {c: ids[(c, K.POINTS.value)] for c in customers}
    # Only customers who were ever short have a debt account: look, do not create.
    debts = repository.accounts_by_code(
        session, workspace_id, [account_code(K.POINTS_DEBT, c) for c in customers]
    )
    debt_ids = {int(code[1:].split(":")[0]): i for code, i in debts.items()}
    locked = repository.lock_accounts(session, [*points_ids.values(), *debt_ids.values()])
    owed = {c: -int(locked[debt_ids[c]] or 0) if c in debt_ids else 0 for c in customers}
    keys = {o[0]: f"order:{o[0]}:earn" for o in orders}
    done = repository.existing_keys(session, workspace_id, list(keys.values()))
    lines_by_order = repository.order_lines_with_roles(session, [o[0] for o in orders])
    rules = _spend_rules(session, workspace_id)
    base, by_customer = _benefits_map(session, workspace_id, until)
    issued_id = ids[(None, K.POINTS_ISSUED.value)]
    postings: list[BulkPosting] = []
    for order_id, customer, when, paid, shipping, refunded in orders:
        if keys[order_id] in done:
            run.skipped += 1
            continue
        basis = _order_basis(paid, shipping, refunded)
        pct = by_customer.get(customer, base).points_multiplier_pct
        points = apply_multiplier(spend_points(lines_by_order.get(order_id, []), basis, rules), pct)
        repay, credit = split_earn(points, owed[customer])
        owed[customer] -= repay
        request = Request(
            PostingKind.EARN, keys[order_id], customer, {"order_id": order_id}, when,
            reference=f"order:{order_id}", basis_fen=basis,
        )  # fmt: skip
        lines = [(issued_id, -points), (points_ids[customer], credit)]
        if repay:
            lines.append((debt_ids[customer], repay))
        lines = [(a, x) for a, x in lines if x]
        deltas = {a: x for a, x in lines if a != issued_id}
        expiry = expiry_of(when, program.points_validity_days)
        postings.append(
            BulkPosting(request, lines, deltas, lot=(points_ids[customer], credit, expiry))
        )
        run.orders += 1
        run.points += points
    ledger.write_many(session, workspace_id, postings)
    return run


# --- stored value --------------------------------------------------------------------------


def _sv_books(session: Session, workspace_id: int, customer_id: int) -> Books:
    return ledger.open_books(session, workspace_id, customer_id, SV_KINDS)


def topup(
    session: Session, workspace_id: int, body: TopupCreate, *, at: datetime | None = None
) -> PostingRead:
    """Add money to stored value, with the bonus of the best top-up rule it reaches."""
    amount = require_amount(body.amount_fen, "fen")
    request = Request(
        PostingKind.TOPUP, body.key, body.customer_id, {"amount_fen": amount}, _at(at),
        basis_fen=amount,
    )  # fmt: skip
    if (done := ledger.replay(session, workspace_id, request)) is not None:
        return done
    require_program(session, workspace_id)
    rules = [
        TopupRule(r.code, r.min_topup_fen, r.bonus_fen)
        for r in repository.topup_rules(session, workspace_id)
    ]
    bonus, code = topup_bonus(amount, rules)
    books = _sv_books(session, workspace_id, body.customer_id)
    lines = [
        Line(K.SV_FUNDING, -amount), Line(K.SV_PRINCIPAL, amount),
        Line(K.SV_BONUS_ISSUED, -bonus), Line(K.SV_BONUS, bonus),
    ]  # fmt: skip
    request = replace(request, reference=f"bonus:{code}" if code else "")
    return ledger.write(session, books, request, Plan(lines))


def spend(
    session: Session, workspace_id: int, body: SpendCreate, *, at: datetime | None = None
) -> PostingRead:
    """Pay with stored value: bonus first or last, as the programme says; never overdrawn."""
    amount = require_amount(body.amount_fen, "fen")
    request = Request(
        PostingKind.SPEND, body.key, body.customer_id,
        {"amount_fen": amount, "reference": body.reference}, _at(at), reference=body.reference,
        basis_fen=amount,
    )  # fmt: skip
    if (done := ledger.replay(session, workspace_id, request)) is not None:
        return done
    program = require_program(session, workspace_id)
    books = _sv_books(session, workspace_id, body.customer_id)
    principal, bonus = split_spend(
        amount, books.balances[K.SV_PRINCIPAL], books.balances[K.SV_BONUS],
        BonusOrder(program.bonus_order),
    )  # fmt: skip
    lines = [
        Line(K.SV_PRINCIPAL, -principal), Line(K.SV_PRINCIPAL_SPENT, principal),
        Line(K.SV_BONUS, -bonus), Line(K.SV_BONUS_SPENT, bonus),
    ]  # fmt: skip
    return ledger.write(session, books, request, Plan(lines))


def gift(
    session: Session, workspace_id: int, body: GiftCreate, *, at: datetime | None = None
) -> PostingRead:
    """Give points or stored value (as bonus: spendable, never paid out) for a reason such as
    a referral reward; idempotent on the key like every posting."""
    amount = require_amount(body.amount, body.unit)
    kind = PostingKind.EARN if body.unit == "points" else PostingKind.GIFT
    request = Request(
        kind, body.key, body.customer_id, {"gift": body.unit, "amount": amount}, _at(at),
        reference=body.reference, memo=body.memo,
    )  # fmt: skip
    if (done := ledger.replay(session, workspace_id, request)) is not None:
        return done
    program = require_program(session, workspace_id)
    if body.unit == "points":
        books = _points_books(session, workspace_id, body.customer_id)
        plan = _earn_plan(books, amount, request.at, program.points_validity_days)
        return ledger.write(session, books, request, plan)
    books = _sv_books(session, workspace_id, body.customer_id)
    lines = [Line(K.SV_BONUS_ISSUED, -amount), Line(K.SV_BONUS, amount)]
    return ledger.write(session, books, request, Plan(lines))


def _original(session: Session, workspace_id: int, key: str, kind: PostingKind) -> Any:
    posting = repository.find_posting(session, workspace_id, require_key(key))
    if posting is None or posting.kind != kind:
        raise NotFoundError("loyalty.posting_unknown", kind=kind.value, idem=key)
    if posting.customer_id is None:
        raise NotFoundError("loyalty.posting_unknown", kind=kind.value, idem=key)
    return posting


def refund_spend(
    session: Session, workspace_id: int, body: SpendRefundCreate, *, at: datetime | None = None
) -> PostingRead:
    """Give back (part of) a spend: to principal first, never more than the spend took."""
    amount = require_amount(body.amount_fen, "fen")
    original = _original(session, workspace_id, body.spend_key, PostingKind.SPEND)
    customer = repository.current_customer(session, workspace_id, original.customer_id)
    request = Request(
        PostingKind.SPEND_REFUND, body.key, customer,
        {"spend": original.id, "amount_fen": amount}, _at(at), ref_posting_id=original.id,
        reference=original.reference,
    )  # fmt: skip
    if (done := ledger.replay(session, workspace_id, request)) is not None:
        return done
    books = _sv_books(session, workspace_id, customer)
    spent = repository.kind_totals_of(session, original.id)
    before = repository.kind_totals_referring(session, original.id, PostingKind.SPEND_REFUND)
    principal, bonus = split_spend_refund(
        amount,
        (-spent.get(K.SV_PRINCIPAL, 0), -spent.get(K.SV_BONUS, 0)),
        (before.get(K.SV_PRINCIPAL, 0), before.get(K.SV_BONUS, 0)),
    )
    lines = [
        Line(K.SV_PRINCIPAL, principal), Line(K.SV_PRINCIPAL_SPENT, -principal),
        Line(K.SV_BONUS, bonus), Line(K.SV_BONUS_SPENT, -bonus),
    ]  # fmt: skip
    return ledger.write(session, books, request, Plan(lines))


def refund_topup(
    session: Session, workspace_id: int, body: TopupRefundCreate, *, at: datetime | None = None
) -> PostingRead:
    """Refund (part of) a top-up; its bonus is clawed back in proportion (rules.topup_refund)."""
    amount = None if body.amount_fen is None else require_amount(body.amount_fen, "fen")
    original = _original(session, workspace_id, body.topup_key, PostingKind.TOPUP)
    customer = repository.current_customer(session, workspace_id, original.customer_id)
    request = Request(
        PostingKind.TOPUP_REFUND, body.key, customer,
        {"topup": original.id, "amount_fen": amount}, _at(at), ref_posting_id=original.id,
    )  # fmt: skip
    if (done := ledger.replay(session, workspace_id, request)) is not None:
        return done
    books = _sv_books(session, workspace_id, customer)
    given = repository.kind_totals_of(session, original.id)
    before = repository.kind_totals_referring(session, original.id, PostingKind.TOPUP_REFUND)
    refund = topup_refund(
        requested=amount,
        topup=(given.get(K.SV_PRINCIPAL, 0), given.get(K.SV_BONUS, 0)),
        done=(-before.get(K.SV_PRINCIPAL, 0), before.get(K.SV_BONUS_ISSUED, 0)),
        balances=(books.balances[K.SV_PRINCIPAL], books.balances[K.SV_BONUS]),
    )
    lines = [
        Line(K.SV_PRINCIPAL, -refund.principal), Line(K.SV_FUNDING, refund.cash),
        Line(K.SV_BONUS, -refund.bonus_clawed),
        Line(K.SV_BONUS_ISSUED, refund.bonus_clawed + refund.shortfall),
    ]  # fmt: skip
    return ledger.write(session, books, request, Plan(lines))


# --- paid membership cards -----------------------------------------------------------------


def _card_read(card: LoyaltyCard, plan_code: str) -> CardRead:
    return CardRead(
        id=card.id, customer_id=card.customer_id, plan_code=plan_code, status=card.status,
        starts_at=card.starts_at, expires_at=card.expires_at, price_fen=card.price_fen,
        refund_fen=card.refund_fen,
    )  # fmt: skip


def buy_card(
    session: Session, workspace_id: int, body: CardPurchaseCreate, *, at: datetime | None = None
) -> CardPosted:
    """Buy a card term (paid outside siyu); a renewal starts when the live term ends."""
    content: dict[str, Any] = {"plan": body.plan_code}
    if body.pay_with == "stored_value":  # only then, so earlier keys keep their fingerprint
        content["pay_with"] = body.pay_with
    request = Request(
        PostingKind.CARD_PURCHASE, body.key, body.customer_id, content, _at(at),
        reference=f"plan:{body.plan_code}",
    )  # fmt: skip
    if (done := ledger.replay(session, workspace_id, request)) is not None:
        card = repository.card_by_posting(session, done.id)
        assert card is not None
        return CardPosted(card=_card_read(card, body.plan_code), posting=done)
    plan = repository.get_plan(session, workspace_id, body.plan_code)
    if plan is None or not plan.active:
        raise NotFoundError("loyalty.plan_unknown", code=body.plan_code)
    repository.lock_customers(session, workspace_id, [body.customer_id])
    from_sv = body.pay_with == "stored_value"
    kinds = CARD_KINDS + SV_KINDS if from_sv else CARD_KINDS
    books = ledger.open_books(session, workspace_id, body.customer_id, kinds)
    live = repository.live_cards(session, workspace_id, body.customer_id, request.at)
    starts, ends = card_term(
        request.at, plan.duration_days, [c.expires_at for c, p in live if p.id == plan.id]
    )
    request = replace(request, basis_fen=plan.price_fen)
    lines = [Line(K.CARD_PAYMENTS, -plan.price_fen), Line(K.CARD_REVENUE, plan.price_fen)]
    if from_sv:
        lines += _sv_payment(session, workspace_id, books, plan.price_fen)
    posting = ledger.write(session, books, request, Plan(lines))
    card = repository.add_card(
        session,
        LoyaltyCard(
            workspace_id=workspace_id,
            customer_id=body.customer_id,
            plan_id=plan.id,
            status=CardStatus.ACTIVE.value,
            starts_at=starts,
            expires_at=ends,
            price_fen=plan.price_fen,
            purchase_posting_id=posting.id,
        ),
    )
    evaluate_tiers(session, workspace_id, at=request.at, customer_ids=[body.customer_id])
    return CardPosted(card=_card_read(card, plan.code), posting=posting)


def _sv_payment(session: Session, workspace_id: int, books: Books, amount: int) -> list[Line]:
    """Lines of paying `amount` from stored value (as a spend: bonus first or last)."""
    program = require_program(session, workspace_id)
    principal, bonus = split_spend(
        amount, books.balances[K.SV_PRINCIPAL], books.balances[K.SV_BONUS],
        BonusOrder(program.bonus_order),
    )  # fmt: skip
    return [
        Line(K.SV_PRINCIPAL, -principal), Line(K.SV_PRINCIPAL_SPENT, principal),
        Line(K.SV_BONUS, -bonus), Line(K.SV_BONUS_SPENT, bonus),
    ]  # fmt: skip


def _sv_refund(paid: dict[str, int], amount: int) -> list[Line]:
    """Lines returning a card refund to the stored value that paid for it, principal first."""
    principal, bonus = split_spend_refund(
        amount, (-paid.get(K.SV_PRINCIPAL, 0), -paid.get(K.SV_BONUS, 0)), (0, 0)
    )
    return [
        Line(K.SV_PRINCIPAL, principal), Line(K.SV_PRINCIPAL_SPENT, -principal),
        Line(K.SV_BONUS, bonus), Line(K.SV_BONUS_SPENT, -bonus),
    ]  # fmt: skip


def cancel_card(
    session: Session, workspace_id: int, body: CardCancelCreate, *, at: datetime | None = None
) -> CardPosted:
    """Cancel a card term and refund by its plan (cooling-off: all; else pro rata or nothing)."""
    card = repository.get_card(session, workspace_id, body.card_id)
    if card is None:
        raise NotFoundError("loyalty.card_unknown", ident=body.card_id)
    request = Request(
        PostingKind.CARD_CANCEL, body.key, card.customer_id, {"card_id": card.id}, _at(at),
        reference=f"card:{card.id}", ref_posting_id=card.purchase_posting_id,
    )  # fmt: skip
    plan = session.get(LoyaltyCardPlan, card.plan_id)
    assert plan is not None
    if (done := ledger.replay(session, workspace_id, request)) is not None:
        return CardPosted(card=_card_read(card, plan.code), posting=done)
    repository.lock_customers(session, workspace_id, [card.customer_id])
    session.refresh(card)
    if card.status == CardStatus.CANCELLED:
        raise LoyaltyConflictError("loyalty.card_cancelled", ident=card.id)
    if card.status == CardStatus.EXPIRED or card.expires_at <= request.at:
        raise LoyaltyConflictError("loyalty.card_expired", ident=card.id)
    purchase = repository.posting_by_id(session, card.purchase_posting_id)
    refund = card_refund(
        price_fen=card.price_fen, starts_at=card.starts_at, expires_at=card.expires_at,
        purchased_at=purchase.posted_at, at=request.at, policy=plan.refund_policy,
        cooling_off_days=plan.cooling_off_days,
    )  # fmt: skip
    paid = repository.kind_totals_of(session, purchase.id)
    from_sv = bool(paid.get(K.SV_PRINCIPAL) or paid.get(K.SV_BONUS))
    kinds = CARD_KINDS + SV_KINDS if from_sv else CARD_KINDS
    books = ledger.open_books(session, workspace_id, card.customer_id, kinds)
    request = replace(request, basis_fen=refund)
    lines = [Line(K.CARD_REVENUE, -refund), Line(K.CARD_PAYMENTS, refund)]
    if from_sv and refund:
        lines += _sv_refund(paid, refund)
    posting = ledger.write(session, books, request, Plan(lines))
    card.status = CardStatus.CANCELLED.value
    card.cancelled_at = request.at
    card.refund_fen = refund
    session.flush()
    evaluate_tiers(session, workspace_id, at=request.at, customer_ids=[card.customer_id])
    return CardPosted(card=_card_read(card, plan.code), posting=posting)


def expire_cards(session: Session, workspace_id: int, *, at: datetime | None = None) -> int:
    """Mark ended card terms expired and re-evaluate their holders' tiers; return how many."""
    at = _at(at)
    customers = repository.expire_cards(session, workspace_id, at)
    for start in range(0, len(customers), repository.CHUNK):
        chunk = customers[start : start + repository.CHUNK]
        evaluate_tiers(session, workspace_id, at=at, customer_ids=chunk)
    return len(customers)


# --- tiers and benefits --------------------------------------------------------------------


def _tier_rule(tier: LoyaltyTier) -> TierRule:
    return TierRule(
        tier.id, tier.code, tier.rank, tier.window_days, tier.min_spend_fen, tier.min_points_earned
    )


def _tier_benefits(tier: LoyaltyTier | LoyaltyCardPlan) -> Benefits:
    return Benefits(
        tier.discount_bp, tier.points_multiplier_pct, tier.free_shipping, tier.exclusive_service
    )


def evaluate_tiers(
    session: Session,
    workspace_id: int,
    *,
    at: datetime | None = None,
    customer_ids: Sequence[int] | None = None,
) -> TierEvaluationRead:
    """Re-evaluate tiers (everyone, or the given customers) and record every change.

    Entry is by what was earned in each tier's rolling window (net spend, points earned)
    or by a card in force; upgrades apply at once, downgrades after the retention days.
    """
    at = _at(at)
    tiers = repository.list_tiers(session, workspace_id)
    result = TierEvaluationRead(evaluated=0, upgraded=0, downgraded=0, retained=0, by_tier={})
    if not tiers:
        return result
    program = require_program(session, workspace_id)
    rules = {t.id: _tier_rule(t) for t in tiers}
    only = None if customer_ids is None else sorted(set(customer_ids))
    windows = sorted({t.window_days for t in tiers})
    spend = {
        w: repository.spend_by_customer(
            session, workspace_id, since=at - timedelta(days=w), until=at, only=only
        )
        for w in windows
    }
    earned = {
        w: repository.points_earned_by_customer(
            session, workspace_id, since=at - timedelta(days=w), until=at, only=only
        )
        for w in windows
    }
    cards = repository.card_tiers(session, workspace_id, at, only=only)
    held = repository.memberships(session, workspace_id, only=only, lock=True)
    everyone = set(cards) | set(held)
    for found in (*spend.values(), *earned.values()):
        everyone |= set(found)
    if only is not None:
        everyone &= set(only)
    base = base_tier(list(rules.values()))
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for customer in sorted(everyone):
        standing = Standing(
            {w: spend[w].get(customer, 0) for w in windows},
            {w: earned[w].get(customer, 0) for w in windows},
            cards.get(customer),
        )
        qualification = qualify(list(rules.values()), standing)
        assert qualification is not None and base is not None
        row = held.get(customer)
        current = None if row is None else Held(rules[row.tier_id], row.basis, row.retain_until)
        if current is None and qualification.tier.id == base.id:
            continue
        decision = decide_tier(current, qualification, at, program.tier_retain_days)
        result.evaluated += 1
        result.by_tier[decision.tier.code] = result.by_tier.get(decision.tier.code, 0) + 1
        values = {
            "tier_id": decision.tier.id, "basis": decision.basis,
            "retain_until": decision.retain_until, "evaluated_at": at,
            "since": at if decision.changed or row is None else row.since,
        }  # fmt: skip
        if row is None:
            inserts.append({"workspace_id": workspace_id, "customer_id": customer, **values})
        else:
            updates.append({"cid": customer, **values})
        if decision.changed:
            up = current is None or decision.tier.rank > current.tier.rank
            result.upgraded += up
            result.downgraded += not up
            changes.append(
                {
                    "workspace_id": workspace_id,
                    "customer_id": customer,
                    "from_tier_id": None if current is None else current.tier.id,
                    "to_tier_id": decision.tier.id,
                    "reason": decision.reason,
                    "detail": decision.detail[:200],
                    "changed_at": at,
                }
            )
        elif decision.reason == "retained":
            result.retained += 1
    repository.save_memberships(session, inserts, updates)
    repository.insert_tier_changes(session, changes)
    return result


def _benefits_map(
    session: Session, workspace_id: int, at: datetime
) -> tuple[Benefits, dict[int, Benefits]]:
    """Benefits of the base tier, and of every customer whose tier or card gives more."""
    tiers = {t.id: t for t in repository.list_tiers(session, workspace_id)}
    base_row = min(tiers.values(), key=lambda t: t.rank) if tiers else None
    base = _tier_benefits(base_row) if base_row else Benefits()
    found = {
        m.customer_id: _tier_benefits(tiers[m.tier_id])
        for m in repository.memberships(session, workspace_id).values()
    }
    for customer, plan in repository.plans_in_force(session, workspace_id, at):
        found[customer] = found.get(customer, base).merged(_tier_benefits(plan))
    return base, found


def benefits(
    session: Session, workspace_id: int, customer_id: int, *, at: datetime | None = None
) -> Benefits:
    """The best of the benefits of the customer's tier and their cards in force."""
    at = _at(at)
    tiers = {t.id: t for t in repository.list_tiers(session, workspace_id)}
    membership = repository.get_membership(session, workspace_id, customer_id)
    tier = tiers.get(membership.tier_id) if membership else None
    if tier is None and tiers:
        tier = min(tiers.values(), key=lambda t: t.rank)
    found = _tier_benefits(tier) if tier else Benefits()
    for card, plan in repository.live_cards(session, workspace_id, customer_id, at):
        if card.starts_at <= at:
            found = found.merged(_tier_benefits(plan))
    return found


def points_holders(session: Session, workspace_id: int, *, minimum: int = 1) -> dict[int, int]:
    """Customers holding at least `minimum` points, with their balance (for campaigns)."""
    return repository.points_holders(session, workspace_id, minimum)


def tier_history(session: Session, workspace_id: int, customer_id: int) -> list[TierChangeRead]:
    """Every tier change of a customer, oldest first."""
    codes = {t.id: t.code for t in repository.list_tiers(session, workspace_id)}
    return [
        TierChangeRead(
            customer_id=c.customer_id,
            from_tier=codes.get(c.from_tier_id) if c.from_tier_id else None,
            to_tier=codes[c.to_tier_id],
            reason=c.reason,
            detail=c.detail,
            changed_at=c.changed_at,
        )
        for c in repository.tier_changes(session, workspace_id, customer_id)
    ]


# --- reading -------------------------------------------------------------------------------


def balance(
    session: Session, workspace_id: int, customer_id: int, *, at: datetime | None = None
) -> BalanceRead:
    """A customer's points (spendable now), points owed, stored value, tier, cards, benefits."""
    at = _at(at)
    if not repository.customer_exists(session, workspace_id, customer_id):
        raise NotFoundError("loyalty.customer_unknown", ident=customer_id)
    accounts = {
        kind: (aid, bal or 0)
        for aid, kind, bal in repository.accounts_of_customer(session, workspace_id, customer_id)
    }
    points_id, points = accounts.get(K.POINTS, (0, 0))
    due = repository.due_points(session, points_id, at) if points_id else 0
    soon = repository.due_points(session, points_id, at + EXPIRING_SOON) - due if points_id else 0
    membership = repository.get_membership(session, workspace_id, customer_id)
    tiers = {t.id: t for t in repository.list_tiers(session, workspace_id)}
    tier = tiers.get(membership.tier_id) if membership else None
    if tier is None and tiers:
        tier = min(tiers.values(), key=lambda t: t.rank)
    cards = [
        _card_read(card, plan.code)
        for card, plan in repository.live_cards(session, workspace_id, customer_id, at)
    ]
    found = benefits(session, workspace_id, customer_id, at=at)
    return BalanceRead(
        customer_id=customer_id, points=points - due, points_expiring=soon,
        points_owed=-accounts.get(K.POINTS_DEBT, (0, 0))[1],
        principal_fen=accounts.get(K.SV_PRINCIPAL, (0, 0))[1],
        bonus_fen=accounts.get(K.SV_BONUS, (0, 0))[1], tier=tier.code if tier else None,
        cards=cards, benefits=BenefitsRead(**found.__dict__),
    )  # fmt: skip


def statement(
    session: Session,
    workspace_id: int,
    customer_id: int,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> StatementRead:
    """Movements of a customer's accounts in [since, until], with running balances."""
    until = _at(until)
    if not repository.customer_exists(session, workspace_id, customer_id):
        raise NotFoundError("loyalty.customer_unknown", ident=customer_id)
    running: dict[str, int] = {}
    opening: dict[str, int] = {}
    lines: list[StatementLine] = []
    for posting_id, posted_at, kind, account, amount, reference in repository.customer_lines(
        session, workspace_id, customer_id, until=until
    ):
        running[account] = running.get(account, 0) + amount
        if since is not None and posted_at < since:
            opening[account] = running[account]
            continue
        lines.append(
            StatementLine(
                posting_id=posting_id,
                posted_at=posted_at,
                kind=kind,
                account=account,
                amount=amount,
                balance=running[account],
                reference=reference,
            )
        )
    return StatementRead(
        customer_id=customer_id, since=since, until=until, opening=opening,
        closing=dict(running), lines=lines,
    )  # fmt: skip


def member(
    session: Session, workspace_id: int, customer_id: int, *, at: datetime | None = None
) -> MemberRead:
    """A member's balances, tier, every card term and tier history."""
    return MemberRead(
        balance=balance(session, workspace_id, customer_id, at=at),
        cards=cards_of(session, workspace_id, customer_id),
        tier_history=tier_history(session, workspace_id, customer_id),
    )


# --- audit ---------------------------------------------------------------------------------


def audit(session: Session, workspace_id: int) -> AuditRead:
    """Prove the ledger: stored balances equal journal sums, every posting balances per unit,
    no account has the wrong sign, points lots add up to points balances."""
    issues: list[AuditIssue] = []
    totals: dict[str, int] = {}
    by_unit: dict[str, int] = {}
    lots = repository.lot_sums(session, workspace_id)
    rows = repository.account_sums(session, workspace_id)
    for account_id, code, kind_text, customer, stored, journal, closed in rows:
        if kind_text not in KINDS:
            issues.append(AuditIssue(check="kind", subject=code, detail=f"unknown {kind_text}"))
            continue
        kind = AccountKind(kind_text)
        spec = KINDS[kind]
        totals[kind.value] = totals.get(kind.value, 0) + journal
        by_unit[spec.unit.value] = by_unit.get(spec.unit.value, 0) + journal
        issues.extend(_account_issues(code, kind, customer, stored, journal, closed))
        if kind is K.POINTS:
            remaining, bad = lots.pop(account_id, (0, 0))
            if remaining != journal or bad:
                detail = f"lots hold {remaining} ({bad} out of range), balance {journal}"
                issues.append(AuditIssue(check="lots", subject=code, detail=detail))
    for account_id, (remaining, _) in lots.items():
        issues.append(
            AuditIssue(check="lots", subject=f"account {account_id}", detail=f"{remaining} orphan")
        )
    for posting_id, unit, total in repository.unbalanced_postings(session, workspace_id):
        detail = f"{unit} lines sum to {total}"
        issues.append(
            AuditIssue(check="double_entry", subject=f"posting {posting_id}", detail=detail)
        )
    for unit, total in by_unit.items():
        if total:
            issues.append(AuditIssue(check="units", subject=unit, detail=f"sum {total}"))
    foreign = repository.foreign_lines(session, workspace_id)
    if foreign:
        issues.append(AuditIssue(check="workspace", subject="lines", detail=f"{foreign} foreign"))
    postings, entries = repository.count_postings_and_entries(session, workspace_id)
    return AuditRead(
        accounts=len(rows), postings=postings, entries=entries, totals=totals, issues=issues
    )


def _account_issues(
    code: str,
    kind: AccountKind,
    customer: int | None,
    stored: int | None,
    journal: int,
    closed: datetime | None,
) -> list[AuditIssue]:
    spec = KINDS[kind]
    found = []
    if stored is not None and stored != journal:
        found.append(AuditIssue(check="balance", subject=code, detail=f"{stored} != {journal}"))
    if spec.customer and closed is None and stored is None:
        found.append(AuditIssue(check="balance", subject=code, detail="no stored balance"))
    if journal * spec.sign < 0:
        found.append(AuditIssue(check="sign", subject=code, detail=f"balance {journal}"))
    if closed is not None and journal != 0:
        found.append(AuditIssue(check="closed", subject=code, detail=f"balance {journal}"))
    if not spec.customer and customer is not None:
        found.append(AuditIssue(check="owner", subject=code, detail="brand account owned"))
    return found


# --- merges of customers -------------------------------------------------------------------


def merge_customer(
    session: Session, workspace_id: int, *, loser: int, winner: int, at: datetime | None = None
) -> None:
    """Move a merged-away customer's loyalty onto the winner (called before the loser is deleted).

    An account the winner lacks moves whole (history and lots); otherwise its balance is
    transferred by a `merge` posting, its lots re-homed and the emptied account closed.
    Cards and tier history move; the better of the two tiers is kept.
    """
    if not repository.has_loyalty(session, workspace_id, loser):
        return
    at = _at(at)
    repository.lock_customers(session, workspace_id, [loser, winner])
    theirs = repository.accounts_of_customer(session, workspace_id, loser)
    ours = repository.account_ids(session, workspace_id, [winner])
    wanted = [aid for aid, _, _ in theirs] + [v for (c, _), v in ours.items() if c == winner]
    locked = repository.lock_accounts(session, wanted)
    lines: list[tuple[int, int]] = []
    for account_id, kind, _ in theirs:
        target = ours.get((winner, kind))
        if target is None:
            code = account_code(AccountKind(kind), winner)
            repository.move_account(session, account_id, customer_id=winner, code=code)
            continue
        amount = int(locked[account_id] or 0)
        if amount:
            lines += [(account_id, -amount), (target, amount)]
        if kind == K.POINTS:
            repository.move_lots(session, from_account=account_id, to_account=target)
        repository.close_account(session, account_id, code=f"merged{account_id}:{kind}", at=at)
    if lines:
        request = Request(
            PostingKind.MERGE, f"merge:{loser}:{winner}", winner, {"loser": loser}, at
        )
        ledger.write_many(session, workspace_id, [BulkPosting(request, lines, dict(lines))])
    repository.move_customer_rows(session, workspace_id, loser=loser, winner=winner)
    _merge_membership(session, workspace_id, loser=loser, winner=winner, at=at)


def _merge_membership(
    session: Session, workspace_id: int, *, loser: int, winner: int, at: datetime
) -> None:
    theirs = repository.get_membership(session, workspace_id, loser)
    if theirs is None:
        return
    ours = repository.get_membership(session, workspace_id, winner)
    ranks = {t.id: t.rank for t in repository.list_tiers(session, workspace_id)}
    if ours is None or ranks[theirs.tier_id] > ranks[ours.tier_id]:
        change = {
            "workspace_id": workspace_id, "customer_id": winner,
            "from_tier_id": ours.tier_id if ours else None, "to_tier_id": theirs.tier_id,
            "reason": "merge", "detail": f"merged customer {loser}", "changed_at": at,
        }  # fmt: skip
        repository.insert_tier_changes(session, [change])
        if ours is None:
            ours = LoyaltyMembership(workspace_id=workspace_id, customer_id=winner)
            session.add(ours)
        ours.tier_id, ours.basis, ours.since = theirs.tier_id, theirs.basis, at
        ours.retain_until, ours.evaluated_at = theirs.retain_until, at
    session.delete(theirs)
    session.flush()
