"""API routes of loyalty: the programme, members' accounts and statements, and every write.

Every write takes an `Idempotency-Key` header that becomes the ledger's idempotency key: a
retried request posts once and answers the first result (200 with `replayed`, where the first
answer was 201); the same key with a different body is 409 `loyalty.key_reused`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Request, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from siyu.accounts.rules import Permission, Principal
from siyu.customers.endpoints import check_access
from siyu.kit.errors import NotFoundError, ValidationError
from siyu.loyalty import repository, service
from siyu.loyalty.rules import KINDS, AccountKind, Unit, require_amount, require_key
from siyu.loyalty.schemas import (
    ActionEarnCreate,
    CardCancelCreate,
    CardPosted,
    CardPurchaseCreate,
    ExpiryRead,
    MemberRead,
    PostingRead,
    ProgramFigures,
    ProgramRead,
    RedeemCreate,
    RedeemRefundCreate,
    SpendCreate,
    SpendRefundCreate,
    StatementLine,
    StatementRead,
    TierEvaluationRead,
    TierRead,
    TopupCreate,
    TopupRefundCreate,
    build,
)
from siyu.web.deps import Db, RowId, forbidden, require, store_of
from siyu.web.errors import CONFLICT_RESPONSE, NOT_FOUND_RESPONSE
from siyu.web.export import EXPORT_RESPONSES, Cell, ExportFormat, export_response, yuan
from siyu.web.pagination import Page, Paging

router = APIRouter(prefix="/loyalty", tags=["loyalty"])
Reader = Annotated[Principal, require(Permission.LOYALTY_READ)]
Writer = Annotated[Principal, require(Permission.LOYALTY_WRITE)]
Manager = Annotated[Principal, require(Permission.LOYALTY_MANAGE)]
STATEMENT_HEADERS = (
    "posting_id", "posted_at", "kind", "account", "unit", "amount", "balance", "reference",
)  # fmt: skip
# Amounts are checked by the ledger's own rule (a fraction of a point or fen is refused with
# loyalty.amount_whole), so the bodies take any JSON number; strings and booleans are 422.
Number = int | float
# The header is read by hand so that a missing one gets loyalty's own bilingual message; the
# document still declares it required.
KEY_PARAMETER = {
    "name": "Idempotency-Key", "in": "header", "required": True,
    "description": "1-128 printable characters; send the same key when you retry.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[!-~]+$"},
}  # fmt: skip
KEYED: dict[str, Any] = {"openapi_extra": {"parameters": [KEY_PARAMETER]}}
WRITTEN: dict[str, Any] = {
    "responses": {
        200: {"description": "A retry of an earlier request: its first result."},
        **NOT_FOUND_RESPONSE,
        **CONFLICT_RESPONSE,
    },
    **KEYED,
}


async def idempotency_key(
    key: Annotated[str | None, Header(alias="Idempotency-Key", include_in_schema=False)] = None,
) -> str:
    """The request's idempotency key, required on every write."""
    if key is None or not key.strip():
        raise ValidationError("loyalty.key_missing")
    return require_key(key)


