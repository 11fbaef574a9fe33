"""Pure loyalty decisions: accounts and their signs, amounts, points, stored value, cards, tiers.

Nothing here touches the database; every function takes plain values and returns plain
values, so each rule is tested on its own (tests/unit/loyalty/).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from siyu.kit.errors import SiyuError, ValidationError

MAX_AMOUNT = 10**12  # fen or points in one request: far above any real request, far below int64


class LoyaltyConflictError(SiyuError):
    """A request the current state refuses: too little balance, a used key, a dead card."""

    status_code = 409


class Unit(StrEnum):
    """What an account counts."""

    POINTS = "points"
    FEN = "fen"


class AccountKind(StrEnum):
    """Ledger accounts: a customer's holdings and the brand's counter accounts."""

    POINTS = "points"
    POINTS_DEBT = "points_debt"
    SV_PRINCIPAL = "sv_principal"
    SV_BONUS = "sv_bonus"
    POINTS_ISSUED = "points_issued"
    POINTS_REDEEMED = "points_redeemed"
    POINTS_EXPIRED = "points_expired"
    SV_FUNDING = "sv_funding"
    SV_BONUS_ISSUED = "sv_bonus_issued"
    SV_PRINCIPAL_SPENT = "sv_principal_spent"
    SV_BONUS_SPENT = "sv_bonus_spent"
    CARD_PAYMENTS = "card_payments"
    CARD_REVENUE = "card_revenue"


@dataclass(frozen=True)
class KindSpec:
    """An account kind's unit, owner and the sign its balance may never leave (+1: >= 0)."""

    unit: Unit
    customer: bool
    sign: int


K = AccountKind
KINDS: dict[AccountKind, KindSpec] = {
    K.POINTS: KindSpec(Unit.POINTS, True, +1),
    K.POINTS_DEBT: KindSpec(Unit.POINTS, True, -1),
    K.SV_PRINCIPAL: KindSpec(Unit.FEN, True, +1),
    K.SV_BONUS: KindSpec(Unit.FEN, True, +1),
    # Brand sources hand value out (their balance is minus what they handed out) ...
    K.POINTS_ISSUED: KindSpec(Unit.POINTS, False, -1),
    K.SV_FUNDING: KindSpec(Unit.FEN, False, -1),
    K.SV_BONUS_ISSUED: KindSpec(Unit.FEN, False, -1),
    K.CARD_PAYMENTS: KindSpec(Unit.FEN, False, -1),
    # ... and brand sinks take it back in.
    K.POINTS_REDEEMED: KindSpec(Unit.POINTS, False, +1),
    K.POINTS_EXPIRED: KindSpec(Unit.POINTS, False, +1),
    K.SV_PRINCIPAL_SPENT: KindSpec(Unit.FEN, False, +1),
    K.SV_BONUS_SPENT: KindSpec(Unit.FEN, False, +1),
    K.CARD_REVENUE: KindSpec(Unit.FEN, False, +1),
}
CUSTOMER_KINDS = tuple(k for k, s in KINDS.items() if s.customer)
BRAND_KINDS = tuple(k for k, s in KINDS.items() if not s.customer)


class PostingKind(StrEnum):
    """Business events the journal records."""

    EARN = "earn"
    REDEEM = "redeem"
    EXPIRE = "expire"
    REVERSE = "reverse"
    TOPUP = "topup"
    SPEND = "spend"
    SPEND_REFUND = "spend_refund"
    TOPUP_REFUND = "topup_refund"
    CARD_PURCHASE = "card_purchase"
    CARD_CANCEL = "card_cancel"
    MERGE = "merge"
    REDEEM_REFUND = "redeem_refund"
    GIFT = "gift"


class BonusOrder(StrEnum):
    """Which stored-value sub-account a spend draws first."""

    BONUS_FIRST = "bonus_first"
    BONUS_LAST = "bonus_last"


def account_code(kind: AccountKind, customer_id: int | None) -> str:
    """The account's unique code in its workspace ('c42:points', 'brand:points_issued')."""
    return f"c{customer_id}:{kind}" if customer_id is not None else f"brand:{kind}"


# --- amounts -------------------------------------------------------------------------------


