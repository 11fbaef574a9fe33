"""Every loyalty query: programme rows, accounts and their locks, the journal, lots, cards, tiers.

The journal tables (`loyalty_posting`, `loyalty_entry`) are only ever inserted into.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Row,
    String,
    Table,
    bindparam,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from siyu.db.bulk import table_of
from siyu.loyalty.rules import AccountKind, LotView
from siyu.models import (
    Customer,
    CustomerMerge,
    LoyaltyAccount,
    LoyaltyCard,
    LoyaltyCardPlan,
    LoyaltyEarnRule,
    LoyaltyEntry,
    LoyaltyMembership,
    LoyaltyPointsLot,
    LoyaltyPosting,
    LoyaltyProgram,
    LoyaltyTier,
    LoyaltyTierChange,
    LoyaltyTopupRule,
    Order,
    OrderLine,
    Product,
)

ACCOUNT = table_of(LoyaltyAccount)
POSTING = table_of(LoyaltyPosting)
ENTRY = table_of(LoyaltyEntry)
LOT = table_of(LoyaltyPointsLot)
CHUNK = 500
SMALL = 50  # up to this many rows: one statement; more: an executemany


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _is_postgres(session: Session) -> bool:
    return session.connection().dialect.name == "postgresql"


def _insert(session: Session, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that can say ON CONFLICT DO NOTHING on either backend."""
    if _is_postgres(session):
        return postgresql.insert(table)
    return sqlite.insert(table)


# --- programme -----------------------------------------------------------------------------


_SETTINGS = select(
    table_of(LoyaltyProgram).c.points_validity_days,
    table_of(LoyaltyProgram).c.bonus_order,
    table_of(LoyaltyProgram).c.tier_retain_days,
).where(table_of(LoyaltyProgram).c.workspace_id == bindparam("ws"))


def program_settings(session: Session, workspace_id: int) -> Any:
    """The programme's settings as a row (validity, bonus order, retention), or None."""
    return session.connection().execute(_SETTINGS, {"ws": workspace_id}).first()


def get_program(session: Session, workspace_id: int) -> LoyaltyProgram | None:
    """Return the workspace's programme settings."""
    return session.scalar(select(LoyaltyProgram).where(LoyaltyProgram.workspace_id == workspace_id))


def by_code(session: Session, model: Any, workspace_id: int) -> dict[str, Any]:
    """Map codes to rows of a programme table (tiers, rules, plans)."""
    rows = session.scalars(select(model).where(model.workspace_id == workspace_id))
    return {row.code: row for row in rows}


def list_tiers(session: Session, workspace_id: int) -> list[LoyaltyTier]:
    """Tiers, lowest rank first."""
    return list(
        session.scalars(
            select(LoyaltyTier)
            .where(LoyaltyTier.workspace_id == workspace_id)
            .order_by(LoyaltyTier.rank)
        )
    )


_EARN_RULES = select(table_of(LoyaltyEarnRule)).where(
    table_of(LoyaltyEarnRule).c.workspace_id == bindparam("ws"),
    table_of(LoyaltyEarnRule).c.kind == bindparam("kind"),
    table_of(LoyaltyEarnRule).c.active.is_(True),
)
_TOPUP_RULES = select(table_of(LoyaltyTopupRule)).where(
    table_of(LoyaltyTopupRule).c.workspace_id == bindparam("ws"),
    table_of(LoyaltyTopupRule).c.active.is_(True),
)


def earn_rules(session: Session, workspace_id: int, kind: str) -> list[Any]:
    """Active earn rules of a kind ('spend' or 'action'), as rows."""
    return list(session.connection().execute(_EARN_RULES, {"ws": workspace_id, "kind": kind}))


def topup_rules(session: Session, workspace_id: int) -> list[Any]:
    """Active top-up bonus rules, as rows."""
    return list(session.connection().execute(_TOPUP_RULES, {"ws": workspace_id}))


def get_plan(session: Session, workspace_id: int, code: str) -> LoyaltyCardPlan | None:
    """Return a card plan by code."""
    return session.scalar(
        select(LoyaltyCardPlan).where(
            LoyaltyCardPlan.workspace_id == workspace_id, LoyaltyCardPlan.code == code
        )
    )


def customer_exists(session: Session, workspace_id: int, customer_id: int) -> bool:
    """True when the customer exists in this workspace."""
    found = session.scalar(
        select(Customer.id).where(Customer.workspace_id == workspace_id, Customer.id == customer_id)
    )
    return found is not None


def existing_customers(session: Session, workspace_id: int, ids: Sequence[int]) -> set[int]:
    """The subset of `ids` that are customers of this workspace."""
    found: set[int] = set()
    for chunk in _chunks(sorted(set(ids))):
        found.update(
            session.scalars(
                select(Customer.id).where(
                    Customer.workspace_id == workspace_id, Customer.id.in_(chunk)
                )
            )
        )
    return found


# --- accounts and locks --------------------------------------------------------------------


