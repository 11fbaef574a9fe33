"""SMS through an HTTP gateway.

The gateway takes ``POST {"to", "text", "sign", "idempotency_key"}`` with a bearer token and
the key also in ``Idempotency-Key``, and answers 2xx with ``{"message_id": "..."}``. Most
Chinese SMS providers are reached through such a small gateway (their own APIs sign requests
differently); a 2xx without a message id is treated as not accepted and retried, which is safe
because the gateway drops a key it has seen.
"""

from __future__ import annotations

import json

from siyu.messaging.channels.base import Envelope, Receipt
from siyu.messaging.channels.http import HttpPoster, retry_after
from siyu.messaging.rules import http_outcome


class SmsGatewayChannel:
    """Sends each message to the customer's phone through the gateway."""

    needs: str | None = "phone"

    def __init__(
        self, url: str, token: str, *, sign: str, timeout: float, name: str = "sms"
    ) -> None:
        self.name = name
        self._token = token
        self._sign = sign
        self._poster = HttpPoster(url, timeout=timeout)

    def send(self, envelope: Envelope) -> Receipt:
        """Deliver one SMS."""
        if not envelope.recipient:
            return Receipt("failed", detail="no phone number")
        text = str(envelope.payload.get("text", ""))
        body = json.dumps({"to": envelope.recipient, "text": text, "sign": self._sign,
                           "idempotency_key": envelope.idempotency_key},
                          ensure_ascii=False).encode()  # fmt: skip
        reply = self._poster.post(body, {
            "Content-Type": "application/json", "Authorization": f"Bearer {self._token}",
            "Idempotency-Key": envelope.idempotency_key,
        })  # fmt: skip
        outcome = http_outcome(reply.status)
        answer = reply.json()
        if outcome == "sent":
            if not isinstance(answer, dict) or not answer.get("message_id"):
                return Receipt("retry", status_code=reply.status, detail="malformed reply")
            return Receipt("sent", str(answer["message_id"])[:128], reply.status)
        detail = reply.body[:200].decode("utf-8", "replace")
        return Receipt(outcome, status_code=reply.status, detail=detail,
                       retry_after=retry_after(reply))  # fmt: skip

    def close(self) -> None:
        """Close the kept-alive connections."""
        self._poster.close()