UNIT_NAMES_ZH = {"points": "积分", "fen": "分", "yuan": "元"}


def amount_refused(key: str, unit: str, value: object) -> ValidationError:
    """A refused amount, its unit named in both languages."""
    return ValidationError(key, what=unit, unit_zh=UNIT_NAMES_ZH.get(unit, unit), value=value)


def require_amount(value: object, what: str, *, allow_zero: bool = False) -> int:
    """Return `value` as a whole positive amount or raise a bilingual error (no fractions)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise amount_refused("loyalty.amount_whole", what, str(value)[:20])
    if value < 0 or (value == 0 and not allow_zero):
        raise amount_refused("loyalty.amount_positive", what, value)
    if value > MAX_AMOUNT:
        raise amount_refused("loyalty.amount_too_large", what, value)
    return value


def parse_points(text: str) -> int:
    """Parse a points amount typed by an operator ('120'); refuse fractions and signs."""
    cleaned = text.strip().replace(",", "")
    if not cleaned.isdigit():
        raise amount_refused("loyalty.amount_whole", "points", text[:20])
    return require_amount(int(cleaned), "points")


def parse_yuan(text: str) -> int:
    """Parse a money amount in yuan ('500', '12.30') into fen; refuse fractions of a fen."""
    cleaned = text.strip().replace(",", "").lstrip("¥￥")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise amount_refused("loyalty.amount_whole", "yuan", text[:20]) from None
    fen = value * 100
    if not fen.is_finite() or fen != fen.to_integral_value():
        raise amount_refused("loyalty.amount_whole", "fen", text[:20])
    return require_amount(int(fen), "fen")


def require_key(key: object) -> str:
    """Return a usable idempotency key (1-128 printable characters) or raise."""
    if not isinstance(key, str) or not 0 < len(key.strip()) <= 128 or not key.isprintable():
        raise ValidationError("loyalty.key_invalid")
    return key.strip()


def fingerprint(payload: Mapping[str, Any]) -> str:
    """A stable hash of a request's content: a retry matches it, a reused key does not."""
    text = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# --- double entry --------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One journal line: `amount` added to the account of `kind` (owned by the customer or not)."""

    kind: AccountKind
    amount: int


def check_balanced(lines: Iterable[Line]) -> None:
    """Raise unless every unit's lines sum to zero and no line is zero (a bug, not bad input)."""
    totals: dict[Unit, int] = {}
    for line in lines:
        if line.amount == 0:
            raise AssertionError(f"zero line on {line.kind}")
        unit = KINDS[line.kind].unit
        totals[unit] = totals.get(unit, 0) + line.amount
    unbalanced = {u: t for u, t in totals.items() if t != 0}
    if unbalanced:
        raise AssertionError(f"unbalanced posting: {unbalanced}")


def compact(lines: Iterable[Line]) -> list[Line]:
    """Merge lines on the same account and drop zeros (so callers can build freely)."""
    sums: dict[AccountKind, int] = {}
    for line in lines:
        sums[line.kind] = sums.get(line.kind, 0) + line.amount
    return [Line(kind, amount) for kind, amount in sums.items() if amount != 0]


# --- points --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpendRule:
    """`points` per `per_fen` fen spent on products of `role` (None: any other product)."""

    points: int
    per_fen: int
    role: str | None = None


@dataclass(frozen=True)
class LotView:
    """A points lot as the rules see it."""

    id: int
    remaining: int
    expires_at: datetime | None
    posting_id: int = 0


def spend_points(
    lines: Sequence[tuple[int, str | None]], basis_fen: int, rules: Sequence[SpendRule]
) -> int:
    """Points for spending `basis_fen` on goods whose line amounts and roles are `lines`.

    The basis (what was paid for goods, net of refunds) is shared among roles in proportion
    to their line amounts; each role's share earns by its own rule, else the default rule.
    Fractions of a point are dropped once per rule, never per line.
    """
    by_role = {r.role: r for r in rules}
    default = by_role.get(None)
    total_lines = sum(max(a, 0) for a, _ in lines)
    if basis_fen <= 0:
        return 0
    if total_lines <= 0:
        return basis_fen * default.points // default.per_fen if default else 0
    share: dict[SpendRule, int] = {}
    for amount, role in lines:
        rule = by_role.get(role, default)
        if rule is not None and amount > 0:
            share[rule] = share.get(rule, 0) + amount
    # numerator / denominator kept integral: points = basis * share * points / (total * per)
    return sum(
        basis_fen * amount * rule.points // (total_lines * rule.per_fen)
        for rule, amount in share.items()
    )