def account_ids(
    session: Session, workspace_id: int, customer_ids: Sequence[int]
) -> dict[tuple[int | None, str], int]:
    """Map (customer id, kind) to the open accounts of these customers."""
    found: dict[tuple[int | None, str], int] = {}
    for chunk in _chunks(sorted(set(customer_ids))):
        rows = session.execute(
            select(ACCOUNT.c.customer_id, ACCOUNT.c.kind, ACCOUNT.c.id).where(
                ACCOUNT.c.workspace_id == workspace_id,
                ACCOUNT.c.customer_id.in_(chunk),
                ACCOUNT.c.closed_at.is_(None),
            )
        )
        found.update({(r[0], r[1]): r[2] for r in rows})
    return found


_BY_CODES = select(ACCOUNT.c.code, ACCOUNT.c.id).where(
    ACCOUNT.c.workspace_id == bindparam("ws"),
    ACCOUNT.c.code.in_(bindparam("codes", expanding=True)),
)


def accounts_by_code(session: Session, workspace_id: int, codes: Sequence[str]) -> dict[str, int]:
    """Map account codes ('c42:points', 'brand:points_issued') to ids (one indexed look-up)."""
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(set(codes))):
        rows = session.connection().execute(_BY_CODES, {"ws": workspace_id, "codes": list(chunk)})
        found.update({r[0]: r[1] for r in rows})
    return found


