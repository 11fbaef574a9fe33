"""The journal's mechanism: idempotent, balanced postings under row locks in a fixed order.

Every use case posts through here in the same steps:

1. `replay`: a key already posted returns that posting (same content) or is refused
   (different content): a retried request posts once.
2. `open_books`: find or create the customer's accounts and the brand's, then lock the
   customer's accounts in ascending id order and read their balances fresh.
3. the use case decides the lines from those balances (rules.py) and
4. `write`: insert the posting (ON CONFLICT DO NOTHING on its key: a concurrent twin makes
   this one a replay), its lines, the new balances and the points lots.

Brand accounts are never locked or updated: they are counter accounts whose balance is
the sum of their lines, so no request waits on a workspace-wide hot row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from siyu.db import bulk
from siyu.kit.errors import NotFoundError
from siyu.loyalty import repository
from siyu.loyalty.rules import (
    KINDS,
    AccountKind,
    Line,
    LoyaltyConflictError,
    PostingKind,
    account_code,
    check_balanced,
    compact,
    fingerprint,
    require_key,
)
from siyu.loyalty.schemas import EntryRead, PostingRead
from siyu.models import LoyaltyEntry, LoyaltyPointsLot, LoyaltyPosting


@dataclass(frozen=True)
class Request:
    """What a use case asks the journal to post; `content` is what a retry must repeat."""

    kind: PostingKind
    key: str
    customer_id: int | None
    content: dict[str, Any]
    at: datetime
    reference: str = ""
    ref_posting_id: int | None = None
    basis_fen: int | None = None
    memo: str = ""

    @property
    def fingerprint(self) -> str:
        """Hash of kind, customer and content (not the time: a retry comes later)."""
        return fingerprint({"kind": self.kind, "customer": self.customer_id, **self.content})


@dataclass
class Books:
    """One customer's locked accounts and the brand's accounts, for one request."""

    workspace_id: int
    customer_id: int | None
    ids: dict[AccountKind, int]
    balances: dict[AccountKind, int]


@dataclass
class Plan:
    """The lines a use case decided, and the points lots they create or draw on."""

    lines: list[Line]
    new_lot: tuple[int, datetime | None] | None = None
    taken: list[tuple[int, int]] = field(default_factory=list)


def _read(posting: Any, lines: Sequence[Any], *, replayed: bool) -> PostingRead:
    return PostingRead(
        id=posting.id,
        key=posting.idempotency_key,
        kind=posting.kind,
        customer_id=posting.customer_id,
        posted_at=posting.posted_at,
        reference=posting.reference,
        lines=[
            EntryRead(account=account_code(AccountKind(r[1]), r[2]), unit=r[3], amount=r[4])
            for r in lines
        ],
        replayed=replayed,
    )


def read_posting(session: Session, posting: Any, *, replayed: bool) -> PostingRead:
    """A stored posting (ORM object or row) with its lines."""
    return _read(posting, repository.lines_of(session, [posting.id]), replayed=replayed)


def replay(session: Session, workspace_id: int, request: Request) -> PostingRead | None:
    """The posting already made under the request's key, or None; a reused key is refused."""
    existing = repository.find_posting(session, workspace_id, require_key(request.key))
    if existing is None:
        return None
    if existing.fingerprint != request.fingerprint or existing.kind != request.kind:
        raise LoyaltyConflictError("loyalty.key_reused", idem=request.key, posting=existing.id)
    return read_posting(session, existing, replayed=True)


def ensure_accounts(
    session: Session,
    workspace_id: int,
    customer_ids: Sequence[int],
    kinds: Sequence[AccountKind],
) -> dict[tuple[int | None, str], int]:
    """Ids of the customers' and the brand's accounts of `kinds`, creating missing ones.

    Keys are (customer id, kind), with None for the brand's. A customer that does not exist
    in the workspace is refused before anything is written.
    """
    wanted: set[tuple[int | None, AccountKind]]
    wanted = {(c, k) for c in customer_ids for k in kinds if KINDS[k].customer}
    wanted |= {(None, k) for k in kinds if not KINDS[k].customer}
    codes = {account_code(k, c): (c, k.value) for c, k in wanted}
    found = repository.accounts_by_code(session, workspace_id, list(codes))
    missing = sorted((codes[code] for code in codes.keys() - found.keys()), key=str)
    if missing:
        _create(session, workspace_id, missing)
        found = repository.accounts_by_code(session, workspace_id, list(codes))
    return {codes[code]: account_id for code, account_id in found.items()}


def _create(session: Session, workspace_id: int, missing: Sequence[tuple[int | None, str]]) -> None:
    new_customers = sorted({c for c, _ in missing if c is not None})
    unknown = set(new_customers) - repository.existing_customers(
        session, workspace_id, new_customers
    )
    if unknown:
        raise NotFoundError("loyalty.customer_unknown", ident=min(unknown))
    repository.create_accounts(
        session,
        [
            {
                "workspace_id": workspace_id,
                "customer_id": c,
                "kind": k,
                "unit": KINDS[AccountKind(k)].unit.value,
                "code": account_code(AccountKind(k), c),
                "balance": 0 if c is not None else None,
            }
            for c, k in missing
        ],
    )