def apply_multiplier(points: int, multiplier_pct: int) -> int:
    """Scale points by a percentage (150 = 1.5x), dropping the fraction."""
    return points * multiplier_pct // 100


def split_earn(points: int, owed: int) -> tuple[int, int]:
    """Split newly earned points into (repays debt, credited): a debt is repaid first."""
    repay = min(points, owed)
    return repay, points - repay


def lot_order(lot: LotView) -> tuple[int, datetime | None, int]:
    """FIFO by expiry: the soonest-expiring first, lots that never expire last, then oldest."""
    return (1 if lot.expires_at is None else 0, lot.expires_at, lot.id)


def consume_fifo(lots: Sequence[LotView], amount: int) -> list[tuple[int, int]]:
    """Take `amount` from lots soonest-expiring first; return (lot id, taken) pairs.

    Raises when the lots hold less than `amount`.
    """
    taken: list[tuple[int, int]] = []
    left = amount
    for lot in sorted(lots, key=lot_order):
        if left == 0:
            break
        take = min(lot.remaining, left)
        if take > 0:
            taken.append((lot.id, take))
            left -= take
    if left:
        raise LoyaltyConflictError(
            "loyalty.insufficient_points", needed=amount, available=amount - left
        )
    return taken


def redeem_refund_left(points: int, redeemed: int, refunded: int) -> int:
    """Check a refund of redeemed points: never more than the redemption took less earlier
    refunds of it; return what is left to refund after this one."""
    left = redeemed - refunded
    if points > left:
        raise LoyaltyConflictError("loyalty.points_refund_too_large", points=points, left=left)
    return left - points


def due_lots(lots: Sequence[LotView], at: datetime) -> list[LotView]:
    """Lots whose expiry has come and that still hold points."""
    return [lot for lot in lots if lot.remaining > 0 and lot.expires_at and lot.expires_at <= at]


def kept_points(earned: int, basis_fen: int, basis_now_fen: int) -> int:
    """Points an order keeps after refunds: in proportion to what is still paid, rounded down."""
    if basis_fen <= 0:
        return 0
    return earned * max(0, min(basis_now_fen, basis_fen)) // basis_fen


@dataclass(frozen=True)
class Clawback:
    """How an order's refund takes its points back: from lots, and the shortfall as debt."""

    taken: list[tuple[int, int]]
    debt: int


def clawback(lots: Sequence[LotView], amount: int, own_posting_id: int) -> Clawback:
    """Take `amount` points back: the order's own lot first, then FIFO; the rest becomes debt.

    A refund never drives the spendable balance negative: what cannot be taken (the points
    were already redeemed or expired) is recorded as points the customer owes, repaid from
    their next earnings.
    """
    own = [lot for lot in lots if lot.posting_id == own_posting_id]
    others = [lot for lot in lots if lot.posting_id != own_posting_id]
    taken: list[tuple[int, int]] = []
    left = amount
    for lot in [*own, *sorted(others, key=lot_order)]:
        take = min(lot.remaining, left)
        if take > 0:
            taken.append((lot.id, take))
            left -= take
    return Clawback(taken, left)


def expiry_of(earned_at: datetime, validity_days: int | None) -> datetime | None:
    """When points earned at `earned_at` expire (None: never)."""
    return None if validity_days is None else earned_at + timedelta(days=validity_days)


# --- stored value --------------------------------------------------------------------------


@dataclass(frozen=True)
class TopupRule:
    """Top up at least `min_topup_fen`, get `bonus_fen`."""

    code: str
    min_topup_fen: int
    bonus_fen: int


