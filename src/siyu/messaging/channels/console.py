"""The console channel, for development: writes each message as one line (no personal data)."""

from __future__ import annotations

import json
import threading
from typing import TextIO

from siyu.kit.crypto import mask
from siyu.messaging.channels.base import Envelope, Receipt


class ConsoleChannel:
    """Prints messages instead of sending them; every message counts as delivered."""

    needs: str | None = None

    def __init__(self, stream: TextIO, *, name: str = "console") -> None:
        self.name = name
        self.stream = stream
        self._lock = threading.Lock()

    def send(self, envelope: Envelope) -> Receipt:
        """Write one line: id, key, customer, masked recipient, the content."""
        line = json.dumps({
            "id": envelope.message_id, "key": envelope.idempotency_key,
            "customer": envelope.customer_id, "to": mask(envelope.recipient) if envelope.recipient
            else "", "target": envelope.target, "payload": envelope.payload,
        }, ensure_ascii=False)  # fmt: skip
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()
        return Receipt("sent", provider_ref=f"console-{envelope.message_id}")

    def close(self) -> None:
        """Nothing to release."""
