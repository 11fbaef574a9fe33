"""What loyalty use cases take and return (Pydantic): the future API's bodies and responses.

Amounts are strict integers (fen or points): a fraction, a string or a boolean is refused
before a use case runs. Every request that posts carries an idempotency `key`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticValidationError

from siyu.kit.errors import invalid_fields
from siyu.kit.ids import MAX_ROW_ID
from siyu.loyalty.rules import MAX_AMOUNT

Amount = Annotated[int, Field(strict=True, gt=0, le=MAX_AMOUNT)]
Count = Annotated[int, Field(strict=True, ge=0, le=MAX_AMOUNT)]
Key = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")]
Code = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.:-]+$")]
CustomerId = Annotated[int, Field(strict=True, gt=0, le=MAX_ROW_ID)]

M = TypeVar("M", bound=BaseModel)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def build(model: type[M], **values: Any) -> M:
    """Validate input into `model`; a bad field is one bilingual error naming it."""
    try:
        return model.model_validate(values)
    except PydanticValidationError as exc:
        raise invalid_fields(exc) from None


# --- programme configuration ---------------------------------------------------------------


class TierConfig(_In):
    """A tier: entry rule over a rolling window (or a card that names it) and benefits."""

    code: Code
    name: str = Field(min_length=1, max_length=64)
    rank: int = Field(strict=True, ge=0, le=1000)
    window_days: int = Field(default=365, strict=True, ge=1, le=3650)
    min_spend_fen: Count | None = None
    min_points_earned: Count | None = None
    discount_bp: int = Field(default=0, strict=True, ge=0, le=10_000)
    points_multiplier_pct: int = Field(default=100, strict=True, ge=0, le=10_000)
    free_shipping: bool = False
    exclusive_service: bool = False


class EarnRuleConfig(_In):
    """Points per `per_fen` fen spent (optionally on one product role), or per action."""

    code: Code
    kind: Literal["spend", "action"]
    points: Count
    per_fen: Amount | None = None
    product_role: str | None = Field(default=None, max_length=16)
    action: str | None = Field(default=None, max_length=32)
    max_times: Amount | None = None
    active: bool = True

    @model_validator(mode="after")
    def _shape(self) -> EarnRuleConfig:
        if self.kind == "spend" and (self.per_fen is None or self.action is not None):
            raise ValueError("a spend rule needs per_fen and no action")
        if self.kind == "action" and (not self.action or self.per_fen is not None):
            raise ValueError("an action rule needs an action and no per_fen")
        return self


class TopupRuleConfig(_In):
    """Top up at least `min_topup_fen`, get `bonus_fen` (the best reached rule applies)."""

    code: Code
    min_topup_fen: Amount
    bonus_fen: Count
    active: bool = True


class CardPlanConfig(_In):
    """A paid membership card: price, term, tier it grants, benefits and refund policy."""

    code: Code
    name: str = Field(min_length=1, max_length=64)
    price_fen: Amount
    duration_days: int = Field(strict=True, ge=1, le=3660)
    tier: Code | None = None
    discount_bp: int = Field(default=0, strict=True, ge=0, le=10_000)
    points_multiplier_pct: int = Field(default=100, strict=True, ge=0, le=10_000)
    free_shipping: bool = False
    exclusive_service: bool = False
    refund_policy: Literal["pro_rata", "none"] = "pro_rata"
    cooling_off_days: int = Field(default=7, strict=True, ge=0, le=365)
    active: bool = True


class ProgramConfig(_In):
    """A whole programme, applied idempotently (rows matched by code)."""

    points_validity_days: int | None = Field(default=365, strict=True, ge=1, le=36_500)
    bonus_order: Literal["bonus_first", "bonus_last"] = "bonus_first"
    tier_retain_days: int = Field(default=0, strict=True, ge=0, le=3650)
    tiers: list[TierConfig] = Field(default_factory=list)
    earn_rules: list[EarnRuleConfig] = Field(default_factory=list)
    topup_rules: list[TopupRuleConfig] = Field(default_factory=list)
    card_plans: list[CardPlanConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> ProgramConfig:
        for name, codes in (
            ("tiers", [t.code for t in self.tiers]),
            ("earn_rules", [r.code for r in self.earn_rules]),
            ("topup_rules", [r.code for r in self.topup_rules]),
            ("card_plans", [p.code for p in self.card_plans]),
            ("tier ranks", [str(t.rank) for t in self.tiers]),
        ):
            if len(codes) != len(set(codes)):
                raise ValueError(f"{name} repeat a value")
        tiers = {t.code for t in self.tiers}
        unknown = [p.tier for p in self.card_plans if p.tier is not None and p.tier not in tiers]
        if unknown:
            raise ValueError(f"card plans name unknown tiers: {unknown}")
        return self


# --- requests that post --------------------------------------------------------------------


class EarnCreate(_In):
    """Grant points by hand (goodwill, a correction): posted as an earning."""

    customer_id: CustomerId
    points: Amount
    key: Key
    memo: str = Field(default="", max_length=200)


class ActionEarnCreate(_In):
    """Points for an action the programme rewards (joining the pool, a review, a referral)."""

    customer_id: CustomerId
    action: str = Field(min_length=1, max_length=32)
    key: Key


class OrderEarnCreate(_In):
    """Points for an order (key defaults to 'order:<id>:earn')."""

    order_id: CustomerId
    key: Key | None = None


class OrderReverseCreate(_In):
    """Take back points of an order's refunds (key defaults to the order's refund state)."""

    order_id: CustomerId
    key: Key | None = None


class RedeemCreate(_In):
    """Spend points."""

    customer_id: CustomerId
    points: Amount
    key: Key
    reference: str = Field(default="", max_length=96)


class GiftCreate(_In):
    """Points or stored value given for a reason (a referral reward), not bought."""

    customer_id: CustomerId
    unit: Literal["points", "fen"]
    amount: Amount
    key: Key
    reference: str = Field(default="", max_length=96)
    memo: str = Field(default="", max_length=200)


class RedeemRefundCreate(_In):
    """Give back (part of) a redemption's points (the reward was not delivered, returned)."""

    redeem_key: Key
    points: Amount
    key: Key


