"""All queries of data-subject requests and retention."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, Table, cast, delete, literal, select, update
from sqlalchemy.orm import Session

from siyu.db.base import Base
from siyu.models import (
    Customer,
    DeliveryAttempt,
    Identity,
    Order,
    OrderLine,
    OutboxMessage,
    Refund,
    WebSession,
    WeComCallback,
)
from siyu.privacy.rules import Treatment, refers_to_customer

SCAN_BATCH = 1_000


def table(name: str) -> Table:
    """The mapped table of this name."""
    return Base.metadata.tables[name]


def customer_columns() -> list[tuple[str, str]]:
    """(table, column) of every column that names a customer, from the models."""
    found = []
    for t in Base.metadata.sorted_tables:
        for column in t.columns:
            targets = {fk.column.table.name for fk in column.foreign_keys}
            if t.name != "customer" and refers_to_customer(column.name, targets):
                found.append((t.name, column.name))
    return found


def get_customer(session: Session, workspace_id: int, customer_id: int) -> Customer | None:
    """The customer of this workspace, or None."""
    return session.scalar(
        select(Customer).where(Customer.workspace_id == workspace_id, Customer.id == customer_id)
    )


def rows_of(session: Session, name: str, column: str, customer_id: int) -> list[dict[str, Any]]:
    """Every row of a table that names the customer in this column, as column → value."""
    t = table(name)
    found = session.execute(select(t).where(t.c[column] == customer_id))
    return [dict(row._mapping) for row in found]


def identities(session: Session, customer_id: int) -> list[tuple[str, str, bytes]]:
    """(kind, platform, encrypted value) of the customer's identifiers."""
    rows = session.execute(
        select(Identity.kind, Identity.platform, Identity.value_enc).where(
            Identity.customer_id == customer_id
        )
    )
    return [(r[0], r[1], r[2]) for r in rows]


def receivers(session: Session, customer_id: int) -> list[bytes]:
    """Encrypted receiver blocks of the customer's orders."""
    query = select(Order.receiver_enc).where(
        Order.customer_id == customer_id, Order.receiver_enc.is_not(None)
    )
    return [blob for blob in session.scalars(query) if blob is not None]


def order_children(session: Session, order_ids: Sequence[int]) -> dict[str, list[dict[str, Any]]]:
    """Lines and refunds of these orders, as column → value."""
    found: dict[str, list[dict[str, Any]]] = {"order_line": [], "refund": []}
    for name, model in (("order_line", OrderLine), ("refund", Refund)):
        for start in range(0, len(order_ids), 500):
            chunk = list(order_ids[start : start + 500])
            rows = session.execute(select(model.__table__).where(model.order_id.in_(chunk)))
            found[name] += [dict(r._mapping) for r in rows]
    return found


def new_anonymous(session: Session, workspace_id: int, first_seen_at: datetime | None) -> int:
    """A customer row with no personal data, to hold an erased person's facts."""
    anonymous = Customer(workspace_id=workspace_id, first_seen_at=first_seen_at)
    session.add(anonymous)
    session.flush()
    return anonymous.id


def delete_rows(session: Session, name: str, column: str, customer_id: int) -> int:
    """Delete the rows that name the customer in this column."""
    t = table(name)
    result = session.execute(delete(t).where(t.c[column] == customer_id))
    return int(getattr(result, "rowcount", 0) or 0)


def scrub_rows(
    session: Session, name: str, column: str, customer_id: int, treatment: Treatment
) -> int:
    """Overwrite the personal columns of the customer's rows of a table."""
    t = table(name)
    values: dict[str, Any] = {}
    for target, value in treatment.scrub.items():
        if isinstance(value, str) and "{id}" in value:
            prefix = value.replace("{id}", "")
            values[target] = literal(prefix, String) + cast(t.c.id, String)
        else:
            values[target] = value
    result = session.execute(update(t).where(t.c[column] == customer_id).values(values))
    return int(getattr(result, "rowcount", 0) or 0)


def cancel_pending(session: Session, customer_id: int) -> None:
    """Cancel the customer's messages not yet delivered."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.customer_id == customer_id, OutboxMessage.status == "pending")
        .values(status="cancelled")
    )


def scrub_attempts(session: Session, customer_id: int) -> None:
    """Clear what delivery attempts of the customer's messages recorded."""
    messages = select(OutboxMessage.id).where(OutboxMessage.customer_id == customer_id)
    session.execute(
        update(DeliveryAttempt).where(DeliveryAttempt.message_id.in_(messages)).values(detail="")
    )


def encrypted_payloads(
    session: Session, model: Any, workspace_id: int
) -> Iterator[tuple[int, bytes]]:
    """(id, encrypted payload) of every WeCom callback or WeCom outbox row, in batches."""
    after = 0
    while True:
        rows = session.execute(
            select(model.id, model.payload_enc)
            .where(model.workspace_id == workspace_id, model.id > after)
            .order_by(model.id)
            .limit(SCAN_BATCH)
        ).all()
        if not rows:
            return
        yield from ((r[0], r[1]) for r in rows)
        after = rows[-1][0]


def delete_ids(session: Session, model: Any, ids: Sequence[int]) -> int:
    """Delete rows of a model by id."""
    for start in range(0, len(ids), 500):
        session.execute(delete(model).where(model.id.in_(list(ids[start : start + 500]))))
    return len(ids)


# --- retention -------------------------------------------------------------------------------


def purge_callbacks(session: Session, before: datetime) -> int:
    """Delete processed WeCom callbacks received before a time (pending ones wait)."""
    result = session.execute(
        delete(WeComCallback).where(
            WeComCallback.received_at < before, WeComCallback.status != "pending"
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def purge_outbox_payloads(session: Session, before: datetime) -> int:
    """Empty the payload and target of messages settled (not pending) before a time; the
    rows stay, since the contact ledger and campaign results count them."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.created_at < before,
            OutboxMessage.status != "pending",
        )
        .values(payload={}, target="", last_error="", provider_ref="")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def purge_attempts(session: Session, before: datetime) -> int:
    """Delete delivery attempts started before a time."""
    result = session.execute(delete(DeliveryAttempt).where(DeliveryAttempt.started_at < before))
    return int(getattr(result, "rowcount", 0) or 0)


def purge_sessions(session: Session, before: datetime) -> int:
    """Delete web sessions that expired before a time."""
    result = session.execute(delete(WebSession).where(WebSession.expires_at < before))
    return int(getattr(result, "rowcount", 0) or 0)
