"""Signed webhooks: the brand's own endpoint receives each message as JSON.

Headers: ``Idempotency-Key`` (the same for every attempt of one message), ``X-Siyu-Timestamp``
and ``X-Siyu-Signature: sha256=<hex>``, the HMAC-SHA256 of ``"<timestamp>.<body>"`` under the
shared secret. A receiver checks the signature and the timestamp's age, and drops keys it
has seen. Only ids and content are sent, never personal data.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from siyu.messaging.channels.base import Envelope, Receipt
from siyu.messaging.channels.http import HttpPoster, retry_after
from siyu.messaging.rules import http_outcome


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The signature header value of a body sent at `timestamp`."""
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookChannel:
    """POSTs each message to one URL, signed."""

    needs: str | None = None

    def __init__(self, url: str, secret: str, *, timeout: float, name: str = "webhook") -> None:
        self.name = name
        self._secret = secret.encode()
        self._poster = HttpPoster(url, timeout=timeout)

    def send(self, envelope: Envelope) -> Receipt:
        """Deliver one message; 2xx is delivered, 408/429/5xx retried, other 4xx failed."""
        body = json.dumps({
            "id": envelope.message_id, "idempotency_key": envelope.idempotency_key,
            "customer_id": envelope.customer_id, "target": envelope.target,
            "attempt": envelope.attempt, "payload": envelope.payload,
        }, ensure_ascii=False, separators=(",", ":")).encode()  # fmt: skip
        stamp = str(int(time.time()))
        reply = self._poster.post(body, {
            "Content-Type": "application/json", "Idempotency-Key": envelope.idempotency_key,
            "X-Siyu-Timestamp": stamp, "X-Siyu-Signature": sign(self._secret, stamp, body),
        })  # fmt: skip
        outcome = http_outcome(reply.status)
        answer = reply.json()
        ref = str(answer.get("id", "")) if isinstance(answer, dict) else ""
        detail = "" if outcome == "sent" else reply.body[:200].decode("utf-8", "replace")
        return Receipt(outcome, ref[:128], reply.status, detail, retry_after(reply))

    def close(self) -> None:
        """Close the kept-alive connections."""
        self._poster.close()