def create_accounts(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert accounts; ones that already exist (a concurrent request made them) are kept."""
    if not rows:
        return
    statement = _insert(session, ACCOUNT).on_conflict_do_nothing(
        index_elements=["workspace_id", "code"]
    )
    session.connection().execute(statement, list(rows))


_LOCK: dict[str, Any] = {
    "postgresql": select(ACCOUNT.c.id, ACCOUNT.c.balance)
    .where(ACCOUNT.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(ACCOUNT.c.id)
    .with_for_update(),
    "sqlite": update(ACCOUNT)
    .where(ACCOUNT.c.id.in_(bindparam("ids", expanding=True)))
    .values(balance=ACCOUNT.c.balance)
    .returning(ACCOUNT.c.id, ACCOUNT.c.balance),
}


def lock_accounts(session: Session, ids: Sequence[int]) -> dict[int, int | None]:
    """Lock accounts in ascending id order and return their fresh balances.

    PostgreSQL: SELECT … ORDER BY id FOR UPDATE (rows are locked in that order, so two
    requests never wait on each other in a cycle). SQLite: a no-op UPDATE takes the
    database's single write lock before anything is read, so reads that follow are current.
    """
    found: dict[int, int | None] = {}
    connection = session.connection()
    statement = _LOCK[connection.dialect.name]
    for chunk in _chunks(sorted(set(ids))):  # chunks ascend too: the order holds across them
        found.update({r[0]: r[1] for r in connection.execute(statement, {"ids": list(chunk)})})
    return found


def lock_customers(session: Session, workspace_id: int, customer_ids: Sequence[int]) -> None:
    """Lock customers' rows in ascending id order (card terms and merges serialise on them).

    Taken before any account lock. SQLite: a no-op UPDATE takes the write lock.
    """
    ordered = sorted(set(customer_ids))
    customer = table_of(Customer)
    where = (customer.c.workspace_id == workspace_id, customer.c.id.in_(ordered))
    if _is_postgres(session):
        session.connection().execute(
            select(customer.c.id)
            .where(*where)
            .order_by(customer.c.id)
            .with_for_update(key_share=True)
        )
    else:
        session.connection().execute(
            update(customer).where(*where).values(first_seen_at=customer.c.first_seen_at)
        )


def _by_id(column: Any, values: dict[int, int]) -> Any:
    """CASE id WHEN … THEN …: one statement instead of a round trip per row."""
    return case({k: literal(v, BigInteger) for k, v in values.items()}, value=column)


def add_to_balances(session: Session, deltas: dict[int, int]) -> None:
    """Add each delta to its (locked) account's balance."""
    changes = {aid: d for aid, d in deltas.items() if d}
    if not changes:
        return
    if len(changes) <= SMALL:
        session.connection().execute(
            update(ACCOUNT)
            .where(ACCOUNT.c.id.in_(list(changes)))
            .values(balance=ACCOUNT.c.balance + _by_id(ACCOUNT.c.id, changes))
        )
        return
    session.connection().execute(
        update(ACCOUNT)
        .where(ACCOUNT.c.id == bindparam("aid"))
        .values(balance=ACCOUNT.c.balance + bindparam("delta")),
        [{"aid": aid, "delta": d} for aid, d in changes.items()],
    )


def accounts_of_customer(
    session: Session, workspace_id: int, customer_id: int
) -> list[Row[int, str, int | None]]:
    """(id, kind, balance) of a customer's open accounts."""
    return list(
        session.execute(
            select(ACCOUNT.c.id, ACCOUNT.c.kind, ACCOUNT.c.balance).where(
                ACCOUNT.c.workspace_id == workspace_id,
                ACCOUNT.c.customer_id == customer_id,
                ACCOUNT.c.closed_at.is_(None),
            )
        )
    )


def move_account(session: Session, account_id: int, *, customer_id: int, code: str) -> None:
    """Hand an account (with its history and lots) to another customer."""
    session.execute(
        update(ACCOUNT).where(ACCOUNT.c.id == account_id).values(customer_id=customer_id, code=code)
    )


def close_account(session: Session, account_id: int, *, code: str, at: datetime) -> None:
    """Close an emptied account: it keeps its history, no longer belongs to anyone."""
    session.execute(
        update(ACCOUNT)
        .where(ACCOUNT.c.id == account_id)
        .values(customer_id=None, code=code, closed_at=at)
    )


# --- journal -------------------------------------------------------------------------------


_BY_KEY = select(POSTING).where(
    POSTING.c.workspace_id == bindparam("ws"), POSTING.c.idempotency_key == bindparam("key")
)


def find_posting(session: Session, workspace_id: int, key: str) -> Any:
    """The posting made under an idempotency key (a row with the posting's columns), or None.

    Every request asks this first: a plain prepared Core query, no ORM object.
    """
    return session.connection().execute(_BY_KEY, {"ws": workspace_id, "key": key}).first()


def posting_by_id(session: Session, posting_id: int) -> LoyaltyPosting:
    """Return a posting by id."""
    return session.get_one(LoyaltyPosting, posting_id)


def find_earning(session: Session, workspace_id: int, reference: str) -> LoyaltyPosting | None:
    """The earning posted for a reference ('order:42')."""
    return session.scalar(
        select(LoyaltyPosting)
        .where(
            LoyaltyPosting.workspace_id == workspace_id,
            LoyaltyPosting.reference == reference,
            LoyaltyPosting.kind == "earn",
        )
        .order_by(LoyaltyPosting.id)
        .limit(1)
    )


def current_customer(session: Session, workspace_id: int, customer_id: int) -> int:
    """The customer now holding what `customer_id` held (itself, or who it was merged into)."""
    if customer_exists(session, workspace_id, customer_id):
        return customer_id
    winner = session.scalar(
        select(CustomerMerge.winner_id).where(
            CustomerMerge.workspace_id == workspace_id, CustomerMerge.loser_id == customer_id
        )
    )
    return winner if winner is not None else customer_id


_NEW_POSTING: dict[str, Any] = {
    "postgresql": postgresql.insert(POSTING)
    .on_conflict_do_nothing(index_elements=["workspace_id", "idempotency_key"])
    .returning(POSTING.c.id),
    "sqlite": sqlite.insert(POSTING)
    .on_conflict_do_nothing(index_elements=["workspace_id", "idempotency_key"])
    .returning(POSTING.c.id),
}


def insert_posting(session: Session, row: dict[str, Any]) -> int | None:
    """Insert a posting; None when its key was posted meanwhile (the caller replays it)."""
    connection = session.connection()
    statement = _NEW_POSTING[connection.dialect.name]
    found: int | None = connection.execute(statement, row).scalar_one_or_none()
    return found


def insert_entries(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Append journal lines (a few in one multi-row INSERT: one round trip)."""
    if len(rows) > SMALL:
        session.connection().execute(ENTRY.insert(), list(rows))
    elif rows:
        session.connection().execute(ENTRY.insert().values(list(rows)))


def lines_of(
    session: Session, posting_ids: Sequence[int]
) -> list[Row[int, str, int | None, str, int]]:
    """(posting id, kind, customer id, unit, amount) of the lines of postings, in line order."""
    rows: list[Row[int, str, int | None, str, int]] = []
    for chunk in _chunks(list(posting_ids)):
        rows.extend(
            session.execute(
                select(
                    ENTRY.c.posting_id,
                    ACCOUNT.c.kind,
                    ACCOUNT.c.customer_id,
                    ACCOUNT.c.unit,
                    ENTRY.c.amount,
                )
                .join(ACCOUNT, ACCOUNT.c.id == ENTRY.c.account_id)
                .where(ENTRY.c.posting_id.in_(chunk))
                .order_by(ENTRY.c.id)
            )
        )
    return rows


def kind_totals_of(session: Session, posting_id: int) -> dict[str, int]:
    """Sum of a posting's lines by account kind."""
    rows = session.execute(
        select(ACCOUNT.c.kind, func.sum(ENTRY.c.amount))
        .join(ACCOUNT, ACCOUNT.c.id == ENTRY.c.account_id)
        .where(ENTRY.c.posting_id == posting_id)
        .group_by(ACCOUNT.c.kind)
    )
    return {r[0]: int(r[1]) for r in rows}


def kind_totals_referring(session: Session, posting_id: int, kind: str) -> dict[str, int]:
    """Sum by account kind of the lines of postings of `kind` that refer to `posting_id`."""
    rows = session.execute(
        select(ACCOUNT.c.kind, func.sum(ENTRY.c.amount))
        .join(ACCOUNT, ACCOUNT.c.id == ENTRY.c.account_id)
        .join(POSTING, POSTING.c.id == ENTRY.c.posting_id)
        .where(POSTING.c.ref_posting_id == posting_id, POSTING.c.kind == kind)
        .group_by(ACCOUNT.c.kind)
    )
    return {r[0]: int(r[1]) for r in rows}


def count_postings(
    session: Session, workspace_id: int, *, customer_id: int, kind: str, reference: str
) -> int:
    """How many postings of a kind and reference a customer has."""
    return int(
        session.scalar(
            select(func.count()).where(
                POSTING.c.workspace_id == workspace_id,
                POSTING.c.reference == reference,
                POSTING.c.customer_id == customer_id,
                POSTING.c.kind == kind,
            )
        )
        or 0
    )


def existing_keys(session: Session, workspace_id: int, keys: Sequence[str]) -> set[str]:
    """The subset of idempotency keys already posted."""
    found: set[str] = set()
    for chunk in _chunks(list(keys)):
        found.update(
            session.scalars(
                select(POSTING.c.idempotency_key).where(
                    POSTING.c.workspace_id == workspace_id, POSTING.c.idempotency_key.in_(chunk)
                )
            )
        )
    return found


# --- points lots ---------------------------------------------------------------------------


def live_lots(session: Session, account_id: int) -> list[LotView]:
    """Lots of an account that still hold points."""
    rows = session.execute(
        select(LOT.c.id, LOT.c.remaining, LOT.c.expires_at, LOT.c.posting_id).where(
            LOT.c.account_id == account_id, LOT.c.remaining > 0
        )
    )
    return [LotView(r[0], r[1], r[2], r[3]) for r in rows]


def insert_lots(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert points lots."""
    if rows:
        session.connection().execute(LOT.insert(), list(rows))


def take_from_lots(session: Session, taken: Sequence[tuple[int, int]]) -> None:
    """Lower lots' remaining points."""
    if 0 < len(taken) <= SMALL:
        amounts = dict(taken)
        session.connection().execute(
            update(LOT)
            .where(LOT.c.id.in_(list(amounts)))
            .values(remaining=LOT.c.remaining - _by_id(LOT.c.id, amounts))
        )
    elif taken:
        session.connection().execute(
            update(LOT)
            .where(LOT.c.id == bindparam("lid"))
            .values(remaining=LOT.c.remaining - bindparam("take")),
            [{"lid": lot, "take": take} for lot, take in taken],
        )


def move_lots(session: Session, *, from_account: int, to_account: int) -> None:
    """Re-home the lots of a merged-away account."""
    session.execute(
        update(LOT).where(LOT.c.account_id == from_account).values(account_id=to_account)
    )


def due_lots_by_account(
    session: Session, account_ids_: Sequence[int], at: datetime
) -> dict[int, list[LotView]]:
    """Lots of these accounts whose expiry has come and that still hold points."""
    found: dict[int, list[LotView]] = {}
    for chunk in _chunks(sorted(account_ids_)):
        rows = session.execute(
            select(LOT.c.account_id, LOT.c.id, LOT.c.remaining, LOT.c.expires_at, LOT.c.posting_id)
            .where(LOT.c.account_id.in_(chunk), LOT.c.remaining > 0, LOT.c.expires_at <= at)
            .order_by(LOT.c.id)
        )
        for account, *lot in rows:
            found.setdefault(account, []).append(LotView(*lot))
    return found


def accounts_with_due_lots(session: Session, workspace_id: int, at: datetime) -> list[int]:
    """Points accounts holding lots whose expiry has come."""
    return list(
        session.scalars(
            select(LOT.c.account_id)
            .where(
                LOT.c.workspace_id == workspace_id,
                LOT.c.expires_at <= at,
                LOT.c.remaining > 0,
            )
            .distinct()
        )
    )


def points_holders(session: Session, workspace_id: int, minimum: int) -> dict[int, int]:
    """Customers holding at least `minimum` points (stored balance, before any due expiry)."""
    rows = session.execute(
        select(ACCOUNT.c.customer_id, ACCOUNT.c.balance).where(
            ACCOUNT.c.workspace_id == workspace_id,
            ACCOUNT.c.kind == AccountKind.POINTS.value,
            ACCOUNT.c.balance >= minimum,
            ACCOUNT.c.customer_id.is_not(None),
        )
    )
    return {r[0]: int(r[1]) for r in rows if r[0] is not None}


def owners(session: Session, account_ids_: Sequence[int]) -> dict[int, int | None]:
    """Map account ids to their customer ids."""
    found: dict[int, int | None] = {}
    for chunk in _chunks(sorted(account_ids_)):
        found.update(
            {
                r[0]: r[1]
                for r in session.execute(
                    select(ACCOUNT.c.id, ACCOUNT.c.customer_id).where(ACCOUNT.c.id.in_(chunk))
                )
            }
        )
    return found


# --- orders --------------------------------------------------------------------------------


def get_order(session: Session, workspace_id: int, order_id: int) -> Order | None:
    """Return an order of this workspace."""
    return session.scalar(
        select(Order).where(Order.workspace_id == workspace_id, Order.id == order_id)
    )


def order_lines_with_roles(
    session: Session, order_ids: Sequence[int]
) -> dict[int, list[tuple[int, str | None]]]:
    """Map order ids to their lines' (amount, product role)."""
    found: dict[int, list[tuple[int, str | None]]] = {}
    for chunk in _chunks(list(order_ids)):
        rows = session.execute(
            select(OrderLine.order_id, OrderLine.amount_fen, Product.role)
            .outerjoin(Product, Product.id == OrderLine.product_id)
            .where(OrderLine.order_id.in_(chunk))
        )
        for order_id, amount, role in rows:
            found.setdefault(order_id, []).append((amount, role))
    return found


def earnable_orders(
    session: Session, workspace_id: int, *, since: datetime | None, until: datetime
) -> list[Row[int, int, datetime, int, int, int]]:
    """(id, customer, paid or ordered at, paid, shipping, refunded) of paid orders with a buyer."""
    when = func.coalesce(Order.paid_at, Order.ordered_at)
    query = select(
        Order.id, Order.customer_id, when, Order.paid_fen, Order.shipping_fen, Order.refunded_fen
    ).where(
        Order.workspace_id == workspace_id,
        Order.customer_id.is_not(None),
        Order.status.in_(("paid", "shipped", "completed")),
        when <= until,
    )
    if since is not None:
        query = query.where(when >= since)
    return list(session.execute(query.order_by(when, Order.id)))


def refunded_since_earning(session: Session, workspace_id: int) -> list[int]:
    """Orders refunded further since their points were earned, and not yet taken back."""
    text_id = cast(Order.id, String)
    reverse_key = (
        literal("order:") + text_id + literal(":reverse:") + cast(Order.refunded_fen, String)
    )
    taken = POSTING.alias("taken")
    done = (
        select(taken.c.id)
        .where(taken.c.workspace_id == workspace_id, taken.c.idempotency_key == reverse_key)
        .exists()
    )
    rows = session.scalars(
        select(Order.id)
        .join(
            POSTING,
            (POSTING.c.workspace_id == workspace_id)
            & (POSTING.c.reference == literal("order:") + text_id)
            & (POSTING.c.kind == "earn"),
        )
        .where(
            Order.workspace_id == workspace_id,
            Order.refunded_fen > 0,
            Order.paid_fen - Order.shipping_fen - Order.refunded_fen < POSTING.c.basis_fen,
            ~done,
        )
        .order_by(Order.id)
    )
    return list(rows)


# --- cards ---------------------------------------------------------------------------------


def get_card(session: Session, workspace_id: int, card_id: int) -> LoyaltyCard | None:
    """Return a card term."""
    return session.scalar(
        select(LoyaltyCard).where(
            LoyaltyCard.workspace_id == workspace_id, LoyaltyCard.id == card_id
        )
    )


def card_by_posting(session: Session, posting_id: int) -> LoyaltyCard | None:
    """The card term bought by a posting."""
    return session.scalar(select(LoyaltyCard).where(LoyaltyCard.purchase_posting_id == posting_id))


def live_cards(
    session: Session, workspace_id: int, customer_id: int, at: datetime
) -> list[tuple[LoyaltyCard, LoyaltyCardPlan]]:
    """A customer's card terms that are active and not yet over (current or queued renewals)."""
    rows = session.execute(
        select(LoyaltyCard, LoyaltyCardPlan)
        .join(LoyaltyCardPlan, LoyaltyCardPlan.id == LoyaltyCard.plan_id)
        .where(
            LoyaltyCard.workspace_id == workspace_id,
            LoyaltyCard.customer_id == customer_id,
            LoyaltyCard.status == "active",
            LoyaltyCard.expires_at > at,
        )
        .order_by(LoyaltyCard.starts_at)
    )
    return [(r[0], r[1]) for r in rows]


def add_card(session: Session, card: LoyaltyCard) -> LoyaltyCard:
    """Insert a card term."""
    session.add(card)
    session.flush()
    return card


def expire_cards(session: Session, workspace_id: int, at: datetime) -> list[int]:
    """Mark active terms that have ended as expired; return their customers."""
    due = LoyaltyCard.status == "active", LoyaltyCard.expires_at <= at
    customers = list(
        session.scalars(
            select(LoyaltyCard.customer_id)
            .where(LoyaltyCard.workspace_id == workspace_id, *due)
            .distinct()
        )
    )
    session.execute(
        update(LoyaltyCard)
        .where(LoyaltyCard.workspace_id == workspace_id, *due)
        .values(status="expired")
    )
    return customers


def _only(column: Any, only: Sequence[int] | None) -> Any:
    """Restrict to some customers (None: all); callers pass short lists (one customer, a merge)."""
    return true() if only is None else column.in_(list(only))


def card_tiers(
    session: Session, workspace_id: int, at: datetime, *, only: Sequence[int] | None = None
) -> dict[int, int]:
    """Map customers with a card in force to the best tier their cards grant (tier id)."""
    rows = session.execute(
        select(LoyaltyCard.customer_id, LoyaltyTier.id, LoyaltyTier.rank)
        .join(LoyaltyCardPlan, LoyaltyCardPlan.id == LoyaltyCard.plan_id)
        .join(LoyaltyTier, LoyaltyTier.id == LoyaltyCardPlan.tier_id)
        .where(
            LoyaltyCard.workspace_id == workspace_id,
            LoyaltyCard.status == "active",
            LoyaltyCard.starts_at <= at,
            LoyaltyCard.expires_at > at,
            _only(LoyaltyCard.customer_id, only),
        )
    )
    best: dict[int, tuple[int, int]] = {}
    for customer, tier, rank in rows:
        if customer not in best or rank > best[customer][1]:
            best[customer] = (tier, rank)
    return {c: t for c, (t, _) in best.items()}


def plans_in_force(
    session: Session, workspace_id: int, at: datetime
) -> list[tuple[int, LoyaltyCardPlan]]:
    """(customer, plan) of every card term in force at `at`."""
    rows = session.execute(
        select(LoyaltyCard.customer_id, LoyaltyCardPlan)
        .join(LoyaltyCardPlan, LoyaltyCardPlan.id == LoyaltyCard.plan_id)
        .where(
            LoyaltyCard.workspace_id == workspace_id,
            LoyaltyCard.status == "active",
            LoyaltyCard.starts_at <= at,
            LoyaltyCard.expires_at > at,
        )
    )
    return [(r[0], r[1]) for r in rows]


# --- tiers ---------------------------------------------------------------------------------


def spend_by_customer(
    session: Session,
    workspace_id: int,
    *,
    since: datetime,
    until: datetime,
    only: Sequence[int] | None = None,
) -> dict[int, int]:
    """Net paid (paid minus refunded) per customer for orders placed in [since, until]."""
    # For a few customers, `workspace_id + 0` keeps SQLite's planner off the (workspace,
    # time) index so it walks the (customer, time) one: 16 ms -> 0.1 ms a customer.
    in_workspace = Order.workspace_id == workspace_id
    if only is not None:
        in_workspace = (Order.workspace_id + 0) == workspace_id
    rows = session.execute(
        select(Order.customer_id, func.sum(Order.paid_fen - Order.refunded_fen))
        .where(
            in_workspace,
            Order.customer_id.is_not(None),
            Order.status.in_(("paid", "shipped", "completed")),
            Order.ordered_at >= since,
            Order.ordered_at <= until,
            _only(Order.customer_id, only),
        )
        .group_by(Order.customer_id)
    )
    return {r[0]: int(r[1] or 0) for r in rows if r[0] is not None}


def points_earned_by_customer(
    session: Session,
    workspace_id: int,
    *,
    since: datetime,
    until: datetime,
    only: Sequence[int] | None = None,
) -> dict[int, int]:
    """Points earned (less points reversed by refunds) per customer in [since, until].

    What was earned, not what is left: redemptions and expiry do not lower it.
    """
    kinds = (AccountKind.POINTS.value, AccountKind.POINTS_DEBT.value)
    lines = ENTRY.join(POSTING, POSTING.c.id == ENTRY.c.posting_id).join(
        ACCOUNT, ACCOUNT.c.id == ENTRY.c.account_id
    )
    if only is None:  # everyone: walk the window's earnings by the posting index
        scope = [POSTING.c.workspace_id == workspace_id, ACCOUNT.c.kind.in_(kinds)]
    else:  # a few customers: walk their accounts' lines by the account index
        codes = [f"c{c}:{k}" for c in only for k in kinds]
        scope = [ACCOUNT.c.workspace_id == workspace_id, ACCOUNT.c.code.in_(codes)]
    query = (
        select(ACCOUNT.c.customer_id, func.sum(ENTRY.c.amount))
        .select_from(lines)
        .where(
            *scope,
            POSTING.c.kind.in_(("earn", "reverse")),
            POSTING.c.posted_at >= since,
            POSTING.c.posted_at <= until,
        )
        .group_by(ACCOUNT.c.customer_id)
    )
    return {r[0]: int(r[1] or 0) for r in session.execute(query) if r[0] is not None}


def memberships(
    session: Session,
    workspace_id: int,
    *,
    only: Sequence[int] | None = None,
    lock: bool = False,
) -> dict[int, LoyaltyMembership]:
    """Current memberships by customer; with `lock`, locked in customer order (FOR UPDATE)."""
    query = (
        select(LoyaltyMembership)
        .where(
            LoyaltyMembership.workspace_id == workspace_id,
            _only(LoyaltyMembership.customer_id, only),
        )
        .order_by(LoyaltyMembership.customer_id)
    )
    if lock:
        query = query.with_for_update()
    return {m.customer_id: m for m in session.scalars(query)}


def get_membership(
    session: Session, workspace_id: int, customer_id: int
) -> LoyaltyMembership | None:
    """A customer's current membership."""
    return session.scalar(
        select(LoyaltyMembership).where(
            LoyaltyMembership.workspace_id == workspace_id,
            LoyaltyMembership.customer_id == customer_id,
        )
    )


def save_memberships(
    session: Session, inserts: Sequence[dict[str, Any]], updates: Sequence[dict[str, Any]]
) -> None:
    """Insert new memberships and update changed ones (rows carry `cid`)."""
    table = table_of(LoyaltyMembership)
    if inserts:
        session.connection().execute(table.insert(), list(inserts))
    if updates:
        session.connection().execute(
            update(table)
            .where(table.c.customer_id == bindparam("cid"))
            .values(
                tier_id=bindparam("tier_id"),
                basis=bindparam("basis"),
                since=bindparam("since"),
                retain_until=bindparam("retain_until"),
                evaluated_at=bindparam("evaluated_at"),
            ),
            list(updates),
        )


def insert_tier_changes(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Append tier changes."""
    if rows:
        session.connection().execute(table_of(LoyaltyTierChange).insert(), list(rows))


def tier_changes(session: Session, workspace_id: int, customer_id: int) -> list[LoyaltyTierChange]:
    """A customer's tier history, oldest first."""
    return list(
        session.scalars(
            select(LoyaltyTierChange)
            .where(
                LoyaltyTierChange.workspace_id == workspace_id,
                LoyaltyTierChange.customer_id == customer_id,
            )
            .order_by(LoyaltyTierChange.changed_at, LoyaltyTierChange.id)
        )
    )


# --- merges --------------------------------------------------------------------------------


def has_loyalty(session: Session, workspace_id: int, customer_id: int) -> bool:
    """True when a customer holds any account, card, membership or tier history."""
    probes = [
        select(literal(1)).where(
            model.workspace_id == workspace_id, model.customer_id == customer_id
        )
        for model in (LoyaltyAccount, LoyaltyCard, LoyaltyMembership, LoyaltyTierChange)
    ]
    return session.execute(union_all(*probes).limit(1)).first() is not None


def move_customer_rows(session: Session, workspace_id: int, *, loser: int, winner: int) -> None:
    """Hand a merged-away customer's cards and tier history to the winner."""
    for model in (LoyaltyCard, LoyaltyTierChange):
        session.execute(
            update(model)
            .where(model.workspace_id == workspace_id, model.customer_id == loser)
            .values(customer_id=winner)
        )


# --- statements ----------------------------------------------------------------------------


def customer_lines(
    session: Session, workspace_id: int, customer_id: int, *, until: datetime
) -> list[Row[int, datetime, str, str, int, str]]:
    """(posting, posted at, posting kind, account kind, amount, reference) of a customer's lines."""
    return list(
        session.execute(
            select(
                POSTING.c.id,
                POSTING.c.posted_at,
                POSTING.c.kind,
                ACCOUNT.c.kind,
                ENTRY.c.amount,
                POSTING.c.reference,
            )
            .select_from(ACCOUNT)
            .join(ENTRY, ENTRY.c.account_id == ACCOUNT.c.id)
            .join(POSTING, POSTING.c.id == ENTRY.c.posting_id)
            .where(
                ACCOUNT.c.workspace_id == workspace_id,
                ACCOUNT.c.customer_id == customer_id,
                POSTING.c.posted_at <= until,
            )
            .order_by(POSTING.c.posted_at, POSTING.c.id, ENTRY.c.id)
        )
    )


def due_points(session: Session, account_id: int, at: datetime) -> int:
    """Points in lots whose expiry has come but that no sweep has expired yet."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(LOT.c.remaining), 0)).where(
                LOT.c.account_id == account_id, LOT.c.remaining > 0, LOT.c.expires_at <= at
            )
        )
        or 0
    )


# --- audit ---------------------------------------------------------------------------------


def account_sums(
    session: Session, workspace_id: int
) -> list[Row[int, str, str, int | None, int | None, int, datetime | None]]:
    """(id, code, kind, customer, stored balance, journal sum, closed at) of every account."""
    sums = (
        select(ENTRY.c.account_id, func.sum(ENTRY.c.amount).label("total"))
        .where(ENTRY.c.workspace_id == workspace_id)
        .group_by(ENTRY.c.account_id)
        .subquery()
    )
    return list(
        session.execute(
            select(
                ACCOUNT.c.id,
                ACCOUNT.c.code,
                ACCOUNT.c.kind,
                ACCOUNT.c.customer_id,
                ACCOUNT.c.balance,
                func.coalesce(sums.c.total, 0),
                ACCOUNT.c.closed_at,
            )
            .outerjoin(sums, sums.c.account_id == ACCOUNT.c.id)
            .where(ACCOUNT.c.workspace_id == workspace_id)
            .order_by(ACCOUNT.c.id)
        )
    )


def unbalanced_postings(session: Session, workspace_id: int) -> list[Row[int, str, int]]:
    """(posting, unit, sum) of postings whose lines in a unit do not sum to zero."""
    total = func.sum(ENTRY.c.amount)
    return list(
        session.execute(
            select(ENTRY.c.posting_id, ACCOUNT.c.unit, total)
            .join(ACCOUNT, ACCOUNT.c.id == ENTRY.c.account_id)
            .where(ENTRY.c.workspace_id == workspace_id)
            .group_by(ENTRY.c.posting_id, ACCOUNT.c.unit)
            .having(total != 0)
        )
    )


def foreign_lines(session: Session, workspace_id: int) -> int:
    """Lines whose posting or account belongs to another workspace (must be none)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(ENTRY)
            .join(ACCOUNT, ACCOUNT.c.id == ENTRY.c.account_id)
            .join(POSTING, POSTING.c.id == ENTRY.c.posting_id)
            .where(
                ENTRY.c.workspace_id == workspace_id,
                or_(
                    ACCOUNT.c.workspace_id != workspace_id,
                    POSTING.c.workspace_id != workspace_id,
                ),
            )
        )
        or 0
    )


def lot_sums(session: Session, workspace_id: int) -> dict[int, tuple[int, int]]:
    """Map accounts to (sum of remaining, lots out of range) of their lots."""
    bad = case((or_(LOT.c.remaining < 0, LOT.c.remaining > LOT.c.amount), 1), else_=0)
    rows = session.execute(
        select(LOT.c.account_id, func.sum(LOT.c.remaining), func.sum(bad))
        .where(LOT.c.workspace_id == workspace_id)
        .group_by(LOT.c.account_id)
    )
    return {r[0]: (int(r[1] or 0), int(r[2] or 0)) for r in rows}


def count_postings_and_entries(session: Session, workspace_id: int) -> tuple[int, int]:
    """How many postings and lines the workspace's journal holds."""
    postings = session.scalar(
        select(func.count()).select_from(POSTING).where(POSTING.c.workspace_id == workspace_id)
    )
    entries = session.scalar(
        select(func.count()).select_from(ENTRY).where(ENTRY.c.workspace_id == workspace_id)
    )
    return int(postings or 0), int(entries or 0)


def ladder_members(session: Session, workspace_id: int, at: datetime) -> list[int]:
    """The value ladder's members at `at`: a paid card term in force, or a tier above entry."""
    carded = select(LoyaltyCard.customer_id).where(
        LoyaltyCard.workspace_id == workspace_id,
        LoyaltyCard.status == "active",
        LoyaltyCard.starts_at <= at,
        LoyaltyCard.expires_at > at,
    )
    entry_rank = (
        select(func.min(LoyaltyTier.rank))
        .where(LoyaltyTier.workspace_id == workspace_id)
        .scalar_subquery()
    )
    tiered = (
        select(LoyaltyMembership.customer_id)
        .join(LoyaltyTier, LoyaltyTier.id == LoyaltyMembership.tier_id)
        .where(LoyaltyMembership.workspace_id == workspace_id, LoyaltyTier.rank > entry_rank)
    )
    return list(session.scalars(carded.union(tiered)))


# --- the programme at a glance -------------------------------------------------------------


def holdings_totals(session: Session, workspace_id: int) -> dict[str, tuple[int, int]]:
    """Per customer account kind: (sum of balances, customers holding a non-zero balance)."""
    rows = session.execute(
        select(
            ACCOUNT.c.kind,
            func.coalesce(func.sum(ACCOUNT.c.balance), 0),
            func.count().filter(ACCOUNT.c.balance != 0),
        )
        .where(ACCOUNT.c.workspace_id == workspace_id, ACCOUNT.c.customer_id.is_not(None))
        .group_by(ACCOUNT.c.kind)
    )
    return {kind: (int(total), int(holders)) for kind, total, holders in rows}


def brand_totals(session: Session, workspace_id: int) -> dict[str, int]:
    """Per brand counter account kind: the sum of its lines."""
    rows = session.execute(
        select(ACCOUNT.c.kind, func.coalesce(func.sum(ENTRY.c.amount), 0))
        .join(ENTRY, ENTRY.c.account_id == ACCOUNT.c.id)
        .where(ACCOUNT.c.workspace_id == workspace_id, ACCOUNT.c.customer_id.is_(None))
        .group_by(ACCOUNT.c.kind)
    )
    return {kind: int(total) for kind, total in rows}


def loyalty_members(session: Session, workspace_id: int) -> int:
    """Customers with a loyalty account or a tier."""
    accounts = select(ACCOUNT.c.customer_id).where(
        ACCOUNT.c.workspace_id == workspace_id,
        ACCOUNT.c.customer_id.is_not(None),
        ACCOUNT.c.closed_at.is_(None),
    )
    tiers = select(LoyaltyMembership.customer_id).where(
        LoyaltyMembership.workspace_id == workspace_id
    )
    both = union_all(accounts, tiers).subquery()
    return int(session.scalar(select(func.count(func.distinct(both.c[0])))) or 0)


def tier_counts(session: Session, workspace_id: int) -> dict[int, int]:
    """Customers holding each tier (customers without a row hold the base tier)."""
    rows = session.execute(
        select(LoyaltyMembership.tier_id, func.count())
        .where(LoyaltyMembership.workspace_id == workspace_id)
        .group_by(LoyaltyMembership.tier_id)
    )
    return {tier: int(n) for tier, n in rows}


def card_counts(
    session: Session, workspace_id: int, at: datetime, until: datetime
) -> tuple[int, int]:
    """(terms in force at `at`, of which ending before `until`)."""
    live = (
        LoyaltyCard.workspace_id == workspace_id,
        LoyaltyCard.status == "active",
        LoyaltyCard.starts_at <= at,
        LoyaltyCard.expires_at > at,
    )
    in_force, ending = session.execute(
        select(func.count(), func.count().filter(LoyaltyCard.expires_at <= until)).where(*live)
    ).one()
    return int(in_force), int(ending)


def customer_cards(
    session: Session, workspace_id: int, customer_id: int
) -> list[tuple[LoyaltyCard, str]]:
    """Every card term a customer bought, newest first, with its plan's code."""
    rows = session.execute(
        select(LoyaltyCard, LoyaltyCardPlan.code)
        .join(LoyaltyCardPlan, LoyaltyCardPlan.id == LoyaltyCard.plan_id)
        .where(LoyaltyCard.workspace_id == workspace_id, LoyaltyCard.customer_id == customer_id)
        .order_by(LoyaltyCard.starts_at.desc(), LoyaltyCard.id.desc())
    )
    return [(r[0], r[1]) for r in rows]


def plan_code(session: Session, plan_id: int) -> str:
    """A card plan's code."""
    return str(session.scalar(select(LoyaltyCardPlan.code).where(LoyaltyCardPlan.id == plan_id)))
