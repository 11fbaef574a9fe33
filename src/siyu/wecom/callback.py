"""The WeCom callback endpoint, independent of any web framework.

`CallbackReceiver.verify_url(query)` answers WeCom's GET check of the URL;
`CallbackReceiver.handle_callback(query, body)` takes a POSTed event: it checks the
signature, refuses stale and replayed requests, decrypts, and commits the event (encrypted
with the personal-data key) before answering "success". `process_pending()` then turns
stored events into contacts, each in its own transaction, and `deliver()` makes the WeCom
calls they recorded in the general outbox (welcome messages, tags) without waiting for the
worker. A restart at any point loses nothing: an
event not yet committed is not acknowledged, so WeCom sends it again; a committed one stays
pending until processed. Refusals raise `SiyuError`s carrying the HTTP status (400/403)
and are logged without personal data.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from siyu.db.engine import unit_of_work
from siyu.kit.clock import utcnow
from siyu.kit.crypto import PiiCipher
from siyu.kit.errors import SiyuError
from siyu.messaging.channels.wecom import WeComChannel
from siyu.messaging.service import BatchReport, Dispatcher
from siyu.messaging.tasks import worker_name
from siyu.wecom import repository, service
from siyu.wecom.adapter import WeComAdapter
from siyu.wecom.client import WeComClient
from siyu.wecom.crypto import WeComCrypto, WeComCryptoError, extract_encrypt
from siyu.wecom.events import parse_event

log = logging.getLogger(__name__)

SUCCESS = "success"  # what WeCom expects back from a POSTed event
DELIVERY_BATCH = 100
DELIVERY_LEASE = timedelta(minutes=2)


class CallbackRejectedError(SiyuError):
    """A callback refused before anything was stored (stale, replayed, incomplete)."""

    status_code = 403
    key = "wecom.replayed"


@dataclass
class ProcessReport:
    """What a processing run did."""

    processed: int = 0
    failed: int = 0
    outcomes: list[str] = field(default_factory=list)


@dataclass
class CallbackReceiver:
    """Receives one corp's callbacks into one workspace."""

    crypto: WeComCrypto
    sessions: sessionmaker[Session]
    workspace_id: int
    cipher: PiiCipher
    client: WeComClient | None = None
    max_skew_s: int = 300
    clock: Callable[[], datetime] = utcnow
    # one processing run at a time per receiver; other processes are kept apart by row locks
    _processing: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _params(self, query: Mapping[str, str], names: tuple[str, ...]) -> list[str]:
        missing = [n for n in names if not query.get(n)]
        if missing:
            self._refuse("missing_params", 400, names=", ".join(missing))
        return [query[n] for n in names]

    def _refuse(self, reason: str, status: int, **params: object) -> None:
        log.warning("wecom callback refused: %s", reason)
        error = CallbackRejectedError(f"wecom.{reason}", **params)
        error.status_code = status
        raise error

    def _check_time(self, timestamp: str) -> datetime:
        try:
            sent = datetime.fromtimestamp(int(timestamp), UTC)
        except (ValueError, OverflowError, OSError):
            self._refuse("missing_params", 400, names="timestamp")
            raise AssertionError("unreachable") from None
        skew = abs((self.clock() - sent).total_seconds())
        if skew > self.max_skew_s:
            self._refuse("stale", 403, skew=int(skew))
        return sent

    def verify_url(self, query: Mapping[str, str]) -> str:
        """Answer WeCom's URL check (GET): the decrypted echostr."""
        signature, timestamp, nonce, echostr = self._params(
            query, ("msg_signature", "timestamp", "nonce", "echostr")
        )
        try:
            self.crypto.check_signature(signature, timestamp, nonce, echostr)
            self._check_time(timestamp)
            return self.crypto.decrypt(echostr).decode("utf-8")
        except WeComCryptoError as exc:
            log.warning("wecom url check refused: sdk code %d", exc.code)
            raise

    def handle_callback(self, query: Mapping[str, str], body: bytes) -> str:
        """Verify and store a POSTed event; return the body to answer WeCom with."""
        signature, timestamp, nonce = self._params(query, ("msg_signature", "timestamp", "nonce"))
        try:
            encrypt = extract_encrypt(body)
            self.crypto.check_signature(signature, timestamp, nonce, encrypt)
        except WeComCryptoError as exc:
            raise _logged(exc) from None
        sent = self._check_time(timestamp)
        try:
            message = self.crypto.decrypt(encrypt)
            event = parse_event(message)
        except WeComCryptoError as exc:
            raise _logged(exc) from None
        self._store(signature.lower(), sent, message, event.event, event.change_type)
        return SUCCESS

    def _store(
        self, signature: str, sent: datetime, message: bytes, event: str, change: str
    ) -> None:
        keys = self.cipher.blind_indexes("wecom/callback", message.decode("utf-8", "replace"))
        event_key = keys[0]
        try:
            with unit_of_work(self.sessions) as session:
                if repository.signature_seen(session, self.workspace_id, signature):
                    self._refuse("replayed", 403)
                if repository.event_seen(session, self.workspace_id, keys):
                    log.info("wecom callback: %s/%s delivered again, already stored", event, change)
                    return
                row = repository.add_callback(
                    session,
                    workspace_id=self.workspace_id,
                    msg_signature=signature,
                    event_key=event_key,
                    sent_at=sent,
                    event=event[:48],
                    change_type=change[:48],
                    payload_enc=self.cipher.encrypt(message.decode("utf-8")),
                )
                log.info("wecom callback %d stored: %s/%s", row.id, event, change)
        except IntegrityError:
            # the same delivery raced in on another connection; it is stored once
            log.info("wecom callback: concurrent duplicate of %s/%s", event, change)

    def process_pending(self, *, limit: int = 500) -> ProcessReport:
        """Process stored events in order, each in its own transaction."""
        with self._processing:
            return self._process(limit)

    def _process(self, limit: int) -> ProcessReport:
        report = ProcessReport()
        with unit_of_work(self.sessions) as session:
            ids = repository.pending_callbacks(
                session, self.workspace_id, limit=limit, max_attempts=service.MAX_CALLBACK_ATTEMPTS
            )
        for callback_id in ids:
            try:
                with unit_of_work(self.sessions) as session:
                    outcome = service.process_callback(
                        session, self.workspace_id, self.cipher, self.client, callback_id
                    )
            except Exception as exc:
                # the type and siyu's own message only: driver errors can quote parameters
                detail = exc.message("en") if isinstance(exc, SiyuError) else ""
                log.warning(
                    "wecom callback %d failed: %s %s", callback_id, type(exc).__name__, detail
                )
                with unit_of_work(self.sessions) as session:
                    service.record_failure(
                        session,
                        self.workspace_id,
                        callback_id,
                        f"{type(exc).__name__} {detail}".strip(),
                    )
                report.failed += 1
                continue
            if outcome is not None:
                report.processed += 1
                report.outcomes.append(outcome)
        return report

    def deliver(self) -> BatchReport:
        """Make the due WeCom calls of the general outbox now (welcome codes last 20 seconds:
        this does not wait for the worker's next poll); `siyu worker` does the same."""
        if self.client is None:
            return BatchReport()
        dispatcher = Dispatcher(
            self.sessions,
            self.cipher,
            self.workspace_id,
            {service.CHANNEL: WeComChannel(WeComAdapter(self.client))},
            worker=f"wecom-{worker_name()}",
            lease=DELIVERY_LEASE,
        )
        return dispatcher.run_batch(service.CHANNEL, DELIVERY_BATCH)

    def after_response(self) -> ProcessReport:
        """What to run once WeCom has its answer: process what is pending, then deliver."""
        report = self.process_pending()
        self.deliver()
        return report


def _logged(exc: WeComCryptoError) -> WeComCryptoError:
    """Log a refusal (the SDK's code only) and answer 400 for a body that is not a callback."""
    log.warning("wecom callback refused: sdk code %d", exc.code)
    if exc.code == -40002:
        exc.status_code = 400
    return exc


def handle_callback(receiver: CallbackReceiver, query: Mapping[str, str], body: bytes) -> str:
    """Framework-independent entry: verify and store a POSTed WeCom event; return the answer."""
    return receiver.handle_callback(query, body)
