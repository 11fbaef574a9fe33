"""The encrypted columns of the store and the batched reads and writes of a rotation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from siyu.models import ApiKey, Customer, Identity, Order, WeComCallback


@dataclass(frozen=True, slots=True)
class EncryptedColumn:
    """A column holding AES-GCM blobs, and the blind index computed from it (if any)."""

    table: Table
    column: str
    index: str | None = None


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


ENCRYPTED: tuple[EncryptedColumn, ...] = (
    EncryptedColumn(_table(Customer), "name_enc", index="name_index"),
    EncryptedColumn(_table(Identity), "value_enc", index="blind_index"),
    EncryptedColumn(_table(Order), "receiver_enc"),
    EncryptedColumn(_table(WeComCallback), "payload_enc"),
    EncryptedColumn(_table(ApiKey), "signing_secret_enc"),
)
"""Every column of personal data (or secrets) encrypted with the key ring; a test checks
that each LargeBinary column of the models is listed here."""


def _col(target: EncryptedColumn, name: str) -> Column[Any]:
    column: Column[Any] = target.table.c[name]
    return column


def read_batch(
    session: Session, target: EncryptedColumn, *, after_id: int, limit: int
) -> list[tuple[Any, ...]]:
    """Rows (id, blob[, index, kind, platform]) after an id, in id order, blobs not null."""
    blob = _col(target, target.column)
    columns: list[Any] = [_col(target, "id"), blob]
    if target.index is not None:
        columns.append(_col(target, target.index))
    if target.table.name == "identity":
        columns += [_col(target, "kind"), _col(target, "platform")]
    query = (
        select(*columns)
        .where(_col(target, "id") > after_id, blob.is_not(None))
        .order_by(_col(target, "id"))
        .limit(limit)
    )
    return [tuple(row) for row in session.execute(query)]


def write_batch(session: Session, target: EncryptedColumn, rows: Sequence[dict[str, Any]]) -> None:
    """Replace blobs (and indexes) by id, each only if the blob is still the one read: a
    writer that changed it meanwhile already wrote under the new key."""
    if not rows:
        return
    values: dict[str, Any] = {target.column: bindparam("new_blob")}
    if target.index is not None:
        values[target.index] = bindparam("new_index")
    statement = (
        update(target.table)
        .where(
            _col(target, "id") == bindparam("row_id"),
            _col(target, target.column) == bindparam("old_blob"),
        )
        .values(values)
    )
    session.connection().execute(statement, list(rows))


def count_by_key(session: Session, target: EncryptedColumn) -> dict[int, int]:
    """How many blobs of a column each key id encrypted (the id is the blob's second byte)."""
    blob = _col(target, target.column)
    key = func.substr(blob, 2, 1)
    rows = session.execute(select(key, func.count()).where(blob.is_not(None)).group_by(key))
    return {bytes(k)[0]: int(n) for k, n in rows if k}


def count_rows(session: Session, target: EncryptedColumn) -> int:
    """How many rows hold a blob in this column."""
    blob = _col(target, target.column)
    return int(session.scalar(select(func.count()).where(blob.is_not(None))) or 0)