def topup_bonus(amount_fen: int, rules: Sequence[TopupRule]) -> tuple[int, str]:
    """The bonus of the best rule the top-up reaches (rules do not stack) and its code."""
    reached = [r for r in rules if amount_fen >= r.min_topup_fen]
    if not reached:
        return 0, ""
    best = max(reached, key=lambda r: (r.bonus_fen, r.min_topup_fen))
    return best.bonus_fen, best.code


def split_spend(amount: int, principal: int, bonus: int, order: BonusOrder) -> tuple[int, int]:
    """Split a stored-value spend into (from principal, from bonus) by the programme's order."""
    if amount > principal + bonus:
        raise LoyaltyConflictError(
            "loyalty.insufficient_balance", needed=amount, available=principal + bonus
        )
    if order is BonusOrder.BONUS_FIRST:
        from_bonus = min(bonus, amount)
        return amount - from_bonus, from_bonus
    from_principal = min(principal, amount)
    return from_principal, amount - from_principal


def split_spend_refund(
    amount: int, spent: tuple[int, int], refunded: tuple[int, int]
) -> tuple[int, int]:
    """Return a refunded spend to (principal, bonus): principal first, never more than was spent."""
    left_principal = spent[0] - refunded[0]
    left_bonus = spent[1] - refunded[1]
    if amount > left_principal + left_bonus:
        raise LoyaltyConflictError(
            "loyalty.refund_too_large", amount=amount, left=left_principal + left_bonus
        )
    to_principal = min(amount, left_principal)
    return to_principal, amount - to_principal


@dataclass(frozen=True)
class TopupRefund:
    """A top-up refund: principal taken back, bonus clawed back, cash paid out."""

    principal: int
    bonus_clawed: int
    shortfall: int

    @property
    def cash(self) -> int:
        """Money returned to the customer."""
        return self.principal - self.shortfall


def topup_refund(
    *,
    requested: int | None,
    topup: tuple[int, int],
    done: tuple[int, int],
    balances: tuple[int, int],
) -> TopupRefund:
    """Refund (part of) a top-up of `topup` = (principal, bonus).

    `done` is (principal refunded, bonus clawed back) by earlier refunds of it; `balances`
    the customer's (principal, bonus) now. The refund takes back principal (all that is left
    of this top-up by default, never more than the balance) and the same share of the bonus,
    counted cumulatively so partial refunds add up to a full one. Bonus already spent is
    paid for out of the refunded principal: it is the `shortfall`, deducted from the cash.
    """
    principal_left = topup[0] - done[0]
    amount = min(principal_left, balances[0]) if requested is None else requested
    if amount <= 0 or amount > principal_left or amount > balances[0]:
        raise LoyaltyConflictError(
            "loyalty.refund_too_large", amount=amount, left=min(principal_left, balances[0])
        )
    target = topup[1] * (done[0] + amount) // topup[0]
    claw = target - done[1]
    from_bonus = min(claw, balances[1])
    shortfall = min(claw - from_bonus, amount)
    return TopupRefund(amount, from_bonus, shortfall)


# --- paid membership cards -----------------------------------------------------------------


class CardStatus(StrEnum):
    """A card term's state (expiry is by time; the status catches up on schedule)."""

    ACTIVE = "active"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


def card_term(
    at: datetime, duration_days: int, current_ends: Sequence[datetime]
) -> tuple[datetime, datetime]:
    """Start and end of a new term: a renewal starts when the last live term ends."""
    starts = max([at, *current_ends])
    return starts, starts + timedelta(days=duration_days)


def card_refund(
    *,
    price_fen: int,
    starts_at: datetime,
    expires_at: datetime,
    purchased_at: datetime,
    at: datetime,
    policy: str,
    cooling_off_days: int,
) -> int:
    """What cancelling a card term at `at` refunds.

    Within the cooling-off days after purchase, or before the term starts (a renewal not yet
    begun): the full price. Otherwise, with the pro-rata policy, the unused whole days'
    share of the price, rounded down to the fen (a started day counts as used); with the
    'none' policy nothing.
    """
    if at >= expires_at:
        raise LoyaltyConflictError("loyalty.card_expired")
    if at < starts_at or at < purchased_at + timedelta(days=cooling_off_days):
        return price_fen
    if policy != "pro_rata":
        return 0
    total_days = max(1, (expires_at - starts_at).days)
    used = at - starts_at
    used_days = used.days + (1 if used % timedelta(days=1) else 0)
    return price_fen * max(0, total_days - used_days) // total_days


