"""Rotating the personal-data key: re-encrypt and re-index in batches, service running.

A rotation adds a key to the ring (it encrypts and indexes from then on: running processes
reload the ring within a second), then walks every encrypted column in id order, batch by
batch, each batch its own transaction. Rows already under the current key are skipped, so
an interrupted rotation resumes by running again. Readers look blind indexes up under every
key of the ring, so a row is found before and after its re-indexing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from siyu.customers.rules import NAME_INDEX_KIND, normalise_name
from siyu.db.engine import unit_of_work
from siyu.keyring import repository
from siyu.keyring.repository import ENCRYPTED, EncryptedColumn
from siyu.kit.crypto import PiiCipher, key_id_of

BATCH = 2_000
Progress = Callable[[str, int, int], None]
"""Called with (column, rows done, rows in the column) after each batch."""


@dataclass
class RotationReport:
    """What one rotation pass changed, per column ("table.column")."""

    key_id: int
    rewritten: dict[str, int] = field(default_factory=dict)
    scanned: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Blobs rewritten in all columns."""
        return sum(self.rewritten.values())


def column_name(target: EncryptedColumn) -> str:
    """`table.column` of an encrypted column."""
    return f"{target.table.name}.{target.column}"


def _new_index(
    cipher: PiiCipher, target: EncryptedColumn, row: tuple[Any, ...], clear: str
) -> str | None:
    if target.index == "blind_index":
        return cipher.blind_index(f"{row[3]}/{row[4]}", clear)
    name = normalise_name(clear)
    return cipher.blind_index(NAME_INDEX_KIND, name) if name is not None else None


def _rekey(
    cipher: PiiCipher, target: EncryptedColumn, row: tuple[Any, ...]
) -> dict[str, Any] | None:
    """The new values of one row, or None when it is current (blob and index)."""
    blob = bytes(row[1])
    current = key_id_of(blob) == cipher.key_id
    if current and target.index is None:
        return None
    clear = cipher.decrypt(blob)
    new_index = _new_index(cipher, target, row, clear) if target.index is not None else None
    if current and new_index == row[2]:
        return None
    change: dict[str, Any] = {
        "row_id": row[0],
        "old_blob": blob,
        "new_blob": blob if current else cipher.encrypt(clear),
    }
    if target.index is not None:
        change["new_index"] = new_index
    return change


def rotate_column(
    sessions: sessionmaker[Session],
    cipher: PiiCipher,
    target: EncryptedColumn,
    *,
    batch: int = BATCH,
    progress: Progress | None = None,
) -> tuple[int, int]:
    """Re-encrypt (and re-index) one column under the current key; (scanned, rewritten)."""
    name = column_name(target)
    with unit_of_work(sessions) as session:
        total = repository.count_rows(session, target)
    after, scanned, rewritten = 0, 0, 0
    while True:
        with unit_of_work(sessions) as session:
            rows = repository.read_batch(session, target, after_id=after, limit=batch)
            if not rows:
                break
            changes = [c for row in rows if (c := _rekey(cipher, target, row)) is not None]
            repository.write_batch(session, target, changes)
            rewritten += len(changes)
        after = int(rows[-1][0])
        scanned += len(rows)
        if progress is not None:
            progress(name, scanned, max(total, scanned))
    return scanned, rewritten


def rotate(
    sessions: sessionmaker[Session],
    cipher: PiiCipher,
    *,
    batch: int = BATCH,
    progress: Progress | None = None,
) -> RotationReport:
    """One pass over every encrypted column; run again until `total` is 0 to catch rows a
    process still holding the old ring wrote during the pass."""
    cipher.refresh(force=True)
    report = RotationReport(cipher.key_id)
    for target in ENCRYPTED:
        scanned, rewritten = rotate_column(sessions, cipher, target, batch=batch, progress=progress)
        report.scanned[column_name(target)] = scanned
        report.rewritten[column_name(target)] = rewritten
    return report


def key_usage(session: Session) -> dict[str, dict[int, int]]:
    """Blobs per key id, per encrypted column."""
    return {column_name(t): repository.count_by_key(session, t) for t in ENCRYPTED}


def keys_in_use(session: Session) -> dict[int, int]:
    """Blobs per key id over the whole store."""
    used: dict[int, int] = {}
    for counts in key_usage(session).values():
        for key_id, n in counts.items():
            used[key_id] = used.get(key_id, 0) + n
    return used
