"""All queries on customers, identities and merges."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    Integer,
    bindparam,
    case,
    delete,
    func,
    insert,
    select,
    union,
    update,
)
from sqlalchemy.orm import Session

from siyu.db import bulk
from siyu.engage.policy.repository import move_engagement
from siyu.kit.clock import utcnow
from siyu.models import (
    Channel,
    ChannelJoin,
    ConsentRecord,
    Contact,
    Customer,
    CustomerMerge,
    CustomerProfile,
    GroupMember,
    Identity,
    Order,
    Referral,
    ReferralCode,
    ReferralReward,
    StaffAccount,
)

# The statements a portrait or a look-up runs are built once, with named parameters: building
# a select costs several times what SQLite takes to run it (bench/api_load.py).
WORKSPACE: BindParameter[int] = bindparam("workspace_id", type_=Integer)
CUSTOMER: BindParameter[int] = bindparam("customer_id", type_=Integer)

# Records of the pool and referral packages that follow a customer through a merge (otherwise
# deleting the loser would cascade them away); (model, column) pairs.
MERGE_FOLLOWERS: tuple[tuple[Any, str], ...] = (
    (ChannelJoin, "customer_id"),
    (GroupMember, "customer_id"),
    (ReferralCode, "customer_id"),
    (Referral, "referrer_customer_id"),
    (Referral, "referee_customer_id"),
    (ReferralReward, "customer_id"),
)

LOOKUP_CHUNK = 500


def find_identities(
    session: Session, workspace_id: int, blind_indexes: Iterable[str]
) -> list[tuple[str, str, str, int]]:
    """Return (kind, platform, blind_index, customer_id) for the given blind indexes."""
    keys = list(blind_indexes)
    found: list[tuple[str, str, str, int]] = []
    for start in range(0, len(keys), LOOKUP_CHUNK):
        chunk = keys[start : start + LOOKUP_CHUNK]
        rows = session.execute(
            select(Identity.kind, Identity.platform, Identity.blind_index, Identity.customer_id)
            .where(Identity.workspace_id == workspace_id)
            .where(Identity.blind_index.in_(chunk))
        )
        found.extend((r[0], r[1], r[2], r[3]) for r in rows)
    return found


def create_customers(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert customers and return their ids in the order given."""
    return bulk.insert_returning_ids(session, Customer, rows)