# --- tiers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TierRule:
    """A tier as evaluation sees it."""

    id: int
    code: str
    rank: int
    window_days: int
    min_spend_fen: int | None
    min_points_earned: int | None


@dataclass(frozen=True)
class Standing:
    """What a customer did in a tier's window, and the tier a live card grants."""

    spend_fen: Mapping[int, int]  # by window days
    points_earned: Mapping[int, int]  # by window days
    card_tier_id: int | None = None


@dataclass(frozen=True)
class Qualification:
    """The best tier a customer qualifies for, and why."""

    tier: TierRule
    basis: str
    detail: str


def base_tier(tiers: Sequence[TierRule]) -> TierRule | None:
    """The lowest-ranked tier: everyone holds it without qualifying."""
    return min(tiers, key=lambda t: t.rank) if tiers else None


def qualify(tiers: Sequence[TierRule], standing: Standing) -> Qualification | None:
    """The highest tier whose entry rule the standing meets (earned spend or points, or a card)."""
    base = base_tier(tiers)
    if base is None:
        return None
    best = Qualification(base, "base", "")
    for tier in sorted(tiers, key=lambda t: t.rank):
        found = _meets(tier, standing)
        if found is not None and tier.rank > best.tier.rank:
            best = Qualification(tier, *found)
    return best


def _meets(tier: TierRule, standing: Standing) -> tuple[str, str] | None:
    if standing.card_tier_id == tier.id:
        return "card", "paid membership card"
    spend = standing.spend_fen.get(tier.window_days, 0)
    if tier.min_spend_fen is not None and spend >= tier.min_spend_fen:
        return "spend", f"spend {spend} fen in {tier.window_days} days >= {tier.min_spend_fen}"
    points = standing.points_earned.get(tier.window_days, 0)
    if tier.min_points_earned is not None and points >= tier.min_points_earned:
        return "points", (
            f"earned {points} points in {tier.window_days} days >= {tier.min_points_earned}"
        )
    return None


@dataclass(frozen=True)
class Held:
    """A customer's current membership."""

    tier: TierRule
    basis: str
    retain_until: datetime | None


@dataclass(frozen=True)
class TierDecision:
    """What evaluation does: move to `tier` (or stay), for `reason`, retaining until a time."""

    tier: TierRule
    basis: str
    reason: str
    detail: str
    retain_until: datetime | None
    changed: bool


def decide_tier(
    held: Held | None, found: Qualification, at: datetime, retain_days: int
) -> TierDecision:
    """Upgrade at once; renew a tier still earned; downgrade only after the retention period.

    A tier held by a card is not retained once the card is gone: it ends with the card.
    """
    retain = at + timedelta(days=retain_days) if retain_days else None
    if held is None or found.tier.rank > held.tier.rank:
        reason = found.basis if held is not None else f"join:{found.basis}"
        return TierDecision(found.tier, found.basis, reason[:16], found.detail, retain, True)
    if found.tier.rank == held.tier.rank:
        return TierDecision(held.tier, found.basis, "renew", found.detail, retain, False)
    kept = held.basis != "card" and held.retain_until is not None and at < held.retain_until
    if kept:
        return TierDecision(held.tier, held.basis, "retained", "", held.retain_until, False)
    detail = f"no longer qualifies ({held.basis}); now {found.basis}"
    return TierDecision(found.tier, found.basis, "downgrade", detail, retain, True)


@dataclass(frozen=True)
class Benefits:
    """What a customer's tier and live cards give: the best of each benefit."""

    discount_bp: int = 0
    points_multiplier_pct: int = 100
    free_shipping: bool = False
    exclusive_service: bool = False

    def merged(self, other: Benefits) -> Benefits:
        """The best of both."""
        return Benefits(
            max(self.discount_bp, other.discount_bp),
            max(self.points_multiplier_pct, other.points_multiplier_pct),
            self.free_shipping or other.free_shipping,
            self.exclusive_service or other.exclusive_service,
        )