class TopupCreate(_In):
    """Add money to a customer's stored value (the bonus rule is applied)."""

    customer_id: CustomerId
    amount_fen: Amount
    key: Key


class SpendCreate(_In):
    """Pay with stored value."""

    customer_id: CustomerId
    amount_fen: Amount
    key: Key
    reference: str = Field(default="", max_length=96)


class SpendRefundCreate(_In):
    """Give back (part of) a stored-value spend."""

    spend_key: Key
    amount_fen: Amount
    key: Key


class TopupRefundCreate(_In):
    """Refund (part of) a top-up: its bonus is clawed back in proportion."""

    topup_key: Key
    amount_fen: Amount | None = None
    key: Key


class CardPurchaseCreate(_In):
    """Buy (or renew) a paid membership card."""

    customer_id: CustomerId
    plan_code: Code
    key: Key
    pay_with: Literal["outside", "stored_value"] = "outside"


class CardCancelCreate(_In):
    """Cancel a card term and refund by the plan's rule."""

    card_id: CustomerId
    key: Key


# --- what comes back -----------------------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class EntryRead(_Out):
    """One line of a posting."""

    account: str
    unit: str
    amount: int


class PostingRead(_Out):
    """A posting; `replayed` when the key had been posted before and nothing changed."""

    id: int
    key: str
    kind: str
    customer_id: int | None
    posted_at: datetime
    reference: str
    lines: list[EntryRead]
    replayed: bool = False


class CardRead(_Out):
    """A card term."""

    id: int
    customer_id: int
    plan_code: str
    status: str
    starts_at: datetime
    expires_at: datetime
    price_fen: int
    refund_fen: int


class CardPosted(_Out):
    """A card purchase or cancellation with its posting."""

    card: CardRead
    posting: PostingRead


class BenefitsRead(_Out):
    """The best of the benefits of a customer's tier and live cards."""

    discount_bp: int
    points_multiplier_pct: int
    free_shipping: bool
    exclusive_service: bool


class BalanceRead(_Out):
    """A customer's holdings now."""

    customer_id: int
    points: int
    points_expiring: int
    points_owed: int
    principal_fen: int
    bonus_fen: int
    tier: str | None
    cards: list[CardRead]
    benefits: BenefitsRead


class StatementLine(_Out):
    """One movement on a customer's account, with the balance after it."""

    posting_id: int
    posted_at: datetime
    kind: str
    account: str
    amount: int
    balance: int
    reference: str


class StatementRead(_Out):
    """Movements of a customer's accounts between two times, with opening and closing balances."""

    customer_id: int
    since: datetime | None
    until: datetime
    opening: dict[str, int]
    closing: dict[str, int]
    lines: list[StatementLine]


class TierChangeRead(_Out):
    """One change of tier."""

    customer_id: int
    from_tier: str | None
    to_tier: str
    reason: str
    detail: str
    changed_at: datetime


class TierEvaluationRead(_Out):
    """What a tier evaluation did."""

    evaluated: int
    upgraded: int
    downgraded: int
    retained: int
    by_tier: dict[str, int]


class TierRead(_Out):
    """A tier of the programme: its entry rule and benefits."""

    code: str
    name: str
    rank: int
    window_days: int
    min_spend_fen: int | None
    min_points_earned: int | None
    discount_bp: int
    points_multiplier_pct: int
    free_shipping: bool
    exclusive_service: bool


class ProgramRead(_Out):
    """The programme as it is applied: settings, tiers, active rules and card plans."""

    points_validity_days: int | None
    bonus_order: str
    tier_retain_days: int
    tiers: list[TierRead]
    earn_rules: list[EarnRuleConfig]
    topup_rules: list[TopupRuleConfig]
    card_plans: list[CardPlanConfig]


class TierCount(_Out):
    """How many customers hold a tier."""

    code: str
    name: str
    rank: int
    customers: int


class ProgramFigures(_Out):
    """The programme at a glance: members, points and their liability, stored value, cards."""

    at: datetime
    members: int
    tiers: list[TierCount]
    points_outstanding: int
    points_owed: int
    points_issued: int
    points_redeemed: int
    points_expired: int
    breakage: float | None
    point_value_fen: int
    points_liability_fen: int
    principal_fen: int
    bonus_fen: int
    stored_value_holders: int
    cards_in_force: int
    cards_expiring: int


class MemberRead(_Out):
    """A member's account: balances, tier, every card term and the tier history."""

    balance: BalanceRead
    cards: list[CardRead]
    tier_history: list[TierChangeRead]


class ExpiryRead(_Out):
    """What an expiry run did (points and card terms); `replayed` for a retried request."""

    posting_id: int
    points: int
    cards: int
    replayed: bool = False


class AuditIssue(_Out):
    """One broken invariant."""

    check: str
    subject: str
    detail: str


class AuditRead(_Out):
    """The result of `siyu loyalty audit`."""

    accounts: int
    postings: int
    entries: int
    totals: dict[str, int]
    issues: list[AuditIssue]

    @property
    def ok(self) -> bool:
        """True when every invariant holds."""
        return not self.issues