IdemKey = Annotated[str, Depends(idempotency_key)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ActionBody(_Body):
    """Points for an action the programme rewards (joining the pool, a review, a referral)."""

    action: str = Field(min_length=1, max_length=32)


class RedeemBody(_Body):
    """Spend points."""

    points: Number
    reference: str = Field(default="", max_length=96)


class RedeemRefundBody(_Body):
    """Give back (part of) a redemption's points."""

    redeem_key: str = Field(min_length=1, max_length=128)
    points: Number


class TopupBody(_Body):
    """Add money (fen) to stored value; the best top-up bonus rule applies."""

    amount_fen: Number


class SpendBody(_Body):
    """Pay with stored value (fen)."""

    amount_fen: Number
    reference: str = Field(default="", max_length=96)


class SpendRefundBody(_Body):
    """Give back (part of) a stored-value spend."""

    spend_key: str = Field(min_length=1, max_length=128)
    amount_fen: Number


class TopupRefundBody(_Body):
    """Refund (part of) a top-up; without an amount, all that is left of it."""

    topup_key: str = Field(min_length=1, max_length=128)
    amount_fen: Number | None = None


class CardBody(_Body):
    """Buy a card term of a plan, paid outside siyu or from the member's stored value."""

    plan_code: str = Field(min_length=1, max_length=32)
    pay_with: Literal["outside", "stored_value"] = "outside"


class RenewBody(_Body):
    """Renew a card: a new term of its plan, starting when the live term ends."""

    pay_with: Literal["outside", "stored_value"] = "outside"


class StatementPage(Page[StatementLine]):
    """One page of a statement, with the balances before `since` and after `until`."""

    opening: dict[str, int]
    closing: dict[str, int]


def _fen(value: Number, what: str = "fen") -> int:
    return require_amount(value, what)


def _posted(response: Response, replayed: bool) -> None:
    response.status_code = 200 if replayed else 201
    response.headers["Idempotent-Replayed"] = "true" if replayed else "false"


def _member(db: Session, principal: Principal, customer_id: int) -> None:
    """Staff see only their own customers; an unknown customer is a clear 404."""
    check_access(db, principal, customer_id)
    if not repository.customer_exists(db, principal.workspace_id, customer_id):
        raise NotFoundError("loyalty.customer_unknown", ident=customer_id)


# --- reading -------------------------------------------------------------------------------


@router.get("/program", response_model=ProgramRead)
def get_program(db: Db, principal: Reader) -> ProgramRead:
    """The programme: settings, tiers, earn and top-up rules, card plans on sale."""
    return service.read_program(db, principal.workspace_id)


@router.get("/tiers", response_model=list[TierRead])
def list_tiers(db: Db, principal: Reader) -> list[TierRead]:
    """The programme's tiers, lowest rank first."""
    return service.read_program(db, principal.workspace_id).tiers


@router.get("/figures", response_model=ProgramFigures)
def get_figures(request: Request, db: Db, principal: Reader) -> ProgramFigures:
    """Members per tier, points outstanding and their liability, stored value, cards."""
    if principal.own_customers_only:  # the brand's figures are not customer service's
        raise forbidden(principal, Permission.OVERVIEW_READ)
    value = store_of(request).settings.loyalty_point_value_fen
    return service.figures(db, principal.workspace_id, point_value_fen=value)


@router.get("/members/{customer_id}", response_model=MemberRead)
def get_member(customer_id: RowId, db: Db, principal: Reader) -> MemberRead:
    """A member's balances (points, points owed, stored value), tier, cards, tier history."""
    _member(db, principal, customer_id)
    return service.member(db, principal.workspace_id, customer_id)


def _statement(
    db: Session, principal: Principal, customer_id: int, since: AwareDatetime | None,
    until: AwareDatetime | None,
) -> StatementRead:  # fmt: skip
    _member(db, principal, customer_id)
    return service.statement(db, principal.workspace_id, customer_id, since=since, until=until)


@router.get("/members/{customer_id}/statement", response_model=StatementPage)
def get_statement(
    customer_id: RowId, db: Db, paging: Paging, principal: Reader,
    since: AwareDatetime | None = None, until: AwareDatetime | None = None,
) -> StatementPage:  # fmt: skip
    """Every movement of the member's accounts in [since, until], oldest first, with the
    balance after each."""
    found = _statement(db, principal, customer_id, since, until)
    lines = found.lines[paging.offset : paging.offset + paging.per_page]
    page = paging.wrap(lines, len(found.lines))
    return StatementPage(**page.model_dump(), opening=found.opening, closing=found.closing)


def statement_cells(lines: list[StatementLine]) -> list[tuple[Cell, ...]]:
    """Statement lines as export rows: fen in yuan, points as they are."""
    rows: list[tuple[Cell, ...]] = []
    for ln in lines:
        kind = AccountKind(ln.account)
        money = KINDS[kind].unit is Unit.FEN
        amount: Cell = yuan(ln.amount) if money else ln.amount
        after: Cell = yuan(ln.balance) if money else ln.balance
        unit = "yuan" if money else "points"
        rows.append((ln.posting_id, ln.posted_at, ln.kind, kind.value, unit, amount, after,
                     ln.reference))  # fmt: skip
    return rows


@router.get(
    "/members/{customer_id}/statement/export", response_class=Response,
    responses=EXPORT_RESPONSES,
)  # fmt: skip
def export_statement(
    customer_id: RowId, db: Db, principal: Annotated[Principal, require(Permission.EXPORT)],
    format: ExportFormat = ExportFormat.CSV, since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
) -> Response:  # fmt: skip
    """The statement as CSV or XLSX (amounts of money in yuan)."""
    found = _statement(db, principal, customer_id, since, until)
    name = f"loyalty-statement-{customer_id}"
    return export_response(name, STATEMENT_HEADERS, statement_cells(found.lines), format)


# --- points --------------------------------------------------------------------------------


@router.post("/members/{customer_id}/actions", response_model=PostingRead, status_code=201,
             **WRITTEN)  # fmt: skip
def earn_action(
    customer_id: RowId, body: ActionBody, db: Db, response: Response, principal: Writer,
    key: IdemKey,
) -> PostingRead:  # fmt: skip
    """Points for an action, up to the rule's limit per customer."""
    request = build(ActionEarnCreate, customer_id=customer_id, action=body.action, key=key)
    posting = service.earn_action(db, principal.workspace_id, request)
    _posted(response, posting.replayed)
    return posting


@router.post("/members/{customer_id}/redemptions", response_model=PostingRead, status_code=201,
             **WRITTEN)  # fmt: skip
def redeem(
    customer_id: RowId, body: RedeemBody, db: Db, response: Response, principal: Writer,
    key: IdemKey,
) -> PostingRead:  # fmt: skip
    """Spend points, soonest-expiring first; never more than the member holds."""
    points = _fen(body.points, "points")
    request = build(RedeemCreate, customer_id=customer_id, points=points, key=key,
                    reference=body.reference)  # fmt: skip
    posting = service.redeem(db, principal.workspace_id, request)
    _posted(response, posting.replayed)
    return posting


@router.post("/redemptions/refunds", response_model=PostingRead, status_code=201,
             **WRITTEN)  # fmt: skip
def refund_redemption(
    body: RedeemRefundBody, db: Db, response: Response, principal: Writer, key: IdemKey
) -> PostingRead:
    """Give back (part of) a redemption's points, never more than it took."""
    points = _fen(body.points, "points")
    request = build(RedeemRefundCreate, redeem_key=body.redeem_key, points=points, key=key)
    posting = service.refund_redeem(db, principal.workspace_id, request)
    _posted(response, posting.replayed)
    return posting


@router.post("/expire", response_model=ExpiryRead, status_code=201, **WRITTEN)
def expire(db: Db, response: Response, principal: Manager, key: IdemKey) -> ExpiryRead:
    """Expire every due points lot and card term (the daily sweep, run on demand)."""
    done = service.expire_run(db, principal.workspace_id, key)
    _posted(response, done.replayed)
    return done


# --- stored value --------------------------------------------------------------------------


@router.post("/members/{customer_id}/top-ups", response_model=PostingRead, status_code=201,
             **WRITTEN)  # fmt: skip
def top_up(
    customer_id: RowId, body: TopupBody, db: Db, response: Response, principal: Writer,
    key: IdemKey,
) -> PostingRead:  # fmt: skip
    """Add money to the member's stored value, with the best bonus rule it reaches."""
    request = build(TopupCreate, customer_id=customer_id, amount_fen=_fen(body.amount_fen),
                    key=key)  # fmt: skip
    posting = service.topup(db, principal.workspace_id, request)
    _posted(response, posting.replayed)
    return posting


@router.post("/members/{customer_id}/spends", response_model=PostingRead, status_code=201,
             **WRITTEN)  # fmt: skip
def spend(
    customer_id: RowId, body: SpendBody, db: Db, response: Response, principal: Writer,
    key: IdemKey,
) -> PostingRead:  # fmt: skip
    """Pay with stored value; never more than principal and bonus hold together."""
    request = build(SpendCreate, customer_id=customer_id, amount_fen=_fen(body.amount_fen),
                    key=key, reference=body.reference)  # fmt: skip
    posting = service.spend(db, principal.workspace_id, request)
    _posted(response, posting.replayed)
    return posting


@router.post("/spends/refunds", response_model=PostingRead, status_code=201, **WRITTEN)
def refund_spend(
    body: SpendRefundBody, db: Db, response: Response, principal: Writer, key: IdemKey
) -> PostingRead:
    """Give back (part of) a spend: to principal first, never more than it took."""
    request = build(SpendRefundCreate, spend_key=body.spend_key,
                    amount_fen=_fen(body.amount_fen), key=key)  # fmt: skip
    posting = service.refund_spend(db, principal.workspace_id, request)
    _posted(response, posting.replayed)
    return posting


@router.post("/top-ups/refunds", response_model=PostingRead, status_code=201, **WRITTEN)
def refund_top_up(
    body: TopupRefundBody, db: Db, response: Response, principal: Writer, key: IdemKey
) -> PostingRead:
    """Refund (part of) a top-up; its bonus is taken back in proportion."""
    amount = None if body.amount_fen is None else _fen(body.amount_fen)
    request = build(TopupRefundCreate, topup_key=body.topup_key, amount_fen=amount, key=key)
    posting = service.refund_topup(db, principal.workspace_id, request)
    _posted(response, posting.replayed)
    return posting


# --- cards and tiers -----------------------------------------------------------------------


@router.post("/members/{customer_id}/cards", response_model=CardPosted, status_code=201,
             **WRITTEN)  # fmt: skip
def buy_card(
    customer_id: RowId, body: CardBody, db: Db, response: Response, principal: Writer,
    key: IdemKey,
) -> CardPosted:  # fmt: skip
    """Buy a card term (a renewal when a term of the plan is live: it starts when that ends)."""
    request = build(CardPurchaseCreate, customer_id=customer_id, plan_code=body.plan_code,
                    key=key, pay_with=body.pay_with)  # fmt: skip
    posted = service.buy_card(db, principal.workspace_id, request)
    _posted(response, posted.posting.replayed)
    return posted


@router.post("/cards/{card_id}/renew", response_model=CardPosted, status_code=201,
             **WRITTEN)  # fmt: skip
def renew_card(
    card_id: RowId, body: RenewBody, db: Db, response: Response, principal: Writer, key: IdemKey
) -> CardPosted:
    """Buy the next term of a card's plan for its holder."""
    card = repository.get_card(db, principal.workspace_id, card_id)
    if card is None:
        raise NotFoundError("loyalty.card_unknown", ident=card_id)
    plan = repository.plan_code(db, card.plan_id)
    request = build(CardPurchaseCreate, customer_id=card.customer_id, plan_code=plan, key=key,
                    pay_with=body.pay_with)  # fmt: skip
    posted = service.buy_card(db, principal.workspace_id, request)
    _posted(response, posted.posting.replayed)
    return posted


@router.post("/cards/{card_id}/cancel", response_model=CardPosted, status_code=201,
             **WRITTEN)  # fmt: skip
def cancel_card(
    card_id: RowId, db: Db, response: Response, principal: Writer, key: IdemKey
) -> CardPosted:
    """Cancel a card term: all back in the cooling-off days, else by the plan (pro rata)."""
    request = build(CardCancelCreate, card_id=card_id, key=key)
    posted = service.cancel_card(db, principal.workspace_id, request)
    _posted(response, posted.posting.replayed)
    return posted


@router.post("/members/{customer_id}/tiers/evaluate", response_model=TierEvaluationRead, **KEYED)
def evaluate_member(
    customer_id: RowId, db: Db, principal: Writer, key: IdemKey
) -> TierEvaluationRead:
    """Re-evaluate one member's tier now (posts nothing: a retry changes nothing more)."""
    _member(db, principal, customer_id)
    return service.evaluate_tiers(db, principal.workspace_id, customer_ids=[customer_id])


@router.post("/tiers/evaluate", response_model=TierEvaluationRead, **KEYED)
def evaluate_all(db: Db, principal: Manager, key: IdemKey) -> TierEvaluationRead:
    """Re-evaluate every member's tier (the daily run; posts nothing)."""
    return service.evaluate_tiers(db, principal.workspace_id)
