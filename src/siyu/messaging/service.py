"""Use cases of the outbox: write messages in the caller's transaction, and the dispatcher
that claims, checks, delivers and records one batch at a time.

At least once: a message is leased before it is sent and marked after; a worker that dies in
between leaves a lease that runs out, and another worker sends the message again under the
same idempotency key, which a channel that honours keys turns into a no-op. Consent is
checked again just before sending, so an opt-out recorded after planning still wins.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from siyu.audit import service as audit
from siyu.audit.rules import SYSTEM, Action, Target
from siyu.consent import rules as consent_rules
from siyu.db.engine import unit_of_work
from siyu.engage.policy import repository as policy_repository
from siyu.engage.policy import service as policy
from siyu.engage.policy.rules import Limits, channel_code
from siyu.kit.clock import utcnow
from siyu.kit.crypto import PiiCipher
from siyu.messaging import repository
from siyu.messaging.channels.base import Channel, Envelope, Receipt, send_many
from siyu.messaging.repository import Claimed
from siyu.messaging.rules import retry_delay, scrub
from siyu.models.enums import ConsentPurpose

log = logging.getLogger(__name__)
NAME_FIELD = "{name}"


def _personal(message: Claimed) -> bool:
    return any(isinstance(v, str) and NAME_FIELD in v for v in message.payload.values())


def enqueue(
    session: Session,
    workspace_id: int,
    *,
    channel: str,
    keys: Sequence[str],
    payloads: Sequence[Mapping[str, Any]],
    send_at: Sequence[datetime],
    source_kind: str,
    source_id: int | None = None,
    customer_ids: Sequence[int | None] | None = None,
    touch_ids: Sequence[int | None] | None = None,
    staff_ids: Sequence[int | None] | None = None,
    targets: Sequence[str] | None = None,
    purpose: str = ConsentPurpose.MARKETING,
) -> list[int]:
    """Write messages to the outbox in the caller's transaction; return their ids. The
    worker re-checks the consent of `purpose` before it sends each one."""
    n = len(keys)
    columns: dict[str, Sequence[Any]] = {
        "idempotency_key": list(keys),
        "payload": [dict(p) for p in payloads],
        "next_attempt_at": list(send_at),
        "customer_id": list(customer_ids) if customer_ids is not None else [None] * n,
        "touch_id": list(touch_ids) if touch_ids is not None else [None] * n,
        "staff_account_id": list(staff_ids) if staff_ids is not None else [None] * n,
        "target": list(targets) if targets is not None else [""] * n,
    }
    shared = {"workspace_id": workspace_id, "channel": channel, "source_kind": source_kind,
              "source_id": source_id, "status": "pending", "attempts": 0,
              "purpose": str(purpose)}  # fmt: skip
    return repository.enqueue(session, columns, shared)


@dataclass
class BatchReport:
    """What one batch did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    suppressed: int = 0
    transient: list[bool] = field(default_factory=list)  # per delivery: a retryable failure


@dataclass
class _Delivery:
    claimed: Claimed
    envelope: Envelope | None
    receipt: Receipt
    started: datetime
    millis: int


