"""Writing webhook orders in small batches: one transaction and one commit for many deliveries.

SQLite has one writer. Deliveries that arrive together wait for the writer thread, which
takes whatever is queued (up to MAX_BATCH) and writes it through OrderWriter in one
transaction: one identity resolution, bulk inserts, one commit. Under load the batches grow,
so the cost per order falls as the rate rises; alone, a delivery is written at once.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field

from siyu.db.engine import unit_of_work
from siyu.kit.errors import SiyuError
from siyu.store import Store
from siyu.webhooks.schemas import WebhookAccepted
from siyu.webhooks.service import Outcome, Pending, receive_orders

logger = logging.getLogger(__name__)
MAX_BATCH = 200


@dataclass
class _Item:
    pending: Pending
    future: Future[WebhookAccepted] = field(default_factory=Future)


class OrderBatcher:
    """A writer thread that stores queued webhook orders batch by batch."""

    def __init__(self, store: Store, *, max_batch: int = MAX_BATCH) -> None:
        self.store = store
        self.max_batch = max_batch
        self._queue: queue.Queue[_Item | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="siyu-webhooks", daemon=True)
        self._thread.start()

    def submit(self, pending: Pending) -> Future[WebhookAccepted]:
        """Queue a verified delivery; the future holds its outcome or its error."""
        item = _Item(pending)
        self._queue.put(item)
        return item.future

    def close(self) -> None:
        """Write what is queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join(timeout=60)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._write(batch)
                    return
                batch.append(more)
            self._write(batch)

    def _write(self, batch: list[_Item]) -> None:
        try:
            outcomes = self._transaction([i.pending for i in batch])
        except Exception:
            if len(batch) == 1:
                logger.exception("webhook order could not be written")
                batch[0].future.set_exception(SiyuError("error.internal"))
                return
            for item in batch:  # one bad delivery must not fail the others
                self._write([item])
            return
        for item, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, SiyuError):
                item.future.set_exception(outcome)
            else:
                item.future.set_result(outcome)

    def _transaction(self, pendings: list[Pending]) -> list[Outcome]:
        with unit_of_work(self.store.sessions) as session:
            return receive_orders(session, self.store.cipher, pendings)
