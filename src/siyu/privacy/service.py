"""Data-subject requests: export everything held on a person, erase them; retention purge.

Use cases take a Session and never commit; the CLI command or the request commits. The
snapshot is refreshed by the caller after the commit (`refresh_snapshot`), since it reads
only committed state.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from siyu.audit import service as audit
from siyu.audit.rules import SYSTEM, Target
from siyu.audit.rules import Action as Audited
from siyu.consent import repository as consent_repository
from siyu.consent.rules import ALL
from siyu.customers import repository as customers
from siyu.keyring.repository import ENCRYPTED
from siyu.kit.clock import utcnow
from siyu.kit.crypto import PiiCipher
from siyu.kit.errors import NotFoundError
from siyu.loyalty import service as loyalty
from siyu.models import WeComCallback
from siyu.privacy import repository
from siyu.privacy.rules import COVERAGE, HIDDEN_COLUMNS, Action, Retention, mentions
from siyu.warehouse.snapshot import SnapshotWriter, read_manifest

log = logging.getLogger(__name__)
ENCRYPTED_COLUMNS = {(t.table.name, t.column) for t in ENCRYPTED}
ERASURE_SOURCE = "erasure"


def _plain(value: Any) -> Any:
    """A value as JSON can carry it."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return None
    return value


def _row(cipher: PiiCipher, table: str, row: dict[str, Any]) -> dict[str, Any]:
    """A row for the person: encrypted columns decrypted, keyed hashes left out."""
    out: dict[str, Any] = {}
    for name, value in row.items():
        if name in HIDDEN_COLUMNS:
            continue
        if (table, name) in ENCRYPTED_COLUMNS:
            clear = cipher.decrypt(bytes(value)) if value is not None else None
            out[name.removesuffix("_enc")] = _maybe_json(clear) if clear is not None else None
        else:
            out[name] = _plain(value)
    return out


def _maybe_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _require(session: Session, workspace_id: int, customer_id: int) -> Any:
    found = repository.get_customer(session, workspace_id, customer_id)
    if found is None:
        raise NotFoundError("privacy.unknown_customer", ident=customer_id)
    return found


def export(
    session: Session, workspace_id: int, cipher: PiiCipher, customer_id: int, *, actor: str = SYSTEM
) -> dict[str, Any]:
    """Everything siyu holds on one person, identities in clear (for the person only); audited."""
    customer = _require(session, workspace_id, customer_id)
    audit.record(session, actor, Audited.SUBJECT_EXPORT, Target("customer", customer_id),
                 workspace_id=workspace_id)  # fmt: skip
    tables: dict[str, list[dict[str, Any]]] = {}
    for (name, column), _treatment in COVERAGE.items():
        rows = [
            _row(cipher, name, r) for r in repository.rows_of(session, name, column, customer_id)
        ]
        if rows:
            tables.setdefault(name, []).extend(rows)
    order_ids = [int(r["id"]) for r in tables.get("orders", [])]
    for name, rows in repository.order_children(session, order_ids).items():
        if rows:
            tables[name] = [_row(cipher, name, r) for r in rows]
    statement = loyalty.statement(session, workspace_id, customer_id)
    return {
        "format": "siyu.data-subject-export/1",
        "exported_at": utcnow().isoformat(),
        "customer": {
            "id": customer.id,
            "name": cipher.decrypt(customer.name_enc) if customer.name_enc else None,
            "first_seen_at": _plain(customer.first_seen_at),
            "created_at": _plain(customer.created_at),
        },
        "identities": [
            {"kind": kind, "platform": platform, "value": cipher.decrypt(blob)}
            for kind, platform, blob in repository.identities(session, customer_id)
        ],
        "loyalty_statement": json.loads(statement.model_dump_json()),
        "tables": tables,
    }


@dataclass
class ErasureReport:
    """What an erasure changed."""

    customer_id: int
    anonymous_id: int
    rows: dict[str, int] = field(default_factory=dict)
    snapshot_files: int = 0

    @property
    def total_rows(self) -> int:
        """Rows deleted or scrubbed."""
        return sum(self.rows.values())


def identifiers_of(session: Session, cipher: PiiCipher, customer_id: int) -> frozenset[str]:
    """The person's identifier values in clear (identities, name, receivers), to find them in
    payloads that are not keyed by customer."""
    values = {cipher.decrypt(blob) for _, _, blob in repository.identities(session, customer_id)}
    for blob in repository.receivers(session, customer_id):
        parts = _maybe_json(cipher.decrypt(blob))
        values.update(p for p in (parts if isinstance(parts, list) else [parts]) if p)
    return frozenset(v for v in values if isinstance(v, str) and len(v) >= 4)