class Dispatcher:
    """Delivers due messages of one workspace through the configured channels."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        cipher: PiiCipher,
        workspace_id: int,
        channels: Mapping[str, Channel],
        *,
        worker: str,
        lease: timedelta,
        max_attempts: int = 8,
        rng: random.Random | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.cipher = cipher
        self.workspace_id = workspace_id
        self.channels = dict(channels)
        self.worker = worker
        self.lease = lease
        self.max_attempts = max_attempts
        self.rng = rng or random.Random()
        self.clock = clock

    def run_batch(self, channel: str, limit: int, pool: Executor | None = None) -> BatchReport:
        """Claim up to `limit` due messages of a channel, deliver them, record the results."""
        report = BatchReport()
        with unit_of_work(self.sessions) as session:
            claimed = repository.claim(session, self.workspace_id, channel, worker=self.worker,
                                       now=self.clock(), lease=self.lease, limit=limit)  # fmt: skip
            if not claimed:
                return report
            report.claimed = len(claimed)
            claimed, suppressed = self._check_consent(session, channel, claimed)
            report.suppressed = len(suppressed)
            envelopes = self._envelopes(session, channel, claimed)
        deliveries = self._deliver(channel, claimed, envelopes, pool)
        with unit_of_work(self.sessions) as session:
            self._record(session, deliveries, report)
        return report

    def _check_consent(
        self, session: Session, channel: str, claimed: list[Claimed]
    ) -> tuple[list[Claimed], list[Claimed]]:
        customers = np.unique(np.asarray([c.customer_id for c in claimed if c.customer_id],
                                         dtype=np.int64))  # fmt: skip
        if customers.size == 0:
            return claimed, []
        limits = Limits.compile(policy.get_policy(session, self.workspace_id))
        states = {
            purpose: consent_rules.states_of(policy_repository.consent_records(
                session, self.workspace_id, customers, purpose=purpose), customers)
            for purpose in {c.purpose for c in claimed}
        }  # fmt: skip
        code = channel_code(channel)
        column = limits.consent_column[code]
        keep: list[Claimed] = []
        stop: list[Claimed] = []
        for message in claimed:
            if message.customer_id is None:
                keep.append(message)
                continue
            at = int(np.searchsorted(customers, message.customer_id))
            state = states[message.purpose][at, column]
            # only marketing needs an opt-in; every purpose honours its own withdrawal
            refused = state == consent_rules.WITHDRAWN or (
                message.purpose == ConsentPurpose.MARKETING
                and limits.require_opt_in[code]
                and state != consent_rules.GRANTED
            )
            (stop if refused else keep).append(message)
        if stop:
            self._suppress(session, channel, stop)
        return keep, stop

    def _suppress(self, session: Session, channel: str, messages: list[Claimed]) -> None:
        now = self.clock()
        repository.set_status(session, [m.id for m in messages], "suppressed", "opted_out")
        touches = [m.touch_id for m in messages if m.touch_id is not None]
        policy_repository.mark_touches(session, touches, "cancelled")
        repository.log_attempts(session, [
            {"message_id": m.id, "attempt": m.attempts, "worker": self.worker, "started_at": now,
             "duration_ms": 0, "outcome": "suppressed", "status_code": None,
             "detail": "opted out before sending"} for m in messages
        ], self.workspace_id)  # fmt: skip
        policy_repository.insert_suppressions(session, {
            "customer_id": [m.customer_id for m in messages], "channel": [channel] * len(messages),
            "source_kind": [m.source_kind for m in messages],
            "source_id": [m.source_id for m in messages], "reason": ["opted_out"] * len(messages),
            "planned_at": [now] * len(messages),
        }, {"workspace_id": self.workspace_id})  # fmt: skip

    def _envelopes(
        self, session: Session, channel: str, claimed: list[Claimed]
    ) -> list[Envelope | None]:
        sender = self.channels.get(channel)
        needs = sender.needs if sender is not None else None
        customers = [c.customer_id for c in claimed if c.customer_id is not None]
        found = (repository.encrypted_addresses(session, self.workspace_id, customers, needs)
                 if needs else {})  # fmt: skip
        codes = repository.staff_codes(
            session, [c.staff_account_id for c in claimed if c.staff_account_id is not None]
        )
        named = [c.customer_id for c in claimed if c.customer_id is not None and _personal(c)]
        names = repository.encrypted_names(session, self.workspace_id, named) if named else {}
        envelopes: list[Envelope | None] = []
        for message in claimed:
            secret = found.get(message.customer_id) if message.customer_id is not None else None
            if needs and secret is None:
                envelopes.append(None)
                continue
            envelopes.append(Envelope(
                message_id=message.id, idempotency_key=message.idempotency_key,
                channel=channel, payload=self._personalise(message, names),
                customer_id=message.customer_id,
                recipient=self.cipher.decrypt(secret) if secret is not None else "",
                sender=codes.get(message.staff_account_id or -1, ""), target=message.target,
                attempt=message.attempts,
            ))  # fmt: skip
        return envelopes

    def _personalise(self, message: Claimed, names: Mapping[int, bytes]) -> dict[str, Any]:
        """Fill {name} now, from the encrypted name: it is never stored in the outbox."""
        if not _personal(message):
            return message.payload
        secret = names.get(message.customer_id or -1)
        name = self.cipher.decrypt(secret) if secret is not None else ""
        return {k: v.replace(NAME_FIELD, name) if isinstance(v, str) else v
                for k, v in message.payload.items()}  # fmt: skip

    def _deliver(
        self,
        channel: str,
        claimed: list[Claimed],
        envelopes: list[Envelope | None],
        pool: Executor | None,
    ) -> list[_Delivery]:
        sender = self.channels.get(channel)
        out: list[_Delivery] = []
        ready = [(c, e) for c, e in zip(claimed, envelopes, strict=True) if e is not None]
        for message, envelope in zip(claimed, envelopes, strict=True):
            if envelope is None:
                out.append(_Delivery(message, None, Receipt("failed", detail="no address"),
                                     self.clock(), 0))  # fmt: skip
        if sender is None:
            missing = Receipt("retry", detail=f"channel {channel} is not configured")
            return out + [_Delivery(c, e, missing, self.clock(), 0) for c, e in ready]
        if getattr(sender, "send_many", None) is not None or pool is None:
            return out + self._timed(sender, ready)
        futures = [pool.submit(self._timed, sender, [pair]) for pair in ready]
        for future in futures:
            out += future.result()
        return out

    def _timed(self, sender: Channel, pairs: list[tuple[Claimed, Envelope]]) -> list[_Delivery]:
        started, clock = self.clock(), time.perf_counter()
        envelopes = [e for _, e in pairs]
        try:
            receipts = send_many(sender, envelopes)
        except Exception as exc:  # a broken channel: the message is retried later
            secrets = [e.recipient for e in envelopes]
            detail = scrub(f"{type(exc).__name__}: {exc}", secrets)
            receipts = [Receipt("retry", detail=detail) for _ in envelopes]
        millis = int((time.perf_counter() - clock) * 1000)
        return [
            _Delivery(c, e, r, started, millis) for (c, e), r in zip(pairs, receipts, strict=True)
        ]

    def _record(self, session: Session, deliveries: list[_Delivery], report: BatchReport) -> None:
        now = self.clock()
        results: list[dict[str, Any]] = []
        attempts: list[dict[str, Any]] = []
        sent_touches: list[int] = []
        dead_touches: list[int] = []
        for d in deliveries:
            outcome: str = d.receipt.outcome
            report.transient.append(outcome == "retry")
            if outcome == "failed" or (
                outcome == "retry" and d.claimed.attempts >= self.max_attempts
            ):
                outcome = "dead"
            delay = retry_delay(d.claimed.attempts, rng=self.rng, retry_after=d.receipt.retry_after)
            secrets = [d.envelope.recipient] if d.envelope else []
            error = scrub(d.receipt.detail, secrets)
            status = {"sent": "sent", "retry": "pending", "dead": "dead"}[outcome]
            results.append({
                "id": d.claimed.id, "status": status, "sent_at": now if outcome == "sent" else None,
                "next_attempt_at": now + timedelta(seconds=delay) if outcome == "retry" else now,
                "provider_ref": d.receipt.provider_ref, "last_error": error,
            })  # fmt: skip
            attempts.append({
                "message_id": d.claimed.id, "attempt": d.claimed.attempts, "worker": self.worker,
                "started_at": d.started, "duration_ms": d.millis, "outcome": outcome,
                "status_code": d.receipt.status_code, "detail": error,
            })  # fmt: skip
            if d.claimed.touch_id is not None and outcome in ("sent", "dead"):
                (sent_touches if outcome == "sent" else dead_touches).append(d.claimed.touch_id)
            report.sent += outcome == "sent"
            report.retried += outcome == "retry"
            report.dead += outcome == "dead"
        lost = [d.claimed for d in deliveries if d.claimed.lost_by is not None]
        attempts += [
            {"message_id": c.id, "attempt": c.attempts - 1, "worker": c.lost_by or "",
             "started_at": now,
             "duration_ms": 0, "outcome": "lost", "status_code": None,
             "detail": "the lease ran out: the worker stopped before recording"}
            for c in lost
        ]  # fmt: skip
        repository.finish(session, self.worker, results)
        repository.log_attempts(session, attempts, self.workspace_id)
        policy_repository.mark_touches(session, sent_touches, "sent")
        policy_repository.mark_touches(session, dead_touches, "cancelled")
        self._audit(session, deliveries, results)

    def _audit(
        self, session: Session, deliveries: list[_Delivery], results: list[dict[str, Any]]
    ) -> None:
        """One audit entry per delivered batch: how many went out, failed or wait for a retry."""
        if not deliveries:
            return
        ids = [d.claimed.id for d in deliveries]
        statuses = [r["status"] for r in results]
        details = {"channel": deliveries[0].claimed.channel, "first_id": min(ids),
                   "last_id": max(ids), "messages": len(ids), "sent": statuses.count("sent"),
                   "dead": statuses.count("dead"), "worker": self.worker[:80]}  # fmt: skip
        audit.record(session, SYSTEM, Action.MESSAGE_SEND, Target("outbox", min(ids)), details,
                     workspace_id=self.workspace_id)  # fmt: skip


def status(session: Session, workspace_id: int) -> dict[tuple[str, str], int]:
    """Messages by (channel, status)."""
    return repository.status_counts(session, workspace_id)