def create_identities(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert identity rows."""
    bulk.insert_rows(session, Identity, rows)


def reassign_customer(session: Session, workspace_id: int, *, loser: int, winner: int) -> None:
    """Move everything that belongs to `loser` onto `winner`, then delete `loser`."""
    owner = session.scalar(select(Customer.workspace_id).where(Customer.id == loser))
    if owner != workspace_id:
        raise ValueError(f"customer {loser} is not in workspace {workspace_id}")
    for model in (Identity, Order, Contact, ConsentRecord):
        values: dict[str, object] = {"customer_id": winner}
        if model in (Order, Contact):
            values["updated_at"] = utcnow()  # the warehouse snapshot picks the move up
        # By customer id alone (its workspace was checked above): with a workspace_id term
        # SQLite's planner took the (workspace_id, ordered_at) index and scanned every order
        # of the brand for each merge, which made big imports quadratic.
        session.execute(update(model).where(model.customer_id == loser).values(values))
    for follower, column in MERGE_FOLLOWERS:
        field = getattr(follower, column)
        session.execute(update(follower).where(field == loser).values({column: winner}))
    move_engagement(session, workspace_id, loser=loser, winner=winner)
    loser_seen = session.scalar(select(Customer.first_seen_at).where(Customer.id == loser))
    if loser_seen is not None:
        session.execute(
            update(Customer)
            .where(Customer.id == winner)
            .where((Customer.first_seen_at.is_(None)) | (Customer.first_seen_at > loser_seen))
            .values(first_seen_at=loser_seen)
        )
    session.execute(
        update(CustomerMerge)
        .where(CustomerMerge.workspace_id == workspace_id, CustomerMerge.winner_id == loser)
        .values(winner_id=winner)
    )
    session.execute(delete(Customer).where(Customer.id == loser))


def record_merge(session: Session, row: dict[str, Any]) -> None:
    """Append a merge record."""
    session.execute(insert(CustomerMerge), [row])


def lower_first_seen(session: Session, updates: Sequence[tuple[int, datetime]]) -> None:
    """Move customers' first_seen_at earlier where a newer record shows an earlier time."""
    if not updates:
        return
    table = bulk.table_of(Customer)
    statement = (
        table.update()
        .where(table.c.id == bindparam("cid"))
        .where(table.c.first_seen_at.is_(None) | (table.c.first_seen_at > bindparam("seen")))
        .values(first_seen_at=bindparam("seen"))
    )
    session.connection().execute(statement, [{"cid": c, "seen": s} for c, s in updates])


def get_customer(session: Session, workspace_id: int, customer_id: int) -> Customer | None:
    """Return one customer of the workspace."""
    return session.scalar(_CUSTOMER, {"workspace_id": workspace_id, "customer_id": customer_id})


_CUSTOMER = select(Customer).where(Customer.workspace_id == WORKSPACE, Customer.id == CUSTOMER)


def list_identities(session: Session, workspace_id: int, customer_id: int) -> list[Identity]:
    """Return a customer's identities."""
    params = {"workspace_id": workspace_id, "customer_id": customer_id}
    return list(session.scalars(_IDENTITIES, params))


_IDENTITIES = (
    select(Identity)
    .where(Identity.workspace_id == WORKSPACE, Identity.customer_id == CUSTOMER)
    .order_by(Identity.id)
)


def list_merges(session: Session, workspace_id: int, customer_id: int) -> list[CustomerMerge]:
    """Return the merges that produced a customer."""
    params = {"workspace_id": workspace_id, "customer_id": customer_id}
    return list(session.scalars(_MERGES, params))


_MERGES = (
    select(CustomerMerge)
    .where(CustomerMerge.workspace_id == WORKSPACE, CustomerMerge.winner_id == CUSTOMER)
    .order_by(CustomerMerge.id)
)


def merge_map(session: Session, workspace_id: int) -> dict[int, int]:
    """Map every merged-away customer id to the customer it lives on in now."""
    rows = session.execute(
        select(CustomerMerge.loser_id, CustomerMerge.winner_id).where(
            CustomerMerge.workspace_id == workspace_id
        )
    )
    return {loser: winner for loser, winner in rows}


def find_customer_ids(
    session: Session, workspace_id: int, indexes: Sequence[str], name_indexes: Sequence[str]
) -> list[int]:
    """Ids of customers holding any of these identity blind indexes or name indexes."""
    if not indexes and not name_indexes:
        return []
    statement = _ids_by_index(bool(indexes), bool(name_indexes))
    params = {"workspace_id": workspace_id, "indexes": list(indexes), "names": list(name_indexes)}
    return sorted(set(session.connection().scalars(statement, params)))


@cache
def _ids_by_index(identities: bool, names: bool) -> Any:
    by_identity = select(Identity.customer_id).where(
        Identity.workspace_id == WORKSPACE,
        Identity.blind_index.in_(bindparam("indexes", expanding=True)),
    )
    by_name = select(Customer.id).where(
        Customer.workspace_id == WORKSPACE,
        Customer.name_index.in_(bindparam("names", expanding=True)),
    )
    if identities and names:
        return union(by_identity, by_name)
    return by_identity if identities else by_name


def customers_without_name_index(
    session: Session, *, after_id: int, limit: int
) -> list[tuple[int, bytes]]:
    """(id, encrypted name) of customers with a name but no name index yet, by id."""
    rows = session.execute(
        select(Customer.id, Customer.name_enc)
        .where(
            Customer.id > after_id, Customer.name_enc.is_not(None), Customer.name_index.is_(None)
        )
        .order_by(Customer.id)
        .limit(limit)
    )
    return [(r[0], r[1]) for r in rows if r[1] is not None]


def set_name_indexes(session: Session, rows: Sequence[tuple[int, str]]) -> None:
    """Store name indexes by customer id."""
    if not rows:
        return
    table = bulk.table_of(Customer)
    statement = (
        table.update().where(table.c.id == bindparam("cid")).values(name_index=bindparam("ni"))
    )
    session.connection().execute(statement, [{"cid": c, "ni": n} for c, n in rows])


def served_by_staff(staff_account_id: int | BindParameter[int]) -> Any:
    """Condition: the customer is a current contact of this staff account."""
    return (
        select(Contact.id)
        .where(
            Contact.customer_id == Customer.id,
            Contact.staff_account_id == staff_account_id,
            Contact.left_at.is_(None),
        )
        .exists()
    )


def is_served_by(session: Session, customer_id: int, staff_account_id: int) -> bool:
    """Whether the customer is a current contact of this staff account."""
    found = session.scalar(
        select(Contact.id)
        .where(
            Contact.customer_id == customer_id,
            Contact.staff_account_id == staff_account_id,
            Contact.left_at.is_(None),
        )
        .limit(1)
    )
    return found is not None


def _display_identity() -> Any:
    """The masked identity shown for a customer in lists: a phone first, else the oldest."""
    return (
        select(Identity.masked)
        .where(Identity.customer_id == Customer.id)
        .order_by(case((Identity.kind == "phone", 0), else_=1), Identity.id)
        .limit(1)
        .scalar_subquery()
    )


CUSTOMER_SORTS: dict[str, Any] = {
    "id": Customer.id.desc(),
    "clv": CustomerProfile.clv_fen.desc().nulls_last(),
    "spend": CustomerProfile.net_paid_fen.desc().nulls_last(),
    "recent": CustomerProfile.days_since_purchase.asc().nulls_last(),
}


class CustomerQuery(NamedTuple):
    """Which filters a customer list applies (their values travel as parameters)."""

    ids: bool
    tier: bool
    stage: bool
    in_pool: bool
    staff: bool
    sort: str
    limited: bool


def list_customers(
    session: Session,
    workspace_id: int,
    *,
    ids: Sequence[int] | None = None,
    tier: str | None = None,
    stage: str | None = None,
    in_pool: bool | None = None,
    staff_account_id: int | None = None,
    sort: str = "id",
    offset: int = 0,
    limit: int | None = 50,
) -> tuple[list[Any], int]:
    """Customers with their profile figures, filtered and paged; and the count of all matches."""
    shape = CustomerQuery(
        ids is not None, tier is not None, stage is not None, in_pool is not None,
        staff_account_id is not None, sort if sort in CUSTOMER_SORTS else "id", limit is not None,
    )  # fmt: skip
    params = {
        "workspace_id": workspace_id, "ids": list(ids or ()), "tier": tier, "stage": stage,
        "in_pool": in_pool, "staff_account_id": staff_account_id, "offset": offset, "limit": limit,
    }  # fmt: skip
    connection = session.connection()
    if ids is not None and len(ids) <= (limit or 0) and offset == 0:
        total = None  # a search: the rows are all there is, no count needed
    else:
        total = connection.scalar(_customer_count(shape), params) or 0
    rows = list(connection.execute(_customer_rows(shape), params))
    return rows, len(rows) if total is None else total


def _customer_conditions(shape: CustomerQuery) -> list[Any]:
    conditions: list[Any] = [Customer.workspace_id == WORKSPACE]
    if shape.ids:
        conditions.append(Customer.id.in_(bindparam("ids", expanding=True)))
    if shape.tier:
        conditions.append(CustomerProfile.tier == bindparam("tier"))
    if shape.stage:
        conditions.append(CustomerProfile.stage == bindparam("stage"))
    if shape.in_pool:
        conditions.append(CustomerProfile.in_pool == bindparam("in_pool"))
    if shape.staff:
        conditions.append(served_by_staff(bindparam("staff_account_id", type_=Integer)))
    return conditions


@cache
def _customer_count(shape: CustomerQuery) -> Any:
    query = select(func.count()).select_from(Customer)
    if shape.tier or shape.stage or shape.in_pool:
        query = query.join(CustomerProfile, CustomerProfile.customer_id == Customer.id)
    return query.where(*_customer_conditions(shape))


@cache
def _customer_rows(shape: CustomerQuery) -> Any:
    query = (
        select(
            Customer.id,
            Customer.first_seen_at,
            _display_identity().label("display"),
            CustomerProfile.tier,
            CustomerProfile.stage,
            CustomerProfile.n_purchases,
            CustomerProfile.net_paid_fen,
            CustomerProfile.clv_fen,
            CustomerProfile.p_alive,
            CustomerProfile.next_purchase_at,
            CustomerProfile.in_pool,
        )
        .outerjoin(CustomerProfile, CustomerProfile.customer_id == Customer.id)
        .where(*_customer_conditions(shape))
        .order_by(CUSTOMER_SORTS[shape.sort], Customer.id.desc())
        .offset(bindparam("offset"))
    )
    return query.limit(bindparam("limit")) if shape.limited else query


def get_profile(session: Session, workspace_id: int, customer_id: int) -> CustomerProfile | None:
    """Return a customer's published profile."""
    return session.scalar(_PROFILE, {"workspace_id": workspace_id, "customer_id": customer_id})


_PROFILE = select(CustomerProfile).where(
    CustomerProfile.workspace_id == WORKSPACE, CustomerProfile.customer_id == CUSTOMER
)


def list_contacts(session: Session, workspace_id: int, customer_id: int) -> list[Any]:
    """A customer's contacts with the staff account and channel names, newest first."""
    params = {"workspace_id": workspace_id, "customer_id": customer_id}
    return list(session.connection().execute(_CONTACTS, params))


_CONTACTS = (
    select(
        Contact.carrier,
        Contact.carrier_ref,
        StaffAccount.code,
        StaffAccount.name,
        Channel.code,
        Channel.name,
        Contact.joined_at,
        Contact.left_at,
        Contact.left_reason,
    )
    .outerjoin(StaffAccount, StaffAccount.id == Contact.staff_account_id)
    .outerjoin(Channel, Channel.id == Contact.channel_id)
    .where(Contact.workspace_id == WORKSPACE, Contact.customer_id == CUSTOMER)
    .order_by(Contact.joined_at.desc())
)


def list_consents(session: Session, workspace_id: int, customer_id: int) -> list[ConsentRecord]:
    """A customer's consent records, newest first."""
    params = {"workspace_id": workspace_id, "customer_id": customer_id}
    return list(session.scalars(_CONSENTS, params))


_CONSENTS = (
    select(ConsentRecord)
    .where(ConsentRecord.workspace_id == WORKSPACE, ConsentRecord.customer_id == CUSTOMER)
    .order_by(ConsentRecord.recorded_at.desc(), ConsentRecord.id.desc())
)


def channel_code(session: Session, workspace_id: int, channel_id: int) -> str | None:
    """Return a channel's code."""
    return session.scalar(
        select(Channel.code).where(Channel.workspace_id == workspace_id, Channel.id == channel_id)
    )


def get_identity(
    session: Session, workspace_id: int, customer_id: int, identity_id: int
) -> Identity | None:
    """One identity of the customer."""
    return session.scalar(
        select(Identity).where(
            Identity.workspace_id == workspace_id,
            Identity.customer_id == customer_id,
            Identity.id == identity_id,
        )
    )


def latest_receiver(session: Session, workspace_id: int, customer_id: int) -> bytes | None:
    """The encrypted receiver (name, phone, address) of the customer's latest order."""
    params = {"workspace_id": workspace_id, "customer_id": customer_id}
    return session.connection().scalar(_LATEST_RECEIVER, params)


_LATEST_RECEIVER = (
    select(Order.receiver_enc)
    .where(
        Order.workspace_id == WORKSPACE,
        Order.customer_id == CUSTOMER,
        Order.receiver_enc.is_not(None),
    )
    .order_by(Order.ordered_at.desc(), Order.id.desc())
    .limit(1)
)