def erase(
    session: Session, workspace_id: int, cipher: PiiCipher, customer_id: int, *, actor: str = SYSTEM
) -> ErasureReport:
    """Remove a person's identifiers and personal data everywhere; keep the facts aggregates
    need (orders, contacts, ledgers, messages sent) under a new anonymous customer id; audited."""
    customer = _require(session, workspace_id, customer_id)
    needles = identifiers_of(session, cipher, customer_id)
    anonymous = repository.new_anonymous(session, workspace_id, customer.first_seen_at)
    report = ErasureReport(customer_id, anonymous)
    report.rows["wecom"] = _erase_payloads(session, workspace_id, cipher, needles)
    repository.scrub_attempts(session, customer_id)
    repository.cancel_pending(session, customer_id)
    for (name, column), treatment in COVERAGE.items():
        if treatment.action is Action.DELETE:
            count = repository.delete_rows(session, name, column, customer_id)
        elif treatment.action is Action.MOVE and treatment.scrub:
            count = repository.scrub_rows(session, name, column, customer_id, treatment)
        else:
            continue
        report.rows[name] = report.rows.get(name, 0) + count
    # loyalty first (it refuses a cascade), then every remaining fact; the row goes last
    loyalty.merge_customer(session, workspace_id, loser=customer_id, winner=anonymous)
    customers.reassign_customer(session, workspace_id, loser=customer_id, winner=anonymous)
    consent_repository.add_record(
        session, workspace_id, customer_id=anonymous, channel=ALL, granted=False,
        purpose="marketing", source=ERASURE_SOURCE, recorded_at=utcnow(),
    )  # fmt: skip
    audit.record(session, actor, Audited.SUBJECT_ERASE, Target("customer", customer_id),
                 {"anonymous_id": anonymous, "rows": report.total_rows},
                 workspace_id=workspace_id)  # fmt: skip
    log.info("erased customer %s into anonymous %s", customer_id, anonymous)
    return report


def _erase_payloads(
    session: Session, workspace_id: int, cipher: PiiCipher, needles: frozenset[str]
) -> int:
    """Delete WeCom callbacks whose (encrypted) payload names the person (WeCom calls go
    through the general outbox, scrubbed with it)."""
    if not needles:
        return 0
    hits = [
        row_id
        for row_id, blob in repository.encrypted_payloads(session, WeComCallback, workspace_id)
        if mentions(cipher.decrypt(blob), needles)
    ]
    return repository.delete_ids(session, WeComCallback, hits)


def refresh_snapshot(engine: Engine, workspace_id: int, root: Path) -> int:
    """Rewrite the snapshot buckets an erasure changed (none when there is no snapshot yet);
    returns the files written."""
    if not read_manifest(root):
        return 0
    report = SnapshotWriter(engine, workspace_id, root).refresh()
    return sum(report.buckets.values()) + 2


@dataclass
class PurgeReport:
    """Rows and files removed or emptied by a retention purge."""

    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0

    @property
    def total_rows(self) -> int:
        """Rows deleted or emptied."""
        return sum(self.rows.values())


def purge(
    session: Session, retention: Retention, *, now: datetime | None = None, actor: str = SYSTEM
) -> PurgeReport:
    """Delete (or empty) every stored record past its retention time, in every workspace;
    audited."""
    now = now or utcnow()
    report = PurgeReport()
    steps = (
        ("wecom", retention.wecom_callback_days, repository.purge_callbacks),
        ("outbox_payloads", retention.outbox_payload_days, repository.purge_outbox_payloads),
        ("delivery_attempts", retention.delivery_attempt_days, repository.purge_attempts),
        ("web_sessions", retention.web_session_days, repository.purge_sessions),
    )
    for name, days, step in steps:
        cutoff = retention.cutoff(now, days)
        if cutoff is not None:
            report.rows[name] = step(session, cutoff)
    audit.record(session, actor, Audited.RETENTION_PURGE, None, dict(report.rows))
    return report


def purge_files(home: Path, retention: Retention, *, now: datetime | None = None) -> int:
    """Delete reject files and rotated logs older than their retention; returns how many."""
    now = now or utcnow()
    removed = 0
    for pattern, days in (("rejects/*.csv", retention.reject_file_days),
                          ("logs/*.log.*", retention.log_days)):  # fmt: skip
        cutoff = retention.cutoff(now, days)
        if cutoff is None:
            continue
        for path in home.glob(pattern):
            if path.is_file() and path.stat().st_mtime < cutoff.timestamp():
                path.unlink()
                removed += 1
    return removed
