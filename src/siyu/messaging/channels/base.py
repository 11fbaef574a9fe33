"""The one narrow interface every delivery channel implements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from siyu.messaging.rules import Outcome


@dataclass(frozen=True)
class Envelope:
    """One message ready to go: the recipient is decrypted only here, at send time."""

    message_id: int
    idempotency_key: str
    channel: str
    payload: Mapping[str, Any]
    customer_id: int | None = None
    recipient: str = ""
    sender: str = ""
    target: str = ""
    attempt: int = 1


@dataclass(frozen=True)
class Receipt:
    """What the channel says happened; `detail` never carries personal data."""

    outcome: Outcome
    provider_ref: str = ""
    status_code: int | None = None
    detail: str = ""
    retry_after: float | None = None


@runtime_checkable
class Channel(Protocol):
    """A way to deliver messages. `needs` names the identity the recipient is read from
    ("phone", "email", "external_userid") or None when the channel needs no address."""

    name: str
    needs: str | None

    def send(self, envelope: Envelope) -> Receipt:
        """Deliver one message (the idempotency key goes with it)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def send_many(channel: Channel, envelopes: Sequence[Envelope]) -> list[Receipt]:
    """Deliver a batch: through the channel's own `send_many` when it has one (WeCom sends
    one batch message to many customers), else one by one."""
    batch = getattr(channel, "send_many", None)
    if batch is not None:
        return list(batch(envelopes))
    return [channel.send(e) for e in envelopes]