def open_books(
    session: Session, workspace_id: int, customer_id: int | None, kinds: Sequence[AccountKind]
) -> Books:
    """Find or create the accounts a request needs and lock the customer's, in id order."""
    customers = [customer_id] if customer_id is not None else []
    all_ids = ensure_accounts(session, workspace_id, customers, kinds)
    ids = {k: all_ids[(customer_id if KINDS[k].customer else None, k.value)] for k in kinds}
    own = {k: i for k, i in ids.items() if KINDS[k].customer}
    locked = repository.lock_accounts(session, list(own.values()))
    balances = {k: int(locked[i] or 0) for k, i in own.items()}
    return Books(workspace_id, customer_id, ids, balances)


def write(session: Session, books: Books, request: Request, plan: Plan) -> PostingRead:
    """Post the plan's lines under the request's key; a concurrent twin makes it a replay."""
    lines = compact(plan.lines)
    check_balanced(lines)
    row = _posting_row(books.workspace_id, request)
    posting_id = repository.insert_posting(session, row)
    if posting_id is None:
        replayed = replay(session, books.workspace_id, request)
        assert replayed is not None
        return replayed
    _write_lines(session, books, posting_id, lines)
    _write_lots(session, books, posting_id, request.at, plan)
    return PostingRead(
        id=posting_id,
        key=request.key,
        kind=request.kind.value,
        customer_id=request.customer_id,
        posted_at=request.at,
        reference=request.reference,
        lines=[
            EntryRead(
                account=_code(books, ln.kind), unit=KINDS[ln.kind].unit.value, amount=ln.amount
            )
            for ln in lines
        ],
    )


def _code(books: Books, kind: AccountKind) -> str:
    return account_code(kind, books.customer_id if KINDS[kind].customer else None)


def _posting_row(workspace_id: int, request: Request) -> dict[str, Any]:
    return {
        "workspace_id": workspace_id,
        "idempotency_key": request.key,
        "fingerprint": request.fingerprint,
        "kind": request.kind.value,
        "customer_id": request.customer_id,
        "reference": request.reference,
        "ref_posting_id": request.ref_posting_id,
        "basis_fen": request.basis_fen,
        "memo": request.memo[:200],
        "posted_at": request.at,
    }


def _write_lines(session: Session, books: Books, posting_id: int, lines: Sequence[Line]) -> None:
    repository.insert_entries(
        session,
        [
            {
                "workspace_id": books.workspace_id,
                "posting_id": posting_id,
                "account_id": books.ids[ln.kind],
                "amount": ln.amount,
            }
            for ln in lines
        ],
    )
    deltas: dict[int, int] = {}
    for ln in lines:
        if KINDS[ln.kind].customer:
            deltas[books.ids[ln.kind]] = deltas.get(books.ids[ln.kind], 0) + ln.amount
            books.balances[ln.kind] += ln.amount
    repository.add_to_balances(session, deltas)


def _write_lots(session: Session, books: Books, posting_id: int, at: datetime, plan: Plan) -> None:
    repository.take_from_lots(session, plan.taken)
    if plan.new_lot is not None and plan.new_lot[0] > 0:
        points, expires_at = plan.new_lot
        repository.insert_lots(
            session,
            [
                {
                    "workspace_id": books.workspace_id,
                    "account_id": books.ids[AccountKind.POINTS],
                    "posting_id": posting_id,
                    "amount": points,
                    "remaining": points,
                    "earned_at": at,
                    "expires_at": expires_at,
                }
            ],
        )


# --- many postings at once (imports, sweeps, the demo) -------------------------------------


@dataclass
class BulkPosting:
    """One posting of a bulk write: lines on given account ids, and the lot it creates."""

    request: Request
    lines: list[tuple[int, int]]  # (account id, amount)
    customer_deltas: dict[int, int]  # account id -> amount, for the customer's accounts
    lot: tuple[int, int, datetime | None] | None = None  # (points account, points, expiry)
    taken: list[tuple[int, int]] = field(default_factory=list)


def write_many(session: Session, workspace_id: int, postings: Sequence[BulkPosting]) -> list[int]:
    """Insert many postings whose accounts the caller has locked and whose keys are new."""
    if not postings:
        return []
    rows = [_posting_row(workspace_id, p.request) for p in postings]
    ids = bulk.insert_returning_ids(session, LoyaltyPosting, rows)
    entries: list[dict[str, Any]] = []
    lots: list[dict[str, Any]] = []
    taken: list[tuple[int, int]] = []
    deltas: dict[int, int] = {}
    for posting_id, p in zip(ids, postings, strict=True):
        if sum(amount for _, amount in p.lines) != 0:  # bulk postings are in one unit
            raise AssertionError(f"unbalanced bulk posting {p.request.key}")
        entries.extend(
            {"workspace_id": workspace_id, "posting_id": posting_id, "account_id": a, "amount": x}
            for a, x in p.lines
        )
        for account, amount in p.customer_deltas.items():
            deltas[account] = deltas.get(account, 0) + amount
        taken.extend(p.taken)
        if p.lot is not None and p.lot[1] > 0:
            lots.append(
                {
                    "workspace_id": workspace_id,
                    "account_id": p.lot[0],
                    "posting_id": posting_id,
                    "amount": p.lot[1],
                    "remaining": p.lot[1],
                    "earned_at": p.request.at,
                    "expires_at": p.lot[2],
                }
            )
    bulk.insert_rows(session, LoyaltyEntry, entries)
    bulk.insert_rows(session, LoyaltyPointsLot, lots)
    repository.take_from_lots(session, taken)
    repository.add_to_balances(session, deltas)
    return ids
